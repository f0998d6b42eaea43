/* proc.c - child processes for the event loop (see proc.h). Children are
 * forked so that their limits are set before they run a single instruction
 * of the program: a decoder given a hostile file must not take more memory
 * or time than it was allowed, nor outlive hh's wait for it. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void procs_init(struct proc_table *t, int max_running)
{
    memset(t, 0, sizeof *t);
    t->max_running = max_running > 0 ? max_running : 1;
}

struct proc *proc_new(const char *const *argv, const struct proc_limits *lim,
                      void (*done)(struct proc *p, void *arg), void *arg)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    size_t n = 0;
    while (argv[n])
        n++;
    p->argv = calloc(n + 1, sizeof *p->argv);
    if (!p->argv) {
        free(p);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!(p->argv[i] = strdup(argv[i]))) {
            proc_free(p);
            return NULL;
        }
    p->pid = -1;
    p->out_fd = p->err_fd = -1;
    p->lim = *lim;
    p->done = done;
    p->arg = arg;
    return p;
}

void proc_free(struct proc *p)
{
    if (!p)
        return;
    if (p->argv)
        for (char **a = p->argv; *a; a++)
            free(*a);
    free(p->argv);
    free(p->out.data);
    free(p);
}

int proc_findable(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char buf[4096];
    for (const char *p = path;; p++) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len > 0 && (size_t)snprintf(buf, sizeof buf, "%.*s/%s", (int)len, p, name) < sizeof buf) {
            struct stat st;
            if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
                return 1;
        }
        if (!colon)
            return 0;
        p = colon;
    }
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(struct proc *p, int out_w, int err_w)
{
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* Checks are background work: the loop and the host come first. */
    setpriority(PRIO_PROCESS, 0, 10);
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
    if (p->lim.memory) {
        struct rlimit as = {p->lim.memory, p->lim.memory};
        setrlimit(RLIMIT_AS, &as);
    }
    if (p->lim.seconds > 0) {
        rlim_t cpu = (rlim_t)p->lim.seconds + 1;
        struct rlimit c = {cpu, cpu + 1};
        setrlimit(RLIMIT_CPU, &c);
    }
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
        _exit(126);
    /* Nothing of hh's (the journal, its lock, sockets) passes to the child. */
    if (close_range(3, ~0U, 0) != 0)
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    execvp(p->argv[0], p->argv);
    _exit(127);
}

static void finish(struct proc_table *t, struct proc *p)
{
    struct proc **pp = &t->running;
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = p->next;
        t->nrunning--;
    }
    p->next = t->finished;
    t->finished = p;
    if (p->done)
        p->done(p, p->arg);
}

void procs_release(struct proc_table *t, struct proc *p)
{
    for (struct proc **pp = &t->finished; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            p->next = NULL;
            return;
        }
}

static int launch(struct proc *p, double now)
{
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        snprintf(p->start_error, sizeof p->start_error, "cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(err, O_CLOEXEC) != 0) {
        snprintf(p->start_error, sizeof p->start_error, "cannot make a pipe: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        child(p, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    if (pid < 0) {
        snprintf(p->start_error, sizeof p->start_error, "cannot start %s: %s", p->argv[0], strerror(errno));
        close(out[0]);
        close(err[0]);
        return -1;
    }
    setpgid(pid, pid); /* also from this side: a kill before the child ran must reach it */
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    p->pid = pid;
    p->out_fd = out[0];
    p->err_fd = err[0];
    p->deadline = p->lim.seconds > 0 ? now + p->lim.seconds : 0;
    return 0;
}

static void start_queued(struct proc_table *t, double now)
{
    while (t->queue_head && t->nrunning < t->max_running) {
        struct proc *p = t->queue_head;
        t->queue_head = p->next;
        if (!t->queue_head)
            t->queue_tail = NULL;
        p->next = t->running;
        t->running = p;
        t->nrunning++;
        if (launch(p, now) != 0) {
            p->end = PROC_NOT_STARTED;
            finish(t, p);
        }
    }
}

void procs_start(struct proc_table *t, struct proc *p, double now)
{
    p->next = NULL;
    if (t->queue_tail)
        t->queue_tail->next = p;
    else
        t->queue_head = p;
    t->queue_tail = p;
    start_queued(t, now);
}

size_t procs_waitfds(const struct proc_table *t, struct curl_waitfd *fds, size_t max)
{
    size_t n = 0;
    for (const struct proc *p = t->running; p && n < max; p = p->next) {
        if (p->out_fd >= 0 && n < max)
            fds[n++] = (struct curl_waitfd){p->out_fd, CURL_WAIT_POLLIN, 0};
        if (p->err_fd >= 0 && n < max)
            fds[n++] = (struct curl_waitfd){p->err_fd, CURL_WAIT_POLLIN, 0};
    }
    return n;
}

static void kill_child(struct proc *p, enum proc_end why)
{
    if (p->pid > 0 && !p->killed) {
        p->killed = (int)why;
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
    }
}

static void keep_err(struct proc *p, const char *buf, size_t n)
{
    size_t cap = sizeof p->err;
    if (n >= cap) {
        memcpy(p->err, buf + n - cap, cap);
        p->err_len = cap;
        p->err_wrapped = 1;
        return;
    }
    if (p->err_len + n > cap) {
        size_t drop = p->err_len + n - cap;
        memmove(p->err, p->err + drop, p->err_len - drop);
        p->err_len -= drop;
        p->err_wrapped = 1;
    }
    memcpy(p->err + p->err_len, buf, n);
    p->err_len += n;
}

static int keep_out(struct proc *p, const char *buf, size_t n)
{
    struct proc_buf *b = &p->out;
    if (b->len + n > p->lim.output)
        return -1;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16384;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, buf, n);
    b->len += n;
    return 0;
}

/* Reads what a pipe has; closes it at end of file. */
static void drain(struct proc *p, int *fd, int is_out)
{
    char buf[65536];
    while (*fd >= 0) {
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n > 0) {
            if (!is_out)
                keep_err(p, buf, (size_t)n);
            else if (!p->killed && keep_out(p, buf, (size_t)n) != 0)
                kill_child(p, PROC_OVERFLOW);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        close(*fd);
        *fd = -1;
    }
}

void procs_service(struct proc_table *t, double now)
{
    struct proc *p = t->running;
    while (p) {
        struct proc *next = p->next;
        drain(p, &p->out_fd, 1);
        drain(p, &p->err_fd, 0);
        if (p->deadline > 0 && now >= p->deadline)
            kill_child(p, PROC_TIMED_OUT);
        int status;
        if (p->out_fd < 0 && p->err_fd < 0 && waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = -1;
            if (p->killed) {
                p->end = (enum proc_end)p->killed;
                p->status = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
            } else if (WIFSIGNALED(status)) {
                p->end = PROC_SIGNALLED;
                p->status = WTERMSIG(status);
            } else {
                p->end = PROC_EXITED;
                p->status = WEXITSTATUS(status);
            }
            finish(t, p);
        }
        p = next;
    }
    start_queued(t, now);
}

double procs_next_wake(const struct proc_table *t, double now)
{
    double next = -1;
    for (const struct proc *p = t->running; p; p = p->next) {
        double when = p->deadline;
        if (p->out_fd < 0 && p->err_fd < 0)
            when = now + 0.005; /* pipes closed, not reaped yet: look again soon */
        if (when > 0 && (next < 0 || when < next))
            next = when;
    }
    return next;
}

void procs_stop(struct proc_table *t, double now)
{
    while (t->queue_head) {
        struct proc *p = t->queue_head;
        t->queue_head = p->next;
        p->end = PROC_INTERRUPTED;
        p->next = t->finished;
        t->finished = p;
        if (p->done)
            p->done(p, p->arg);
    }
    t->queue_tail = NULL;
    for (struct proc *p = t->running; p; p = p->next)
        kill_child(p, PROC_INTERRUPTED);
    (void)now;
}

void procs_free(struct proc_table *t)
{
    while (t->queue_head) {
        struct proc *p = t->queue_head;
        t->queue_head = p->next;
        proc_free(p);
    }
    t->queue_tail = NULL;
    while (t->running) {
        struct proc *p = t->running;
        t->running = p->next;
        if (p->pid > 0) {
            kill(-p->pid, SIGKILL);
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
        }
        if (p->out_fd >= 0)
            close(p->out_fd);
        if (p->err_fd >= 0)
            close(p->err_fd);
        proc_free(p);
    }
    t->nrunning = 0;
    while (t->finished) {
        struct proc *p = t->finished;
        t->finished = p->next;
        proc_free(p);
    }
}

int procs_busy(const struct proc_table *t)
{
    return t->running != NULL || t->queue_head != NULL;
}
