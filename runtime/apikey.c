/* apikey.c - where the API key comes from: HH_API_KEY, else the first key
 * line of $XDG_CONFIG_HOME/hh/credentials (~/.config/hh/credentials), which
 * must be a regular file only its owner can read. The key is never printed;
 * stack copies of it are wiped. */
#include "apikey.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static char *read_credentials(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return NULL;
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        snprintf(err, errlen, "%s must be a file only you can read (chmod 600 %s)", path, path);
        return NULL;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char line[1024], *key = NULL;
    while (!key && fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq)
            s = trim(eq + 1);
        if (*s)
            key = strdup(s);
    }
    memset(line, 0, sizeof line);
    fclose(f);
    if (!key)
        snprintf(err, errlen, "%s holds no key", path);
    return key;
}

char *apikey_load(char *err, size_t errlen)
{
    const char *env = getenv("HH_API_KEY");
    if (env && *env)
        return strdup(env);
    char path[1024];
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(path, sizeof path, "%s/hh/credentials", xdg);
    else
        snprintf(path, sizeof path, "%s/.config/hh/credentials", home ? home : "");
    err[0] = '\0';
    char *key = read_credentials(path, err, errlen);
    if (!key && !err[0])
        snprintf(err, errlen, "no API key: set HH_API_KEY or write the key to %s (mode 0600)", path);
    return key;
}
