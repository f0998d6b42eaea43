/* download.c - GET/HEAD /files/<task>.mp4: signed URLs that expire, single
 * byte ranges, and the download faults (truncation, resets, extra bytes,
 * stalls, corruption, ignored Range, redirects). Bodies stream from the
 * shared clip through a reader callback, so a fault costs no copy of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api.h"
#include "rng.h"

struct body {
    struct sim *sim;
    const struct clip *clip;
    size_t start, end;        /* bytes [start, end) of the clip */
    size_t cut_at;            /* offset (from start) where the connection ends; SIZE_MAX none */
    int reset_fd;             /* the connection's socket, reset at cut_at; -1 closes cleanly */
    size_t stall_at;          /* offset where the body pauses once; SIZE_MAX none */
    size_t extra;             /* bytes sent beyond the declared length */
    int corrupt;
};

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct body *b = cls;
    size_t len = b->end - b->start;
    if (pos >= b->cut_at) {
        if (b->reset_fd >= 0) {
            /* Linux: connecting a TCP socket to AF_UNSPEC drops it with an RST;
             * the descriptor stays valid for libmicrohttpd to close. */
            struct sockaddr unspec = {.sa_family = AF_UNSPEC};
            connect(b->reset_fd, &unspec, sizeof unspec);
        }
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (pos == b->stall_at) {
        sim_sleep(b->sim, b->sim->cfg.stall_seconds);
        b->stall_at = SIZE_MAX;
    }
    if (pos >= len + b->extra)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = len + b->extra - pos;
    if (n > max)
        n = max;
    if (b->cut_at != SIZE_MAX && n > b->cut_at - pos)
        n = b->cut_at - pos;
    if (b->stall_at != SIZE_MAX && pos < b->stall_at && n > b->stall_at - pos)
        n = b->stall_at - pos;
    for (size_t i = 0; i < n; i++) {
        size_t at = b->start + pos + i;
        unsigned char byte = at < b->clip->len ? b->clip->data[at] : (unsigned char)'#';
        if (b->corrupt && at < 64)
            byte ^= 0x5a;
        buf[i] = (char)byte;
    }
    return (ssize_t)n;
}

/* Parses "bytes=a-b", "bytes=a-" and "bytes=-n"; 1 and the range on success,
 * 0 when absent or not a single byte range (served whole), -1 unsatisfiable. */
static int parse_range(const char *h, size_t len, size_t *start, size_t *end)
{
    unsigned long long a, b;
    char tail;
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    h += 6;
    if (sscanf(h, "-%llu%c", &b, &tail) == 1) {
        if (b == 0)
            return -1;
        *start = b >= len ? 0 : len - (size_t)b;
        *end = len;
        return 1;
    }
    if (sscanf(h, "%llu-%llu%c", &a, &b, &tail) == 2) {
        if (b < a)
            return 0;
        if (a >= len)
            return -1;
        *start = (size_t)a;
        *end = b + 1 >= len ? len : (size_t)b + 1;
        return 1;
    }
    if (sscanf(h, "%llu-%c", &a, &tail) == 1 && h[strlen(h) - 1] == '-') {
        if (a >= len)
            return -1;
        *start = (size_t)a;
        *end = len;
        return 1;
    }
    return 0;
}

static enum MHD_Result redirect(struct MHD_Connection *c, struct req_ctx *r, const char *location)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Location", location);
    note_status(r, 302);
    enum MHD_Result ret = MHD_queue_response(c, 302, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result api_download(struct MHD_Connection *c, struct req_ctx *r, const char *url, const char *method)
{
    struct sim *s = r->sim;
    char id[40];
    unsigned long long expires = 0, sig = 0;
    int idlen = 0;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        r->allow = "GET, HEAD";
        return reply_error(c, r, 405, "method_not_allowed", NULL, "use GET or HEAD");
    }
    if (sscanf(url, "/files/%39[a-z0-9-].mp4%n", id, &idlen) != 1 || url[idlen] != '\0')
        return reply_error(c, r, 404, "not_found", NULL, "no such file");
    const char *e = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "e");
    const char *g = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sig");
    const char *via = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "via");
    if (e)
        expires = strtoull(e, NULL, 10);
    if (g)
        sig = strtoull(g, NULL, 16);

    pthread_mutex_lock(&s->lock);
    struct task *t = sim_find_task(s, id);
    if (!t || t->outcome == OUT_FAILED || t->outcome == OUT_POLICY || t->outcome == OUT_STUCK) {
        pthread_mutex_unlock(&s->lock);
        return reply_error(c, r, 404, "not_found", NULL, "no such file");
    }
    uint64_t want = rng_mix(s->url_secret ^ rng_hash_bytes(t->id, strlen(t->id)) ^ expires);
    uint64_t n = (uint64_t)++t->downloads;
    uint64_t seq = t->seq;
    struct video_spec spec = t->video;
    pthread_mutex_unlock(&s->lock);

    if (!e || !g || sig != want)
        return reply_error(c, r, 403, "bad_signature", NULL, "this URL's signature does not match");
    if ((double)expires < sim_now() * 1000.0)
        return reply_error(c, r, 403, "url_expired", NULL, "this URL has expired; ask /api/status for a fresh one");

#define STRIKES(f) fault_strikes(s->cfg.seed, (f), s->cfg.fault_rate[f], seq, n)
    char location[640];
    if (!via && STRIKES(FAULT_DOWNLOAD_REDIRECT_HOST)) {
        const char *port = strrchr(s->base_url, ':');
        snprintf(location, sizeof location, "http://localhost%s/files/%s.mp4?e=%s&sig=%s&via=1", port, id, e, g);
        return redirect(c, r, location);
    }
    if (!via && STRIKES(FAULT_DOWNLOAD_REDIRECT_SCHEME)) {
        snprintf(location, sizeof location, "ftp://127.0.0.1/files/%s.mp4", id);
        return redirect(c, r, location);
    }
    if (STRIKES(FAULT_DOWNLOAD_REDIRECT_LOOP)) {
        snprintf(location, sizeof location, "%s/files/%s.mp4?e=%s&sig=%s", s->base_url, id, e, g);
        return redirect(c, r, location);
    }

    char err[256];
    const struct clip *clip = video_get(&spec, err, sizeof err);
    if (!clip)
        return reply_error(c, r, 500, "server_error", NULL, "%s", err);

    struct body *b = calloc(1, sizeof *b);
    if (!b)
        return MHD_NO;
    *b = (struct body){s, clip, 0, clip->len, SIZE_MAX, -1, SIZE_MAX, 0, 0};
    unsigned code = 200;
    int ranged = STRIKES(FAULT_DOWNLOAD_IGNORE_RANGE) ? 0
               : parse_range(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range"), clip->len, &b->start, &b->end);
    if (ranged < 0) {
        free(b);
        char value[64];
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        snprintf(value, sizeof value, "bytes */%zu", clip->len);
        MHD_add_response_header(resp, "Content-Range", value);
        note_status(r, 416);
        enum MHD_Result ret = MHD_queue_response(c, 416, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (ranged > 0)
        code = 206;
    size_t len = b->end - b->start;
    if (STRIKES(FAULT_DOWNLOAD_TRUNCATE))
        b->cut_at = len / 2;
    if (STRIKES(FAULT_DOWNLOAD_RESET)) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        b->cut_at = len / 2;
        b->reset_fd = ci ? ci->connect_fd : -1;
    }
    if (STRIKES(FAULT_DOWNLOAD_STALL))
        b->stall_at = len / 2;
    if (STRIKES(FAULT_DOWNLOAD_CORRUPT))
        b->corrupt = 1;
    if (STRIKES(FAULT_DOWNLOAD_LONGER))
        b->extra = 4096;
#undef STRIKES

    struct MHD_Response *resp;
    if (b->extra) {
        /* Declare the true length by hand but let the reader run past it. */
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, body_read, b, free);
        if (resp) {
            char value[32];
            snprintf(value, sizeof value, "%zu", len);
            MHD_set_response_options(resp, MHD_RF_INSANITY_HEADER_CONTENT_LENGTH | MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
            MHD_add_response_header(resp, "Content-Length", value);
            MHD_add_response_header(resp, "Connection", "close");
        }
    } else {
        resp = MHD_create_response_from_callback(len, 32 * 1024, body_read, b, free);
    }
    if (!resp) {
        free(b);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "video/mp4");
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    MHD_add_response_header(resp, "Cache-Control", "private, max-age=3600");
    if (code == 206) {
        char value[96];
        snprintf(value, sizeof value, "bytes %zu-%zu/%zu", b->start, b->end - 1, clip->len);
        MHD_add_response_header(resp, "Content-Range", value);
    }
    note_status(r, code);
    enum MHD_Result ret = MHD_queue_response(c, code, resp);
    MHD_destroy_response(resp);
    return ret;
}
