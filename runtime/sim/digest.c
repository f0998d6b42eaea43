/* digest.c - SHA-256 through OpenSSL's one-shot EVP_Digest. */
#include "digest.h"

#include <openssl/evp.h>
#include <stdio.h>

void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}
