/*
 * The keyed operations of <lux/crypto.h> that the crypto sessions use
 * (core/fs/crypto/devcrypto_*.c): AEAD, MACs with any key length, X25519 and the
 * shared key made from it, KDF subkeys and Argon2id.  Each is a thin call
 * into libsodium; nothing here computes cryptography itself.  Kept apart
 * from lc_sodium.c (the library's start, hashes, signatures) so each file
 * stays one concept.
 */
#include <sodium.h>

#include <lux/crypto.h>

_Static_assert(LC_AEAD_KEY == crypto_aead_xchacha20poly1305_ietf_KEYBYTES &&
                   LC_AEAD_KEY == crypto_aead_chacha20poly1305_ietf_KEYBYTES &&
                   LC_AEAD_KEY == crypto_aead_aes256gcm_KEYBYTES,
               "AEAD key size");
_Static_assert(LC_AEAD_TAG == crypto_aead_xchacha20poly1305_ietf_ABYTES &&
                   LC_AEAD_TAG == crypto_aead_chacha20poly1305_ietf_ABYTES &&
                   LC_AEAD_TAG == crypto_aead_aes256gcm_ABYTES,
               "AEAD tag size");
_Static_assert(LC_AEAD_NONCE_MAX == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
               "AEAD nonce size");
_Static_assert(LC_AUTH_MAX == crypto_auth_hmacsha512_BYTES &&
                   LC_AUTH_MAX == crypto_generichash_BYTES_MAX,
               "MAC tag size");
_Static_assert(LC_KDF_KEY == crypto_kdf_KEYBYTES && LC_KDF_CONTEXT == crypto_kdf_CONTEXTBYTES &&
                   LC_KDF_MIN == crypto_kdf_BYTES_MIN && LC_KDF_MAX == crypto_kdf_BYTES_MAX,
               "KDF sizes");
_Static_assert(LC_PWHASH_SALT == crypto_pwhash_argon2id_SALTBYTES &&
                   LC_PWHASH_MIN == crypto_pwhash_argon2id_BYTES_MIN &&
                   LC_PWHASH_MEMMIN == crypto_pwhash_argon2id_MEMLIMIT_MIN &&
                   LC_PWHASH_OPSMIN == crypto_pwhash_argon2id_OPSLIMIT_MIN,
               "Argon2id limits");

/* ---- AEAD ---- */

const char *lc_aead_name(enum lc_aead_alg alg)
{
	switch (alg) {
	case LC_XCHACHA20POLY1305: return "xchacha20poly1305";
	case LC_CHACHA20POLY1305: return "chacha20poly1305";
	case LC_AES256GCM: return "aes256gcm";
	default: return "?";
	}
}

size_t lc_aead_nonce_len(enum lc_aead_alg alg)
{
	switch (alg) {
	case LC_XCHACHA20POLY1305: return crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	case LC_CHACHA20POLY1305: return crypto_aead_chacha20poly1305_ietf_NPUBBYTES;
	case LC_AES256GCM: return crypto_aead_aes256gcm_NPUBBYTES;
	default: return 0;
	}
}

int lc_aead_available(enum lc_aead_alg alg)
{
	switch (alg) {
	case LC_XCHACHA20POLY1305:
	case LC_CHACHA20POLY1305: return 1;
	case LC_AES256GCM:	/* AES-NI and PCLMUL, probed by sodium_init */
		return crypto_aead_aes256gcm_is_available();
	default: return 0;
	}
}

int lc_aead_encrypt(enum lc_aead_alg alg, uint8_t *c, const void *m, size_t n, const void *ad,
                    size_t adlen, const uint8_t *nonce, const uint8_t key[LC_AEAD_KEY])
{
	int r;

	switch (alg) {
	case LC_XCHACHA20POLY1305:
		r = crypto_aead_xchacha20poly1305_ietf_encrypt(c, 0, m, n, ad, adlen, 0, nonce,
		                                               key);
		break;
	case LC_CHACHA20POLY1305:
		r = crypto_aead_chacha20poly1305_ietf_encrypt(c, 0, m, n, ad, adlen, 0, nonce, key);
		break;
	case LC_AES256GCM:
		if (!crypto_aead_aes256gcm_is_available())
			return -1;
		r = crypto_aead_aes256gcm_encrypt(c, 0, m, n, ad, adlen, 0, nonce, key);
		break;
	default: return -1;
	}
	return r == 0 ? 0 : -1;
}

int lc_aead_decrypt(enum lc_aead_alg alg, uint8_t *m, const void *c, size_t clen, const void *ad,
                    size_t adlen, const uint8_t *nonce, const uint8_t key[LC_AEAD_KEY])
{
	int r;

	if (clen < LC_AEAD_TAG)
		return -1;
	switch (alg) {
	case LC_XCHACHA20POLY1305:
		r = crypto_aead_xchacha20poly1305_ietf_decrypt(m, 0, 0, c, clen, ad, adlen, nonce,
		                                               key);
		break;
	case LC_CHACHA20POLY1305:
		r = crypto_aead_chacha20poly1305_ietf_decrypt(m, 0, 0, c, clen, ad, adlen, nonce,
		                                              key);
		break;
	case LC_AES256GCM:
		if (!crypto_aead_aes256gcm_is_available())
			return -1;
		r = crypto_aead_aes256gcm_decrypt(m, 0, 0, c, clen, ad, adlen, nonce, key);
		break;
	default: return -1;
	}
	return r == 0 ? 0 : -1;
}

/* ---- MACs ---- */

const char *lc_auth_name(enum lc_auth_alg alg)
{
	switch (alg) {
	case LC_HMAC_SHA256: return "hmac-sha256";
	case LC_HMAC_SHA512: return "hmac-sha512";
	case LC_BLAKE2B_KEYED: return "blake2b";
	default: return "?";
	}
}

size_t lc_auth_len(enum lc_auth_alg alg)
{
	switch (alg) {
	case LC_HMAC_SHA256: return crypto_auth_hmacsha256_BYTES;
	case LC_HMAC_SHA512: return crypto_auth_hmacsha512_BYTES;
	case LC_BLAKE2B_KEYED: return crypto_generichash_BYTES;
	default: return 0;
	}
}

int lc_auth(enum lc_auth_alg alg, uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen,
            const void *m, size_t n)
{
	/* HMAC takes keys of any length (longer than a block: hashed first,
	 * as RFC 2104 says); the _init/_update/_final form is the one of
	 * libsodium's that does */
	crypto_auth_hmacsha256_state s256;
	crypto_auth_hmacsha512_state s512;
	int r;

	switch (alg) {
	case LC_HMAC_SHA256:
		if (outlen != crypto_auth_hmacsha256_BYTES)
			return -1;
		r = crypto_auth_hmacsha256_init(&s256, key, keylen) |
		    crypto_auth_hmacsha256_update(&s256, m, n) |
		    crypto_auth_hmacsha256_final(&s256, out);
		sodium_memzero(&s256, sizeof s256);
		return r == 0 ? 0 : -1;
	case LC_HMAC_SHA512:
		if (outlen != crypto_auth_hmacsha512_BYTES)
			return -1;
		r = crypto_auth_hmacsha512_init(&s512, key, keylen) |
		    crypto_auth_hmacsha512_update(&s512, m, n) |
		    crypto_auth_hmacsha512_final(&s512, out);
		sodium_memzero(&s512, sizeof s512);
		return r == 0 ? 0 : -1;
	case LC_BLAKE2B_KEYED:
		if (outlen < crypto_generichash_BYTES_MIN ||
		    outlen > crypto_generichash_BYTES_MAX || keylen < 1 ||
		    keylen > crypto_generichash_KEYBYTES_MAX)
			return -1;
		return crypto_generichash(out, outlen, m, n, key, keylen) == 0 ? 0 : -1;
	default: return -1;
	}
}

/* ---- X25519 ---- */

int lc_x25519(uint8_t q[LC_X25519_KEY], const uint8_t sk[LC_X25519_KEY],
              const uint8_t pk[LC_X25519_KEY])
{
	return crypto_scalarmult_curve25519(q, sk, pk) == 0 ? 0 : -1;
}

int lc_kx_shared(uint8_t key[32], const uint8_t sk[LC_X25519_KEY],
                 const uint8_t peer[LC_X25519_KEY])
{
	uint8_t q[LC_X25519_KEY], mine[LC_X25519_KEY];
	const uint8_t *a, *b;
	crypto_generichash_state st;
	int r;

	if (crypto_scalarmult_curve25519_base(mine, sk) != 0 ||
	    crypto_scalarmult_curve25519(q, sk, peer) != 0) {
		sodium_memzero(q, sizeof q);
		return -1;
	}
	/* the two public keys in lexicographic byte order (memcmp's, not
	 * sodium_compare's little-endian number order): the same for both
	 * sides.  Both are public, so the comparison need not be constant-time. */
	a = peer, b = mine;
	for (size_t i = 0; i < LC_X25519_KEY; i++) {
		if (mine[i] != peer[i]) {
			if (mine[i] < peer[i])
				a = mine, b = peer;
			break;
		}
	}
	r = crypto_generichash_init(&st, 0, 0, 32) | crypto_generichash_update(&st, q, sizeof q) |
	    crypto_generichash_update(&st, a, LC_X25519_KEY) |
	    crypto_generichash_update(&st, b, LC_X25519_KEY) |
	    crypto_generichash_final(&st, key, 32);
	sodium_memzero(q, sizeof q);
	sodium_memzero(&st, sizeof st);
	return r == 0 ? 0 : -1;
}

/* ---- KDF and passwords ---- */

int lc_kdf_derive(uint8_t *sub, size_t len, uint64_t id, const char ctx[LC_KDF_CONTEXT],
                  const uint8_t key[LC_KDF_KEY])
{
	return crypto_kdf_derive_from_key(sub, len, id, ctx, key) == 0 ? 0 : -1;
}

int lc_pwhash(uint8_t *out, size_t len, const void *pw, size_t pwlen,
              const uint8_t salt[LC_PWHASH_SALT], uint64_t ops, size_t mem)
{
	if (len < crypto_pwhash_argon2id_BYTES_MIN || pwlen > crypto_pwhash_argon2id_PASSWD_MAX ||
	    ops < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    ops > crypto_pwhash_argon2id_OPSLIMIT_MAX || mem < crypto_pwhash_argon2id_MEMLIMIT_MIN)
		return -1;
	return crypto_pwhash(out, len, pw, pwlen, salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) == 0
	           ? 0
	           : -1;
}
