/*
 * The hooks the freestanding libsodium shim (libc/sodium_shim.c,
 * contract in libc/sodium_shim.h) calls into the kernel: where to allocate
 * and how to die.  Allocation is the core's small-object allocator (16-byte
 * aligned, page runs for large blocks); a crypto failure (sodium_misuse,
 * a failed assert, randombytes before it was set up) is a kernel panic.
 */
#include <lux/kalloc.h>
#include <lux/page.h>
#include <lux/upcall.h>

#include "sodium_shim.h"

void
lux_crypto_panic(const char *why)
{
	lux_panic("crypto: %s", why);
}

void *
lux_crypto_alloc(size_t n)
{
	return kmalloc(n);
}

void
lux_crypto_free(void *p)
{
	kfree(p);
}

/* Secrets get pages of their own (lc_secure_alloc): never a kmalloc
 * neighbour.  Not charged to a budget here: the keystore charges the
 * proc that made the key. */
void *
lux_crypto_pages_alloc(size_t npages)
{
	return page_alloc(npages);
}

void
lux_crypto_pages_free(void *p, size_t npages)
{
	page_free(p, npages);
}
