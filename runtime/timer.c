/* timer.c - the min-heap behind every delay in hh: polls, backoff, sleeps,
 * deadlines and rate-limit waits. */
#include "timer.h"

#include <stdlib.h>
#include <time.h>

double timer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int earlier(const struct timer *a, const struct timer *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

int timer_add(struct timer_heap *h, double when, timer_fn fire, void *arg, uint64_t token)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct timer *items = realloc(h->items, cap * sizeof *items);
        if (!items)
            return -1;
        h->items = items;
        h->cap = cap;
    }
    size_t i = h->len++;
    struct timer t = {when, h->seq++, fire, arg, token};
    while (i > 0 && earlier(&t, &h->items[(i - 1) / 2])) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = t;
    return 0;
}

double timer_next(const struct timer_heap *h)
{
    return h->len ? h->items[0].when : -1;
}

int timer_pop_due(struct timer_heap *h, double now, struct timer *out)
{
    if (!h->len || h->items[0].when > now)
        return 0;
    *out = h->items[0];
    struct timer last = h->items[--h->len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->len)
            break;
        if (c + 1 < h->len && earlier(&h->items[c + 1], &h->items[c]))
            c++;
        if (!earlier(&h->items[c], &last))
            break;
        h->items[i] = h->items[c];
        i = c;
    }
    if (h->len)
        h->items[i] = last;
    return 1;
}

void timer_free(struct timer_heap *h)
{
    free(h->items);
    h->items = NULL;
    h->len = h->cap = 0;
}
