/* reach.c - failed connections: what counts as one, how it is said, and the
 * hosts hh has heard from (see reach.h). A small fixed table:
 * a run talks to one API host and a few download hosts; past its size a
 * host is treated as answered, which keeps the patient retries. */
#include "reach.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "timer.h"

struct reach_entry {
    char host[256];
    int answered;
    int failures;          /* failed connections, while it never answered */
    int given_up;
    char why[200];
};

static struct reach_entry hosts[32];
static size_t nhosts;
static double last_said = -1e300;

void reach_host(const char *url, char *host, size_t len)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    while (at) { /* user info never leaves this function */
        n -= (size_t)(at + 1 - p);
        p = at + 1;
        at = memchr(p, '@', n);
    }
    if (n >= len)
        n = len - 1;
    memcpy(host, p, n);
    host[n] = '\0';
}

int reach_connect_failed(CURL *easy, CURLcode c, long code)
{
    if (c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_COULDNT_RESOLVE_PROXY || c == CURLE_COULDNT_CONNECT ||
        c == CURLE_SSL_CONNECT_ERROR)
        return 1;
    if (c != CURLE_OPERATION_TIMEDOUT || code != 0)
        return 0;
    curl_off_t connected = 0;
    long request_size = 0;
    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connected);
    curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
    return connected == 0 && request_size == 0;
}

void reach_describe(CURL *easy, CURLcode c, const char *url, double connect_timeout, char *out, size_t len)
{
    char host[256], why[64];
    reach_host(url, host, sizeof host);
    if (c == CURLE_COULDNT_RESOLVE_HOST) {
        snprintf(why, sizeof why, "its name does not resolve");
    } else if (c == CURLE_COULDNT_RESOLVE_PROXY) {
        snprintf(why, sizeof why, "the proxy's name does not resolve");
    } else if (c == CURLE_SSL_CONNECT_ERROR) {
        snprintf(why, sizeof why, "the TLS handshake failed");
    } else if (c == CURLE_OPERATION_TIMEDOUT) {
        snprintf(why, sizeof why, "no connection within %g s", connect_timeout);
    } else {
        long os_errno = 0;
        curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
        snprintf(why, sizeof why, "%s", os_errno ? strerror((int)os_errno) : "cannot connect");
        why[0] = (char)tolower((unsigned char)why[0]);
    }
    snprintf(out, len, "cannot reach %.160s: %s", host, why);
}

/* The host's entry, made on first sight; NULL when the table is full. */
static struct reach_entry *entry(const char *host)
{
    for (size_t i = 0; i < nhosts; i++)
        if (strcmp(hosts[i].host, host) == 0)
            return &hosts[i];
    if (nhosts == sizeof hosts / sizeof *hosts || strlen(host) >= sizeof hosts[0].host)
        return NULL;
    struct reach_entry *e = &hosts[nhosts++];
    memset(e, 0, sizeof *e);
    strcpy(e->host, host);
    return e;
}

void reach_answered(const char *host)
{
    struct reach_entry *e = entry(host);
    if (e) {
        e->answered = 1;
        e->failures = e->given_up = 0;
    }
}

int reach_ever_answered(const char *host)
{
    struct reach_entry *e = entry(host);
    return !e || e->answered;
}

int reach_failed(const char *host, const char *why)
{
    struct reach_entry *e = entry(host);
    if (!e || e->answered)
        return 0;
    if (++e->failures >= REACH_TRIES && !e->given_up) {
        e->given_up = 1;
        snprintf(e->why, sizeof e->why, "%s", why);
    }
    return e->failures;
}

const char *reach_given_up(const char *host)
{
    struct reach_entry *e = entry(host);
    return e && e->given_up ? e->why : NULL;
}

void reach_say(const char *fmt, ...)
{
    double now = timer_now();
    if (now - last_said < REACH_SAY_EVERY)
        return;
    last_said = now;
    va_list ap;
    va_start(ap, fmt);
    fputs("hh: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
