/* api.h - handlers of the HappyHorse endpoints and the sim-only ones. */
#ifndef SIM_API_H
#define SIM_API_H

#include "http.h"

enum MHD_Result api_generate(struct MHD_Connection *c, struct req_ctx *r);
enum MHD_Result api_status(struct MHD_Connection *c, struct req_ctx *r);
enum MHD_Result api_download(struct MHD_Connection *c, struct req_ctx *r, const char *url, const char *method);
enum MHD_Result api_stats(struct MHD_Connection *c, struct req_ctx *r);
enum MHD_Result api_tasks(struct MHD_Connection *c, struct req_ctx *r);
/* The signed, expiring URL of a task's clip. */
void api_result_url(struct sim *s, const struct task *t, char *buf, size_t n);

#endif
