/* video.c - makes and caches the MP4 clips behind result URLs.
 * Relies on the ffmpeg program (the filter graph render.c writes, libx264,
 * the native AAC encoder). Encodes run outside any lock; at most two at once,
 * since the sim shares a two-core machine with the client under test. */
#include "video.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "digest.h"
#include "render.h"
#include "rng.h"

extern char **environ;

#define MAX_ENCODES 2

struct entry {
    char key[256];
    int state;               /* 0 being made, 1 ready */
    struct clip clip;
    struct entry *next;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_changed = PTHREAD_COND_INITIALIZER;
static struct entry *entries;
static int encodes_running;
static char *cache_dir;

static const char *const aspect_names[] = {"16x9", "9x16", "1x1"};

/* mkdir -p: each missing parent in turn. */
static void make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    mkdir(path, 0700);
}

void video_init(const char *dir)
{
    free(cache_dir);
    cache_dir = dir ? strdup(dir) : NULL;
    if (cache_dir)
        make_dirs(cache_dir);
}

int video_look(const char *prompt, int palette)
{
    if (palette < 1)
        palette = 1;
    return (int)(rng_hash_bytes(prompt, strlen(prompt)) % (unsigned)palette);
}

/* Everything that changes a clip's bytes is in its name. */
static void spec_key(const struct video_spec *spec, char *buf, size_t n)
{
    static const char *const defect_tags[CLIP_DEFECT_COUNT] = {"", "_black", "_frozen", "_silent", "_short",
                                                               "_aspect", "_merged"};
    size_t used = (size_t)snprintf(buf, n, "v2_%s_r%d_a%d%s", aspect_names[spec->aspect], spec->resolution,
                                   spec->sound, defect_tags[spec->defect]);
    if (spec->defect == CLIP_MERGED_SHOTS && used < n)
        used += (size_t)snprintf(buf + used, n - used, "%d", spec->merged);
    for (int i = 0; i < spec->nshots && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "_l%dx%d", spec->shots[i].look, spec->shots[i].seconds);
}

static int run_ffmpeg(const struct video_spec *spec, const char *out, char *err, size_t errlen)
{
    char filter[8192];
    if (render_filter(spec, filter, sizeof filter) != 0) {
        snprintf(err, errlen, "the clip's filter graph is too long");
        return -1;
    }
    const char *argv[32];
    int a = 0;
    argv[a++] = "ffmpeg";
    argv[a++] = "-nostdin";
    argv[a++] = "-v";
    argv[a++] = "error";
    argv[a++] = "-y";
    argv[a++] = "-filter_complex";
    argv[a++] = filter;
    argv[a++] = "-map";
    argv[a++] = "[v]";
    if (spec->sound) {
        argv[a++] = "-map";
        argv[a++] = "[a]";
        argv[a++] = "-c:a";
        argv[a++] = "aac";
        argv[a++] = "-b:a";
        argv[a++] = "48k";
    }
    argv[a++] = "-c:v";
    argv[a++] = "libx264";
    argv[a++] = "-preset";
    argv[a++] = "ultrafast";
    argv[a++] = "-threads";
    argv[a++] = "1";
    argv[a++] = "-movflags";
    argv[a++] = "+faststart";
    argv[a++] = "-f";
    argv[a++] = "mp4";
    argv[a++] = out;
    argv[a] = NULL;

    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    int rc = posix_spawnp(&pid, "ffmpeg", &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run ffmpeg: %s", strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "waitpid: %s", strerror(errno));
            return -1;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "ffmpeg failed making a clip (status %d)", status);
        return -1;
    }
    return 0;
}

static int read_file(const char *path, struct clip *clip)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size <= 0) {
        fclose(f);
        return -1;
    }
    clip->len = (size_t)st.st_size;
    clip->data = malloc(clip->len);
    int ok = clip->data && fread(clip->data, 1, clip->len, f) == clip->len;
    fclose(f);
    if (!ok) {
        free(clip->data);
        clip->data = NULL;
        return -1;
    }
    return 0;
}

/* Makes the clip, outside the lock; the file lands under its final name only
 * once complete, so a cache shared by several sims never serves half a clip. */
static int make_clip(const struct video_spec *spec, const char *key, struct clip *clip, char *err, size_t errlen)
{
    char path[1024], tmp[1100];
    const char *dir = cache_dir ? cache_dir : "/tmp";
    snprintf(path, sizeof path, "%s/%s.mp4", dir, key);
    if (cache_dir && read_file(path, clip) == 0)
        return 0;
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.part", dir, key, (long)getpid());
    int rc = run_ffmpeg(spec, tmp, err, errlen);
    if (rc == 0 && read_file(tmp, clip) != 0) {
        snprintf(err, errlen, "cannot read the clip ffmpeg made");
        rc = -1;
    }
    if (rc == 0 && cache_dir)
        rename(tmp, path);
    else
        unlink(tmp);
    return rc;
}

const struct clip *video_get(const struct video_spec *spec, char *err, size_t errlen)
{
    char key[256];
    spec_key(spec, key, sizeof key);
    pthread_mutex_lock(&cache_lock);
    struct entry *e;
    for (;;) {
        for (e = entries; e; e = e->next)
            if (strcmp(e->key, key) == 0)
                break;
        if (e && e->state == 0) {
            pthread_cond_wait(&cache_changed, &cache_lock);
            continue;
        }
        if (e || encodes_running < MAX_ENCODES)
            break;
        pthread_cond_wait(&cache_changed, &cache_lock);
    }
    if (e) {
        pthread_mutex_unlock(&cache_lock);
        return &e->clip;
    }
    e = calloc(1, sizeof *e);
    if (!e) {
        pthread_mutex_unlock(&cache_lock);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(e->key, sizeof e->key, "%s", key);
    e->next = entries;
    entries = e;
    encodes_running++;
    pthread_mutex_unlock(&cache_lock);

    struct clip clip = {0};
    int rc = make_clip(spec, key, &clip, err, errlen);
    if (rc == 0)
        sha256_hex(clip.data, clip.len, clip.sha256);

    pthread_mutex_lock(&cache_lock);
    encodes_running--;
    if (rc == 0) {
        e->clip = clip;
        e->state = 1;
    } else {
        /* Forget the failure: the next request for this clip tries again. */
        struct entry **p = &entries;
        while (*p != e)
            p = &(*p)->next;
        *p = e->next;
        free(e);
        e = NULL;
    }
    pthread_cond_broadcast(&cache_changed);
    pthread_mutex_unlock(&cache_lock);
    return e ? &e->clip : NULL;
}

void video_shutdown(void)
{
    pthread_mutex_lock(&cache_lock);
    while (entries) {
        struct entry *next = entries->next;
        free(entries->clip.data);
        free(entries);
        entries = next;
    }
    pthread_mutex_unlock(&cache_lock);
    free(cache_dir);
    cache_dir = NULL;
}
