/* xfer.c - sets up each attempt of a transfer on a libcurl easy handle and
 * decides, when it ends, whether to try again (for downloads, download.c
 * decides). Relies on the loop for queueing, timers, the rate limiter and
 * the retry budget; never calls Lua. */
#include "xfer.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <lauxlib.h>

#include "reach.h"
#include "timer.h"
#include "version.h"
#include "visible.h"

struct xfer *xfer_new(struct xfer_env *env, enum xfer_kind kind, const char *url)
{
    struct xfer *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->env = env;
    x->kind = kind;
    x->fd = -1;
    x->on_send = LUA_NOREF;
    x->url = strdup(url);
    if (!x->url) {
        free(x);
        return NULL;
    }
    return x;
}

void xfer_free(struct xfer *x)
{
    if (!x)
        return;
    if (x->on_send != LUA_NOREF)
        luaL_unref(x->env->L, LUA_REGISTRYINDEX, x->on_send);
    if (x->easy)
        curl_easy_cleanup(x->easy);
    if (x->fd >= 0)
        close(x->fd);
    curl_slist_free_all(x->headers);
    free(x->url);
    free(x->idempotency_key);
    free(x->body);
    free(x->answer);
    free(x->path);
    free(x);
}

int xfer_set_body(struct xfer *x, const char *body, size_t len, const char *idempotency_key)
{
    x->body = malloc(len + 1);
    x->idempotency_key = idempotency_key ? strdup(idempotency_key) : NULL;
    if (!x->body || (idempotency_key && !x->idempotency_key))
        return -1;
    memcpy(x->body, body, len);
    x->body[len] = '\0';
    x->body_len = len;
    return 0;
}

int xfer_set_path(struct xfer *x, const char *path)
{
    x->path = strdup(path);
    return x->path ? 0 : -1;
}

/* Plain http may go only to loopback, decided from the URL alone: a literal
 * address in 127.0.0.0/8 or ::1 (also as ::ffff:127.x.y.z), or the name
 * localhost, which libcurl itself resolves to loopback without asking DNS.
 * Any other name needs https, whatever it resolves to: "127.0.0.1.nip.io"
 * is a public name, and an answer checked now could differ from the one
 * libcurl gets when it connects (DNS rebinding). */
static int loopback_host(const char *host)
{
    if (strcasecmp(host, "localhost") == 0)
        return 1;
    unsigned char addr[16];
    if (inet_pton(AF_INET, host, addr) == 1)
        return addr[0] == 127;
    char v6[INET6_ADDRSTRLEN + 2];
    size_t len = strlen(host);
    if (len < 2 || len >= sizeof v6 || host[0] != '[' || host[len - 1] != ']')
        return 0;
    memcpy(v6, host + 1, len - 2);
    v6[len - 2] = '\0';
    struct in6_addr a6;
    if (inet_pton(AF_INET6, v6, &a6) != 1)
        return 0;
    return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

int xfer_url_allowed(const char *url, int allow_http, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = -1;
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        snprintf(err, errlen, "not a valid URL");
    } else if (strcmp(scheme, "https") == 0) {
        ok = 0;
    } else if (strcmp(scheme, "http") == 0 && (allow_http || loopback_host(host))) {
        ok = 0;
    } else if (strcmp(scheme, "http") == 0) {
        snprintf(err, errlen, "plain http to %s is not allowed (only https, or http to localhost or a loopback "
                 "address: 127.0.0.0/8, ::1; hh.config{allow_http = true} permits it)", host);
    } else {
        snprintf(err, errlen, "the %s scheme is not allowed (only https, or http to loopback)", scheme);
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* --- callbacks (C only: Lua is never called from inside libcurl) -------- */

static size_t read_body(char *buf, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t want = size * n, left = x->body_len - x->body_sent;
    if (want > left)
        want = left;
    memcpy(buf, x->body + x->body_sent, want);
    x->body_sent += want;
    return want;
}

/* libcurl asks to rewind when it wants to send the body again, as it does on
 * its own when a reused connection dies after the request went out. Refusing
 * turns that silent second POST into CURLE_SEND_FAIL_REWIND. */
static int seek_body(void *arg, curl_off_t offset, int origin)
{
    struct xfer *x = arg;
    if (origin == SEEK_SET && offset == 0 && x->body_sent == 0)
        return CURL_SEEKFUNC_OK;
    x->rewind_refused = 1;
    return CURL_SEEKFUNC_FAIL;
}

size_t xfer_keep_answer(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n, cap = x->env->cfg->max_answer;
    if (x->answer_len + len > cap) {
        x->write_failed = WRITE_TOO_LARGE;
        return 0;
    }
    if (x->answer_len + len + 1 > x->answer_cap) {
        size_t grown = x->answer_cap ? x->answer_cap : 1024;
        while (grown < x->answer_len + len + 1)
            grown *= 2;
        char *p = realloc(x->answer, grown);
        if (!p) {
            x->write_failed = WRITE_IO;
            return 0;
        }
        x->answer = p;
        x->answer_cap = grown;
    }
    memcpy(x->answer + x->answer_len, data, len);
    x->answer_len += len;
    x->answer[x->answer_len] = '\0';
    return len;
}

/* "10;w=1" (requests a window of seconds; the first policy), as requests a
 * second; 0 when it is not that. */
static double policy_rate(const char *v)
{
    double q, w = 1;
    while (*v == ' ' || *v == '\t' || *v == '"')
        v++;
    if (*v == '"' || isalpha((unsigned char)*v)) /* a named policy: "name";q=10;w=1 */
        v = strstr(v, "q=") ? strstr(v, "q=") + 2 : v;
    if (sscanf(v, "%lf", &q) != 1 || !(q > 0) || q > 1e6)
        return 0;
    const char *wp = strstr(v, "w=");
    if (wp && (sscanf(wp + 2, "%lf", &w) != 1 || !(w > 0) || w > 86400))
        return 0;
    return q / w;
}

static size_t read_header(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    char line[256];
    size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, data, l);
    line[l] = '\0';
    if (strncmp(line, "HTTP/", 5) == 0) {
        x->range_start = -1;
        x->total = -1;
        x->retry_after = -1;
        x->host_rate = 0;
        return len;
    }
    long long a, b, t;
    double ms;
    if (sscanf(line, "%*[Cc]ontent-%*[Rr]ange: bytes %lld-%lld/%lld", &a, &b, &t) == 3) {
        x->range_start = a;
        x->total = t;
    } else if (sscanf(line, "%*[Cc]ontent-%*[Rr]ange: bytes */%lld", &t) == 1) {
        x->total = t; /* with 416: the whole length */
    } else if (strncasecmp(line, "retry-after-ms:", 15) == 0 && sscanf(line + 15, "%lf", &ms) == 1 && ms >= 0) {
        x->retry_after = ms / 1000.0;
    } else if (strncasecmp(line, "ratelimit-policy:", 17) == 0) {
        x->host_rate = policy_rate(line + 17);
    }
    return len;
}

/* Tracing for HH_TRACE=1: what libcurl says and the request and answer
 * headers, with the Authorization value replaced. Bodies are not shown. */
static int trace(CURL *easy, curl_infotype type, char *data, size_t size, void *arg)
{
    (void)easy;
    (void)arg;
    if (type != CURLINFO_TEXT && type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN)
        return 0;
    const char *mark = type == CURLINFO_TEXT ? "*" : type == CURLINFO_HEADER_OUT ? ">" : "<";
    const char *p = data, *end = data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len >= 14 && strncasecmp(p, "authorization:", 14) == 0)
            fprintf(stderr, "hh: trace %s Authorization: [redacted]\n", mark);
        else if (len) {
            fprintf(stderr, "hh: trace %s ", mark);
            visible_fwrite(stderr, p, len, 0);       /* headers are the host's text */
            fputc('\n', stderr);
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

static int add_header(struct xfer *x, const char *fmt, const char *value)
{
    char line[1024];
    snprintf(line, sizeof line, fmt, value);
    struct curl_slist *l = curl_slist_append(x->headers, line);
    /* Wipe the stack copy: it may hold the key. */
    memset(line, 0, sizeof line);
    if (!l)
        return -1;
    x->headers = l;
    return 0;
}

int xfer_prepare(struct xfer *x)
{
    const struct loop_config *cfg = x->env->cfg;
    if (!x->easy) {
        x->easy = curl_easy_init();
        if (!x->easy)
            return -1;
    } else {
        curl_easy_reset(x->easy);
    }
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    x->answer_len = 0;
    x->body_sent = 0;
    x->rewind_refused = 0;
    x->received = 0;
    x->range_start = -1;
    x->total = -1;
    x->write_failed = WRITE_OK;
    x->retry_after = -1;
    x->host_rate = 0;
    x->code = 0;
    x->error[0] = '\0';

    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* redirects are checked and followed by hand */
    curl_easy_setopt(e, CURLOPT_USERAGENT, "hh/" HH_VERSION);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(cfg->connect_timeout * 1000));
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    if (x->env->trace) {
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, trace);
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L); /* only feeds trace(), which redacts */
    }

    if (x->kind == XFER_DOWNLOAD)
        return download_prepare(x);

    char host[256];
    reach_host(x->url, host, sizeof host);
    const char *why = reach_given_up(host);
    if (why) {
        /* It never answered and hh gave up on it: fail at once, not after
         * another round of attempts per request. */
        snprintf(x->error, sizeof x->error, "%s (gave up: it never answered)", why);
        reach_say("%s; not trying it again", why);
        return -1;
    }
    char err[160];
    const char *key = x->env->api_key(x->env->owner, err, sizeof err);
    if (!key) {
        snprintf(x->error, sizeof x->error, "%s", err);
        return -1;
    }
    if (add_header(x, "Authorization: Bearer %s", key) != 0 || add_header(x, "Accept: %s", "application/json") != 0)
        return -1;
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xfer_keep_answer);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(cfg->request_timeout * 1000));
    if (x->kind == XFER_SUBMIT) {
        if (add_header(x, "Content-Type: %s", "application/json") != 0 || add_header(x, "Expect:%s", "") != 0 ||
            (x->idempotency_key && add_header(x, "Idempotency-Key: %s", x->idempotency_key) != 0))
            return -1;
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(e, CURLOPT_READDATA, x);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_body);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
        curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, cfg->max_conn_age);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    return 0;
}

/* --- deciding what an ended attempt means ------------------------------- */

double xfer_final(struct xfer *x, enum xfer_result r)
{
    x->result = r;
    return -1;
}

static int connect_failed(struct xfer *x, CURLcode c)
{
    return reach_connect_failed(x->easy, c, x->code);
}

/* Try again after a delay (Retry-After when sane, else backoff), or give up.
 * A failed connection is said on stderr (a few times a run at most); to an
 * API host that has never answered it is tried only REACH_TRIES times. */
double xfer_again(struct xfer *x, enum xfer_result if_exhausted, int timeout)
{
    struct xfer_env *lp = x->env;
    int tries = lp->cfg->max_retries + 1, unreachable = connect_failed(x, x->curl_code), failures = 0;
    if (unreachable && x->kind != XFER_DOWNLOAD) {
        char host[256];
        reach_host(x->url, host, sizeof host);
        if (!reach_ever_answered(host)) {
            /* Counted for the host, not the request: a thousand jobs give
             * up together after REACH_TRIES failures in all. */
            failures = reach_failed(host, x->error);
            if (tries > REACH_TRIES)
                tries = REACH_TRIES;
        }
    }
    if (x->attempts >= tries || failures >= REACH_TRIES) {
        size_t len = strlen(x->error);
        snprintf(x->error + len, sizeof x->error - len, " (gave up after %d attempts)",
                 failures > x->attempts ? failures : x->attempts);
        return xfer_final(x, if_exhausted);
    }
    (*lp->retries)++;
    /* With the shared budget spent the host is failing for everyone: keep
     * going, but only at the slowest pace, instead of hammering it. */
    int starved = !budget_take(lp->budget, timeout);
    double delay;
    if (x->retry_after > 0 && x->retry_after <= lp->cfg->max_retry_after)
        delay = starved && x->retry_after < lp->cfg->backoff_cap ? lp->cfg->backoff_cap : x->retry_after;
    else if (starved)
        delay = retry_jitter(lp->cfg->backoff_cap, 0.2);
    else
        delay = retry_backoff(x->attempts - 1, lp->cfg->backoff_base, lp->cfg->backoff_cap);
    if (unreachable)
        reach_say("%s; retry %d/%d in %.*f s", x->error, x->attempts + 1, tries, delay < 10 ? 1 : 0, delay);
    return delay;
}

/* A 429 slows the whole run; a Retry-After past the configured maximum is
 * not obeyed (backoff applies instead), so it must not pause the run either. */
static void throttled(struct xfer *x)
{
    struct xfer_env *lp = x->env;
    double ra = x->retry_after <= lp->cfg->max_retry_after ? x->retry_after : -1;
    rate_throttled(lp->rate, timer_now(), ra);
}

int xfer_transient_http(long code)
{
    return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
}

int xfer_transient_curl(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY: case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT: case CURLE_GOT_NOTHING: case CURLE_SEND_ERROR: case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE: case CURLE_SSL_CONNECT_ERROR: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
    case CURLE_SEND_FAIL_REWIND:
        return 1;
    default:
        return 0;
    }
}

/* Did a failed submission provably never reach the server? */
static int never_sent(struct xfer *x, CURLcode c)
{
    long request_size = 0;
    if (c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_COULDNT_RESOLVE_PROXY || c == CURLE_COULDNT_CONNECT ||
        c == CURLE_SSL_CONNECT_ERROR)
        return 1;
    curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &request_size);
    return request_size == 0 && x->body_sent == 0 && !x->rewind_refused;
}

void xfer_describe_curl(struct xfer *x, CURLcode c)
{
    if (connect_failed(x, c)) {
        reach_describe(x->easy, c, x->url, x->env->cfg->connect_timeout, x->error, sizeof x->error);
        return;
    }
    switch (c) {
    case CURLE_SEND_FAIL_REWIND:
        snprintf(x->error, sizeof x->error, "the connection closed after the request was sent");
        break;
    case CURLE_GOT_NOTHING:
        snprintf(x->error, sizeof x->error, "the server closed the connection without answering");
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(x->error, sizeof x->error, "no answer in time (%s)", curl_easy_strerror(c));
        break;
    default:
        snprintf(x->error, sizeof x->error, "%s", curl_easy_strerror(c));
        break;
    }
}

static double finished_submit(struct xfer *x, CURLcode c)
{
    struct xfer_env *lp = x->env;
    if (x->write_failed == WRITE_TOO_LARGE) {
        snprintf(x->error, sizeof x->error, "the answer to the submission was larger than %zu bytes", lp->cfg->max_answer);
        return xfer_final(x, XR_UNKNOWN);
    }
    if (c == CURLE_OK) {
        if (x->code == 429) {
            snprintf(x->error, sizeof x->error, "rate limited (HTTP 429)");
            throttled(x);
            return xfer_again(x, x->maybe_received ? XR_UNKNOWN : XR_ANSWERED, 0);
        }
        if (x->code < 500 && x->code != 408)
            return xfer_final(x, XR_ANSWERED);
        snprintf(x->error, sizeof x->error, "the server answered HTTP %ld after the request was sent", x->code);
        x->maybe_received = 1;
        return lp->cfg->idempotent_host ? xfer_again(x, XR_UNKNOWN, 0) : xfer_final(x, XR_UNKNOWN);
    }
    xfer_describe_curl(x, c);
    if (never_sent(x, c))
        return xfer_again(x, x->maybe_received ? XR_UNKNOWN : XR_NOT_SENT, c == CURLE_OPERATION_TIMEDOUT);
    x->maybe_received = 1;
    return lp->cfg->idempotent_host ? xfer_again(x, XR_UNKNOWN, c == CURLE_OPERATION_TIMEDOUT) : xfer_final(x, XR_UNKNOWN);
}

static double finished_api(struct xfer *x, CURLcode c)
{
    struct xfer_env *lp = x->env;
    if (x->write_failed == WRITE_TOO_LARGE) {
        snprintf(x->error, sizeof x->error, "the answer was larger than %zu bytes", lp->cfg->max_answer);
        return xfer_final(x, XR_TOO_LARGE);
    }
    if (c == CURLE_OK) {
        if (!xfer_transient_http(x->code))
            return xfer_final(x, XR_ANSWERED);
        if (x->code == 429)
            throttled(x);
        snprintf(x->error, sizeof x->error, "the server answered HTTP %ld", x->code);
        return xfer_again(x, XR_ANSWERED, 0);
    }
    xfer_describe_curl(x, c);
    if (!xfer_transient_curl(c))
        return xfer_final(x, XR_FAILED);
    return xfer_again(x, XR_FAILED, c == CURLE_OPERATION_TIMEDOUT);
}

double xfer_finished(struct xfer *x, CURLcode c)
{
    curl_off_t ra = -1;
    x->curl_code = c;
    x->attempts++;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->code);
    if (!connect_failed(x, c)) {
        char host[256];
        reach_host(x->url, host, sizeof host);
        reach_answered(host);
    }
    if (x->retry_after < 0 && curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra >= 0 &&
        x->code != 0) {
        /* libcurl reports 0 both for "Retry-After: 0" and for none: treat both as none. */
        x->retry_after = ra > 0 ? (double)ra : -1;
    }
    /* The host's own limit replaces the profile's default, never a rate the user set. */
    if (x->host_rate > 0 && x->kind != XFER_DOWNLOAD && !x->env->cfg->rate_set)
        rate_advertised(x->env->rate, x->host_rate);
    switch (x->kind) {
    case XFER_SUBMIT: return finished_submit(x, c);
    case XFER_API: return finished_api(x, c);
    default: return download_finished(x, c);
    }
}
