/* ledger.h - what hh-sim charges: every accepted task at its price, and,
 * under --refund-failed, a refund for each FAILED task once it is final.
 * Refunds are settled lazily from the clock whenever the ledger or a status
 * is read, so they happen whether or not anyone polls. Callers hold s->lock. */
#ifndef SIM_LEDGER_H
#define SIM_LEDGER_H

#include "sim.h"

/* Makes room for one more refund to come, before a task is created, so that
 * charging cannot fail half way; -1 when out of memory. */
int ledger_reserve(struct sim *s);
/* Charges a new task to its key (and remembers a failure's refund to come). */
void ledger_charge(struct sim *s, struct task *t);
/* Refunds every failed task whose render time has passed by `now`. */
void ledger_settle(struct sim *s, double now);
/* What the task costs its key now: its price, or 0 once refunded. */
long long ledger_charged(const struct task *t);

#endif
