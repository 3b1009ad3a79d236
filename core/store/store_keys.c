/*
 * The store's keys.  A random 32-byte master key, made at format and
 * never changed, is kept on the drive wrapped (XChaCha20-Poly1305, the
 * superblock's header as associated data, so a header edited to weaker
 * Argon2id costs or another store's salt does not unwrap) under a key
 * derived from the passphrase with Argon2id (salt and costs in the
 * header).  From the master come, by BLAKE2b KDF, the block key and the
 * superblock MAC key, so a passphrase change rewrites only the wrapped
 * key.  Every secret here lives in lc_secure_alloc memory.
 */
#include <lux/error.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "store_int.h"

static const char kdfctx[LC_KDF_CONTEXT] = { 'l', 'u', 'x', 's', 't', 'o', 'r', 'e' };

int st_kek(const struct ssuper *s, const void *pass, size_t passlen, uint8_t *kek)
{
	if (lc_pwhash(kek, LC_AEAD_KEY, pass, passlen, s->salt, s->ops, (size_t)s->mem) < 0)
		return proc_seterr(E_NOMEM, "store: Argon2id with %llu passes over %llu KiB failed",
		                   (unsigned long long)s->ops, (unsigned long long)(s->mem >> 10));
	return 0;
}

int st_wrap(struct ssuper *s, const uint8_t *kek, const uint8_t *mk)
{
	uint8_t *nonce = s->wrap;

	lc_random(nonce, LC_AEAD_NONCE_MAX);
	if (lc_aead_encrypt(LC_XCHACHA20POLY1305, s->wrap + LC_AEAD_NONCE_MAX, mk, LC_AEAD_KEY,
	                    s->hdr, ST_HDRSZ, nonce, kek) < 0)
		return proc_seterr(E_CRYPTO, "store: wrapping the master key failed");
	return 0;
}

int st_unwrap(const struct ssuper *s, const uint8_t *kek, uint8_t *mk)
{
	return lc_aead_decrypt(LC_XCHACHA20POLY1305, mk, s->wrap + LC_AEAD_NONCE_MAX,
	                       LC_AEAD_KEY + LC_AEAD_TAG, s->hdr, ST_HDRSZ, s->wrap, kek);
}

int st_derive(uint8_t *keys, const uint8_t *mk)
{
	if (lc_kdf_derive(keys, LC_AEAD_KEY, 1, kdfctx, mk) < 0 ||
	    lc_kdf_derive(keys + LC_AEAD_KEY, LC_MAC_KEY, 2, kdfctx, mk) < 0)
		return proc_seterr(E_CRYPTO, "store: deriving the block keys failed");
	return 0;
}

void st_super_seal(const uint8_t *mackey, uint8_t *sb)
{
	lc_mac(sb + ST_SBMAC, mackey, sb, ST_SBMAC);
}

bool st_super_ok(const uint8_t *mackey, const uint8_t *sb)
{
	uint8_t mac[LC_MAC_BYTES];

	return lc_mac(mac, mackey, sb, ST_SBMAC) == 0 && lc_equal(mac, sb + ST_SBMAC, LC_MAC_BYTES);
}
