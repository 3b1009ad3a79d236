/* The generator behind lc_random (see lc_rng.c). */
#ifndef LC_RNG_H
#define LC_RNG_H

#include <stddef.h>

/* Seed from entropy() and make it libsodium's randombytes implementation.
 * Must run before sodium_init().  Returns 0, or -1 if entropy failed. */
int lc_rng_install(int (*entropy)(void *buf, size_t n));

#endif
