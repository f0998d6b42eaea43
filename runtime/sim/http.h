/* http.h - request plumbing shared by hh-sim's handlers: the per-request
 * context, JSON and error answers (with the slow-answer faults applied),
 * dropped connections and Retry-After headers. */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>

#include "sim.h"

struct req_ctx {
    struct sim *sim;
    enum endpoint ep;
    uint64_t seq;             /* request number, for fault draws */
    int reused;               /* not the connection's first request */
    int key;                  /* index of the caller's key, -1 if none */
    char *body;
    size_t len;
    int too_big;
    struct task *answer_for;  /* a new task whose answer is in flight */
    char status_text[16];     /* what the ledger counts for this request */
    const char *allow;        /* methods named in a 405's Allow header */
    double started;
};

enum MHD_Result reply_json(struct MHD_Connection *c, struct req_ctx *r, unsigned code, json_t *body);
enum MHD_Result reply_error(struct MHD_Connection *c, struct req_ctx *r, unsigned code,
                            const char *errcode, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
enum MHD_Result reply_raw(struct MHD_Connection *c, struct req_ctx *r, unsigned code,
                          const char *content_type, const char *text);
enum MHD_Result reply_rate_limited(struct MHD_Connection *c, struct req_ctx *r, double wait);
/* Closes the connection without an answer. */
enum MHD_Result drop_connection(struct req_ctx *r);
/* Counts the answer under `code` in the request ledger. */
void note_status(struct req_ctx *r, unsigned code);
/* 500, 502 or 503, drawn for request `r`. */
unsigned server_error_code(struct req_ctx *r, const char *label);

#endif
