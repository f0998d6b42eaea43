/* faults.h - the faults hh-sim can inject, each switched on by
 * `--fault NAME=RATE` and decided per request or per task by rng_draw, so a
 * run under the same --seed injects the same faults into the same tasks. */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <stdint.h>

enum fault {
    /* submissions: POST /api/generate */
    FAULT_SUBMIT_ERROR_BEFORE,  /* 500/502/503, nothing billed */
    FAULT_SUBMIT_ERROR_AFTER,   /* billed, then 500/502/503 */
    FAULT_SUBMIT_DROP_BEFORE,   /* connection closed, nothing billed */
    FAULT_SUBMIT_DROP_AFTER,    /* billed, connection closed before the answer */
    FAULT_SUBMIT_MALFORMED,     /* billed, answer is not JSON */
    FAULT_SUBMIT_TRUNCATED,     /* billed, answer JSON cut short */
    FAULT_SUBMIT_NO_TASK_ID,    /* billed, answer lacks data.task_id */
    /* any API request */
    FAULT_RATE_LIMIT_BURST,     /* starts a burst of --burst-length 429s */
    FAULT_SLOW_HEADERS,         /* answer delayed by --slow-seconds */
    FAULT_SLOW_BODY,            /* answer body trickled over --slow-seconds */
    FAULT_REUSE_DROP,           /* a reused keep-alive connection is closed after the request is read */
    /* status: GET /api/status */
    FAULT_STATUS_ERROR,         /* 500/502/503 */
    FAULT_STATUS_MALFORMED,     /* answer is not JSON */
    FAULT_STATUS_EARLY_404,     /* task unknown for the first 20% of its render time */
    FAULT_STATUS_UNKNOWN_WORD,  /* in-progress tasks report "QUEUED" */
    FAULT_STATUS_COMPLETED_WORD,/* finished tasks report "COMPLETED" instead of "SUCCESS" */
    /* task outcomes, decided once per task */
    FAULT_TASK_FAILED,          /* FAILED: generation error */
    FAULT_TASK_POLICY,          /* FAILED: rejected by content policy */
    FAULT_TASK_STUCK,           /* IN_PROGRESS forever */
    FAULT_SUCCESS_NO_URL,       /* SUCCESS with an empty resultUrls */
    FAULT_SUCCESS_BAD_URL,      /* SUCCESS with a non-http URL */
    /* downloads: GET /files/... */
    FAULT_DOWNLOAD_TRUNCATE,    /* declared length, connection closed half way */
    FAULT_DOWNLOAD_RESET,       /* declared length, connection reset (RST) half way */
    FAULT_DOWNLOAD_LONGER,      /* more bytes than Content-Length declares */
    FAULT_DOWNLOAD_STALL,       /* body pauses --stall-seconds half way */
    FAULT_DOWNLOAD_CORRUPT,     /* video header bytes scrambled */
    FAULT_DOWNLOAD_IGNORE_RANGE,/* Range ignored: 200 with the whole file */
    FAULT_DOWNLOAD_REDIRECT_HOST,   /* 302 to the same file on host "localhost" */
    FAULT_DOWNLOAD_REDIRECT_SCHEME, /* 302 to an ftp:// URL */
    FAULT_DOWNLOAD_REDIRECT_LOOP,   /* 302 to itself, forever */
    /* clip defects: what the served file shows, decided once per task */
    FAULT_CLIP_BLACK,           /* black throughout */
    FAULT_CLIP_FROZEN,          /* one still frame throughout */
    FAULT_CLIP_SILENT,          /* with sound: the audio track is silent */
    FAULT_CLIP_SHORT,           /* half the asked duration */
    FAULT_CLIP_WRONG_ASPECT,    /* another aspect ratio than asked */
    FAULT_CLIP_MERGED_SHOTS,    /* multi-shot: two adjacent shots drawn as one */
    FAULT_COUNT
};

struct fault_info {
    const char *name;
    const char *help;
};

extern const struct fault_info fault_table[FAULT_COUNT];

/* Index of the fault called `name`, or -1. */
int fault_lookup(const char *name, unsigned long len);
/* Does fault `f`, at `rate`, strike entity `n` (k-th time)? */
int fault_strikes(uint64_t seed, enum fault f, double rate, uint64_t n, uint64_t k);

#endif
