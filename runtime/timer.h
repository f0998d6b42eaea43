/* timer.h - a binary min-heap of timers on the monotonic clock. A timer
 * carries a token: whoever armed it can outlive its purpose (a wait that
 * ended early), and the callback compares tokens instead of cancelling. */
#ifndef HH_TIMER_H
#define HH_TIMER_H

#include <stddef.h>
#include <stdint.h>

typedef void (*timer_fn)(void *arg, uint64_t token);

struct timer {
    double when;
    uint64_t seq;        /* ties fire in arming order */
    timer_fn fire;
    void *arg;
    uint64_t token;
};

struct timer_heap {
    struct timer *items;
    size_t len, cap;
    uint64_t seq;
};

double timer_now(void);  /* CLOCK_MONOTONIC seconds */
int timer_add(struct timer_heap *h, double when, timer_fn fire, void *arg, uint64_t token);
/* The earliest deadline, or -1 when the heap is empty. */
double timer_next(const struct timer_heap *h);
/* Pops the earliest timer due at `now` into *out; 0 when none is due. */
int timer_pop_due(struct timer_heap *h, double now, struct timer *out);
void timer_free(struct timer_heap *h);

#endif
