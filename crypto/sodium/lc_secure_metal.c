/*
 * Guarded memory for secrets on metal (see lc_secure_alloc in
 * <lux/crypto.h>).  The freestanding libsodium has no mmap/mprotect, so
 * its sodium_malloc is plain malloc: a secret would share a heap page
 * with whatever else kmalloc put there.  Instead each secret gets whole
 * pages of its own from the kernel's page allocator (the hooks below,
 * arch-x86_64/crypto_hooks.c), between two unmapped guard pages the
 * hooks put on either side with the kernel's own page tables, and is
 * wiped with sodium_memzero before they go back.
 */
#include <sodium.h>

#include <lux/crypto.h>

#define LC_PAGE 4096

/* The kernel's page allocator (contract: arch-x86_64/libc/sodium_shim.h). */
void *lux_crypto_pages_alloc(size_t npages);
void lux_crypto_pages_free(void *p, size_t npages);

static size_t pages_for(size_t n)
{
	return (n ? n + LC_PAGE - 1 : LC_PAGE) / LC_PAGE;
}

void *lc_secure_alloc(size_t n)
{
	void *p;

	if (n > (size_t)-1 - LC_PAGE)
		return 0;
	if ((p = lux_crypto_pages_alloc(pages_for(n))) != 0)
		sodium_memzero(p, pages_for(n) * LC_PAGE);
	return p;
}

void lc_secure_free(void *p, size_t n)
{
	if (p == 0)
		return;
	sodium_memzero(p, pages_for(n) * LC_PAGE);
	lux_crypto_pages_free(p, pages_for(n));
}
