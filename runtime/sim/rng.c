/* rng.c - splitmix64-based hashing used for every random decision in hh-sim.
 * Not cryptographic: it only has to be well spread and reproducible. */
#include "rng.h"

#include <math.h>
#include <string.h>

uint64_t rng_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t rng_hash_bytes(const void *data, unsigned long len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */
    for (unsigned long i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return rng_mix(h);
}

uint64_t rng_draw(uint64_t seed, const char *label, uint64_t n, uint64_t k)
{
    uint64_t h = rng_mix(seed ^ rng_hash_bytes(label, strlen(label)));
    h = rng_mix(h ^ n);
    return rng_mix(h ^ (k * 0x632be59bd9b4e019ULL));
}

double rng_unit(uint64_t draw)
{
    return (double)(draw >> 11) * (1.0 / 9007199254740992.0);
}

double rng_normal(uint64_t a, uint64_t b)
{
    double u1 = rng_unit(a), u2 = rng_unit(b);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
