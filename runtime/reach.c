/* reach.c - the hosts hh has heard from (see reach.h). A small fixed table:
 * a run talks to one API host and a few download hosts; past its size a
 * host is treated as answered, which keeps the patient retries. */
#include "reach.h"

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
