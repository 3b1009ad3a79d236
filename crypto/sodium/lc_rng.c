/*
 * libsodium's randombytes, fed by the arch instead of the OS.
 *
 * A fast-key-erasure generator built from libsodium's own ChaCha20 (no
 * hand-rolled primitive): each request draws keystream under the current
 * key, whose first 32 bytes become the next key, so a later compromise of
 * the state does not reveal earlier output.  The key is seeded from the
 * arch's entropy at install and stirred with fresh entropy every
 * RESEED_BYTES of output.  Upcalls are not a concern: the core calls this
 * from procs only.
 */
#include <sodium.h>

#include "lc_rng.h"

#define RESEED_BYTES (1u << 20)

static struct {
	unsigned char key[crypto_stream_chacha20_ietf_KEYBYTES];
	unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES];
	size_t since_seed;
	int (*entropy)(void *buf, size_t n);
} rng;

static void stir(void)
{
	unsigned char fresh[32];

	if (rng.entropy && rng.entropy(fresh, sizeof fresh) == 0) {
		/* new key = BLAKE2b(old key || fresh): never weaker than either */
		crypto_generichash_state st;
		crypto_generichash_init(&st, 0, 0, sizeof rng.key);
		crypto_generichash_update(&st, rng.key, sizeof rng.key);
		crypto_generichash_update(&st, fresh, sizeof fresh);
		crypto_generichash_final(&st, rng.key, sizeof rng.key);
		sodium_memzero(fresh, sizeof fresh);
	}
	rng.since_seed = 0;
}

static void rng_buf(void *buf, size_t n)
{
	unsigned char block[64];

	if (rng.since_seed >= RESEED_BYTES)
		stir();
	rng.since_seed += n;
	/* bytes 0..31 of the stream: the next key; the rest: the caller's */
	if (n <= sizeof block - sizeof rng.key) {
		crypto_stream_chacha20_ietf(block, sizeof block, rng.nonce, rng.key);
		for (size_t i = 0; i < n; i++)
			((unsigned char *)buf)[i] = block[sizeof rng.key + i];
	} else {
		crypto_stream_chacha20_ietf(block, sizeof rng.key, rng.nonce, rng.key);
		rng.nonce[0] ^= 1;	/* a different stream for the caller's bytes */
		crypto_stream_chacha20_ietf(buf, n, rng.nonce, rng.key);
		rng.nonce[0] ^= 1;
	}
	for (size_t i = 0; i < sizeof rng.key; i++)
		rng.key[i] = block[i];
	sodium_memzero(block, sizeof block);
}

static uint32_t rng_random(void)
{
	uint32_t v;

	rng_buf(&v, sizeof v);
	return v;
}

static const char *rng_name(void)
{
	return "lux9-chacha20";
}

static randombytes_implementation impl = {
	.implementation_name = rng_name,
	.random = rng_random,
	.stir = stir,
	.uniform = 0,	/* libsodium derives uniform() from random() */
	.buf = rng_buf,
	.close = 0,
};

int lc_rng_install(int (*entropy)(void *buf, size_t n))
{
	rng.entropy = entropy;
	if (entropy(rng.key, sizeof rng.key) < 0)
		return -1;
	rng.since_seed = 0;
	return randombytes_set_implementation(&impl);
}
