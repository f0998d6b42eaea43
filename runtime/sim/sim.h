/* sim.h - the shared state of hh-sim: configuration, API keys and their
 * credits, tasks, the billing ledger and request counters. One mutex guards
 * it all; libmicrohttpd runs a thread per connection and every handler takes
 * the lock only while it reads or changes this state, never while it waits. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "faults.h"
#include "video.h"

enum retry_after_format { RA_SECONDS, RA_DATE, RA_MS, RA_ZERO, RA_HUGE, RA_NONE };

struct sim_config {
    const char *bind;          /* address to listen on */
    unsigned port;             /* 0 picks a free port */
    char **keys;               /* accepted bearer keys */
    long long *key_credits;    /* starting balance of each */
    size_t nkeys;
    long long credits;         /* default starting balance */
    double rate;               /* API requests per second per key, 0 = no limit */
    double rate_burst;         /* bucket size for the rate limit */
    double time_scale;         /* multiplies every render time */
    double render_sigma;       /* log-normal spread of render times */
    double url_ttl;            /* seconds a result URL stays valid */
    double slow_seconds;       /* delay for slow-headers / slow-body */
    double stall_seconds;      /* pause for download-stall */
    uint64_t seed;
    double fault_rate[FAULT_COUNT];
    long long credits_after;   /* answer 402 once this many jobs were accepted; -1 off */
    int burst_length;          /* 429s in one rate-limit burst */
    enum retry_after_format retry_after;
    const char *cache_dir;     /* where generated clips are kept */
    int palette;               /* distinct looks prompts are folded into */
    size_t max_body;           /* largest accepted request body */
    int refund_failed;         /* a FAILED task is refunded once final */
    int ignore_idempotency;    /* every accepted POST is a new task, key or not */
    int verbose;
};

enum task_outcome { OUT_SUCCESS, OUT_FAILED, OUT_POLICY, OUT_STUCK, OUT_NO_URL, OUT_BAD_URL };

struct task {
    char id[40];
    uint64_t seq;
    int key;                   /* index into the key table */
    char mode[4];
    int duration;
    int sound;
    struct video_spec video;
    long long credits;         /* its price, charged at acceptance */
    int refunded;              /* --refund-failed gave the price back */
    double created;            /* seconds since the sim started */
    double render;             /* render time, already scaled */
    enum task_outcome outcome;
    int early_404;
    char body_sha256[65];
    char *idempotency_key;     /* NULL when none was sent */
    int answered;              /* was the submission's answer delivered? */
    const char *fault;         /* fault injected into the submission, or NULL */
    const char *defect;        /* the clip fault its file shows, or NULL */
    long polls;
    double final_seen;         /* first time a final status was answered; <0 never */
    long downloads;
    const struct clip *clip;   /* the file it serves, once made; NULL before */
};

struct key_state {
    char label[24];            /* "key1": what logs and stats show instead of the key */
    long long balance;
    long long charged;
    long long accepted;
    double tokens;             /* rate limiter bucket */
    double refilled;
    int burst_left;            /* 429s still to send in a burst */
};

struct counter {
    char name[48];
    long count;
};

struct counter_set {
    struct counter *items;
    size_t len, cap;
};

enum endpoint { EP_GENERATE, EP_STATUS, EP_DOWNLOAD, EP_SIM, EP_OTHER, EP_COUNT };

struct sim {
    struct sim_config cfg;
    pthread_mutex_t lock;
    struct key_state *keys;
    struct task **tasks;
    size_t ntasks, cap_tasks;
    uint64_t submissions;       /* POSTs that reached validation, for fault draws */
    uint64_t requests;          /* every request, for fault draws */
    long long charged;          /* after refunds */
    long long refunded;
    struct task **pending_refunds; /* failed tasks not yet final (--refund-failed) */
    size_t npending, cap_pending;
    struct counter_set by_status[EP_COUNT];   /* "200" -> n */
    struct counter_set headers[EP_COUNT];     /* lower-case header name -> n */
    long auth_headers[EP_COUNT];              /* requests that carried Authorization */
    uint64_t url_secret;
    char base_url[128];
    atomic_int stopping;       /* set on SIGINT/SIGTERM; cuts sleeps short */
};

extern const char *const endpoint_names[EP_COUNT];

double sim_now(void);                       /* monotonic seconds since start */
void sim_sleep(struct sim *s, double seconds); /* sleeps, cut short on shutdown */
void counter_add(struct counter_set *set, const char *name, long n);
struct task *sim_find_task(struct sim *s, const char *id);
long long sim_price(const char *mode, int sound, int seconds);

#endif
