/*
 * The narrow crypto interface the core calls.  Implemented on libsodium in
 * crypto/sodium/ (the only place that includes <sodium.h>): Debian's
 * libsodium for hosted, a freestanding build of Debian's source for metal.
 * Nothing here is hand-rolled cryptography; this header only names what
 * the core may ask for, with no libsodium type crossing it.
 */
#ifndef LUX_CRYPTO_H
#define LUX_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define LC_VERSION 3	/* 2: lc_mac; 3: lc_secure_alloc, lc_x25519_public */

/* Start the library.  entropy() fills a buffer from the arch's source and
 * returns 0, or -1; it seeds the generator behind lc_random().  Returns 0,
 * or -1 when libsodium failed to start or entropy failed. */
int lc_init(int (*entropy)(void *buf, size_t n));
const char *lc_version(void);	/* "libsodium 1.0.18" */

/* Random bytes from a ChaCha20 generator keyed from arch entropy. */
void lc_random(void *buf, size_t n);

/* ---- Hashes ----------------------------------------------------------- */

enum lc_hash_alg { LC_SHA256, LC_SHA512, LC_BLAKE2B512 };

#define LC_HASH_MAX 64			/* largest digest, bytes */

/* Opaque streaming state, big and aligned enough for every algorithm
 * (the implementation checks this at compile time). */
typedef struct lc_hash_state {
	_Alignas(64) unsigned char opaque[448];
	int alg;
} lc_hash_state;

size_t lc_hash_len(enum lc_hash_alg alg);
const char *lc_hash_name(enum lc_hash_alg alg);
int lc_hash_init(lc_hash_state *st, enum lc_hash_alg alg);
int lc_hash_update(lc_hash_state *st, const void *in, size_t n);
int lc_hash_final(lc_hash_state *st, uint8_t *out);	/* lc_hash_len bytes */
int lc_hash(enum lc_hash_alg alg, const void *in, size_t n, uint8_t *out);

/* ---- Ed25519 ---------------------------------------------------------- */

#define LC_ED25519_SEED 32
#define LC_ED25519_PK 32
#define LC_ED25519_SK 64
#define LC_ED25519_SIG 64

int lc_ed25519_seed_keypair(uint8_t pk[LC_ED25519_PK], uint8_t sk[LC_ED25519_SK],
                            const uint8_t seed[LC_ED25519_SEED]);
int lc_ed25519_sign(uint8_t sig[LC_ED25519_SIG], const void *m, size_t n,
                    const uint8_t sk[LC_ED25519_SK]);
/* 0 when the signature is valid, -1 otherwise. */
int lc_ed25519_verify(const uint8_t sig[LC_ED25519_SIG], const void *m, size_t n,
                      const uint8_t pk[LC_ED25519_PK]);

/* ---- MAC ------------------------------------------------------------- */

/* Keyed BLAKE2b with a 32-byte key and a 32-byte tag (libsodium's
 * crypto_generichash with a key): a PRF by design, so no HMAC nesting,
 * and faster than HMAC-SHA256 on 64-bit for short inputs.  The capability
 * tokens chain it (core/kern/captoken.c).  Returns 0, or -1. */
#define LC_MAC_KEY 32
#define LC_MAC_BYTES 32

int lc_mac(uint8_t out[LC_MAC_BYTES], const uint8_t key[LC_MAC_KEY], const void *m, size_t n);

/* ---- X25519 ---------------------------------------------------------- */

#define LC_X25519_KEY 32	/* secret scalar and public point, bytes */

/* The public key of secret sk (crypto_scalarmult_base): 0, or -1. */
int lc_x25519_public(uint8_t pk[LC_X25519_KEY], const uint8_t sk[LC_X25519_KEY]);

/* ---- Guarded memory for secrets -------------------------------------- */

/* n zeroed bytes for key material, or 0 when out of memory.  Hosted:
 * sodium_malloc (guard pages on both sides, a canary checked on free, the
 * region locked and wiped on free).  Metal (crypto/sodium/lc_secure_metal.c):
 * whole pages of their own from the kernel's page allocator, so a secret
 * shares its page with nothing; there are no guard pages yet (metal has no
 * page tables of ours to unmap a neighbour in). */
void *lc_secure_alloc(size_t n);
/* Wipe the n bytes at p (n as given to lc_secure_alloc) and free them.
 * lc_secure_free(0, n) does nothing. */
void lc_secure_free(void *p, size_t n);

/* ---- Helpers ---------------------------------------------------------- */

void lc_wipe(void *p, size_t n);			/* not optimised away */
int lc_equal(const void *a, const void *b, size_t n);	/* constant time; 1 if equal */

#endif
