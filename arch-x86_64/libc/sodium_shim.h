/*
 * The hooks the kernel's libc shim (sodium_shim.c) calls; the kernel
 * implements them (arch-x86_64/crypto_hooks.c).
 */
#ifndef LUX_SODIUM_SHIM_H
#define LUX_SODIUM_SHIM_H

#include <stddef.h>

/* Stop the kernel with `why` (a NUL-terminated message).  Called for
 * libsodium's abort() (sodium_misuse(), an impossible internal state), a
 * failed assert(), and randombytes_* use before randombytes_set_
 * implementation().  Must not return; if it does, the shim traps (ud2). */
void lux_crypto_panic(const char *why);

/* malloc/free for libsodium: n > 0, result aligned to at least 16 bytes
 * (like malloc), 0 when out of memory; lux_crypto_free(0) is never called.
 * Sizes can be large: crypto_pwhash (Argon2) allocates its whole memlimit
 * (64 MiB for the INTERACTIVE preset) in one block. */
void *lux_crypto_alloc(size_t n);
void lux_crypto_free(void *p);

/* Whole pages for secrets (crypto/sodium/lc_secure_metal.c): npages > 0
 * contiguous 4 KiB pages, page-aligned, shared with nothing; 0 when out of
 * memory.  Freed with the same npages. */
void *lux_crypto_pages_alloc(size_t npages);
void lux_crypto_pages_free(void *p, size_t npages);

#endif
