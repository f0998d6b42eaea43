/* faults.c - names, help text and the deterministic decision for each fault. */
#include "faults.h"

#include <string.h>

#include "rng.h"

const struct fault_info fault_table[FAULT_COUNT] = {
    [FAULT_SUBMIT_ERROR_BEFORE] = {"submit-error-before", "POST answers 500, 502 or 503 before billing"},
    [FAULT_SUBMIT_ERROR_AFTER] = {"submit-error-after", "POST is billed, then answers 500, 502 or 503"},
    [FAULT_SUBMIT_DROP_BEFORE] = {"submit-drop-before", "POST connection closed without an answer, nothing billed"},
    [FAULT_SUBMIT_DROP_AFTER] = {"submit-drop-after", "POST is billed, then the connection is closed without an answer"},
    [FAULT_SUBMIT_MALFORMED] = {"submit-malformed", "POST is billed, the answer is not JSON"},
    [FAULT_SUBMIT_TRUNCATED] = {"submit-truncated", "POST is billed, the answer JSON is cut short"},
    [FAULT_SUBMIT_NO_TASK_ID] = {"submit-no-task-id", "POST is billed, the answer has no data.task_id"},
    [FAULT_RATE_LIMIT_BURST] = {"rate-limit-burst", "an API request starts a burst of --burst-length 429 answers"},
    [FAULT_SLOW_HEADERS] = {"slow-headers", "an API answer is delayed by --slow-seconds"},
    [FAULT_SLOW_BODY] = {"slow-body", "an API answer body trickles out over --slow-seconds"},
    [FAULT_REUSE_DROP] = {"reuse-drop", "a request on a reused keep-alive connection is read (a POST billed), then the connection is closed"},
    [FAULT_STATUS_ERROR] = {"status-error", "GET /api/status answers 500, 502 or 503"},
    [FAULT_STATUS_MALFORMED] = {"status-malformed", "GET /api/status answers with malformed JSON"},
    [FAULT_STATUS_EARLY_404] = {"status-early-404", "a task answers 404 for the first 20% of its render time"},
    [FAULT_STATUS_UNKNOWN_WORD] = {"status-unknown-word", "an in-progress task reports the unknown status QUEUED"},
    [FAULT_STATUS_COMPLETED_WORD] = {"status-completed-word", "a finished task reports COMPLETED instead of SUCCESS"},
    [FAULT_TASK_FAILED] = {"task-failed", "a task ends FAILED with a generation error"},
    [FAULT_TASK_POLICY] = {"task-policy", "a task ends FAILED, rejected by content policy"},
    [FAULT_TASK_STUCK] = {"task-stuck", "a task stays IN_PROGRESS forever"},
    [FAULT_SUCCESS_NO_URL] = {"success-no-url", "a task succeeds with an empty resultUrls"},
    [FAULT_SUCCESS_BAD_URL] = {"success-bad-url", "a task succeeds with an ftp:// result URL"},
    [FAULT_DOWNLOAD_TRUNCATE] = {"download-truncate", "a download declares its full length and is closed half way"},
    [FAULT_DOWNLOAD_RESET] = {"download-reset", "a download is reset (TCP RST) half way"},
    [FAULT_DOWNLOAD_LONGER] = {"download-longer", "a download sends more bytes than its Content-Length"},
    [FAULT_DOWNLOAD_STALL] = {"download-stall", "a download pauses for --stall-seconds half way"},
    [FAULT_DOWNLOAD_CORRUPT] = {"download-corrupt", "a download's video header bytes are scrambled"},
    [FAULT_DOWNLOAD_IGNORE_RANGE] = {"download-ignore-range", "a download ignores Range and answers 200 with the whole file"},
    [FAULT_DOWNLOAD_REDIRECT_HOST] = {"download-redirect-host", "a download redirects to the same file on host localhost"},
    [FAULT_DOWNLOAD_REDIRECT_SCHEME] = {"download-redirect-scheme", "a download redirects to an ftp:// URL"},
    [FAULT_DOWNLOAD_REDIRECT_LOOP] = {"download-redirect-loop", "a download redirects to itself, forever"},
    [FAULT_CLIP_BLACK] = {"clip-black", "a task's clip is black from start to end (still moving, so not frozen)"},
    [FAULT_CLIP_FROZEN] = {"clip-frozen", "a task's clip is one still frame from start to end"},
    [FAULT_CLIP_SILENT] = {"clip-silent", "a task with sound gets an audio track that is there but silent (about -70 dBFS)"},
    [FAULT_CLIP_SHORT] = {"clip-short", "a task's clip lasts half the asked duration"},
    [FAULT_CLIP_WRONG_ASPECT] = {"clip-wrong-aspect", "a task's clip is 1:1 when 16:9 or 9:16 was asked, 16:9 when 1:1 was asked"},
    [FAULT_CLIP_MERGED_SHOTS] = {"clip-merged-shots", "a multi-shot task's clip draws two adjacent shots as one: one cut fewer"},
};

int fault_lookup(const char *name, unsigned long len)
{
    for (int i = 0; i < FAULT_COUNT; i++)
        if (strlen(fault_table[i].name) == len && memcmp(fault_table[i].name, name, len) == 0)
            return i;
    return -1;
}

int fault_strikes(uint64_t seed, enum fault f, double rate, uint64_t n, uint64_t k)
{
    if (rate <= 0)
        return 0;
    if (rate >= 1)
        return 1;
    return rng_unit(rng_draw(seed, fault_table[f].name, n, k)) < rate;
}
