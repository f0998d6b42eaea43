/* render.h - what a clip looks like and the ffmpeg filter graph that draws
 * it: each shot's look, a hard cut at every shot boundary, a tone when there
 * is sound, and the defects a client's media checks must catch. Pure
 * computation on a video_spec; video.c runs ffmpeg on the graph. */
#ifndef SIM_RENDER_H
#define SIM_RENDER_H

#include <stddef.h>

#include "video.h"

#define RENDER_FPS 24
#define RENDER_SAMPLE_RATE 48000

/* The clip as it is really drawn, defect included: what a checker measures. */
struct clip_shape {
    int width, height;
    double seconds;
    int audio;                       /* an audio stream is present */
    int ncuts;
    double cuts[VIDEO_MAX_SHOTS];    /* seconds at which a new shot starts */
};

void render_shape(const struct video_spec *spec, struct clip_shape *out);
/* The -filter_complex text, with outputs [v] and, when spec->sound, [a].
 * -1 when it does not fit in `n` bytes. */
int render_filter(const struct video_spec *spec, char *buf, size_t n);

#endif
