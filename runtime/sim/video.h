/* video.h - the clips hh-sim serves: real H.264/AAC MP4 files made by ffmpeg
 * from a "look" (two colours and a gradient type chosen from a hash of the
 * prompt), one per shot. Clips are cached in memory and in a directory, so
 * thousands of tasks share a few dozen encodes. */
#ifndef SIM_VIDEO_H
#define SIM_VIDEO_H

#include <stddef.h>

#define VIDEO_MAX_SHOTS 16

enum aspect { ASPECT_16_9, ASPECT_9_16, ASPECT_1_1 };

struct video_spec {
    enum aspect aspect;
    int sound;
    int nshots;
    struct {
        int look;     /* 0 .. palette-1 */
        int seconds;
    } shots[VIDEO_MAX_SHOTS];
};

struct clip {
    unsigned char *data;
    size_t len;
    char sha256[65];          /* of data: what a whole download must hash to */
};

/* Sets where clips are kept on disk; NULL keeps them in memory only. */
void video_init(const char *cache_dir);
/* The clip for `spec`, made on first use; NULL with `err` filled on failure.
 * The returned clip lives until video_shutdown. Thread-safe. */
const struct clip *video_get(const struct video_spec *spec, char *err, size_t errlen);
/* The look for a prompt: a stable hash of its text, folded into `palette`. */
int video_look(const char *prompt, int palette);
void video_shutdown(void);

#endif
