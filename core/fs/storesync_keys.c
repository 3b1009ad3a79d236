/*
 * The keystore kept in the machine's store, beside the root tree
 * (docs/store.md, "Keys in the store"): one value, at key 1 (the tree's
 * keys are inode paths + 1, from 2), written when it changed and loaded
 * at boot, so a key made in one run signs in the next with the same
 * public key.  The store is sealed under its own key, so the secrets are
 * never on the drive in the clear; in RAM they stay in lc_secure memory.
 *
 *   0 format (u32, 1)  4 keys (u32, at most KS_KEYS), then per key
 *   SKSZ bytes: name (32, NUL-padded), owner (28), alg, exportable,
 *   version, material length (u32 each), material (64, zero-padded)
 */
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/keystore.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/store.h>
#include <lux/string.h>

#include "storesync_keys.h"

#define SKSZ (KS_NAMELEN + 28 + 16 + KS_MACMAX)
#define BLOB (8 + KS_KEYS * SKSZ)

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t encode(uint8_t *b, const struct ks_saved *k, size_t n)
{
	kmemset(b, 0, 8 + n * SKSZ);
	put32(b, 1);
	put32(b + 4, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = b + 8 + i * SKSZ;

		kmemcpy(p, k[i].name, kstrnlen(k[i].name, KS_NAMELEN - 1));
		kmemcpy(p + KS_NAMELEN, k[i].owner, kstrnlen(k[i].owner, 27));
		put32(p + KS_NAMELEN + 28, (uint32_t)k[i].alg);
		put32(p + KS_NAMELEN + 32, k[i].exportable);
		put32(p + KS_NAMELEN + 36, k[i].version);
		put32(p + KS_NAMELEN + 40, (uint32_t)k[i].mlen);
		kmemcpy(p + KS_NAMELEN + 44, k[i].material, k[i].mlen);
	}
	return 8 + n * SKSZ;
}

int sk_save(struct store *st, uint8_t last[SK_HASH])
{
	struct ks_saved *k = lc_secure_alloc(KS_KEYS * sizeof *k);
	uint8_t *b = lc_secure_alloc(BLOB), h[LC_HASH_MAX];
	size_t n, len;
	int err = 0;

	if (k == 0 || b == 0) {
		lc_secure_free(k, KS_KEYS * sizeof *k);
		lc_secure_free(b, BLOB);
		return proc_seterr(E_NOMEM, "sync: out of memory for the keys");
	}
	n = ks_save_all(k, KS_KEYS);
	len = encode(b, k, n);
	lc_hash(LC_BLAKE2B512, b, len, h);
	if (!lc_equal(h, last, SK_HASH) && (err = store_put(st, SK_KEY, b, len)) == 0)
		kmemcpy(last, h, SK_HASH);	/* unchanged keys are not written again */
	lc_wipe(h, sizeof h);
	lc_secure_free(k, KS_KEYS * sizeof *k);
	lc_secure_free(b, BLOB);
	return err;
}

/* Key i of the blob, checked at the edge: 0, or -1. */
static int decode(const uint8_t *p, struct ks_saved *k)
{
	kmemset(k, 0, sizeof *k);
	if (p[KS_NAMELEN - 1] != 0 || p[KS_NAMELEN + 27] != 0)
		return -1;
	kmemcpy(k->name, p, KS_NAMELEN);
	kmemcpy(k->owner, p + KS_NAMELEN, 28);
	k->alg = (enum ks_alg)get32(p + KS_NAMELEN + 28);
	k->exportable = get32(p + KS_NAMELEN + 32) != 0;
	k->version = get32(p + KS_NAMELEN + 36);
	k->mlen = get32(p + KS_NAMELEN + 40);
	if (k->mlen > KS_MACMAX || k->owner[0] == 0)
		return -1;
	kmemcpy(k->material, p + KS_NAMELEN + 44, k->mlen);
	return 0;
}

int sk_load(struct store *st, uint64_t *made, uint64_t *bad)
{
	uint8_t *b = lc_secure_alloc(BLOB);
	struct ks_saved *k = lc_secure_alloc(sizeof *k);
	size_t len = 0, n;
	int err;

	if (b == 0 || k == 0) {
		lc_secure_free(b, BLOB);
		lc_secure_free(k, sizeof *k);
		return proc_seterr(E_NOMEM, "store: out of memory for the keys");
	}
	err = store_get(st, SK_KEY, b, BLOB, &len);
	if (err == 0 &&
	    (len < 8 || get32(b) != 1 || (n = get32(b + 4)) > KS_KEYS || len != 8 + n * SKSZ)) {
		(*bad)++;
		err = E_NOENT;
	}
	for (size_t i = 0; err == 0 && i < n; i++) {
		if (decode(b + 8 + i * SKSZ, k) < 0 ||
		    (ks_restore(k) < 0 && kstrcmp(k->name, "host")))
			(*bad)++;	/* the host key is made at boot from its own file */
		else
			(*made)++;
	}
	lc_secure_free(b, BLOB);
	lc_secure_free(k, sizeof *k);
	return err == E_NOENT ? 0 : err;
}
