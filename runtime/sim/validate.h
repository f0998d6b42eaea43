/* validate.h - the documented field rules of POST /api/generate.
 * A violation yields the field's name and a sentence stating the rule, the
 * same words hh's own local checks use. Unknown fields are ignored. */
#ifndef SIM_VALIDATE_H
#define SIM_VALIDATE_H

#include <jansson.h>

#include "video.h"

#define MODEL_NAME "happyhorse-1.0/video"
#define PROMPT_MAX_CHARS 2500
#define DURATION_MIN 3
#define DURATION_MAX 15

struct gen_request {
    char mode[4];
    int duration;             /* total seconds of the clip */
    int sound;
    double cfg_scale;
    enum aspect aspect;
    int resolution;           /* 0 when not asked; 720 or 1080 */
    int multi_shots;
    int nshots;
    const char *shot_prompt[VIDEO_MAX_SHOTS];
    int shot_seconds[VIDEO_MAX_SHOTS];
    const char *prompt;       /* NULL for multi-shot without a prompt */
    int nimages;
};

/* 0 when `body` is a valid request (filled into `out`, borrowing its strings);
 * otherwise -1 with `field` and `message` set. */
int validate_generate(json_t *body, struct gen_request *out,
                      char *field, size_t fieldlen, char *message, size_t msglen);

#endif
