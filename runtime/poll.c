/* poll.c - the adaptive polling model: a running log-normal fit per kind
 * (Welford's mean and variance of log render time) and a schedule whose
 * interval is precision * sqrt(median * S(t) / f(t)), the spacing that
 * minimises polls for a given mean detection lag. */
#include "poll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "retry.h"

struct kind_stats {
    char kind[64];
    long n;
    double mean, m2;     /* of log(seconds) */
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

void poll_observe(struct poll_model *m, const char *kind, double seconds)
{
    struct kind_stats *k = find(m, kind, 1);
    if (!k || !(seconds > 0))
        return;
    double x = log(seconds), d = x - k->mean;
    k->n++;
    k->mean += d / (double)k->n;
    k->m2 += d * (x - k->mean);
}

int poll_samples(struct poll_model *m, const char *kind, double *median)
{
    struct kind_stats *k = find(m, kind, 0);
    *median = k && k->n ? exp(k->mean) : 0;
    return k ? (int)k->n : 0;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

double poll_next_delay(struct poll_model *m, const struct poll_config *cfg, const char *kind,
                       double elapsed, double last)
{
    struct kind_stats *k = find(m, kind, 0);
    if (!k || k->n < cfg->min_samples) {
        double d = last > 0 ? last * cfg->growth : cfg->min_interval;
        return retry_jitter(clamp(d, cfg->min_interval, cfg->max_interval), 0.1);
    }
    double mu = k->mean, sigma = sqrt(k->m2 / (double)(k->n - 1));
    if (sigma < 0.05)
        sigma = 0.05;
    double median = exp(mu);
    /* Nothing is likely before the 2nd percentile: wait for it. */
    double first = exp(mu - 2.054 * sigma);
    if (elapsed < first)
        return retry_jitter(clamp(first - elapsed, cfg->min_interval, 1e9), 0.05);
    double t = elapsed > 1e-9 ? elapsed : 1e-9;
    double z = (log(t) - mu) / sigma;
    double density = exp(-0.5 * z * z) / (t * sigma * sqrt(2 * M_PI));
    double survival = 0.5 * erfc(z / M_SQRT2);
    double d = density > 0 ? cfg->precision * sqrt(median * survival / density) : cfg->max_interval;
    return retry_jitter(clamp(d, cfg->min_interval, cfg->max_interval), 0.1);
}
