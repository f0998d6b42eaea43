/* ledger.c - charges at acceptance (hosts pre-charge on submit) and the
 * refunds of --refund-failed. Refunds wait in a list of failed tasks not yet
 * final; settling walks only that list, so a status request stays cheap
 * with thousands of tasks. A refund is a pure function of the task's render
 * time and the clock: deterministic under --seed, poll or no poll. */
#include "ledger.h"

#include <stdlib.h>

static int task_fails(const struct task *t)
{
    return t->outcome == OUT_FAILED || t->outcome == OUT_POLICY;
}

int ledger_reserve(struct sim *s)
{
    if (s->npending < s->cap_pending)
        return 0;
    size_t cap = s->cap_pending ? s->cap_pending * 2 : 64;
    struct task **grown = realloc(s->pending_refunds, cap * sizeof *grown);
    if (!grown)
        return -1;
    s->pending_refunds = grown;
    s->cap_pending = cap;
    return 0;
}

void ledger_charge(struct sim *s, struct task *t)
{
    if (s->cfg.refund_failed && task_fails(t))
        s->pending_refunds[s->npending++] = t;
    struct key_state *k = &s->keys[t->key];
    k->balance -= t->credits;
    k->charged += t->credits;
    k->accepted++;
    s->charged += t->credits;
}

void ledger_settle(struct sim *s, double now)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->npending; i++) {
        struct task *t = s->pending_refunds[i];
        if (now - t->created < t->render) {
            s->pending_refunds[kept++] = t;
            continue;
        }
        struct key_state *k = &s->keys[t->key];
        k->balance += t->credits;
        k->charged -= t->credits;
        s->charged -= t->credits;
        s->refunded += t->credits;
        t->refunded = 1;
    }
    s->npending = kept;
}

long long ledger_charged(const struct task *t)
{
    return t->refunded ? 0 : t->credits;
}
