/* render.c - draws a clip as an ffmpeg filter graph (lavfi "gradients" and
 * "sine" sources). A shot is a slowly moving two-colour gradient whose hue,
 * type and geometry come from its look; shots alternate between a light and
 * a dark band of luma, so every shot boundary is a hard cut that scene
 * detection finds whatever the looks, and nothing else is. Gradients are
 * drawn small and scaled up for 720p and 1080p, which keeps encodes fast. */
#include "render.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/* Drawn size of each aspect ratio without a resolution; gradients are always
 * drawn at this size. */
static const int small_size[][2] = {{320, 180}, {180, 320}, {240, 240}};

/* Full-range luma of a shot's two colours in each band, and of a black clip.
 * The bands are far apart (scene cuts) and the dark one well above
 * blackdetect's pixel threshold (16 + 0.10 * 219 = 38 in video range). */
static const double band_luma[][2] = {{215, 165}, {60, 100}};
static const double black_luma[2] = {2, 18};
#define CHROMA 45.0
#define SPEED 0.02

struct drawn {
    int look;
    double start, seconds;
};

static enum aspect drawn_aspect(const struct video_spec *spec)
{
    if (spec->defect != CLIP_WRONG_ASPECT)
        return spec->aspect;
    return spec->aspect == ASPECT_1_1 ? ASPECT_16_9 : ASPECT_1_1;
}

static void drawn_size(const struct video_spec *spec, int *w, int *h)
{
    enum aspect a = drawn_aspect(spec);
    int r = spec->resolution, wide = r * 16 / 9;
    if (r <= 0) {
        *w = small_size[a][0];
        *h = small_size[a][1];
        return;
    }
    *w = a == ASPECT_16_9 ? wide : r;
    *h = a == ASPECT_9_16 ? wide : r;
}

/* The shots as drawn: a merged pair is one shot, a short clip stops half way. */
static int drawn_shots(const struct video_spec *spec, struct drawn *out, double *total)
{
    int n = 0;
    double t = 0;
    for (int i = 0; i < spec->nshots; i++) {
        double secs = spec->shots[i].seconds;
        if (spec->defect == CLIP_MERGED_SHOTS && n > 0 && i == spec->merged + 1)
            out[n - 1].seconds += secs;
        else
            out[n++] = (struct drawn){spec->shots[i].look, t, secs};
        t += secs;
    }
    if (spec->defect == CLIP_SHORT) {
        t /= 2;
        while (n > 1 && out[n - 1].start >= t)
            n--;
        out[n - 1].seconds = t - out[n - 1].start;
    }
    *total = t;
    return n;
}

void render_shape(const struct video_spec *spec, struct clip_shape *out)
{
    struct drawn d[VIDEO_MAX_SHOTS];
    int n = drawn_shots(spec, d, &out->seconds);
    drawn_size(spec, &out->width, &out->height);
    out->audio = spec->sound;
    out->ncuts = 0;
    /* A black or frozen clip shows no shot at all, so no cut either. */
    if (spec->defect != CLIP_BLACK && spec->defect != CLIP_FROZEN)
        for (int i = 1; i < n; i++)
            out->cuts[out->ncuts++] = d[i].start;
}

/* A colour of hue `deg` at full-range luma `y` (BT.601), as 0xRRGGBB. */
static unsigned colour(double deg, double y, double chroma)
{
    double a = deg * M_PI / 180.0, cb = chroma * cos(a), cr = chroma * sin(a);
    double rgb[3] = {y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb};
    unsigned out = 0;
    for (int i = 0; i < 3; i++) {
        double c = rgb[i] < 0 ? 0 : rgb[i] > 255 ? 255 : rgb[i];
        out = out << 8 | (unsigned)lround(c);
    }
    return out;
}

struct text {
    char *buf;
    size_t n, used;
    int overflow;
};

static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->buf + t->used, t->n - t->used, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= t->n - t->used)
        t->overflow = 1;
    else
        t->used += (size_t)k;
}

/* One gradient source of a look, `w`x`h`, `seconds` long, unterminated. The
 * gradient's two points sit either side of the centre, at an angle from the
 * look, and turn about it: the picture keeps moving everywhere (freeze
 * detection never fires) and slowly (scene detection never does). */
static void put_gradient(struct text *t, int w, int h, double seconds, int look, const double luma[2], double chroma)
{
    double hue = (double)((look * 47) % 360), angle = look * 2.39996, r = 0.3 * (w < h ? w : h);
    long dx = lround(r * cos(angle)), dy = lround(r * sin(angle));
    put(t, "gradients=s=%dx%d:r=%d:d=%g:c0=0x%06x:c1=0x%06x:x0=%ld:y0=%ld:x1=%ld:y1=%ld:speed=%g:type=%s",
        w, h, RENDER_FPS, seconds, colour(hue, luma[0], chroma), colour(hue + 150, luma[1], chroma),
        w / 2 + dx, h / 2 + dy, w / 2 - dx, h / 2 - dy, SPEED, look % 2 ? "radial" : "linear");
}

int render_filter(const struct video_spec *spec, char *buf, size_t n)
{
    struct text t = {buf, n, 0, 0};
    struct drawn d[VIDEO_MAX_SHOTS];
    double total;
    int nd = drawn_shots(spec, d, &total);
    enum aspect a = drawn_aspect(spec);
    int sw = small_size[a][0], sh = small_size[a][1], w, h;
    drawn_size(spec, &w, &h);
    buf[0] = '\0';

    int first_band = (d[0].look >> 1) & 1;
    switch (spec->defect) {
    case CLIP_BLACK:
        /* Still moving, so it reads as black and not as frozen. */
        put_gradient(&t, sw, sh, total, d[0].look, black_luma, 4);
        put(&t, ",format=yuv420p");
        break;
    case CLIP_FROZEN:
        /* The first frame of the first shot, repeated. */
        put_gradient(&t, sw, sh, 1, d[0].look, band_luma[first_band], CHROMA);
        put(&t, ",trim=end_frame=1,format=yuv420p,tpad=stop_mode=clone:stop=%ld", lround(total * RENDER_FPS) - 1);
        break;
    default:
        for (int i = 0; i < nd; i++) {
            put_gradient(&t, sw, sh, d[i].seconds, d[i].look, band_luma[(first_band + i) & 1], CHROMA);
            put(&t, "[s%d];", i);
        }
        for (int i = 0; i < nd; i++)
            put(&t, "[s%d]", i);
        put(&t, "concat=n=%d:v=1:a=0,format=yuv420p", nd);
        break;
    }
    if (w != sw || h != sh)
        put(&t, ",scale=%d:%d:flags=bilinear", w, h);
    put(&t, "[v]");
    if (spec->sound) {
        put(&t, ";sine=f=%d:d=%g:sample_rate=%d", 220 + 20 * (d[0].look % 24), total, RENDER_SAMPLE_RATE);
        if (spec->defect == CLIP_SILENT)
            put(&t, ",volume=-52dB"); /* about -70 dBFS: there, and far below any silence threshold */
        put(&t, "[a]");
    }
    return t.overflow ? -1 : 0;
}
