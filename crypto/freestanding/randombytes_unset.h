/*
 * Force-included (gcc -include) into libsodium's randombytes/randombytes.c,
 * and only there, by build-libsodium.sh.
 *
 * The freestanding build leaves out randombytes/sysrandom/ and
 * randombytes/internal/: both seed from getrandom()/getentropy() or
 * open("/dev/urandom"), none of which exists on metal, and carrying them
 * would drag open/read/close/fcntl/getpid/... into the kernel's libc shim.
 * randombytes.c is built with -DRANDOMBYTES_CUSTOM_IMPLEMENTATION, so it
 * names neither, and its "default implementation" (used only when nobody
 * called randombytes_set_implementation() before the first randombytes_*
 * call -- sodium_init() makes such a call) is the one below, which stops
 * the kernel with a message instead of returning predictable bytes or
 * dereferencing NULL.
 *
 * The kernel must call randombytes_set_implementation() with its own
 * entropy-backed generator BEFORE sodium_init().
 */
#ifndef LUX_SODIUM_RANDOMBYTES_UNSET_H
#define LUX_SODIUM_RANDOMBYTES_UNSET_H

#include <stddef.h>
#include <stdint.h>
#include "randombytes.h"	/* libsodium's; include-guarded */

void lux_crypto_panic(const char *why);	/* the kernel's, never returns */

#define LUX_RANDOMBYTES_UNSET_MSG \
	"libsodium: randombytes used before randombytes_set_implementation()"

static const char *lux_randombytes_unset_name(void)
{
	return "unset";
}

static uint32_t lux_randombytes_unset_random(void)
{
	lux_crypto_panic(LUX_RANDOMBYTES_UNSET_MSG);
	return 0;
}

static void lux_randombytes_unset_stir(void)
{
	lux_crypto_panic(LUX_RANDOMBYTES_UNSET_MSG);
}

static uint32_t lux_randombytes_unset_uniform(const uint32_t upper_bound)
{
	(void)upper_bound;
	lux_crypto_panic(LUX_RANDOMBYTES_UNSET_MSG);
	return 0;
}

static void lux_randombytes_unset_buf(void *const buf, const size_t size)
{
	(void)buf;
	(void)size;
	lux_crypto_panic(LUX_RANDOMBYTES_UNSET_MSG);
}

static randombytes_implementation lux_randombytes_unset = {
	lux_randombytes_unset_name,    lux_randombytes_unset_random, lux_randombytes_unset_stir,
	lux_randombytes_unset_uniform, lux_randombytes_unset_buf,    NULL,
};

/* randombytes.c: `implementation = RANDOMBYTES_DEFAULT_IMPLEMENTATION;` */
#define RANDOMBYTES_DEFAULT_IMPLEMENTATION (&lux_randombytes_unset)

#endif
