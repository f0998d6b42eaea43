/* video.h - the clips hh-sim serves: real H.264/AAC MP4 files made by ffmpeg
 * from a "look" (two colours and a gradient type chosen from a hash of the
 * prompt), one per shot, drawn as render.c says, defects included. Clips are
 * cached in memory and in a directory, keyed by everything that changes their
 * bytes, so thousands of tasks share a few dozen encodes. */
#ifndef SIM_VIDEO_H
#define SIM_VIDEO_H

#include <stddef.h>

#define VIDEO_MAX_SHOTS 16

enum aspect { ASPECT_16_9, ASPECT_9_16, ASPECT_1_1 };

/* What is wrong with a clip on purpose: the clip-* faults. */
enum clip_defect {
    CLIP_CLEAN,
    CLIP_BLACK,          /* every frame (nearly) black */
    CLIP_FROZEN,         /* one still frame throughout */
    CLIP_SILENT,         /* the audio track is there but silent */
    CLIP_SHORT,          /* half the asked duration */
    CLIP_WRONG_ASPECT,   /* 1:1 for 16:9 or 9:16, 16:9 for 1:1 */
    CLIP_MERGED_SHOTS,   /* shots `merged` and `merged + 1` drawn as one */
    CLIP_DEFECT_COUNT
};

struct video_spec {
    enum aspect aspect;
    int resolution;           /* 0: the small default size; 720 or 1080: the short side */
    int sound;
    enum clip_defect defect;
    int merged;               /* CLIP_MERGED_SHOTS: the first shot of the merged pair */
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
