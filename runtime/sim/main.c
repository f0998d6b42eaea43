/* main.c - hh-sim: a local imitation of the HappyHorse video API for tests,
 * benchmarks and the demo. Parses flags, loads keys, starts the server,
 * prints the base URL as the first line of output and runs until SIGINT or
 * SIGTERM. A bad flag gets the usage text and exit status 2. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faults.h"
#include "rng.h"
#include "server.h"
#include "sim.h"
#include "video.h"

#define SIM_VERSION "1.0"

static const char usage_text[] =
    "usage: hh-sim [options]\n"
    "\n"
    "A local imitation of the HappyHorse-1.0 video API. Prints its base URL on\n"
    "the first line, then serves until interrupted.\n"
    "\n"
    "  -p, --port N             port to listen on; 0 picks a free one (default 0)\n"
    "      --bind ADDR          IPv4 address to listen on (default 127.0.0.1)\n"
    "  -k, --key KEY            accept this bearer key (repeatable)\n"
    "      --key-file FILE      accept the keys in FILE: one \"KEY [CREDITS]\" a line\n"
    "      --credits N          starting credits of each key (default 1000000)\n"
    "      --credits-after N    answer 402 once N jobs were accepted (default off)\n"
    "      --refund-failed      refund a FAILED task once it is final (default: it stays billed)\n"
    "      --ignore-idempotency ignore Idempotency-Key: every accepted POST is a new billed task\n"
    "      --rate N             API requests a second per key before 429 (default 0: no limit)\n"
    "      --rate-burst N       requests allowed at once under --rate (default: one second's worth)\n"
    "      --retry-after FORMAT how 429 says when to retry: seconds, date, ms, zero, huge or none\n"
    "                           (default seconds)\n"
    "      --time-scale F       multiply render times by F (default 1: 20 s to 3 min)\n"
    "      --render-sigma F     log-normal spread of render times (default 0.35)\n"
    "      --url-ttl SECONDS    how long a result URL stays valid (default 3600)\n"
    "      --seed N             seed for render times, task ids and faults (default 1)\n"
    "      --fault NAME=RATE    inject fault NAME with probability RATE (repeatable;\n"
    "                           --list-faults names them)\n"
    "      --burst-length N     429s in one rate-limit-burst fault (default 3)\n"
    "      --slow-seconds S     delay of slow-headers and slow-body (default 2)\n"
    "      --stall-seconds S    pause of download-stall (default 2)\n"
    "      --palette N          distinct clip looks prompts are folded into (default 64)\n"
    "      --cache-dir DIR      keep made clips here (default $XDG_CACHE_HOME/hh-sim)\n"
    "      --max-body BYTES     largest request body (default 1048576)\n"
    "      --list-faults        list the faults and exit\n"
    "  -v, --verbose            log one line a request to stderr (never the key)\n"
    "  -h, --help               show this help\n"
    "      --version            print the version\n";

static void usage_error(const char *fmt, const char *arg)
{
    fputs("hh-sim: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    fputs(usage_text, stderr);
    exit(2);
}

static double number_arg(const char *flag, const char *arg, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || v < lo || v > hi) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: expected a number from %g to %g, got \"%%s\"", flag, lo, hi);
        usage_error(msg, arg);
    }
    return v;
}

static void add_key(struct sim_config *cfg, const char *key, long long credits)
{
    if (!*key || strpbrk(key, " \t\r\n"))
        usage_error("a key must be non-empty and have no spaces%s", "");
    cfg->keys = realloc(cfg->keys, (cfg->nkeys + 1) * sizeof *cfg->keys);
    cfg->key_credits = realloc(cfg->key_credits, (cfg->nkeys + 1) * sizeof *cfg->key_credits);
    if (!cfg->keys || !cfg->key_credits) {
        fputs("hh-sim: out of memory\n", stderr);
        exit(1);
    }
    cfg->keys[cfg->nkeys] = strdup(key);
    cfg->key_credits[cfg->nkeys++] = credits;
}

static void load_key_file(struct sim_config *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "hh-sim: --key-file: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    char line[1024];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        char key[512], credits_text[64], extra[2];
        long long credits = -1;
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        int n = sscanf(line, "%511s %63s %1s", key, credits_text, extra);
        if (n <= 0)
            continue;
        /* A typo in a credits column must not silently give the default. */
        char *end = NULL;
        if (n >= 2) {
            errno = 0;
            credits = strtoll(credits_text, &end, 10);
        }
        if (n > 2 || (n == 2 && (errno || *end || credits < 0))) {
            fprintf(stderr, "hh-sim: %s:%d: expected \"KEY [CREDITS]\" with CREDITS a whole number, 0 or more\n",
                    path, lineno);
            exit(2);
        }
        add_key(cfg, key, credits);
    }
    fclose(f);
}

static void parse_fault(struct sim_config *cfg, const char *arg)
{
    const char *eq = strchr(arg, '=');
    int f = fault_lookup(arg, eq ? (unsigned long)(eq - arg) : strlen(arg));
    if (f < 0) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
        usage_error("--fault: unknown fault \"%s\" (--list-faults names them)", name);
    }
    cfg->fault_rate[f] = eq ? number_arg("--fault", eq + 1, 0, 1) : 1.0;
}

static enum retry_after_format parse_retry_after(const char *arg)
{
    static const char *const names[] = {"seconds", "date", "ms", "zero", "huge", "none"};
    for (int i = 0; i < 6; i++)
        if (strcmp(arg, names[i]) == 0)
            return (enum retry_after_format)i;
    usage_error("--retry-after: expected seconds, date, ms, zero, huge or none, got \"%s\"", arg);
    return RA_SECONDS;
}

static void default_cache_dir(char *buf, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, n, "%s/hh-sim", xdg);
    else if (home && *home)
        snprintf(buf, n, "%s/.cache/hh-sim", home);
    else
        snprintf(buf, n, "/tmp/hh-sim-cache");
}

enum { OPT_BIND = 256, OPT_KEY_FILE, OPT_CREDITS, OPT_CREDITS_AFTER, OPT_RATE, OPT_RATE_BURST,
       OPT_RETRY_AFTER, OPT_TIME_SCALE, OPT_SIGMA, OPT_URL_TTL, OPT_SEED, OPT_FAULT, OPT_BURST,
       OPT_SLOW, OPT_STALL, OPT_PALETTE, OPT_CACHE, OPT_MAX_BODY, OPT_LIST, OPT_VERSION,
       OPT_REFUND_FAILED, OPT_IGNORE_IDEMPOTENCY };

static const struct option options[] = {
    {"port", required_argument, NULL, 'p'},
    {"bind", required_argument, NULL, OPT_BIND},
    {"key", required_argument, NULL, 'k'},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {"credits", required_argument, NULL, OPT_CREDITS},
    {"credits-after", required_argument, NULL, OPT_CREDITS_AFTER},
    {"refund-failed", no_argument, NULL, OPT_REFUND_FAILED},
    {"ignore-idempotency", no_argument, NULL, OPT_IGNORE_IDEMPOTENCY},
    {"rate", required_argument, NULL, OPT_RATE},
    {"rate-burst", required_argument, NULL, OPT_RATE_BURST},
    {"retry-after", required_argument, NULL, OPT_RETRY_AFTER},
    {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
    {"render-sigma", required_argument, NULL, OPT_SIGMA},
    {"url-ttl", required_argument, NULL, OPT_URL_TTL},
    {"seed", required_argument, NULL, OPT_SEED},
    {"fault", required_argument, NULL, OPT_FAULT},
    {"burst-length", required_argument, NULL, OPT_BURST},
    {"slow-seconds", required_argument, NULL, OPT_SLOW},
    {"stall-seconds", required_argument, NULL, OPT_STALL},
    {"palette", required_argument, NULL, OPT_PALETTE},
    {"cache-dir", required_argument, NULL, OPT_CACHE},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"list-faults", no_argument, NULL, OPT_LIST},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void parse_flags(struct sim_config *cfg, int argc, char **argv)
{
    const char *key_file = NULL;
    char **flag_keys = NULL;
    int nflag_keys = 0, opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":p:k:vh", options, NULL)) != -1) {
        switch (opt) {
        case 'p': cfg->port = (unsigned)number_arg("--port", optarg, 0, 65535); break;
        case OPT_BIND: {
            struct in_addr a;
            if (inet_pton(AF_INET, optarg, &a) != 1)
                usage_error("--bind: expected an IPv4 address, got \"%s\"", optarg);
            cfg->bind = optarg;
            break;
        }
        case 'k':
            flag_keys = realloc(flag_keys, (size_t)(nflag_keys + 1) * sizeof *flag_keys);
            flag_keys[nflag_keys++] = optarg;
            break;
        case OPT_KEY_FILE: key_file = optarg; break;
        case OPT_CREDITS: cfg->credits = (long long)number_arg("--credits", optarg, 0, 1e15); break;
        case OPT_CREDITS_AFTER: cfg->credits_after = (long long)number_arg("--credits-after", optarg, 0, 1e15); break;
        case OPT_REFUND_FAILED: cfg->refund_failed = 1; break;
        case OPT_IGNORE_IDEMPOTENCY: cfg->ignore_idempotency = 1; break;
        case OPT_RATE: cfg->rate = number_arg("--rate", optarg, 0, 1e6); break;
        case OPT_RATE_BURST: cfg->rate_burst = number_arg("--rate-burst", optarg, 1, 1e6); break;
        case OPT_RETRY_AFTER: cfg->retry_after = parse_retry_after(optarg); break;
        case OPT_TIME_SCALE: cfg->time_scale = number_arg("--time-scale", optarg, 0, 1000); break;
        case OPT_SIGMA: cfg->render_sigma = number_arg("--render-sigma", optarg, 0, 3); break;
        case OPT_URL_TTL: cfg->url_ttl = number_arg("--url-ttl", optarg, 0, 1e9); break;
        case OPT_SEED: cfg->seed = (uint64_t)number_arg("--seed", optarg, 0, 9007199254740992.0); break;
        case OPT_FAULT: parse_fault(cfg, optarg); break;
        case OPT_BURST: cfg->burst_length = (int)number_arg("--burst-length", optarg, 1, 1e6); break;
        case OPT_SLOW: cfg->slow_seconds = number_arg("--slow-seconds", optarg, 0, 3600); break;
        case OPT_STALL: cfg->stall_seconds = number_arg("--stall-seconds", optarg, 0, 3600); break;
        case OPT_PALETTE: cfg->palette = (int)number_arg("--palette", optarg, 1, 100000); break;
        case OPT_CACHE: cfg->cache_dir = optarg; break;
        case OPT_MAX_BODY: cfg->max_body = (size_t)number_arg("--max-body", optarg, 1024, 1e9); break;
        case OPT_LIST:
            for (int i = 0; i < FAULT_COUNT; i++)
                printf("%-26s %s\n", fault_table[i].name, fault_table[i].help);
            exit(0);
        case 'v': cfg->verbose++; break;
        case 'h': fputs(usage_text, stdout); exit(0);
        case OPT_VERSION: printf("hh-sim %s\n", SIM_VERSION); exit(0);
        case ':': usage_error("%s needs a value", argv[optind - 1]); break;
        default: usage_error("unknown option %s", argv[optind - 1]); break;
        }
    }
    if (optind < argc)
        usage_error("unexpected argument \"%s\"", argv[optind]);
    for (int i = 0; i < nflag_keys; i++)
        add_key(cfg, flag_keys[i], -1);
    free(flag_keys);
    if (key_file)
        load_key_file(cfg, key_file);
    if (cfg->nkeys == 0)
        usage_error("give at least one API key with --key or --key-file%s", "");
    for (size_t i = 0; i < cfg->nkeys; i++)
        if (cfg->key_credits[i] < 0)
            cfg->key_credits[i] = cfg->credits;
    if (cfg->rate > 0 && cfg->rate_burst <= 0)
        cfg->rate_burst = cfg->rate < 1 ? 1 : cfg->rate;
}

int main(int argc, char **argv)
{
    static struct sim s;
    char cache_dir[1024], err[256];
    sim_now(); /* fixes the clock's origin before any thread runs */
    s.cfg = (struct sim_config){
        .bind = "127.0.0.1", .credits = 1000000, .credits_after = -1, .time_scale = 1,
        .render_sigma = 0.35, .url_ttl = 3600, .slow_seconds = 2, .stall_seconds = 2,
        .seed = 1, .burst_length = 3, .retry_after = RA_SECONDS, .palette = 64,
        .max_body = 1 << 20,
    };
    parse_flags(&s.cfg, argc, argv);
    if (!s.cfg.cache_dir) {
        default_cache_dir(cache_dir, sizeof cache_dir);
        s.cfg.cache_dir = cache_dir;
    }
    video_init(s.cfg.cache_dir);
    pthread_mutex_init(&s.lock, NULL);
    s.keys = calloc(s.cfg.nkeys, sizeof *s.keys);
    for (size_t i = 0; i < s.cfg.nkeys; i++) {
        snprintf(s.keys[i].label, sizeof s.keys[i].label, "key%zu", i + 1);
        s.keys[i].balance = s.cfg.key_credits[i];
        s.keys[i].tokens = s.cfg.rate_burst;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s.url_secret = rng_mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid());

    /* Threads inherit this mask, so only sigwait below sees the signals. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct MHD_Daemon *d = server_start(&s, err, sizeof err);
    if (!d) {
        fprintf(stderr, "hh-sim: %s\n", err);
        return 1;
    }
    printf("%s\n", s.base_url);
    fflush(stdout);
    if (s.cfg.verbose)
        fprintf(stderr, "hh-sim: listening on %s with %zu key(s), time scale %g, seed %llu\n", s.base_url,
                s.cfg.nkeys, s.cfg.time_scale, (unsigned long long)s.cfg.seed);
    int sig;
    sigwait(&stop, &sig);
    atomic_store(&s.stopping, 1);
    server_stop(d);

    for (size_t i = 0; i < s.ntasks; i++) {
        free(s.tasks[i]->idempotency_key);
        free(s.tasks[i]);
    }
    free(s.tasks);
    free(s.pending_refunds);
    for (int e = 0; e < EP_COUNT; e++) {
        free(s.by_status[e].items);
        free(s.headers[e].items);
    }
    for (size_t i = 0; i < s.cfg.nkeys; i++)
        free(s.cfg.keys[i]);
    free(s.cfg.keys);
    free(s.cfg.key_credits);
    free(s.keys);
    video_shutdown();
    pthread_mutex_destroy(&s.lock);
    return 0;
}
