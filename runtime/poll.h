/* poll.h - when to ask for a task's status next. Render times of one kind of
 * job (mode and duration) are roughly log-normal; the model fits one per kind
 * from the completions seen in the run, waits for the early completions,
 * then spaces polls by the hazard rate, so polls gather where tasks finish.
 * Until a kind has enough samples, intervals grow geometrically. */
#ifndef HH_POLL_H
#define HH_POLL_H

struct poll_config {
    double min_interval;  /* seconds */
    double max_interval;
    double growth;        /* interval factor before the model is ready */
    double precision;     /* smaller polls more often: lag is about a third of this x median */
    int min_samples;      /* completions of a kind before its model is used */
};

struct poll_model;

struct poll_model *poll_model_new(void);
void poll_model_free(struct poll_model *m);
/* Seconds until the next status request for a task of `kind` submitted
 * `elapsed` seconds ago, whose previous interval was `last` (0 at first). */
double poll_next_delay(struct poll_model *m, const struct poll_config *cfg, const char *kind,
                       double elapsed, double last);
/* A task of `kind` took about `seconds` to render. */
void poll_observe(struct poll_model *m, const char *kind, double seconds);
/* Completions seen for `kind` and the fitted median (0 when none). */
int poll_samples(struct poll_model *m, const char *kind, double *median);

#endif
