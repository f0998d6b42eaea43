/* api.c - POST /api/generate and GET /api/status as the API reference
 * describes them, plus the sim-only ledger endpoints. Every decision that
 * costs money (validation, idempotency, credits, billing) happens under the
 * lock; faults that strike after billing are applied once the task exists. */
#include "api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "ledger.h"
#include "render.h"
#include "rng.h"
#include "validate.h"

static const char *const outcome_names[] = {"success", "failed", "policy", "stuck", "no-url", "bad-url"};

static int strikes(struct sim *s, enum fault f, uint64_t n, uint64_t k)
{
    return fault_strikes(s->cfg.seed, f, s->cfg.fault_rate[f], n, k);
}

/* Median render seconds grow with duration and mode; the spread is log-normal. */
static double render_seconds(struct sim *s, const char *mode, int duration, uint64_t seq)
{
    double median = strcmp(mode, "pro") == 0 ? 30.0 + 10.0 * duration : 20.0 + 6.0 * duration;
    double z = rng_normal(rng_draw(s->cfg.seed, "render", seq, 1), rng_draw(s->cfg.seed, "render", seq, 2));
    return median * s->cfg.time_scale * exp(s->cfg.render_sigma * z);
}

static struct task *find_idempotent(struct sim *s, int key, const char *idem)
{
    for (size_t i = s->ntasks; i-- > 0;) {
        struct task *t = s->tasks[i];
        if (t->key == key && t->idempotency_key && strcmp(t->idempotency_key, idem) == 0)
            return t;
    }
    return NULL;
}

/* Tasks whose file GET /files/<task>.mp4 serves (the others answer 404). */
static int serves_file(const struct task *t)
{
    return t->outcome != OUT_FAILED && t->outcome != OUT_POLICY && t->outcome != OUT_STUCK;
}

/* The clip defect of a task that serves a file: the first clip fault that
 * applies to it and strikes. */
static void pick_defect(struct sim *s, struct task *t)
{
    static const struct {
        enum fault fault;
        enum clip_defect defect;
    } order[] = {
        {FAULT_CLIP_BLACK, CLIP_BLACK}, {FAULT_CLIP_FROZEN, CLIP_FROZEN}, {FAULT_CLIP_SILENT, CLIP_SILENT},
        {FAULT_CLIP_SHORT, CLIP_SHORT}, {FAULT_CLIP_WRONG_ASPECT, CLIP_WRONG_ASPECT},
        {FAULT_CLIP_MERGED_SHOTS, CLIP_MERGED_SHOTS},
    };
    t->video.defect = CLIP_CLEAN;
    t->defect = NULL;
    if (!serves_file(t))
        return;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        if ((order[i].defect == CLIP_SILENT && !t->video.sound) ||
            (order[i].defect == CLIP_MERGED_SHOTS && t->video.nshots < 2))
            continue;
        if (strikes(s, order[i].fault, t->seq, 0)) {
            t->video.defect = order[i].defect;
            t->defect = fault_table[order[i].fault].name;
            if (order[i].defect == CLIP_MERGED_SHOTS)
                t->video.merged = (int)(rng_draw(s->cfg.seed, t->defect, t->seq, 1) % (uint64_t)(t->video.nshots - 1));
            return;
        }
    }
}

static struct task *create_task(struct sim *s, int key, const struct gen_request *req,
                                const char *sha, const char *idem, long long cost, long long seed)
{
    if (s->ntasks == s->cap_tasks) {
        size_t cap = s->cap_tasks ? s->cap_tasks * 2 : 1024;
        struct task **tasks = realloc(s->tasks, cap * sizeof *tasks);
        if (!tasks)
            return NULL;
        s->tasks = tasks;
        s->cap_tasks = cap;
    }
    struct task *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->seq = s->ntasks + 1;
    snprintf(t->id, sizeof t->id, "hs%llu-%08llx", (unsigned long long)t->seq,
             (unsigned long long)(rng_draw(s->cfg.seed, "task-id", t->seq, 0) & 0xffffffffULL));
    t->key = key;
    snprintf(t->mode, sizeof t->mode, "%s", req->mode);
    t->duration = req->duration;
    t->sound = req->sound;
    t->video.aspect = req->aspect;
    t->video.resolution = req->resolution;
    t->video.sound = req->sound;
    t->video.nshots = req->nshots;
    for (int i = 0; i < req->nshots; i++) {
        /* A seed (hosts that take one) varies the look like it varies a render. */
        int look = video_look(req->shot_prompt[i], s->cfg.palette);
        t->video.shots[i].look = (int)(((long long)look + (seed % s->cfg.palette) * 7 + s->cfg.palette * 8) % s->cfg.palette);
        t->video.shots[i].seconds = req->shot_seconds[i];
    }
    t->credits = cost;
    t->created = sim_now();
    t->render = render_seconds(s, req->mode, req->duration, t->seq);
    t->outcome = strikes(s, FAULT_TASK_POLICY, t->seq, 0) ? OUT_POLICY
               : strikes(s, FAULT_TASK_FAILED, t->seq, 0) ? OUT_FAILED
               : strikes(s, FAULT_TASK_STUCK, t->seq, 0) ? OUT_STUCK
               : strikes(s, FAULT_SUCCESS_NO_URL, t->seq, 0) ? OUT_NO_URL
               : strikes(s, FAULT_SUCCESS_BAD_URL, t->seq, 0) ? OUT_BAD_URL
               : OUT_SUCCESS;
    t->early_404 = strikes(s, FAULT_STATUS_EARLY_404, t->seq, 0);
    pick_defect(s, t);
    snprintf(t->body_sha256, sizeof t->body_sha256, "%s", sha);
    t->idempotency_key = idem ? strdup(idem) : NULL;
    t->final_seen = -1;
    s->tasks[s->ntasks++] = t;
    return t;
}

static enum MHD_Result answer_task(struct MHD_Connection *c, struct req_ctx *r, struct task *t)
{
    r->answer_for = t;
    return reply_json(c, r, 200, json_pack("{s:i, s:s, s:{s:s, s:s}}", "code", 200, "message", "success",
                                           "data", "task_id", t->id, "status", "IN_PROGRESS"));
}

enum MHD_Result api_generate(struct MHD_Connection *c, struct req_ctx *r)
{
    struct sim *s = r->sim;
    if (r->too_big)
        return reply_error(c, r, 413, "too_large", "body", "body: must be at most %zu bytes", s->cfg.max_body);
    json_error_t jerr;
    json_t *body = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!body)
        return reply_error(c, r, 400, "invalid_json", "body", "body: not valid JSON (line %d, column %d: %s)",
                           jerr.line, jerr.column, jerr.text);
    struct gen_request req;
    char field[64], message[512];
    if (validate_generate(body, &req, field, sizeof field, message, sizeof message) != 0) {
        json_decref(body);
        return reply_error(c, r, 400, "invalid_request", field, "%s", message);
    }
    long long cost = sim_price(req.mode, req.sound, req.duration);
    char sha[65];
    sha256_hex(r->body ? r->body : "", r->len, sha);
    const char *idem = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");

    pthread_mutex_lock(&s->lock);
    uint64_t n = ++s->submissions;
    struct key_state *k = &s->keys[r->key];
    ledger_settle(s, sim_now()); /* a refund due gives its credits back before the balance check */
    struct task *t = idem && !s->cfg.ignore_idempotency ? find_idempotent(s, r->key, idem) : NULL;
    if (t) {
        int same = strcmp(t->body_sha256, sha) == 0;
        pthread_mutex_unlock(&s->lock);
        json_decref(body);
        if (!same)
            return reply_error(c, r, 409, "idempotency_conflict", "Idempotency-Key",
                               "Idempotency-Key: was already used with a different request body");
        return answer_task(c, r, t);
    }
    if (strikes(s, FAULT_SUBMIT_DROP_BEFORE, n, 0)) {
        pthread_mutex_unlock(&s->lock);
        json_decref(body);
        return drop_connection(r);
    }
    if (strikes(s, FAULT_SUBMIT_ERROR_BEFORE, n, 0)) {
        pthread_mutex_unlock(&s->lock);
        json_decref(body);
        return reply_error(c, r, server_error_code(r, "submit-error"), "server_error", NULL,
                           "the server could not take the request; nothing was charged");
    }
    long long accepted = 0;
    for (size_t i = 0; i < s->cfg.nkeys; i++)
        accepted += s->keys[i].accepted;
    if ((s->cfg.credits_after >= 0 && accepted >= s->cfg.credits_after) || k->balance < cost) {
        long long balance = s->cfg.credits_after >= 0 && accepted >= s->cfg.credits_after ? 0 : k->balance;
        pthread_mutex_unlock(&s->lock);
        json_decref(body);
        return reply_error(c, r, 402, "insufficient_credits", NULL,
                           "insufficient credits: this job costs %lld, the balance is %lld", cost, balance);
    }
    json_t *seed_field = json_object_get(body, "seed");
    long long seed = json_is_integer(seed_field) ? json_integer_value(seed_field) : 0;
    if (seed < 0)
        seed = -seed;
    t = ledger_reserve(s) == 0 ? create_task(s, r->key, &req, sha, idem, cost, seed) : NULL;
    json_decref(body); /* req borrowed its strings until here */
    if (!t) {
        pthread_mutex_unlock(&s->lock);
        return reply_error(c, r, 500, "server_error", NULL, "out of memory");
    }
    ledger_charge(s, t);
    enum fault after = FAULT_COUNT;
    static const enum fault after_billing[] = {FAULT_SUBMIT_ERROR_AFTER, FAULT_SUBMIT_DROP_AFTER,
        FAULT_SUBMIT_MALFORMED, FAULT_SUBMIT_TRUNCATED, FAULT_SUBMIT_NO_TASK_ID};
    if (r->reused && strikes(s, FAULT_REUSE_DROP, r->seq, 0))
        after = FAULT_REUSE_DROP;
    for (size_t i = 0; after == FAULT_COUNT && i < sizeof after_billing / sizeof *after_billing; i++)
        if (strikes(s, after_billing[i], n, 0))
            after = after_billing[i];
    t->fault = after == FAULT_COUNT ? NULL : fault_table[after].name;
    pthread_mutex_unlock(&s->lock);

    switch (after) {
    case FAULT_SUBMIT_ERROR_AFTER:
        return reply_error(c, r, server_error_code(r, "submit-error"), "server_error", NULL,
                           "the server failed while answering");
    case FAULT_SUBMIT_DROP_AFTER:
    case FAULT_REUSE_DROP:
        return drop_connection(r);
    case FAULT_SUBMIT_MALFORMED:
        return reply_raw(c, r, 200, "application/json", "<html><body>upstream answered</body></html>");
    case FAULT_SUBMIT_TRUNCATED:
        return reply_raw(c, r, 200, "application/json", "{\"code\":200,\"message\":\"success\",\"data\":{\"task_");
    case FAULT_SUBMIT_NO_TASK_ID:
        return reply_json(c, r, 200, json_pack("{s:i, s:s, s:{s:s}}", "code", 200, "message", "success",
                                               "data", "status", "IN_PROGRESS"));
    default:
        return answer_task(c, r, t);
    }
}

void api_result_url(struct sim *s, const struct task *t, char *buf, size_t n)
{
    long long expires = (long long)((sim_now() + s->cfg.url_ttl) * 1000.0);
    uint64_t sig = rng_mix(s->url_secret ^ rng_hash_bytes(t->id, strlen(t->id)) ^ (uint64_t)expires);
    snprintf(buf, n, "%s/files/%s.mp4?e=%lld&sig=%016llx", s->base_url, t->id, expires, (unsigned long long)sig);
}

enum MHD_Result api_status(struct MHD_Connection *c, struct req_ctx *r)
{
    struct sim *s = r->sim;
    const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "task_id");
    if (!id || !*id)
        return reply_error(c, r, 400, "invalid_request", "task_id", "task_id: is required");
    if (strikes(s, FAULT_STATUS_ERROR, r->seq, 0))
        return reply_error(c, r, server_error_code(r, "status-error"), "server_error", NULL,
                           "the server could not answer; try again");
    if (strikes(s, FAULT_STATUS_MALFORMED, r->seq, 0))
        return reply_raw(c, r, 200, "application/json", "{\"code\":200,\"data\":{\"status\":\"IN_PR");

    pthread_mutex_lock(&s->lock);
    struct task *t = sim_find_task(s, id);
    double now = sim_now();
    if (!t || t->key != r->key || (t->early_404 && now - t->created < 0.2 * t->render)) {
        pthread_mutex_unlock(&s->lock);
        return reply_error(c, r, 404, "task_not_found", "task_id", "task_id: no task with this id");
    }
    t->polls++;
    ledger_settle(s, now);
    /* consumed_credits: what clients that read the charge from the status expect. */
    json_t *data = json_pack("{s:s, s:s, s:s, s:n, s:n, s:I}", "task_id", t->id, "model", MODEL_NAME,
                             "status", "IN_PROGRESS", "response", "error_message",
                             "consumed_credits", (json_int_t)ledger_charged(t));
    int done = t->outcome != OUT_STUCK && now - t->created >= t->render;
    if (!done) {
        if (strikes(s, FAULT_STATUS_UNKNOWN_WORD, t->seq, 0))
            json_object_set_new(data, "status", json_string("QUEUED"));
    } else {
        if (t->final_seen < 0)
            t->final_seen = now;
        char url[512];
        switch (t->outcome) {
        case OUT_FAILED:
            json_object_set_new(data, "status", json_string("FAILED"));
            json_object_set_new(data, "error_message", json_string("generation failed: the renderer stopped unexpectedly"));
            break;
        case OUT_POLICY:
            json_object_set_new(data, "status", json_string("FAILED"));
            json_object_set_new(data, "error_message", json_string("prompt rejected by content policy"));
            break;
        default:
            api_result_url(s, t, url, sizeof url);
            if (t->outcome == OUT_BAD_URL)
                memcpy(url, "ftp:", 4), memmove(url + 3, url + 4, strlen(url + 4) + 1);
            json_object_set_new(data, "status",
                                json_string(strikes(s, FAULT_STATUS_COMPLETED_WORD, t->seq, 0) ? "COMPLETED" : "SUCCESS"));
            json_object_set_new(data, "response", json_pack("{s:[]}", "resultUrls"));
            if (t->outcome != OUT_NO_URL)
                json_array_append_new(json_object_get(json_object_get(data, "response"), "resultUrls"), json_string(url));
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return reply_json(c, r, 200, json_pack("{s:i, s:s, s:o}", "code", 200, "message", "success", "data", data));
}

enum MHD_Result api_stats(struct MHD_Connection *c, struct req_ctx *r)
{
    struct sim *s = r->sim;
    pthread_mutex_lock(&s->lock);
    ledger_settle(s, sim_now());
    json_t *requests = json_object(), *headers = json_object(), *auth = json_object();
    for (int e = 0; e < EP_COUNT; e++) {
        json_t *codes = json_object(), *names = json_object();
        for (size_t i = 0; i < s->by_status[e].len; i++)
            json_object_set_new(codes, s->by_status[e].items[i].name, json_integer(s->by_status[e].items[i].count));
        for (size_t i = 0; i < s->headers[e].len; i++)
            json_object_set_new(names, s->headers[e].items[i].name, json_integer(s->headers[e].items[i].count));
        json_object_set_new(requests, endpoint_names[e], codes);
        json_object_set_new(headers, endpoint_names[e], names);
        json_object_set_new(auth, endpoint_names[e], json_integer(s->auth_headers[e]));
    }
    json_t *subs = json_array(), *keys = json_object();
    long answered = 0;
    for (size_t i = 0; i < s->ntasks; i++) {
        struct task *t = s->tasks[i];
        answered += t->answered;
        json_array_append_new(subs, json_pack("{s:s, s:s, s:s, s:s?, s:b, s:I, s:I, s:s?, s:s, s:i, s:b}",
            "task_id", t->id, "key", s->keys[t->key].label, "body_sha256", t->body_sha256,
            "idempotency_key", t->idempotency_key, "answered", t->answered, "credits", (json_int_t)t->credits,
            "charged", (json_int_t)ledger_charged(t),
            "fault", t->fault, "mode", t->mode, "duration", t->duration, "sound", t->sound));
    }
    for (size_t i = 0; i < s->cfg.nkeys; i++)
        json_object_set_new(keys, s->keys[i].label, json_pack("{s:I, s:I, s:I}",
            "balance", (json_int_t)s->keys[i].balance, "charged", (json_int_t)s->keys[i].charged,
            "accepted", (json_int_t)s->keys[i].accepted));
    json_t *stats = json_pack("{s:o, s:o, s:o, s:o, s:I, s:I, s:{s:I, s:I, s:o}}",
        "requests", requests, "headers", headers, "authorization_seen", auth, "submissions", subs,
        "accepted", (json_int_t)s->ntasks, "answered", (json_int_t)answered,
        "credits", "charged", (json_int_t)s->charged, "refunded", (json_int_t)s->refunded, "keys", keys);
    pthread_mutex_unlock(&s->lock);
    return reply_json(c, r, 200, stats);
}

/* Gives every task that serves a file its clip, so its sha256 can be told.
 * A clip may need an encode: never under the lock. Task structs never move
 * and their video spec never changes, so a list of them taken under the lock
 * stays valid. */
static void make_clips(struct sim *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = 0;
    struct task **need = malloc((s->ntasks ? s->ntasks : 1) * sizeof *need);
    for (size_t i = 0; need && i < s->ntasks; i++)
        if (!s->tasks[i]->clip && serves_file(s->tasks[i]))
            need[n++] = s->tasks[i];
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n; i++) {
        char err[256];
        const struct clip *clip = video_get(&need[i]->video, err, sizeof err);
        if (!clip)
            break; /* ffmpeg fails: do not try once per task; sha256 stays null */
        pthread_mutex_lock(&s->lock);
        need[i]->clip = clip;
        pthread_mutex_unlock(&s->lock);
    }
    free(need);
}

/* What was asked of a task's clip and what it really is, defect included, so
 * a checker of the files has its ground truth. */
static void add_clip_facts(json_t *o, const struct task *t)
{
    static const char *const aspects[] = {"16:9", "9:16", "1:1"};
    const struct video_spec *v = &t->video;
    json_object_set_new(o, "aspect_ratio", json_string(aspects[v->aspect]));
    json_object_set_new(o, "resolution", v->resolution ? json_sprintf("%dp", v->resolution) : json_null());
    json_object_set_new(o, "shots", json_integer(v->nshots));
    json_object_set_new(o, "defect", t->defect ? json_string(t->defect) : json_null());
    if (!serves_file(t)) {
        json_object_set_new(o, "cuts", json_null());
        json_object_set_new(o, "clip", json_null());
        return;
    }
    struct clip_shape shape;
    render_shape(v, &shape);
    json_t *cuts = json_array();
    for (int i = 0; i < shape.ncuts; i++)
        json_array_append_new(cuts, json_real(shape.cuts[i]));
    json_object_set_new(o, "cuts", cuts);
    json_object_set_new(o, "clip", json_pack("{s:i, s:i, s:i, s:f, s:b}", "width", shape.width, "height",
                                             shape.height, "fps", RENDER_FPS, "duration", shape.seconds,
                                             "audio", shape.audio));
}

enum MHD_Result api_tasks(struct MHD_Connection *c, struct req_ctx *r)
{
    struct sim *s = r->sim;
    make_clips(s);
    pthread_mutex_lock(&s->lock);
    ledger_settle(s, sim_now());
    json_t *list = json_array();
    for (size_t i = 0; i < s->ntasks; i++) {
        struct task *t = s->tasks[i];
        json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:b, s:s, s:f, s:f, s:f, s:o, s:i, s:i, s:s?, s:I, s:s?}",
            "task_id", t->id, "mode", t->mode, "duration", t->duration, "sound", t->sound,
            "outcome", outcome_names[t->outcome], "created", t->created, "render", t->render,
            "ready", t->created + t->render,
            "final_seen", t->final_seen < 0 ? json_null() : json_real(t->final_seen),
            "polls", (int)t->polls, "downloads", (int)t->downloads,
            "idempotency_key", t->idempotency_key, "charged", (json_int_t)ledger_charged(t),
            "sha256", t->clip ? t->clip->sha256 : NULL));
        add_clip_facts(json_array_get(list, i), t);
    }
    json_t *answer = json_pack("{s:f, s:o}", "now", sim_now(), "tasks", list);
    pthread_mutex_unlock(&s->lock);
    return reply_json(c, r, 200, answer);
}
