/* download.c - the download side of a transfer: the body streamed to
 * PATH.part from the write callback (with the size cap libcurl 7.88 does not
 * enforce), resumed with Range, and when the attempt ends a decision: follow
 * a redirect (checked by hand), keep a whole file (length and video header
 * checked, fsync, rename, fsync of the directory), start again, or give up. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xfer.h"

static size_t write_file(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200 && code != 206) {
        /* An error page: keep a little of it for the message, not the file. */
        if (x->answer_len < 512)
            xfer_keep_answer(data, size, n < 512 ? n : 512, x);
        x->write_failed = WRITE_OK;
        return len;
    }
    if (x->received == 0) {
        if (code == 200 && x->offset > 0) {
            /* Range ignored: start the file again from the first byte. */
            if (ftruncate(x->fd, 0) != 0) {
                x->write_failed = WRITE_IO;
                return 0;
            }
            x->offset = 0;
        } else if (code == 206 && x->range_start != (int64_t)x->offset) {
            x->write_failed = WRITE_RANGE_MISMATCH;
            return 0;
        }
    }
    if ((long long)(x->offset + x->received + len) > x->env->cfg->max_download) {
        x->write_failed = WRITE_TOO_LARGE;
        return 0;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t w = pwrite(x->fd, data + done, len - done, (off_t)(x->offset + x->received + done));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            x->write_failed = WRITE_IO;
            snprintf(x->error, sizeof x->error, "cannot write %.160s.part: %s", x->path, strerror(errno));
            return 0;
        }
        done += (size_t)w;
    }
    x->received += len;
    return len;
}

int download_prepare(struct xfer *x)
{
    CURL *e = x->easy;
    const struct loop_config *cfg = x->env->cfg;
    if (x->fd < 0) {
        char part[4200];
        snprintf(part, sizeof part, "%s.part", x->path);
        /* O_NOFOLLOW here, where it is opened: a check made earlier (hh.fs.beneath)
         * could be raced by a link planted in between. O_NONBLOCK: a FIFO
         * planted there must not block the loop; it is refused below. */
        x->fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
        if (x->fd < 0) {
            snprintf(x->error, sizeof x->error, "cannot create %.160s: %s", part,
                     errno == ELOOP ? "it is a symbolic link" : strerror(errno));
            return -1;
        }
        struct stat st;
        if (fstat(x->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            snprintf(x->error, sizeof x->error, "cannot create %.160s: it is not a regular file", part);
            close(x->fd);
            x->fd = -1;
            return -1;
        }
        x->offset = (uint64_t)st.st_size;
    }
    if (x->offset > 0) {
        char range[40];
        snprintf(range, sizeof range, "%llu-", (unsigned long long)x->offset);
        curl_easy_setopt(e, CURLOPT_RANGE, range);
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_file);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    long stall = (long)(cfg->stall_timeout + 0.999);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, stall < 1 ? 1L : stall);
    return 0;
}

/* The first bytes of an MP4 (ISO base media) file name a known box. */
static int looks_like_video(int fd, uint64_t size)
{
    unsigned char head[12];
    if (size < 12 || pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head)
        return 0;
    static const char *const boxes[] = {"ftyp", "moov", "mdat", "free", "skip", "wide", "styp"};
    for (size_t i = 0; i < sizeof boxes / sizeof *boxes; i++)
        if (memcmp(head + 4, boxes[i], 4) == 0)
            return 1;
    /* WebM / Matroska */
    return head[0] == 0x1a && head[1] == 0x45 && head[2] == 0xdf && head[3] == 0xa3;
}

static int sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* The file is whole: make it durable under its final name. */
static double commit_file(struct xfer *x)
{
    char part[4200];
    snprintf(part, sizeof part, "%s.part", x->path);
    if (fsync(x->fd) != 0 || close(x->fd) != 0) {
        x->fd = -1;
        snprintf(x->error, sizeof x->error, "cannot save %.160s: %s", part, strerror(errno));
        return xfer_final(x, XR_FAILED);
    }
    x->fd = -1;
    if (rename(part, x->path) != 0 || sync_dir_of(x->path) != 0) {
        snprintf(x->error, sizeof x->error, "cannot rename %.160s: %s", part, strerror(errno));
        return xfer_final(x, XR_FAILED);
    }
    return xfer_final(x, XR_ANSWERED);
}

static void restart_file(struct xfer *x)
{
    if (ftruncate(x->fd, 0) == 0)
        x->offset = 0;
}

double download_finished(struct xfer *x, CURLcode c)
{
    struct xfer_env *lp = x->env;
    if (x->write_failed == WRITE_TOO_LARGE) {
        snprintf(x->error, sizeof x->error, "the file is larger than the %lld-byte limit", lp->cfg->max_download);
        restart_file(x);
        return xfer_final(x, XR_TOO_LARGE);
    }
    if (x->write_failed == WRITE_IO)
        return xfer_final(x, XR_FAILED);
    if (x->write_failed == WRITE_RANGE_MISMATCH) {
        snprintf(x->error, sizeof x->error, "the server answered a different byte range than asked");
        restart_file(x);
        return xfer_again(x, XR_FAILED, 0);
    }
    x->offset += x->received;
    if (c == CURLE_OK && x->code >= 300 && x->code < 400) {
        char *location = NULL;
        curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &location);
        char why[256];
        if (!location) {
            snprintf(x->error, sizeof x->error, "HTTP %ld redirect without a Location", x->code);
            return xfer_final(x, XR_FAILED);
        }
        if (++x->redirects > 5) {
            snprintf(x->error, sizeof x->error, "too many redirects (more than 5)");
            return xfer_final(x, XR_FAILED);
        }
        if (xfer_url_allowed(location, lp->cfg->allow_http, why, sizeof why) != 0) {
            snprintf(x->error, sizeof x->error, "redirect refused: %.200s", why);
            return xfer_final(x, XR_REFUSED);
        }
        char *next = strdup(location);
        if (!next)
            return xfer_final(x, XR_FAILED);
        free(x->url);
        x->url = next;
        x->attempts--; /* following a redirect is not a retry */
        return 0;
    }
    if (c == CURLE_OK && x->code == 416 && x->offset > 0) {
        /* Asked for the rest of a .part that was already whole (hh stopped
         * before renaming it): keep it if it has the full length. */
        if (x->total >= 0 && (uint64_t)x->total == x->offset && looks_like_video(x->fd, x->offset))
            return commit_file(x);
        snprintf(x->error, sizeof x->error, "the partial file does not match the server's; starting again");
        restart_file(x);
        return xfer_again(x, XR_FAILED, 0);
    }
    if (c == CURLE_OK && (x->code == 200 || x->code == 206)) {
        if (x->total < 0) {
            curl_off_t cl = -1;
            curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
            if (cl >= 0)
                x->total = (int64_t)x->offset - (int64_t)x->received + cl;
        }
        if (x->total >= 0 && x->offset < (uint64_t)x->total) {
            snprintf(x->error, sizeof x->error, "the download ended early");
            return xfer_again(x, XR_FAILED, 0);
        }
        if (!looks_like_video(x->fd, x->offset)) {
            snprintf(x->error, sizeof x->error, "the downloaded file is not a video (bad header)");
            restart_file(x);
            return ++x->bad_files > 2 ? xfer_final(x, XR_BAD_FILE) : xfer_again(x, XR_BAD_FILE, 0);
        }
        return commit_file(x);
    }
    if (c == CURLE_OK) {
        snprintf(x->error, sizeof x->error, "the download host answered HTTP %ld", x->code);
        if (xfer_transient_http(x->code))
            return xfer_again(x, XR_ANSWERED, 0);
        return xfer_final(x, XR_ANSWERED);
    }
    xfer_describe_curl(x, c);
    if (!xfer_transient_curl(c))
        return xfer_final(x, XR_FAILED);
    return xfer_again(x, XR_FAILED, c == CURLE_OPERATION_TIMEDOUT);
}

