/*
 * Guarded memory for secrets on hosted (see lc_secure_alloc in
 * <lux/crypto.h>): libsodium's sodium_malloc puts the region between two
 * inaccessible guard pages, with a canary before it that sodium_free
 * checks, locks it out of swap where it can, and wipes it on free.
 */
#include <sodium.h>

#include <lux/crypto.h>

void *lc_secure_alloc(size_t n)
{
	void *p = sodium_malloc(n ? n : 1);

	if (p)
		sodium_memzero(p, n ? n : 1);	/* sodium_malloc fills with 0xdb */
	return p;
}

void lc_secure_free(void *p, size_t n)
{
	(void)n;	/* sodium_free knows the size, and wipes all of it */
	if (p)
		sodium_free(p);
}
