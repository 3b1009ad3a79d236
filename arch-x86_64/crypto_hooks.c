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
#include "x86.h"

void lux_crypto_panic(const char *why)
{
	lux_panic("crypto: %s", why);
}

void *lux_crypto_alloc(size_t n)
{
	return kmalloc(n);
}

void lux_crypto_free(void *p)
{
	kfree(p);
}

/* Secrets get pages of their own (lc_secure_alloc): never a kmalloc
 * neighbour, and an unmapped guard page on each side, as sodium_malloc
 * has on hosted, so a run off either end of a key faults instead of
 * reading or writing its neighbour.  The core's RAM is mapped with 4 KiB
 * pages (paging.c), so guarding never allocates.  Not charged to a budget
 * here: the keystore charges the proc that made the key (the two guard
 * pages are the kernel's overhead). */
void *lux_crypto_pages_alloc(size_t npages)
{
	uint8_t *run = page_alloc(npages + 2), *secret;

	if (run == 0)
		return 0;
	secret = run + X86_PAGE;
	if (paging_guard((uintptr_t)run, 1) < 0 ||
	    paging_guard((uintptr_t)(secret + npages * X86_PAGE), 1) < 0)
		lux_panic("crypto: secret pages outside the 4 KiB-mapped RAM");
	return secret;
}

void lux_crypto_pages_free(void *p, size_t npages)
{
	uint8_t *run = (uint8_t *)p - X86_PAGE;

	/* back to the allocator mapped, as they came */
	paging_guard((uintptr_t)run, 0);
	paging_guard((uintptr_t)((uint8_t *)p + npages * X86_PAGE), 0);
	page_free(run, npages + 2);
}
