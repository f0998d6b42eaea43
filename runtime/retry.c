/* retry.c - backoff, the retry budget and the request-rate limiter. */
#include "retry.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

static uint64_t state;

uint64_t retry_random(void)
{
    if (!state) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        state = ((uint64_t)ts.tv_nsec << 21) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^ 0x9e3779b97f4a7c15ULL;
    }
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dULL;
}

double retry_unit(void)
{
    return (double)(retry_random() >> 11) * (1.0 / 9007199254740992.0);
}

double retry_backoff(int n, double base, double cap)
{
    double ceiling = base * ldexp(1.0, n > 30 ? 30 : n);
    if (ceiling > cap)
        ceiling = cap;
    return retry_unit() * ceiling;
}

double retry_jitter(double seconds, double spread)
{
    return seconds * (1.0 - spread + 2.0 * spread * retry_unit());
}

void budget_init(struct retry_budget *b, double max)
{
    b->tokens = b->max = max;
}

int budget_take(struct retry_budget *b, int timeout)
{
    double cost = timeout ? 10 : 5;
    if (b->tokens < cost)
        return 0;
    b->tokens -= cost;
    return 1;
}

void budget_success(struct retry_budget *b)
{
    if (b->tokens < b->max)
        b->tokens += 1;
}

void rate_init(struct rate_limiter *r, double per_second, double burst, double now)
{
    r->ceiling = r->rate = per_second;
    r->burst = burst > 1 ? burst : 1;
    r->tokens = r->burst;
    r->refilled = now;
    r->paused_until = 0;
    r->share = 1;
}

/* The burst this worker may use: its share of the limit's, at least one request. */
static double share_burst(const struct rate_limiter *r)
{
    double b = r->burst / r->share;
    return b > 1 ? b : 1;
}

void rate_set_share(struct rate_limiter *r, double n)
{
    r->share = n > 1 ? n : 1;
    if (r->tokens > share_burst(r))
        r->tokens = share_burst(r);
}

double rate_acquire(struct rate_limiter *r, double now)
{
    if (now < r->paused_until)
        return r->paused_until - now;
    if (r->ceiling <= 0)
        return 0;
    double rate = r->rate / r->share;
    r->tokens += (now - r->refilled) * rate;
    if (r->tokens > share_burst(r))
        r->tokens = share_burst(r);
    r->refilled = now;
    if (r->tokens >= 1) {
        r->tokens -= 1;
        return 0;
    }
    return (1 - r->tokens) / rate;
}

void rate_throttled(struct rate_limiter *r, double now, double retry_after)
{
    if (r->ceiling > 0) {
        r->rate = r->rate / 2;
        if (r->rate < r->ceiling / 64)
            r->rate = r->ceiling / 64;
        r->tokens = 0;
    }
    if (retry_after > 0 && now + retry_after > r->paused_until)
        r->paused_until = now + retry_after;
}

void rate_advertised(struct rate_limiter *r, double per_second)
{
    if (per_second <= 0 || per_second == r->ceiling)
        return;
    double share = r->ceiling > 0 ? r->rate / r->ceiling : 1;
    r->ceiling = per_second;
    r->rate = per_second * share;
    r->burst = per_second > 1 ? per_second : 1;
    if (r->tokens > r->burst)
        r->tokens = r->burst;
}

void rate_succeeded(struct rate_limiter *r)
{
    /* Additive increase: about 2% of the ceiling per good answer. */
    if (r->ceiling > 0 && r->rate < r->ceiling) {
        r->rate += r->ceiling / 50;
        if (r->rate > r->ceiling)
            r->rate = r->ceiling;
    }
}
