/* retry.h - when to try again: full-jitter exponential backoff, a shared
 * retry budget (a token bucket, as botocore's) so a failing host is not
 * hammered, and the run's request-rate limiter, which halves its rate on 429
 * and creeps back up on success. */
#ifndef HH_RETRY_H
#define HH_RETRY_H

#include <stdint.h>

struct retry_budget {
    double tokens, max;
};

struct rate_limiter {
    double ceiling;      /* configured requests per second; 0 = unlimited */
    double rate;         /* current rate, lowered by 429s */
    double tokens, burst;
    double refilled;     /* when tokens were last topped up */
    double paused_until; /* a Retry-After applies to every request */
    double share;        /* workers sharing the key's limit (a team store): this one takes 1/share */
};

uint64_t retry_random(void);                     /* xorshift64*, seeded once */
double retry_unit(void);                         /* uniform [0, 1) */
/* Delay before attempt n+1 (n >= 0): uniform in [0, min(cap, base * 2^n)]. */
double retry_backoff(int n, double base, double cap);
/* Jitter: `seconds` scaled by a uniform factor in [1 - spread, 1 + spread]. */
double retry_jitter(double seconds, double spread);

void budget_init(struct retry_budget *b, double max);
/* Takes the cost of one retry (more for a timeout); 0 when the budget is spent. */
int budget_take(struct retry_budget *b, int timeout);
void budget_success(struct retry_budget *b);

void rate_init(struct rate_limiter *r, double per_second, double burst, double now);
/* 0 and a token taken, or the seconds to wait before asking again. */
double rate_acquire(struct rate_limiter *r, double now);
void rate_throttled(struct rate_limiter *r, double now, double retry_after);
void rate_succeeded(struct rate_limiter *r);
/* The host advertised its limit (RateLimit-Policy): it becomes the ceiling,
 * any slowdown from 429s kept in proportion. */
void rate_advertised(struct rate_limiter *r, double per_second);
/* n workers (n >= 1) now share the limit: this one's rate and burst are 1/n of it. */
void rate_set_share(struct rate_limiter *r, double n);

#endif
