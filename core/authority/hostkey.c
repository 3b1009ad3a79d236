/*
 * The host key (<lux/hostkey.h>).  The secret half lives in lc_secure_alloc
 * memory (guard pages and a wipe on hosted) for the life of the kernel.
 */
#include <lux/auth.h>
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/hostkey.h>
#include <lux/string.h>

static uint8_t pk[LC_ED25519_PK];
static uint8_t *sk;		/* LC_ED25519_SK bytes of secure memory */
static bool ephemeral;

int hostkey_init(const uint8_t *seed)
{
	uint8_t fresh[LC_ED25519_SEED];
	int err;

	if (sk == 0 && (sk = lc_secure_alloc(LC_ED25519_SK)) == 0)
		return E_NOMEM;
	ephemeral = seed == 0;
	if (seed == 0) {
		lc_random(fresh, sizeof fresh);
		seed = fresh;
	}
	err = lc_ed25519_seed_keypair(pk, sk, seed);
	lc_wipe(fresh, sizeof fresh);
	return err < 0 ? E_CRYPTO : 0;
}

bool hostkey_ready(void)
{
	return sk != 0;
}

bool hostkey_ephemeral(void)
{
	return ephemeral;
}

const uint8_t *hostkey_public(void)
{
	return pk;
}

const uint8_t *hostkey_secret(void)
{
	return sk;
}

int hostkey_fingerprint(char *out, size_t cap)
{
	return auth_fingerprint(pk, out, cap);
}
