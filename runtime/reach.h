/* reach.h - which hosts have answered in this process, and the line hh
 * prints while one cannot be reached. A host that has never answered is
 * most likely the wrong one: API requests to it get REACH_TRIES attempts,
 * then hh gives up on it and later requests fail at once. A host that has
 * answered keeps the patient retries (a blip mid-run must not fail paid
 * work). One table per process, like the loop. */
#ifndef HH_REACH_H
#define HH_REACH_H

#include <curl/curl.h>
#include <stddef.h>

#define REACH_TRIES 3          /* attempts at a host that never answered */
#define REACH_SAY_EVERY 3.0    /* seconds between two "cannot reach" lines */

/* Did an attempt that ended with `c` (HTTP status `code`, 0 for none) fail
 * before any connection was made: refused, no route, a name that does not
 * resolve, no TLS handshake, no connection in time? */
int reach_connect_failed(CURL *easy, CURLcode c, long code);
/* "cannot reach HOST: why" for such a failure, in the system's words. */
void reach_describe(CURL *easy, CURLcode c, const char *url, double connect_timeout, char *out, size_t len);
/* "host[:port]" of a URL, without any user info: safe to print. */
void reach_host(const char *url, char *host, size_t len);
/* Something other than a failed connection came back from the host. */
void reach_answered(const char *host);
int reach_ever_answered(const char *host);
/* One more failed connection to a host that never answered; returns how
 * many there were. At REACH_TRIES hh gives up on it (`why` says what
 * failed): a run of many jobs learns it after REACH_TRIES in all. */
int reach_failed(const char *host, const char *why);
/* Why hh gave up on the host, or NULL while it still tries. */
const char *reach_given_up(const char *host);
/* Prints one line on stderr unless another was printed in the last
 * REACH_SAY_EVERY seconds (a thousand failing transfers say it once). */
void reach_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
