/* xfer.h - one HTTP exchange with the API or a download host, including its
 * retries. The submit rules of the reliability notes live here: the body goes
 * through read and seek callbacks that refuse to rewind, only provably-unsent
 * failures and 429 are retried, and anything else after sending is reported
 * as an unknown outcome. Status requests and downloads retry transient
 * failures with capped full-jitter backoff, honouring Retry-After. */
#ifndef HH_XFER_H
#define HH_XFER_H

#include <curl/curl.h>
#include <lua.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "retry.h"

struct job;

/* What a transfer needs of the loop that runs it: the loop embeds one and
 * hands it to every transfer, so transfers never see the loop itself. */
struct xfer_env {
    const struct loop_config *cfg;
    struct rate_limiter *rate;
    struct retry_budget *budget;
    long *retries;              /* retries made, for hh.stats */
    int trace;                  /* HH_TRACE: redacted headers on stderr */
    lua_State *L;               /* holds the on_send references */
    /* The API key (loaded on first use), or NULL with a message. */
    const char *(*api_key)(void *owner, char *err, size_t errlen);
    void *owner;                /* the loop */
};

enum xfer_kind { XFER_SUBMIT, XFER_API, XFER_DOWNLOAD };

enum xfer_result {
    XR_ANSWERED,    /* an HTTP answer arrived; see code and answer */
    XR_NOT_SENT,    /* never reached the server; retries exhausted */
    XR_UNKNOWN,     /* a submission that may have been received: never resent */
    XR_FAILED,      /* transport failure after retries */
    XR_TOO_LARGE,   /* the answer or file passed its size cap */
    XR_REFUSED,     /* the URL's scheme or host is not allowed */
    XR_BAD_FILE,    /* the download is not a video, or not the length declared */
};

struct xfer {
    struct xfer_env *env;
    enum xfer_kind kind;
    CURL *easy;
    char *url;             /* current URL (redirects replace it) */
    char *idempotency_key;
    char *body;
    size_t body_len, body_sent;
    int rewind_refused;
    char *answer;          /* API answer body */
    size_t answer_len, answer_cap;
    /* downloads */
    char *path;            /* final name; the body goes to path.part */
    int fd;
    uint64_t offset;       /* bytes of the file kept from earlier attempts */
    uint64_t received;     /* bytes written by this attempt */
    int64_t range_start;   /* start of the Content-Range answered, -1 none */
    int64_t total;         /* full length announced, -1 unknown */
    int write_failed;      /* why the write callback stopped the transfer */
    int redirects;
    int bad_files;
    /* outcome */
    enum xfer_result result;
    long code;
    CURLcode curl_code;
    double retry_after;    /* seconds, -1 none */
    double host_rate;      /* requests a second the host advertised (RateLimit-Policy), 0 none */
    int attempts;
    int in_multi;
    int maybe_received;    /* a submission: an earlier attempt may have reached the host */
    int cancelled;         /* a submission dropped from the queue by a stop: never (re)sent */
    char error[256];
    double queued_at, started_at, finished_at;
    /* the job waiting on it */
    struct job *job;
    struct xfer *next;         /* in the loop's queue */
    struct xfer *run_prev, *run_next; /* in the loop's running list */
    struct curl_slist *headers;
    int on_send;           /* Lua function (registry ref) called before each send; LUA_NOREF none */
};

struct xfer *xfer_new(struct xfer_env *env, enum xfer_kind kind, const char *url);
void xfer_free(struct xfer *x);
/* Submissions: the JSON body and the Idempotency-Key, both copied. */
int xfer_set_body(struct xfer *x, const char *body, size_t len, const char *idempotency_key);
/* Downloads: where the file goes. */
int xfer_set_path(struct xfer *x, const char *path);

/* Is `url` one hh may fetch? 0, or -1 with a reason in err. */
int xfer_url_allowed(const char *url, int allow_http, char *err, size_t errlen);
/* Called by the loop: set up the easy handle for the next attempt. */
int xfer_prepare(struct xfer *x);
/* Called by the loop when libcurl finished an attempt: returns the seconds to
 * wait before another attempt, or -1 when the transfer is final. */
double xfer_finished(struct xfer *x, CURLcode code);

/* Shared with download.c, which decides for downloads. */
enum { WRITE_OK, WRITE_TOO_LARGE, WRITE_IO, WRITE_RANGE_MISMATCH }; /* why a write callback stopped */
double xfer_final(struct xfer *x, enum xfer_result r);               /* always -1 */
double xfer_again(struct xfer *x, enum xfer_result if_exhausted, int timeout);
int xfer_transient_http(long code);
int xfer_transient_curl(CURLcode c);
void xfer_describe_curl(struct xfer *x, CURLcode c);
size_t xfer_keep_answer(char *data, size_t size, size_t n, void *arg);
/* download.c: the easy handle's download options and PATH.part; the decision
 * when an attempt ends. */
int download_prepare(struct xfer *x);
double download_finished(struct xfer *x, CURLcode c);

#endif
