/* bind_host.c - the native module "hh.host": the rules a base URL must
 * follow (checked once, where it is given), whether hh may talk to a URL,
 * and whether hh gave up on a host that never answered (see reach.h).
 * Messages say what is wrong without the origin: the caller names it
 * (HH_BASE_URL, --base-url, HH_SETTINGS, hh.config). */
#include <curl/curl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bind.h"
#include "loop.h"
#include "reach.h"
#include "xfer.h"

#define EXPECTED "(expected https://HOST[:PORT])"

/* The URL as it may be shown: any user info replaced by ***. */
static void shown(const char *url, char *out, size_t len)
{
    const char *p = strstr(url, "://");
    const char *auth = p ? p + 3 : url;
    size_t n = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *q = auth; q < auth + n; q++)
        if (*q == '@')
            at = q;
    if (at)
        snprintf(out, len, "%.*s***%s", (int)(auth - url), url, at);
    else
        snprintf(out, len, "%s", url);
}

/* NULL when `url` is a base URL hh can use, else what is wrong with it. */
static const char *base_url_problem(const char *url, char *msg, size_t len)
{
    char show[600];
    shown(url, show, sizeof show);
    const char *sep = strstr(url, "://");
    size_t scheme_len = sep ? (size_t)(sep - url) : 0;
    if (!sep || scheme_len == 0 || strcspn(url, ":/?#") != scheme_len) {
        snprintf(msg, len, "\"%s\" is not a URL " EXPECTED, show);
        return msg;
    }
    if (!((scheme_len == 5 && strncasecmp(url, "https", 5) == 0) ||
          (scheme_len == 4 && strncasecmp(url, "http", 4) == 0))) {
        snprintf(msg, len, "\"%s\": unknown scheme \"%.*s\" " EXPECTED, show, (int)scheme_len, url);
        return msg;
    }
    CURLU *u = curl_url();
    if (!u) {
        snprintf(msg, len, "out of memory");
        return msg;
    }
    char *part = NULL;
    const char *problem = NULL;
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (rc == CURLUE_NO_HOST || (rc == CURLUE_OK && (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK ||
                                                      !part || !*part))) {
        snprintf(msg, len, "\"%s\": no host " EXPECTED, show);
        problem = msg;
    } else if (rc != CURLUE_OK) {
        snprintf(msg, len, "\"%s\" is not a URL " EXPECTED, show);
        problem = msg;
    } else if (strchr(url, '?') || strchr(url, '#')) {
        snprintf(msg, len, "\"%s\": no query or fragment allowed (expected https://HOST[:PORT][/PATH])", show);
        problem = msg;
    } else if (strcspn(sep + 3, "@/") < strlen(sep + 3) && sep[3 + strcspn(sep + 3, "@/")] == '@') {
        snprintf(msg, len, "\"%s\": no user or password allowed; the key goes in HH_API_KEY " EXPECTED, show);
        problem = msg;
    }
    curl_free(part);
    curl_url_cleanup(u);
    return problem;
}

/* host.check_base_url(url) -> nil | what is wrong */
static int l_check_base_url(lua_State *L)
{
    char msg[1400];
    const char *problem = base_url_problem(luaL_checkstring(L, 1), msg, sizeof msg);
    if (!problem)
        return 0;
    lua_pushstring(L, problem);
    return 1;
}

/* host.allowed(url) -> nil | why hh may not talk to it (https, or http to
 * loopback unless allow_http: the rule every transfer follows) */
static int l_allowed(lua_State *L)
{
    struct loop *lp = lua_touserdata(L, lua_upvalueindex(1));
    char err[512];
    if (xfer_url_allowed(luaL_checkstring(L, 1), lp->cfg.allow_http, err, sizeof err) == 0)
        return 0;
    lua_pushstring(L, err);
    return 1;
}

/* host.unreachable(url) -> why hh gave up on its host | nil */
static int l_unreachable(lua_State *L)
{
    char host[256];
    reach_host(luaL_checkstring(L, 1), host, sizeof host);
    const char *why = reach_given_up(host);
    if (!why)
        return 0;
    lua_pushstring(L, why);
    return 1;
}

static const luaL_Reg host_functions[] = {
    {"check_base_url", l_check_base_url},
    {"allowed", l_allowed},
    {"unreachable", l_unreachable},
    {NULL, NULL},
};

int luaopen_hh_host(lua_State *L)
{
    struct loop *lp = lua_touserdata(L, lua_upvalueindex(1));
    luaL_newlibtable(L, host_functions);
    lua_pushlightuserdata(L, lp);
    luaL_setfuncs(L, host_functions, 1);
    return 1;
}
