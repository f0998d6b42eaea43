/* interrupt.c - Ctrl-C, SIGTERM and SIGHUP: outside the loop a signal ends
 * hh at once (nothing is paid for or under way); inside it the first stops
 * new submissions and gives the waits a grace, a second Ctrl-C stops the
 * loop. The handler only counts and writes a byte to the loop's wake pipe. */
#include "interrupt.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"

volatile sig_atomic_t loop_signals;
volatile sig_atomic_t loop_first_signal;
static int wake_write_fd = -1;

static volatile sig_atomic_t loop_running; /* inside loop_run: signals are handled by it */

static void on_signal(int sig)
{
    int saved = errno;
    /* Outside the loop nothing is paid for or under way (checking, planning,
     * running a recipe's own code before the run): stop at once. */
    if (!loop_running)
        _exit(128 + sig);
    if (sig == SIGINT || loop_signals == 0)
        loop_signals++;
    if (!loop_first_signal)
        loop_first_signal = sig;
    if (wake_write_fd >= 0) {
        ssize_t w = write(wake_write_fd, "!", 1);
        (void)w;
    }
    errno = saved;
}

void interrupt_install(int wake_fd)
{
    wake_write_fd = wake_fd;
    if (wake_fd < 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void interrupt_enter(int running)
{
    loop_running = running;
}

/* The end of an interrupt's grace: waits still sleeping between polls are
 * woken to find their limit passed; the tasks stay pending. */
static void grace_timer(void *arg, uint64_t token)
{
    struct loop *lp = arg;
    (void)token;
    for (struct job *job = lp->jobs; job; job = job->all_next)
        if (job->wait_sleeping && job->state == JOB_WAITING) {
            job->woken_by_timer = 1;
            loop_ready(lp, job);
        }
}

static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "Ctrl-C";
}

void loop_handle_signals(struct loop *lp)
{
    char buf[64];
    while (read(lp->wake_fd[0], buf, sizeof buf) > 0)
        ;
    int n = (int)loop_signals;
    if (n <= lp->interrupted)
        return;
    lp->interrupted = n;
    if (!lp->signal_number)
        lp->signal_number = (int)loop_first_signal;
    if (n == 1) {
        double now = timer_now();
        lp->grace_until = now + lp->cfg.interrupt_grace;
        if (timer_add(&lp->timers, lp->grace_until, grace_timer, lp, 0) != 0)
            lp->grace_until = now; /* no timer: end the waits at their next turn */
        loop_stop_submissions(lp, "interrupted");
        procs_stop(&lp->procs, timer_now());
        fprintf(stderr, "hh: %s: no new submissions; waiting up to %g s for tasks about to finish, "
                        "the others stay pending (Ctrl-C again stops at once)\n",
                signal_name(lp->signal_number), lp->cfg.interrupt_grace);
    }
}
