/* digest.h - SHA-256 as lower-case hex, for request bodies and served clips. */
#ifndef SIM_DIGEST_H
#define SIM_DIGEST_H

#include <stddef.h>

void sha256_hex(const void *data, size_t len, char out[65]);

#endif
