/*
 * The libc symbols the bare-metal kernel provides: exactly what the
 * freestanding libsodium.a (crypto/freestanding/build-libsodium.sh) leaves
 * undefined, plus the four memory routines the compiler may emit calls to
 * in any kernel code.  No libc headers: only the compiler's <stddef.h>.
 *
 *   symbol            why / who pulls it in
 *   ----------------  -----------------------------------------------------
 *   memcpy, memset    everywhere in libsodium; gcc also emits them for
 *                     struct copies and zeroing in any kernel code
 *   memmove           crypto_sign (ed25519 keypair/sign/open),
 *                     crypto_secretbox_easy, secretbox_xchacha20poly1305
 *   memcmp            not used by libsodium (sodium_memcmp is its own,
 *                     constant-time); here because gcc may emit it
 *   strlen            crypto_pwhash (argon2 and scrypt string encodings)
 *   strncmp           crypto_pwhash (argon2 "$argon2id$" prefix checks)
 *   strchr, strrchr   sodium_hex2bin/sodium_base642bin ignore-lists
 *                     (sodium/codecs.c); scrypt string parsing
 *   malloc, free      crypto_pwhash argon2 (its memory region, in one block
 *                     of memlimit bytes, and small buffers);
 *                     sodium_malloc/sodium_free, which with no mmap/
 *                     mprotect configured are plain malloc/free (no guard
 *                     pages, no canary: nothing to protect them with here)
 *   calloc            crypto_pwhash_argon2i_str_needs_rehash
 *   abort             sodium_misuse() (API misuse, after the handler set
 *                     with sodium_set_misuse_handler, if any, returns) and
 *                     an impossible-state check in ed25519_ref10.c
 *   __assert_fail     assert() in blake2b (generichash) and sodium/codecs.c;
 *                     libsodium always keeps asserts on
 *   __errno_location  errno (glibc's macro; the library was compiled
 *                     against glibc's headers): set on error returns
 *                     (EINVAL, ENOMEM, ENOSYS, ERANGE, ...) by crypto_pwhash,
 *                     crypto_kdf, codecs and sodium_mlock & co.
 *
 * Not needed, because the build configures them out rather than supplying empty versions:
 * sysconf/mmap/mprotect/mlock/madvise/posix_memalign (sodium_malloc's
 * guarded pages: HAVE_MMAP etc. undefined, so sodium_mlock() and
 * sodium_mprotect_*() return -1 with errno ENOSYS, which their callers
 * already handle; nothing in libsodium relies on them succeeding);
 * open/read/close/fcntl/getpid/getrandom/getentropy (the sysrandom and
 * internal generators are not built at all: the kernel must call
 * randombytes_set_implementation() BEFORE sodium_init(), and until it does
 * every randombytes_* call ends in lux_crypto_panic(); see
 * crypto/freestanding/randombytes_unset.h); explicit_bzero/memset_s/
 * explicit_memset (sodium_memzero uses memset plus a compiler barrier);
 * arc4random, nanosleep, pthread_* (no threads: sodium_init's lock is a
 * __sync spinlock); __stack_chk_fail and __*_chk (built with
 * -fno-stack-protector, without _FORTIFY_SOURCE).
 *
 * crypto/freestanding/link-test checks this list against the archive.
 */
#include <stddef.h>
#include <stdint.h>

#include "sodium_shim.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
void *malloc(size_t n);
void *calloc(size_t count, size_t size);
void free(void *p);
_Noreturn void abort(void);
_Noreturn void __assert_fail(const char *expr, const char *file, unsigned int line,
                             const char *func);
int *__errno_location(void);

/*
 * The copies are rep movsb / rep stosb rather than C loops so that the
 * compiler cannot turn them back into calls to themselves (gcc's loop
 * distribution recognises copy and fill loops even with -ffreestanding).
 * The ABI guarantees DF clear on entry.
 */
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if ((uintptr_t)d - (uintptr_t)s >= n) {
		/* d below s, or no overlap: forward copy is safe */
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	} else {
		/* d overlaps the tail of s: copy backwards */
		d += n - 1;
		s += n - 1;
		__asm__ volatile("std; rep movsb; cld"
		                 : "+D"(d), "+S"(s), "+c"(n)
		                 :
		                 : "memory", "cc");
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n != 0; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p != '\0')
		p++;
	return (size_t)(p - s);
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;

	for (; n != 0; n--, p++, q++) {
		if (*p != *q)
			return *p < *q ? -1 : 1;
		if (*p == '\0')
			break;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == '\0')
			return (char *)last;
	}
}

/* ---- allocation: forwards to the kernel -------------------------------- */

void *malloc(size_t n)
{
	return lux_crypto_alloc(n != 0 ? n : 1);
}

void *calloc(size_t count, size_t size)
{
	void *p;

	if (size != 0 && count > (size_t)-1 / size)
		return NULL;
	if ((p = malloc(count * size)) != NULL)
		memset(p, 0, count * size);
	return p;
}

void free(void *p)
{
	if (p != NULL)
		lux_crypto_free(p);
}

/* ---- errors ---------------------------------------------------------- */

static int lux_sodium_errno;

int *__errno_location(void)
{
	return &lux_sodium_errno;
}

_Noreturn void abort(void)
{
	lux_crypto_panic("libsodium: abort() (sodium_misuse or an internal check)");
	__builtin_trap();
}

static char assert_msg[256];
static size_t assert_len;

static void assert_put(const char *s)
{
	while (s != NULL && *s != '\0' && assert_len < sizeof assert_msg - 1)
		assert_msg[assert_len++] = *s++;
}

_Noreturn void __assert_fail(const char *expr, const char *file, unsigned int line,
                             const char *func)
{
	char num[11];
	size_t i = sizeof num;

	num[--i] = '\0';
	do {
		num[--i] = (char)('0' + line % 10);
		line /= 10;
	} while (line != 0 && i != 0);
	assert_len = 0;
	assert_put("libsodium: assertion failed: ");
	assert_put(expr);
	assert_put(" (");
	assert_put(file);
	assert_put(":");
	assert_put(&num[i]);
	assert_put(", ");
	assert_put(func);
	assert_put(")");
	assert_msg[assert_len] = '\0';
	lux_crypto_panic(assert_msg);
	__builtin_trap();
}
