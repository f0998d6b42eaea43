/* sim.c - helpers over hh-sim's shared state: the clock, interruptible
 * sleeps, counters, the price table and task lookup. Callers hold the lock
 * where they touch shared state; sim_now and sim_sleep need none. */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const endpoint_names[EP_COUNT] = {"generate", "status", "download", "sim", "other"};

static double clock_origin = -1;

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double sim_now(void)
{
    if (clock_origin < 0)
        clock_origin = monotonic();
    return monotonic() - clock_origin;
}

void sim_sleep(struct sim *s, double seconds)
{
    double until = sim_now() + seconds;
    while (!atomic_load(&s->stopping)) {
        double left = until - sim_now();
        if (left <= 0)
            break;
        if (left > 0.05)
            left = 0.05;
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

void counter_add(struct counter_set *set, const char *name, long n)
{
    for (size_t i = 0; i < set->len; i++)
        if (strcmp(set->items[i].name, name) == 0) {
            set->items[i].count += n;
            return;
        }
    if (set->len == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 8;
        struct counter *items = realloc(set->items, cap * sizeof *items);
        if (!items)
            return;
        set->items = items;
        set->cap = cap;
    }
    snprintf(set->items[set->len].name, sizeof set->items[set->len].name, "%s", name);
    set->items[set->len++].count = n;
}

/* Task ids are "hs" + the task number + a check value, so lookup is an index. */
struct task *sim_find_task(struct sim *s, const char *id)
{
    unsigned long long seq;
    char check[20];
    if (sscanf(id, "hs%llu-%16[0-9a-f]", &seq, check) != 2 || seq == 0 || seq > s->ntasks)
        return NULL;
    struct task *t = s->tasks[seq - 1];
    return strcmp(t->id, id) == 0 ? t : NULL;
}

long long sim_price(const char *mode, int sound, int seconds)
{
    int pro = strcmp(mode, "pro") == 0;
    long long per_second = pro ? (sound ? 80 : 54) : (sound ? 60 : 40);
    return per_second * seconds;
}
