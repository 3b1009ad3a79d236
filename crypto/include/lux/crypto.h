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

#define LC_VERSION \
	4 /* 2: lc_mac; 3: lc_secure_alloc, lc_x25519_public; 4: lc_aead, lc_auth, lc_x25519, lc_kdf, lc_pwhash */

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
 * tokens chain it (core/authority/captoken.c).  Returns 0, or -1. */
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

/* ---- Keyed operations for the crypto sessions (crypto/sodium/lc_keyed.c) ---- */

/* AEAD.  XChaCha20-Poly1305 (24-byte nonce, random nonces are safe),
 * ChaCha20-Poly1305 IETF (RFC 8439, 12-byte nonce), AES-256-GCM
 * (12-byte nonce; only where the CPU has AES-NI and PCLMUL). */
enum lc_aead_alg { LC_XCHACHA20POLY1305, LC_CHACHA20POLY1305, LC_AES256GCM, LC_AEAD_NALGS };

#define LC_AEAD_KEY 32
#define LC_AEAD_TAG 16		/* every alg's tag, bytes */
#define LC_AEAD_NONCE_MAX 24

const char *lc_aead_name(enum lc_aead_alg alg);	/* "xchacha20poly1305", ... */
size_t lc_aead_nonce_len(enum lc_aead_alg alg);
int lc_aead_available(enum lc_aead_alg alg);	/* 1 if this CPU runs it */
/* c gets n + LC_AEAD_TAG bytes (ciphertext, then the tag).  0, or -1. */
int lc_aead_encrypt(enum lc_aead_alg alg, uint8_t *c, const void *m, size_t n, const void *ad,
                    size_t adlen, const uint8_t *nonce, const uint8_t key[LC_AEAD_KEY]);
/* m gets clen - LC_AEAD_TAG bytes.  0, or -1 when the input is forged or
 * shorter than the tag (m then holds nothing to use: wipe it). */
int lc_aead_decrypt(enum lc_aead_alg alg, uint8_t *m, const void *c, size_t clen, const void *ad,
                    size_t adlen, const uint8_t *nonce, const uint8_t key[LC_AEAD_KEY]);

/* MACs with keys of any length: HMAC-SHA-256 and -512 (RFC 2104/4231;
 * tags of 32 and 64 bytes) and keyed BLAKE2b (RFC 7693; key 1..64 bytes,
 * tag 16..64 bytes). */
enum lc_auth_alg { LC_HMAC_SHA256, LC_HMAC_SHA512, LC_BLAKE2B_KEYED, LC_AUTH_NALGS };

#define LC_AUTH_MAX 64		/* largest tag, bytes */

const char *lc_auth_name(enum lc_auth_alg alg);	/* "hmac-sha256", ... */
size_t lc_auth_len(enum lc_auth_alg alg);	/* the default tag length */
/* outlen must be lc_auth_len for HMAC, 16..64 for BLAKE2b.  0, or -1. */
int lc_auth(enum lc_auth_alg alg, uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen,
            const void *m, size_t n);

/* X25519 (RFC 7748): q = sk * pk.  0, or -1 when q is all zero (pk was a
 * low-order point: no shared secret). */
int lc_x25519(uint8_t q[LC_X25519_KEY], const uint8_t sk[LC_X25519_KEY],
              const uint8_t pk[LC_X25519_KEY]);
/* A 32-byte shared key from our secret sk and the peer's public key:
 * BLAKE2b-256(q || pk_a || pk_b), where q = X25519(sk, peer) and pk_a,
 * pk_b are the two public keys in memcmp order (so both sides, each with
 * its own secret, get the same key without agreeing on roles; libsodium's
 * crypto_kx hashes the same inputs in client/server order instead).
 * 0, or -1 as lc_x25519. */
int lc_kx_shared(uint8_t key[32], const uint8_t sk[LC_X25519_KEY],
                 const uint8_t peer[LC_X25519_KEY]);

/* Subkeys from a 32-byte master key (crypto_kdf_derive_from_key: keyed
 * BLAKE2b with id as salt and the 8-byte context as personalisation). */
#define LC_KDF_KEY 32
#define LC_KDF_CONTEXT 8
#define LC_KDF_MIN 16
#define LC_KDF_MAX 64
int lc_kdf_derive(uint8_t *sub, size_t len, uint64_t id, const char ctx[LC_KDF_CONTEXT],
                  const uint8_t key[LC_KDF_KEY]);

/* Argon2id v1.3 (crypto_pwhash, one lane): len bytes of hash of the
 * password.  It allocates mem bytes inside libsodium for the call.
 * 0, or -1 (out of memory, or an argument out of libsodium's range). */
#define LC_PWHASH_SALT 16
#define LC_PWHASH_MIN 16		/* least output, bytes */
#define LC_PWHASH_MEMMIN 8192		/* least memory, bytes */
#define LC_PWHASH_OPSMIN 1
int lc_pwhash(uint8_t *out, size_t len, const void *pw, size_t pwlen,
              const uint8_t salt[LC_PWHASH_SALT], uint64_t ops, size_t mem);

/* ---- Helpers ---------------------------------------------------------- */

void lc_wipe(void *p, size_t n);			/* not optimised away */
int lc_equal(const void *a, const void *b, size_t n);	/* constant time; 1 if equal */

#endif
