/* server.c - runs libmicrohttpd with a thread per connection, gathers each
 * request's body, counts requests and headers for the ledger, checks bearer
 * keys and the per-key rate limit, and routes to the handlers in api.c and
 * download.c. Logs one line a request with -v, naming keys by label only. */
#include "server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "http.h"

struct conn_ctx {
    int requests;
};

struct header_walk {
    struct sim *sim;
    enum endpoint ep;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
    struct header_walk *w = cls;
    char lower[48];
    size_t i;
    (void)kind;
    (void)value;
    for (i = 0; name[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    lower[i] = '\0';
    counter_add(&w->sim->headers[w->ep], lower, 1);
    if (strcmp(lower, "authorization") == 0)
        w->sim->auth_headers[w->ep]++;
    return MHD_YES;
}

static enum endpoint classify(const char *url)
{
    if (strcmp(url, "/api/generate") == 0)
        return EP_GENERATE;
    if (strcmp(url, "/api/status") == 0)
        return EP_STATUS;
    if (strncmp(url, "/files/", 7) == 0)
        return EP_DOWNLOAD;
    if (strncmp(url, "/_sim/", 6) == 0)
        return EP_SIM;
    return EP_OTHER;
}

/* The caller's key index, or -1; the key itself is never copied or logged. */
static int find_key(struct sim *s, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return -2;
    h += 7;
    while (*h == ' ')
        h++;
    for (size_t i = 0; i < s->cfg.nkeys; i++)
        if (strcmp(s->cfg.keys[i], h) == 0)
            return (int)i;
    return -1;
}

/* Per-key token bucket plus injected 429 bursts; the wait in seconds, or -1 to go on. */
static double rate_limit_wait(struct sim *s, struct req_ctx *r)
{
    double wait = -1;
    pthread_mutex_lock(&s->lock);
    struct key_state *k = &s->keys[r->key];
    if (k->burst_left > 0) {
        k->burst_left--;
        wait = 1;
    } else if (fault_strikes(s->cfg.seed, FAULT_RATE_LIMIT_BURST, s->cfg.fault_rate[FAULT_RATE_LIMIT_BURST], r->seq, 0)) {
        k->burst_left = s->cfg.burst_length - 1;
        wait = 1;
    } else if (s->cfg.rate > 0) {
        double now = sim_now();
        k->tokens += (now - k->refilled) * s->cfg.rate;
        if (k->tokens > s->cfg.rate_burst)
            k->tokens = s->cfg.rate_burst;
        k->refilled = now;
        if (k->tokens < 1)
            wait = (1 - k->tokens) / s->cfg.rate;
        else
            k->tokens -= 1;
    }
    pthread_mutex_unlock(&s->lock);
    return wait;
}

static enum MHD_Result dispatch(struct MHD_Connection *c, struct req_ctx *r, const char *url, const char *method)
{
    struct sim *s = r->sim;
    if (r->ep == EP_DOWNLOAD) {
        if (r->reused && fault_strikes(s->cfg.seed, FAULT_REUSE_DROP, s->cfg.fault_rate[FAULT_REUSE_DROP], r->seq, 0))
            return drop_connection(r);
        return api_download(c, r, url, method);
    }
    if (r->ep == EP_SIM) {
        if (strcmp(method, "GET") != 0) {
            r->allow = "GET";
            return reply_error(c, r, 405, "method_not_allowed", NULL, "use GET");
        }
        if (strcmp(url, "/_sim/stats") == 0)
            return api_stats(c, r);
        if (strcmp(url, "/_sim/tasks") == 0)
            return api_tasks(c, r);
    }
    if (r->ep == EP_SIM || r->ep == EP_OTHER)
        return reply_error(c, r, 404, "not_found", NULL, "no such endpoint: %s", url);

    const char *want = r->ep == EP_GENERATE ? "POST" : "GET";
    if (strcmp(method, want) != 0) {
        r->allow = want;
        return reply_error(c, r, 405, "method_not_allowed", NULL, "%s takes %s", url, want);
    }
    r->key = find_key(s, c);
    if (r->key == -2)
        return reply_error(c, r, 401, "unauthorized", NULL,
                           "missing API key: send the header Authorization: Bearer <key>");
    if (r->key < 0)
        return reply_error(c, r, 401, "unauthorized", NULL, "unknown API key");
    double wait = rate_limit_wait(s, r);
    if (wait >= 0)
        return reply_rate_limited(c, r, wait);
    /* Generate decides reuse-drop itself: it must bill first. */
    if (r->ep == EP_STATUS && r->reused &&
        fault_strikes(s->cfg.seed, FAULT_REUSE_DROP, s->cfg.fault_rate[FAULT_REUSE_DROP], r->seq, 0))
        return drop_connection(r);
    return r->ep == EP_GENERATE ? api_generate(c, r) : api_status(c, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    struct sim *s = cls;
    struct req_ctx *r = *con_cls;
    (void)version;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->sim = s;
        r->key = -1;
        r->ep = classify(url);
        r->started = sim_now();
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        struct conn_ctx *cc = info ? info->socket_context : NULL;
        if (cc)
            r->reused = ++cc->requests > 1;
        struct header_walk walk = {s, r->ep};
        pthread_mutex_lock(&s->lock);
        r->seq = ++s->requests;
        MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &walk);
        pthread_mutex_unlock(&s->lock);
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->len + *upload_size > s->cfg.max_body) {
            r->too_big = 1;
        } else {
            char *grown = realloc(r->body, r->len + *upload_size + 1);
            if (!grown)
                return MHD_NO;
            memcpy(grown + r->len, upload, *upload_size);
            r->body = grown;
            r->len += *upload_size;
            r->body[r->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(c, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct sim *s = cls;
    struct req_ctx *r = *con_cls;
    (void)c;
    if (!r)
        return;
    const char *status = r->status_text[0] ? r->status_text : "dropped";
    pthread_mutex_lock(&s->lock);
    if (r->answer_for && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        r->answer_for->answered = 1;
    counter_add(&s->by_status[r->ep], status, 1);
    pthread_mutex_unlock(&s->lock);
    if (s->cfg.verbose)
        fprintf(stderr, "hh-sim: %s %s %s%s%s %.1fms\n", endpoint_names[r->ep], status,
                r->key >= 0 ? s->keys[r->key].label : "-", r->reused ? " reused" : "",
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed)",
                (sim_now() - r->started) * 1000.0);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)c;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        *socket_context = calloc(1, sizeof(struct conn_ctx));
    else {
        free(*socket_context);
        *socket_context = NULL;
    }
}

static void quiet_log(void *cls, const char *fmt, va_list ap)
{
    struct sim *s = cls;
    if (s->cfg.verbose > 1) {
        fputs("hh-sim: microhttpd: ", stderr);
        vfprintf(stderr, fmt, ap);
    }
}

/* Binds the listening socket before the daemon exists, so the port (and
 * base_url, which handlers read) is known before any handler thread runs. */
static int listen_on(struct sim *s, char *err, size_t errlen)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)s->cfg.port);
    if (inet_pton(AF_INET, s->cfg.bind, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "--bind: not an IPv4 address: %s", s->cfg.bind);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        snprintf(err, errlen, "cannot listen on %s port %u: %s", s->cfg.bind, s->cfg.port, strerror(errno));
        close(fd);
        return -1;
    }
    snprintf(s->base_url, sizeof s->base_url, "http://%s:%u", s->cfg.bind, (unsigned)ntohs(addr.sin_port));
    return fd;
}

struct MHD_Daemon *server_start(struct sim *s, char *err, size_t errlen)
{
    int fd = listen_on(s, err, errlen);
    if (fd < 0)
        return NULL;
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, quiet_log, s, /* first, so it sees every message */
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
        MHD_OPTION_END);
    if (!d) {
        snprintf(err, errlen, "cannot start the HTTP daemon on %s", s->base_url);
        close(fd);
        return NULL;
    }
    return d;
}

void server_stop(struct MHD_Daemon *d)
{
    MHD_stop_daemon(d);
}
