/* rng.h - deterministic pseudo-random draws for hh-sim.
 * Every decision the sim makes at random is a pure function of the seed, a
 * label naming the decision, and a counter (task number, request number), so
 * the same requests in the same order under one --seed meet the same faults;
 * concurrent clients may change which request gets which number. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

uint64_t rng_mix(uint64_t x);
uint64_t rng_hash_bytes(const void *data, unsigned long len);
/* A 64-bit draw for decision `label` about entity `n`, then `k`. */
uint64_t rng_draw(uint64_t seed, const char *label, uint64_t n, uint64_t k);
/* Uniform in [0, 1). */
double rng_unit(uint64_t draw);
/* Standard normal from two independent draws (Box-Muller). */
double rng_normal(uint64_t a, uint64_t b);

#endif
