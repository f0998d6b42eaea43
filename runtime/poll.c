/* poll.c - the adaptive polling model. Render times are kept as counts in
 * 256 bins of log(seconds) from 1 ms to 1e5 s; tasks still running are
 * binned by their age at each refit. A few EM iterations fit a log-normal
 * to both (completed: exact; running: "at least this long"). Refits happen
 * when completions grow by 5% or a tenth of the median has passed, so the
 * cost stays small for ten thousand tasks. */
#include "poll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "retry.h"
#include "timer.h"

#define BINS 256
#define LOG_LO (-6.907755278982137)   /* log(0.001) */
#define LOG_HI (11.512925464970229)   /* log(100000) */
#define BIN_WIDTH ((LOG_HI - LOG_LO) / BINS)

struct kind_stats {
    char kind[64];
    long done[BINS];
    long n_done;
    double *running;      /* submitted times; < 0 marks a free slot */
    int *free_slots;
    int n_slots, n_free, cap;
    double mu, sigma;
    double done_mu, done_sigma;  /* completions alone, for deadlines */
    long done_fit_n;
    int scouts;           /* tasks polling before the model is ready */
    int fitted;
    long fit_n;
    double fit_time;
    struct kind_stats *next;
};

struct poll_model {
    struct kind_stats *kinds;
};

struct poll_model *poll_model_new(void)
{
    return calloc(1, sizeof(struct poll_model));
}

void poll_model_free(struct poll_model *m)
{
    if (!m)
        return;
    while (m->kinds) {
        struct kind_stats *next = m->kinds->next;
        free(m->kinds->running);
        free(m->kinds->free_slots);
        free(m->kinds);
        m->kinds = next;
    }
    free(m);
}

static struct kind_stats *find(struct poll_model *m, const char *kind, int create)
{
    for (struct kind_stats *k = m->kinds; k; k = k->next)
        if (strcmp(k->kind, kind) == 0)
            return k;
    if (!create)
        return NULL;
    struct kind_stats *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    strncpy(k->kind, kind, sizeof k->kind - 1);
    k->next = m->kinds;
    m->kinds = k;
    return k;
}

static int bin_of(double seconds)
{
    double x = log(seconds > 1e-3 ? seconds : 1e-3);
    int b = (int)((x - LOG_LO) / BIN_WIDTH);
    return b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
}

static double bin_center(int b)
{
    return LOG_LO + (b + 0.5) * BIN_WIDTH;
}

int poll_track(struct poll_model *m, const char *kind, double submitted)
{
    struct kind_stats *k = find(m, kind, 1);
    if (!k)
        return -1;
    int slot;
    if (k->n_free > 0) {
        slot = k->free_slots[--k->n_free];
    } else {
        if (k->n_slots == k->cap) {
            int cap = k->cap ? k->cap * 2 : 64;
            double *r = realloc(k->running, (size_t)cap * sizeof *r);
            if (!r)
                return -1;
            k->running = r;
            int *f = realloc(k->free_slots, (size_t)cap * sizeof *f);
            if (!f)
                return -1;
            k->free_slots = f;
            k->cap = cap;
        }
        slot = k->n_slots++;
    }
    k->running[slot] = submitted;
    return slot;
}

void poll_untrack(struct poll_model *m, const char *kind, int slot)
{
    struct kind_stats *k = find(m, kind, 0);
    if (!k || slot < 0 || slot >= k->n_slots || k->running[slot] < 0)
        return;
    k->running[slot] = -1;
    k->free_slots[k->n_free++] = slot;
}

void poll_observe(struct poll_model *m, const char *kind, double seconds)
{
    struct kind_stats *k = find(m, kind, 1);
    if (!k || !(seconds > 0))
        return;
    k->done[bin_of(seconds)]++;
    k->n_done++;
}

/* E[Z | Z > a] for a standard normal: the inverse Mills ratio. */
static double mills(double a)
{
    if (a > 8)
        return a + 1 / a;
    double s = 0.5 * erfc(a / M_SQRT2);
    return exp(-0.5 * a * a) / sqrt(2 * M_PI) / s;
}

static void refit(struct kind_stats *k, double now)
{
    long cens[BINS] = {0};
    long n_cens = 0;
    for (int i = 0; i < k->n_slots; i++)
        if (k->running[i] >= 0) {
            cens[bin_of(now - k->running[i])]++;
            n_cens++;
        }
    double mu = 0, var = 0;
    if (k->fitted) {
        mu = k->mu;
        var = k->sigma * k->sigma;
    } else {
        for (int b = 0; b < BINS; b++)
            mu += (double)k->done[b] * bin_center(b);
        mu /= (double)k->n_done;
        for (int b = 0; b < BINS; b++)
            var += (double)k->done[b] * (bin_center(b) - mu) * (bin_center(b) - mu);
        var = var / (double)k->n_done + 0.01;
    }
    double n = (double)(k->n_done + n_cens);
    for (int iter = 0; iter < 40; iter++) {
        double sigma = sqrt(var), s1 = 0, s2 = 0;
        for (int b = 0; b < BINS; b++) {
            double x = bin_center(b);
            if (k->done[b]) {
                s1 += (double)k->done[b] * x;
                s2 += (double)k->done[b] * x * x;
            }
            if (cens[b]) {
                /* Still running at age x: expected log time given it exceeds x. */
                double a = (x - mu) / sigma, l = mills(a);
                s1 += (double)cens[b] * (mu + sigma * l);
                s2 += (double)cens[b] * (mu * mu + 2 * mu * sigma * l + var * (1 + a * l));
            }
        }
        double mu2 = s1 / n, var2 = s2 / n - mu2 * mu2;
        if (var2 < 0.0025)
            var2 = 0.0025;
        int converged = fabs(mu2 - mu) < 1e-5 && fabs(var2 - var) < 1e-5;
        mu = mu2;
        var = var2;
        if (converged)
            break;
    }
    k->mu = mu;
    k->sigma = sqrt(var);
    k->fitted = 1;
    k->fit_n = k->n_done;
    k->fit_time = now;
}

int poll_samples(struct poll_model *m, const char *kind, double *median, double *sigma)
{
    struct kind_stats *k = find(m, kind, 0);
    *median = k && k->fitted ? exp(k->mu) : 0;
    *sigma = k && k->fitted ? k->sigma : 0;
    return k ? (int)k->n_done : 0;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int poll_ready(struct poll_model *m, const struct poll_config *cfg, const char *kind)
{
    struct kind_stats *k = find(m, kind, 0);
    return k && k->n_done >= cfg->min_samples;
}

/* From completions only: tasks that never finish (stuck, still running)
 * would otherwise stretch the tail, and with it every deadline set from it. */
int poll_quantile(struct poll_model *m, const struct poll_config *cfg, const char *kind, double z, double *seconds)
{
    struct kind_stats *k = find(m, kind, 0);
    if (!k || k->n_done < cfg->min_samples)
        return 0;
    if (k->done_fit_n != k->n_done) {
        double mu = 0, var = 0;
        for (int b = 0; b < BINS; b++)
            mu += (double)k->done[b] * bin_center(b);
        mu /= (double)k->n_done;
        for (int b = 0; b < BINS; b++)
            var += (double)k->done[b] * (bin_center(b) - mu) * (bin_center(b) - mu);
        k->done_mu = mu;
        k->done_sigma = sqrt(var / (double)k->n_done + 0.01);
        k->done_fit_n = k->n_done;
    }
    *seconds = exp(k->done_mu + z * k->done_sigma);
    return 1;
}

void poll_leave(struct poll_model *m, const char *kind, enum poll_role role)
{
    struct kind_stats *k = find(m, kind, 0);
    if (k && role == POLL_SCOUT)
        k->scouts--;
}

double poll_next_delay(struct poll_model *m, const struct poll_config *cfg, const char *kind,
                       double elapsed, double last, enum poll_role *role)
{
    if (cfg->fixed > 0)
        return retry_jitter(cfg->fixed, 0.1);
    struct kind_stats *k = find(m, kind, 1);
    if (!k || k->n_done < cfg->min_samples) {
        /* A few scouts find the first completions; the rest poll rarely and
         * are woken (poll_ready) when the model can plan for them. */
        if (k && *role == POLL_NEW) {
            if (k->scouts < cfg->scouts) {
                k->scouts++;
                *role = POLL_SCOUT;
            } else {
                *role = POLL_PASSIVE;
            }
        }
        if (*role == POLL_PASSIVE)
            return retry_jitter(4 * cfg->max_interval, 0.1);
        /* Scouts: geometric growth, but never more than a tenth of the age,
         * so the first completions are seen promptly. */
        double d = last > 0 ? last * cfg->growth : cfg->min_interval;
        if (d > 0.1 * elapsed)
            d = 0.1 * elapsed;
        return retry_jitter(clamp(d, cfg->min_interval, cfg->max_interval), 0.1);
    }
    if (*role == POLL_SCOUT)
        k->scouts--;
    *role = POLL_MODEL;
    double now = timer_now();
    if (!k->fitted || k->n_done >= k->fit_n + k->fit_n / 20 + 1 || now - k->fit_time > 0.1 * exp(k->mu))
        refit(k, now);
    double mu = k->mu, sigma = k->sigma, median = exp(mu);
    /* Nothing is likely before the 2nd percentile: wait for it. */
    double first = exp(mu - 2.054 * sigma);
    if (elapsed < first)
        return retry_jitter(clamp(first - elapsed, cfg->min_interval, 1e9), 0.05);
    double z = (log(elapsed) - mu) / sigma;
    /* S(t)/f(t) = t * sigma / mills(z) for a log-normal. */
    double d = cfg->precision * sqrt(median * elapsed * sigma / mills(z));
    return retry_jitter(clamp(d, cfg->min_interval, cfg->max_interval), 0.1);
}
