/* config.h - the settings of a run that a script or the command line may
 * change (hh.config, bind_config.c); the loop and each transfer read them. */
#ifndef HH_CONFIG_H
#define HH_CONFIG_H

#include "poll.h"

/* Settings a script can change with hh.config; defaults in loop_init. */
struct loop_config {
    char base_url[512];
    long max_transfers;        /* HTTP transfers in flight at once */
    double rate;               /* API requests a second for the run; 0 = no cap */
    double rate_burst;
    double rate_default;       /* the host profile's rate: used until one is set, or the host advertises its own */
    int rate_set;              /* a rate was set (hh.config, HH_SETTINGS, --rate): the host's word does not change it */
    int rate_share;            /* live workers of a team store on this key: each sends 1/rate_share of the rate */
    double connect_timeout;
    double request_timeout;    /* API requests */
    double stall_timeout;      /* downloads: seconds without a byte */
    double max_retry_after;    /* a longer Retry-After is replaced by backoff */
    int max_retries;           /* per request */
    double backoff_base, backoff_cap;
    double retry_budget;
    long long max_download;    /* bytes */
    size_t max_answer;         /* bytes of an API answer */
    int allow_http;            /* plain http to hosts other than loopback */
    int idempotent_host;       /* the host honours Idempotency-Key: unknown outcomes may be retried */
    long max_conn_age;         /* seconds a reused submit connection may be */
    double wait_deadline_min;  /* bounds of a wait's default deadline, in seconds */
    double wait_deadline_max;
    double interrupt_grace;    /* seconds waits go on after the first interrupt */
    double recipe_instructions; /* an untrusted Lua recipe's chunk, and its after() */
    double recipe_memory;      /* bytes it may add to hh's memory */
    struct poll_config poll;
};

#endif
