/* bind_fs.c - the native module "hh.fs": the few file-system operations the
 * Lua library needs that plain Lua lacks, written so a name built from a
 * recipe cannot leave its run directory: every component below the root is
 * opened with O_NOFOLLOW, so a symlink planted in the run directory is
 * refused rather than followed; and a file a recipe names is read only if
 * it is a regular file of bounded size, below a root when one is given. */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "fs_copy.h"

static int push_error(lua_State *L, const char *fmt, const char *a, const char *b)
{
    lua_pushnil(L);
    lua_pushfstring(L, fmt, a, b);
    return 2;
}

/* fs.mkdirs(path): mkdir -p; true, or nil and a message. */
static int l_mkdirs(lua_State *L)
{
    size_t len;
    const char *path = luaL_checklstring(L, 1, &len);
    char buf[4096];
    if (len == 0 || len >= sizeof buf)
        return push_error(L, "%s: %s", path, "bad directory name");
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return push_error(L, "cannot create %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return push_error(L, "cannot create %s: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return push_error(L, "%s: %s", buf, "not a directory");
    lua_pushboolean(L, 1);
    return 1;
}

/* fs.beneath(root, rel): creates the directories of rel below root, none of
 * them a symlink, and refuses a final name that is a symlink; returns
 * root/rel, or nil and a message. */
static int l_beneath(lua_State *L)
{
    const char *root = luaL_checkstring(L, 1);
    size_t len;
    const char *rel = luaL_checklstring(L, 2, &len);
    char buf[4096];
    if (rel[0] == '/' || len == 0 || len >= sizeof buf)
        return push_error(L, "%s: %s", rel, "must be a relative path");
    int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return push_error(L, "cannot open %s: %s", root, strerror(errno));
    memcpy(buf, rel, len + 1);
    char *part = buf, *slash;
    while ((slash = strchr(part, '/'))) {
        *slash = '\0';
        if (!*part || strcmp(part, ".") == 0 || strcmp(part, "..") == 0) {
            close(dir);
            return push_error(L, "%s: %s", rel, "has an empty, '.' or '..' part");
        }
        if (mkdirat(dir, part, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            close(dir);
            return push_error(L, "cannot create a directory for %s: %s", rel, strerror(e));
        }
        int next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(dir);
        if (next < 0)
            return push_error(L, "%s: %s", rel, e == ELOOP || e == ENOTDIR
                              ? "a directory on the way is a symlink or not a directory" : strerror(e));
        dir = next;
        part = slash + 1;
    }
    if (!*part || strcmp(part, ".") == 0 || strcmp(part, "..") == 0) {
        close(dir);
        return push_error(L, "%s: %s", rel, "must end in a file name");
    }
    struct stat st;
    for (int i = 0; i < 2; i++) {
        /* neither the file nor its .part may be a symlink */
        char name[4200];
        snprintf(name, sizeof name, i ? "%s.part" : "%s", part);
        if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            close(dir);
            return push_error(L, "%s: %s", rel, "is a symlink");
        }
    }
    close(dir);
    lua_pushfstring(L, "%s/%s", root, rel);
    return 1;
}

/* fs.exists(path) -> size or nil */
static int l_size(lua_State *L)
{
    struct stat st;
    if (stat(luaL_checkstring(L, 1), &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    lua_pushinteger(L, (lua_Integer)st.st_size);
    return 1;
}

/* fs.write_atomic(path, text): temp file, fsync, rename, fsync the directory. */
static int l_write_atomic(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return push_error(L, "cannot write %s: %s", tmp, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return push_error(L, "cannot write %s: %s", tmp, strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return push_error(L, "cannot save %s: %s", path, strerror(e));
    }
    fs_sync_parent(path);
    lua_pushboolean(L, 1);
    return 1;
}

/* fs.lock(path): an exclusive lock on path (created) held until the lock
 * object is closed or collected, or the process ends; its pid is written in.
 * nil, holder's pid (may be nil), message when another process holds it. */
#define LOCK_META "hh.fs.lock"

static int l_lock(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int *fdp = lua_newuserdatauv(L, sizeof *fdp, 0);
    *fdp = -1;
    luaL_setmetatable(L, LOCK_META);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        lua_pushnil(L);
        lua_pushnil(L);
        lua_pushfstring(L, "cannot open %s: %s", path, strerror(errno));
        return 3;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {0};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        close(fd);
        lua_pushnil(L);
        if (n > 0 && atol(buf) > 0)
            lua_pushinteger(L, atol(buf));
        else
            lua_pushnil(L);
        lua_pushfstring(L, "%s is locked by another process", path);
        return 3;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        /* The lock holds even if the pid could not be written. */
    }
    *fdp = fd;
    return 1;
}

static int l_unlock(lua_State *L)
{
    int *fdp = luaL_checkudata(L, 1, LOCK_META);
    if (*fdp >= 0) {
        close(*fdp);
        *fdp = -1;
    }
    return 0;
}

/* fs.sha256_file(path) -> hex digest, or nil and a message. */
static int l_sha256_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return push_error(L, "cannot read %s: %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    unsigned char buf[65536];
    ssize_t n;
    while (ok && (n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ok = 0;
            break;
        }
        ok = EVP_DigestUpdate(ctx, buf, (size_t)n);
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    close(fd);
    if (!ok)
        return push_error(L, "cannot hash %s: %s", path, "read error");
    char hex[65];
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    lua_pushlstring(L, hex, 64);
    return 1;
}

/* fs.list(dir) -> names (no . or ..), or nil and a message. */
#include <dirent.h>
static int l_list(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    DIR *d = opendir(path);
    if (!d)
        return push_error(L, "cannot list %s: %s", path, strerror(errno));
    lua_newtable(L);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            lua_pushstring(L, e->d_name);
            lua_rawseti(L, -2, ++n);
        }
    closedir(d);
    return 1;
}

/* fs.remove(path): unlink a file; true or nil, message. */
static int l_remove(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    if (unlink(path) != 0 && errno != ENOENT)
        return push_error(L, "cannot remove %s: %s", path, strerror(errno));
    lua_pushboolean(L, 1);
    return 1;
}

/* fs.isatty(fd) -> boolean (1: stdout, 2: stderr) */
static int l_isatty(lua_State *L)
{
    lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
    return 1;
}

/* fs.read(path) -> the whole file, or nil and "PATH: reason" (as io.open says it). */
static int l_read(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    FILE *f = fopen(path, "rb");
    if (!f)
        return push_error(L, "%s: %s", path, strerror(errno));
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t n;
    do {
        char *p = luaL_prepbuffer(&b);
        n = fread(p, 1, LUAL_BUFFERSIZE, f);
        luaL_addsize(&b, n);
    } while (n == LUAL_BUFFERSIZE);
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return push_error(L, "%s: %s", path, "read error");
    luaL_pushresult(&b);
    return 1;
}

/* What lstat says a path is, as messages name it. */
static const char *kind_name(mode_t mode)
{
    if (S_ISREG(mode))
        return "file";
    if (S_ISDIR(mode))
        return "directory";
    if (S_ISLNK(mode))
        return "symbolic link";
    if (S_ISFIFO(mode))
        return "FIFO";
    if (S_ISSOCK(mode))
        return "socket";
    if (S_ISCHR(mode))
        return "character device";
    if (S_ISBLK(mode))
        return "block device";
    return "special file";
}

/* fs.kind(path) -> "file", "directory", "symbolic link", "FIFO", ... (the
 * path itself, not what a link points to), or nil and a message. */
static int l_kind(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (lstat(path, &st) != 0)
        return push_error(L, "%s: %s", path, strerror(errno));
    lua_pushstring(L, kind_name(st.st_mode));
    return 1;
}

/* fs.realpath(path) -> the absolute path without symbolic links, '.' or
 * '..', or nil and a message. */
static int l_realpath(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char *real = realpath(path, NULL);
    if (!real)
        return push_error(L, "%s: %s", path, strerror(errno));
    lua_pushstring(L, real);
    free(real);
    return 1;
}

static int refuse(lua_State *L, const char *why, const char *fmt, const char *a)
{
    lua_pushnil(L);
    lua_pushfstring(L, fmt, a);
    lua_pushstring(L, why);
    return 3;
}

/* Is `path` (absolute, without links) `root` or below it? */
static int below(const char *path, const char *root)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (n == 1 && root[0] == '/')
        return 1;
    return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* fs.read_regular(path, max_bytes [, root]) -> text, or nil, reason, why
 * A file read only if it is a regular file of at most max_bytes: a FIFO, a
 * device or a directory is refused before it is read (opened with
 * O_NONBLOCK, a FIFO cannot block; a device is never opened). With root
 * (an absolute path without links), the file must also really be below it,
 * every symbolic link resolved; the last name is then opened with
 * O_NOFOLLOW, so a link swapped in after the check is not followed.
 * why is "outside" (reason: where the file really is), "kind", "size" or
 * "io"; the reason never names the path. */
static int l_read_regular(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer max = luaL_checkinteger(L, 2);
    const char *root = luaL_optstring(L, 3, NULL);
    const char *target = path;
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    if (root) {
        char *real = realpath(path, NULL);
        if (!real)
            return refuse(L, "io", "%s", strerror(errno));
        lua_pushstring(L, real);                       /* path max root real */
        free(real);
        target = lua_tostring(L, -1);
        if (!below(target, root))
            return refuse(L, "outside", "%s", target);
        flags |= O_NOFOLLOW;
    }
    struct stat st;
    if (stat(target, &st) != 0)
        return refuse(L, "io", "%s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return refuse(L, "kind", "must be a regular file (this is a %s)", kind_name(st.st_mode));
    char limit[32];
    snprintf(limit, sizeof limit, "%lld", (long long)max);
    if ((long long)st.st_size > (long long)max)
        return refuse(L, "size", "the file is larger than %s bytes", limit);
    int fd = open(target, flags);
    if (fd < 0)
        return refuse(L, errno == ELOOP ? "outside" : "io", "%s", errno == ELOOP ? target : strerror(errno));
    struct stat now;
    if (fstat(fd, &now) != 0 || !S_ISREG(now.st_mode) || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
        close(fd);
        return refuse(L, "io", "%s", "the file changed while it was opened");
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    long long total = 0;
    for (;;) {
        char *p = luaL_prepbuffer(&b);
        ssize_t n = read(fd, p, LUAL_BUFFERSIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return refuse(L, "io", "%s", strerror(e));
        }
        if (n == 0)
            break;
        luaL_addsize(&b, (size_t)n);
        total += n;
        if (total > (long long)max) {             /* it grew while being read */
            close(fd);
            return refuse(L, "size", "the file is larger than %s bytes", limit);
        }
    }
    close(fd);
    luaL_pushresult(&b);
    return 1;
}

/* fs.link(from, to): makes `to` a hard link to the regular file `from`;
 * true, or nil, a message and why: "exists" (`to` names another file),
 * "unsupported" (the file system refuses hard links there: copy instead)
 * or "io". A `from` that is a symbolic link is refused, not followed; a
 * `to` that already names the same file is left as it is. */
static int link_refused(lua_State *L, const char *why, const char *path, const char *reason)
{
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, reason);
    lua_pushstring(L, why);
    return 3;
}

static int l_link(lua_State *L)
{
    const char *from = luaL_checkstring(L, 1);
    const char *to = luaL_checkstring(L, 2);
    struct stat st, now;
    if (lstat(from, &st) != 0)
        return link_refused(L, "io", from, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return link_refused(L, "io", from, S_ISLNK(st.st_mode) ? "is a symlink" : "not a regular file");
    if (lstat(to, &now) == 0) {
        if (S_ISREG(now.st_mode) && now.st_ino == st.st_ino && now.st_dev == st.st_dev) {
            lua_pushboolean(L, 1);
            return 1;
        }
        return link_refused(L, "exists", to, "exists");
    }
    /* Without AT_SYMLINK_FOLLOW, a `from` swapped for a symbolic link after
     * the lstat is linked as the link itself, which the check below sees. */
    if (linkat(AT_FDCWD, from, AT_FDCWD, to, 0) != 0) {
        int e = errno;
        int unsupported = e == EXDEV || e == EPERM || e == EMLINK || e == ENOTSUP || e == EOPNOTSUPP;
        return link_refused(L, e == EEXIST ? "exists" : unsupported ? "unsupported" : "io", to, strerror(e));
    }
    if (lstat(to, &now) != 0 || !S_ISREG(now.st_mode) || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
        unlink(to);
        return link_refused(L, "io", from, "the file changed while it was linked");
    }
    lua_pushboolean(L, 1);
    return 1;
}

static const luaL_Reg fs_functions[] = {
    {"read", l_read},
    {"read_regular", l_read_regular},
    {"kind", l_kind},
    {"realpath", l_realpath},
    {"isatty", l_isatty},
    {"lock", l_lock},
    {"sha256_file", l_sha256_file},
    {"list", l_list},
    {"link", l_link},
    {"remove", l_remove},
    {"mkdirs", l_mkdirs},
    {"beneath", l_beneath},
    {"size", l_size},
    {"write_atomic", l_write_atomic},
    {"copy_atomic", fs_l_copy_atomic},
    {"mode", fs_l_mode},
    {NULL, NULL},
};

int luaopen_hh_fs(lua_State *L)
{
    if (luaL_newmetatable(L, LOCK_META)) {
        lua_pushcfunction(L, l_unlock);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_unlock);
        lua_setfield(L, -2, "__close");
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, l_unlock);
        lua_setfield(L, -2, "release");
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_newlib(L, fs_functions);
    return 1;
}
