/* poll.h - when to ask for a task's status next. Render times of one kind of
 * job (mode, duration, audio) are roughly log-normal. The model fits one per
 * kind from the run itself: completed tasks give render times, tasks still
 * running give lower bounds (right-censored data, fitted by EM), so a sweep
 * that starts all at once is not fooled by its fastest tasks finishing first.
 * It waits for the early completions, then spaces polls by the hazard rate,
 * so polls gather where tasks finish. Before a kind has enough completions,
 * intervals grow geometrically. */
#ifndef HH_POLL_H
#define HH_POLL_H

struct poll_config {
    double min_interval;  /* seconds */
    double max_interval;
    double growth;        /* interval factor before the model is ready */
    double precision;     /* smaller polls more often: interval = precision * sqrt(median * S(t) / f(t)) */
    int min_samples;      /* completions of a kind before its model is used */
    int scouts;           /* tasks of a kind that poll before its model is ready */
    double fixed;         /* > 0: poll at this fixed interval instead (for comparison) */
};

struct poll_model;

struct poll_model *poll_model_new(void);
void poll_model_free(struct poll_model *m);
/* A task of `kind` submitted at monotonic time `submitted` is being waited
 * for; returns a slot for poll_untrack (or -1). */
int poll_track(struct poll_model *m, const char *kind, double submitted);
void poll_untrack(struct poll_model *m, const char *kind, int slot);
/* A task of `kind` took about `seconds` to render. */
void poll_observe(struct poll_model *m, const char *kind, double seconds);
/* Before a kind's model is ready only a few "scout" tasks poll (on the
 * geometric schedule); the others wait, to be woken when it is ready. */
enum poll_role { POLL_NEW, POLL_SCOUT, POLL_PASSIVE, POLL_MODEL };

/* Seconds until the next status request for a task of `kind` submitted
 * `elapsed` seconds ago, whose previous interval was `last` (0 at first).
 * *role is the task's role, updated; POLL_PASSIVE means "sleep until the
 * model is ready, or the returned delay at most". */
double poll_next_delay(struct poll_model *m, const struct poll_config *cfg, const char *kind,
                       double elapsed, double last, enum poll_role *role);
/* A task leaves its role (its wait ended). */
void poll_leave(struct poll_model *m, const char *kind, enum poll_role role);
/* Is the model for `kind` ready to schedule polls? */
int poll_ready(struct poll_model *m, const struct poll_config *cfg, const char *kind);
/* The render time `z` standard deviations above the median of `kind`'s
 * completed tasks (z = 3.09: the 99.9th percentile), into *seconds; 0 while
 * the model is not ready. */
int poll_quantile(struct poll_model *m, const struct poll_config *cfg, const char *kind, double z, double *seconds);
/* Completions seen for `kind`, the fitted median and sigma (0 before a fit). */
int poll_samples(struct poll_model *m, const char *kind, double *median, double *sigma);

#endif
