/*
 * The core's non-cryptographic generator (xoshiro256**), for choices
 * among equal candidates: wakeup order, slice jitter, simulated faults.
 * Seeded from arch entropy at boot, so a deterministic run (hosted
 * --seed) repeats every choice.  Never use it for secrets: lc_random is
 * for those.
 */
#ifndef LUX_RAND_H
#define LUX_RAND_H

#include <lux/types.h>

/* Seed the generator (the arch's entropy at boot, or --seed), and the
 * next 64 bits. */
void krand_seed(uint64_t seed);
uint64_t krand(void);
/* Uniform in [0, n) (n > 0), without modulo bias. */
uint64_t krand_below(uint64_t n);

#endif
