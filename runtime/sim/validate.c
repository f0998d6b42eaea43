/* validate.c - checks a decoded generate request against every rule in the
 * API reference; the first violation is reported. */
#include "validate.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct verdict {
    char *field;
    size_t fieldlen;
    char *message;
    size_t msglen;
};

static int reject(struct verdict *v, const char *field, const char *fmt, ...)
{
    va_list ap;
    snprintf(v->field, v->fieldlen, "%s", field);
    int n = snprintf(v->message, v->msglen, "%s: ", field);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < v->msglen)
        vsnprintf(v->message + n, v->msglen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* A whole number held in a JSON integer or real (5 and 5.0 both count). */
static int whole_number(json_t *v, long long *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 1e15) {
            *out = (long long)d;
            return 1;
        }
    }
    return 0;
}

static int check_prompt(struct verdict *v, const char *field, json_t *p, const char **out)
{
    if (!json_is_string(p))
        return reject(v, field, "must be a string");
    const char *s = json_string_value(p);
    size_t n = utf8_chars(s);
    if (n == 0)
        return reject(v, field, "must not be empty");
    if (n > PROMPT_MAX_CHARS)
        return reject(v, field, "must be at most %d characters (got %zu)", PROMPT_MAX_CHARS, n);
    *out = s;
    return 0;
}

static int check_shots(struct verdict *v, json_t *shots, json_t *duration, struct gen_request *out)
{
    if (!shots)
        return reject(v, "multi_prompt", "is required when multi_shots is true");
    if (!json_is_array(shots) || json_array_size(shots) == 0)
        return reject(v, "multi_prompt", "must be a non-empty array of shots");
    size_t n = json_array_size(shots);
    if (n > VIDEO_MAX_SHOTS)
        return reject(v, "multi_prompt", "must have at most %d shots (got %zu)", VIDEO_MAX_SHOTS, n);
    int with_duration = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        char field[64];
        json_t *shot = json_array_get(shots, i);
        snprintf(field, sizeof field, "multi_prompt[%zu]", i);
        if (!json_is_object(shot))
            return reject(v, field, "must be an object with a prompt");
        snprintf(field, sizeof field, "multi_prompt[%zu].prompt", i);
        json_t *p = json_object_get(shot, "prompt");
        if (!p)
            return reject(v, field, "is required");
        if (check_prompt(v, field, p, &out->shot_prompt[i]) != 0)
            return -1;
        json_t *d = json_object_get(shot, "duration");
        snprintf(field, sizeof field, "multi_prompt[%zu].duration", i);
        if (d) {
            long long secs;
            if (!whole_number(d, &secs) || secs < 1 || secs > DURATION_MAX)
                return reject(v, field, "must be a whole number of seconds from 1 to %d", DURATION_MAX);
            out->shot_seconds[i] = (int)secs;
            total += (int)secs;
            with_duration++;
        }
        if (with_duration != 0 && with_duration != (int)i + 1)
            return reject(v, field, "give a duration for every shot or for none");
    }
    out->nshots = (int)n;
    if (with_duration) {
        if (total < DURATION_MIN || total > DURATION_MAX)
            return reject(v, "multi_prompt", "shot durations add up to %d s; the total must be from %d to %d s",
                          total, DURATION_MIN, DURATION_MAX);
        if (duration && out->duration != total)
            return reject(v, "duration", "must equal the sum of the shot durations (%d s) or be left out", total);
        out->duration = total;
        return 0;
    }
    if ((int)n > out->duration)
        return reject(v, "multi_prompt", "%zu shots do not fit in %d s (each needs at least 1 s)", n, out->duration);
    /* Spread the clip's seconds over the shots, the first ones taking the rest. */
    for (int i = 0; i < (int)n; i++)
        out->shot_seconds[i] = out->duration / (int)n + (i < out->duration % (int)n);
    return 0;
}

int validate_generate(json_t *body, struct gen_request *out,
                      char *field, size_t fieldlen, char *message, size_t msglen)
{
    struct verdict v = {field, fieldlen, message, msglen};
    memset(out, 0, sizeof *out);
    strcpy(out->mode, "std");
    out->duration = 5;
    out->sound = 1;
    out->cfg_scale = 0.5;
    out->aspect = ASPECT_16_9;

    if (!json_is_object(body))
        return reject(&v, "body", "must be a JSON object");

    json_t *model = json_object_get(body, "model");
    if (!model)
        return reject(&v, "model", "is required");
    if (!json_is_string(model) || strcmp(json_string_value(model), MODEL_NAME) != 0)
        return reject(&v, "model", "must be \"%s\"", MODEL_NAME);

    json_t *multi = json_object_get(body, "multi_shots");
    if (multi && !json_is_boolean(multi))
        return reject(&v, "multi_shots", "must be true or false");
    out->multi_shots = multi && json_is_true(multi);

    json_t *prompt = json_object_get(body, "prompt");
    if (!prompt && !out->multi_shots)
        return reject(&v, "prompt", "is required unless multi_shots is true");
    if (prompt && check_prompt(&v, "prompt", prompt, &out->prompt) != 0)
        return -1;

    json_t *mode = json_object_get(body, "mode");
    if (mode) {
        const char *m = json_is_string(mode) ? json_string_value(mode) : "";
        if (strcmp(m, "std") != 0 && strcmp(m, "pro") != 0)
            return reject(&v, "mode", "must be \"std\" or \"pro\"");
        strcpy(out->mode, m);
    }

    json_t *duration = json_object_get(body, "duration");
    if (duration) {
        long long secs;
        if (!whole_number(duration, &secs) || secs < DURATION_MIN || secs > DURATION_MAX)
            return reject(&v, "duration", "must be a whole number of seconds from %d to %d",
                          DURATION_MIN, DURATION_MAX);
        out->duration = (int)secs;
    }

    json_t *aspect = json_object_get(body, "aspect_ratio");
    if (aspect) {
        static const char *const names[] = {"16:9", "9:16", "1:1"};
        const char *a = json_is_string(aspect) ? json_string_value(aspect) : "";
        int found = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(a, names[i]) == 0)
                found = i;
        if (found < 0)
            return reject(&v, "aspect_ratio", "must be one of \"16:9\", \"9:16\", \"1:1\"");
        out->aspect = (enum aspect)found;
    }

    /* Not in the documented API: DashScope's 720P and 1080P, which a client
     * passes as an extra field. Without it the clip is small. */
    json_t *resolution = json_object_get(body, "resolution");
    if (resolution) {
        const char *r = json_is_string(resolution) ? json_string_value(resolution) : "";
        if (strcasecmp(r, "720p") == 0)
            out->resolution = 720;
        else if (strcasecmp(r, "1080p") == 0)
            out->resolution = 1080;
        else
            return reject(&v, "resolution", "must be \"720p\" or \"1080p\"");
    }

    json_t *sound = json_object_get(body, "sound");
    if (sound) {
        if (!json_is_boolean(sound))
            return reject(&v, "sound", "must be true or false");
        out->sound = json_is_true(sound);
    }

    json_t *cfg = json_object_get(body, "cfg_scale");
    if (cfg) {
        if (!json_is_number(cfg) || json_number_value(cfg) < 0 || json_number_value(cfg) > 1)
            return reject(&v, "cfg_scale", "must be a number from 0 to 1");
        out->cfg_scale = json_number_value(cfg);
    }

    json_t *images = json_object_get(body, "image_urls");
    if (images) {
        if (!json_is_array(images))
            return reject(&v, "image_urls", "must be an array of URL strings");
        size_t i;
        json_t *u;
        json_array_foreach(images, i, u) {
            char f[48];
            snprintf(f, sizeof f, "image_urls[%zu]", i);
            const char *s = json_is_string(u) ? json_string_value(u) : NULL;
            if (!s || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) ||
                strlen(s) < 9)
                return reject(&v, f, "must be an http or https URL");
        }
        out->nimages = (int)json_array_size(images);
        if (out->multi_shots && out->nimages > 1)
            return reject(&v, "image_urls", "at most 1 image (the first frame) when multi_shots is true");
        if (!out->multi_shots && out->nimages > 2)
            return reject(&v, "image_urls", "at most 2 images (first and last frame) for a single shot");
    }

    if (out->multi_shots)
        return check_shots(&v, json_object_get(body, "multi_prompt"), duration, out);
    out->nshots = 1;
    out->shot_prompt[0] = out->prompt;
    out->shot_seconds[0] = out->duration;
    return 0;
}
