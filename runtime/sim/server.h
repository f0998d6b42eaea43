/* server.h - the libmicrohttpd daemon behind hh-sim. */
#ifndef SIM_SERVER_H
#define SIM_SERVER_H

#include "sim.h"

struct MHD_Daemon;

/* Starts listening; fills s->base_url. NULL with a message in err on failure. */
struct MHD_Daemon *server_start(struct sim *s, char *err, size_t errlen);
void server_stop(struct MHD_Daemon *d);

#endif
