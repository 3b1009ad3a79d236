/*
 * The crypto interface (<lux/crypto.h>) on libsodium.  The only file in
 * the tree that includes <sodium.h>.  The same source serves both arches:
 * Debian's libsodium on hosted, the freestanding build on metal.
 *
 * Randomness: libsodium's generator is replaced (before sodium_init, so
 * it never opens /dev/urandom, which does not exist on metal) by
 * lc_rng.c: ChaCha20 keyed from the arch's entropy.
 */
#include <sodium.h>

#include <lux/crypto.h>

#include "lc_rng.h"

_Static_assert(sizeof(((lc_hash_state *)0)->opaque) >= sizeof(crypto_hash_sha256_state),
               "lc_hash_state too small for SHA-256");
_Static_assert(sizeof(((lc_hash_state *)0)->opaque) >= sizeof(crypto_hash_sha512_state),
               "lc_hash_state too small for SHA-512");
_Static_assert(sizeof(((lc_hash_state *)0)->opaque) >= sizeof(crypto_generichash_state),
               "lc_hash_state too small for BLAKE2b");
_Static_assert(LC_ED25519_SIG == crypto_sign_BYTES, "Ed25519 signature size");
_Static_assert(LC_ED25519_SK == crypto_sign_SECRETKEYBYTES, "Ed25519 secret key size");
_Static_assert(LC_ED25519_PK == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key size");
_Static_assert(LC_ED25519_SEED == crypto_sign_SEEDBYTES, "Ed25519 seed size");
_Static_assert(LC_X25519_KEY == crypto_scalarmult_curve25519_BYTES &&
                   LC_X25519_KEY == crypto_scalarmult_curve25519_SCALARBYTES,
               "X25519 key size");
_Static_assert(LC_MAC_KEY >= crypto_generichash_KEYBYTES_MIN &&
                   LC_MAC_KEY <= crypto_generichash_KEYBYTES_MAX,
               "MAC key size");
_Static_assert(LC_MAC_BYTES >= crypto_generichash_BYTES_MIN &&
                   LC_MAC_BYTES <= crypto_generichash_BYTES_MAX,
               "MAC tag size");

int lc_init(int (*entropy)(void *buf, size_t n))
{
	if (lc_rng_install(entropy) < 0)
		return -1;
	return sodium_init() < 0 ? -1 : 0;
}

const char *lc_version(void)
{
	static char v[40] = "libsodium ";
	const char *s = sodium_version_string();
	size_t i = 10;

	while (*s && i < sizeof v - 1)
		v[i++] = *s++;
	v[i] = 0;
	return v;
}

void lc_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

size_t lc_hash_len(enum lc_hash_alg alg)
{
	switch (alg) {
	case LC_SHA256: return crypto_hash_sha256_BYTES;
	case LC_SHA512: return crypto_hash_sha512_BYTES;
	case LC_BLAKE2B512: return crypto_generichash_BYTES_MAX;
	}
	return 0;
}

const char *lc_hash_name(enum lc_hash_alg alg)
{
	switch (alg) {
	case LC_SHA256: return "sha256";
	case LC_SHA512: return "sha512";
	case LC_BLAKE2B512: return "blake2b";
	}
	return "?";
}

int lc_hash_init(lc_hash_state *st, enum lc_hash_alg alg)
{
	st->alg = alg;
	switch (alg) {
	case LC_SHA256: return crypto_hash_sha256_init((crypto_hash_sha256_state *)st->opaque);
	case LC_SHA512: return crypto_hash_sha512_init((crypto_hash_sha512_state *)st->opaque);
	case LC_BLAKE2B512:
		return crypto_generichash_init((crypto_generichash_state *)st->opaque, 0, 0,
		                               crypto_generichash_BYTES_MAX);
	}
	return -1;
}

int lc_hash_update(lc_hash_state *st, const void *in, size_t n)
{
	switch (st->alg) {
	case LC_SHA256:
		return crypto_hash_sha256_update((crypto_hash_sha256_state *)st->opaque, in, n);
	case LC_SHA512:
		return crypto_hash_sha512_update((crypto_hash_sha512_state *)st->opaque, in, n);
	case LC_BLAKE2B512:
		return crypto_generichash_update((crypto_generichash_state *)st->opaque, in, n);
	}
	return -1;
}

int lc_hash_final(lc_hash_state *st, uint8_t *out)
{
	int r = -1;

	switch (st->alg) {
	case LC_SHA256:
		r = crypto_hash_sha256_final((crypto_hash_sha256_state *)st->opaque, out);
		break;
	case LC_SHA512:
		r = crypto_hash_sha512_final((crypto_hash_sha512_state *)st->opaque, out);
		break;
	case LC_BLAKE2B512:
		r = crypto_generichash_final((crypto_generichash_state *)st->opaque, out,
		                             crypto_generichash_BYTES_MAX);
		break;
	}
	sodium_memzero(st->opaque, sizeof st->opaque);
	return r;
}

int lc_hash(enum lc_hash_alg alg, const void *in, size_t n, uint8_t *out)
{
	lc_hash_state st;

	if (lc_hash_init(&st, alg) < 0 || lc_hash_update(&st, in, n) < 0)
		return -1;
	return lc_hash_final(&st, out);
}

int lc_ed25519_seed_keypair(uint8_t pk[LC_ED25519_PK], uint8_t sk[LC_ED25519_SK],
                            const uint8_t seed[LC_ED25519_SEED])
{
	return crypto_sign_ed25519_seed_keypair(pk, sk, seed);
}

int lc_ed25519_sign(uint8_t sig[LC_ED25519_SIG], const void *m, size_t n,
                    const uint8_t sk[LC_ED25519_SK])
{
	return crypto_sign_ed25519_detached(sig, 0, m, n, sk);
}

int lc_ed25519_verify(const uint8_t sig[LC_ED25519_SIG], const void *m, size_t n,
                      const uint8_t pk[LC_ED25519_PK])
{
	return crypto_sign_ed25519_verify_detached(sig, m, n, pk) == 0 ? 0 : -1;
}

int lc_mac(uint8_t out[LC_MAC_BYTES], const uint8_t key[LC_MAC_KEY], const void *m, size_t n)
{
	return crypto_generichash(out, LC_MAC_BYTES, m, n, key, LC_MAC_KEY) == 0 ? 0 : -1;
}

int lc_x25519_public(uint8_t pk[LC_X25519_KEY], const uint8_t sk[LC_X25519_KEY])
{
	return crypto_scalarmult_curve25519_base(pk, sk) == 0 ? 0 : -1;
}

void lc_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

int lc_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}
