/* http.c - building answers for hh-sim's handlers. The slow-headers and
 * slow-body faults live here so every API answer can suffer them; the handler
 * thread sleeps, which only holds up this connection (one thread each). */
#include "http.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"

void note_status(struct req_ctx *r, unsigned code)
{
    snprintf(r->status_text, sizeof r->status_text, "%u", code);
}

unsigned server_error_code(struct req_ctx *r, const char *label)
{
    static const unsigned codes[] = {500, 502, 503};
    return codes[rng_draw(r->sim->cfg.seed, label, r->seq, 7) % 3];
}

struct trickle {
    struct sim *sim;
    char *data;
    size_t len;
    double pause;
};

static ssize_t trickle_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct trickle *t = cls;
    if (pos >= t->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    sim_sleep(t->sim, t->pause);
    size_t piece = t->len / 8 + 1;
    if (piece > max)
        piece = max;
    if (piece > t->len - pos)
        piece = t->len - pos;
    memcpy(buf, t->data + pos, piece);
    return (ssize_t)piece;
}

static void trickle_free(void *cls)
{
    struct trickle *t = cls;
    free(t->data);
    free(t);
}

static enum MHD_Result send_text(struct MHD_Connection *c, struct req_ctx *r, unsigned code,
                                 const char *content_type, char *text, double retry_wait)
{
    struct sim *s = r->sim;
    int api = r->ep == EP_GENERATE || r->ep == EP_STATUS;
    size_t len = strlen(text);
    struct MHD_Response *resp = NULL;

    if (api && fault_strikes(s->cfg.seed, FAULT_SLOW_HEADERS, s->cfg.fault_rate[FAULT_SLOW_HEADERS], r->seq, 0))
        sim_sleep(s, s->cfg.slow_seconds);
    if (api && fault_strikes(s->cfg.seed, FAULT_SLOW_BODY, s->cfg.fault_rate[FAULT_SLOW_BODY], r->seq, 0)) {
        struct trickle *t = malloc(sizeof *t);
        if (t) {
            *t = (struct trickle){s, text, len, s->cfg.slow_seconds / 8};
            resp = MHD_create_response_from_callback(len, 256, trickle_read, t, trickle_free);
            if (resp)
                text = NULL;
            else
                free(t);
        }
    }
    if (!resp)
        resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_COPY);
    free(text);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", content_type);
    if (api && s->cfg.rate > 0) {
        /* The limit, as the IETF RateLimit header fields say it: clients need not be told. */
        char policy[64];
        snprintf(policy, sizeof policy, "%g;w=1", s->cfg.rate);
        MHD_add_response_header(resp, "RateLimit-Policy", policy);
    }
    if (code == 405 && r->allow)
        MHD_add_response_header(resp, "Allow", r->allow);
    if (retry_wait >= 0) {
        char value[64];
        switch (s->cfg.retry_after) {
        case RA_SECONDS:
            snprintf(value, sizeof value, "%.0f", ceil(retry_wait));
            MHD_add_response_header(resp, "Retry-After", value);
            break;
        case RA_DATE: {
            time_t when = time(NULL) + (time_t)ceil(retry_wait) + 1;
            struct tm tm;
            gmtime_r(&when, &tm);
            strftime(value, sizeof value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            MHD_add_response_header(resp, "Retry-After", value);
            break;
        }
        case RA_MS:
            snprintf(value, sizeof value, "%.0f", ceil(retry_wait * 1000));
            MHD_add_response_header(resp, "retry-after-ms", value);
            break;
        case RA_ZERO:
            MHD_add_response_header(resp, "Retry-After", "0");
            break;
        case RA_HUGE:
            MHD_add_response_header(resp, "Retry-After", "86400");
            break;
        case RA_NONE:
            break;
        }
    }
    note_status(r, code);
    enum MHD_Result ret = MHD_queue_response(c, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result reply_json(struct MHD_Connection *c, struct req_ctx *r, unsigned code, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        return MHD_NO;
    return send_text(c, r, code, "application/json", text, -1);
}

static json_t *error_body(unsigned code, const char *errcode, const char *field, const char *message)
{
    json_t *err = json_pack("{s:s, s:s}", "code", errcode, "message", message);
    if (field)
        json_object_set_new(err, "field", json_string(field));
    return json_pack("{s:i, s:s, s:o}", "code", (int)code, "message", message, "error", err);
}

enum MHD_Result reply_error(struct MHD_Connection *c, struct req_ctx *r, unsigned code,
                            const char *errcode, const char *field, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return reply_json(c, r, code, error_body(code, errcode, field, message));
}

enum MHD_Result reply_raw(struct MHD_Connection *c, struct req_ctx *r, unsigned code,
                          const char *content_type, const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        return MHD_NO;
    return send_text(c, r, code, content_type, copy, -1);
}

enum MHD_Result reply_rate_limited(struct MHD_Connection *c, struct req_ctx *r, double wait)
{
    json_t *body = error_body(429, "rate_limited", NULL, "too many requests: slow down and retry after the time in Retry-After");
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        return MHD_NO;
    return send_text(c, r, 429, "application/json", text, wait);
}

enum MHD_Result drop_connection(struct req_ctx *r)
{
    snprintf(r->status_text, sizeof r->status_text, "dropped");
    return MHD_NO;
}
