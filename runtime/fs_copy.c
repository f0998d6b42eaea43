/* fs_copy.c - two file operations of hh.fs for the team store: copying a
 * clip whole into a shared directory (or out of it) so that no reader ever
 * sees half a file (with the directory fsync hh.fs's writes share), and
 * reading a credentials file's permission bits. The
 * temporary name is unique to the process, so two workers putting the same
 * clip at once each rename a complete copy over the other. */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs_copy.h"

static int fail(lua_State *L, const char *what, const char *path, int e)
{
    lua_pushnil(L);
    lua_pushfstring(L, "%s %s: %s", what, path, strerror(e));
    return 2;
}

static int copy_fd(int in, int out)
{
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return -1;
            done += w;
        }
    }
}

void fs_sync_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

int fs_l_copy_atomic(lua_State *L)
{
    const char *from = luaL_checkstring(L, 1);
    const char *to = luaL_checkstring(L, 2);
    mode_t mode = (mode_t)luaL_optinteger(L, 3, 0644);
    int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return fail(L, "cannot read", from, errno);
    struct stat st;
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(in);
        return fail(L, "cannot read", from, EINVAL);
    }
    char tmp[4200];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(tmp, sizeof tmp, "%s.%ld.%ld.tmp", to, (long)getpid(), (long)ts.tv_nsec);
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (out < 0) {
        int e = errno;
        close(in);
        return fail(L, "cannot write", tmp, e);
    }
    int bad = copy_fd(in, out) != 0 || fsync(out) != 0;
    int e = errno;
    close(in);
    if (close(out) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (!bad && rename(tmp, to) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(tmp);
        return fail(L, "cannot copy to", to, e);
    }
    fs_sync_parent(to);
    lua_pushboolean(L, 1);
    return 1;
}

int fs_l_mode(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0)
        return fail(L, "cannot read", path, errno);
    lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
    lua_pushinteger(L, (lua_Integer)st.st_uid);
    return 2;
}
