/*
 * Sealed blocks.  Every block on the drive but the superblocks is
 * XChaCha20-Poly1305 of STORE_BSIZE bytes under the block key, with a
 * random nonce (so a commit retried after a crash, which reuses its
 * generation and maybe its addresses, never reuses a nonce), and
 * associated data (uuid, address, generation, kind).  The nonce and the
 * tag live in the pointer to the block, not in it: a block is exactly
 * STORE_BSIZE bytes of ciphertext, and its parent says what it must be.
 * So a block moved, swapped with another, replayed from an older commit
 * or damaged fails where its parent points at it, with E_CRYPTO.
 */
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "store_int.h"

#define ADSZ 36

static void ad(const struct store *st, uint64_t addr, uint64_t gen, uint32_t kind, uint8_t *out)
{
	kmemcpy(out, st->sb.uuid, 16);
	st_put64(out + 16, addr);
	st_put64(out + 24, gen);
	st_put32(out + 32, kind);
}

int st_bad(struct store *st, uint64_t addr, const char *what)
{
	st->bad = true;
	st->badblock = addr;
	return proc_seterr(E_CRYPTO,
	                   "store: block %llu (%s) failed authentication: "
	                   "damaged or tampered with",
	                   (unsigned long long)addr, what);
}

int st_seal(struct store *st, uint32_t kind, const void *plain, struct sbptr *out)
{
	uint8_t a[ADSZ];
	uint64_t addr;
	int err;

	if ((err = st_alloc(st, &addr)) < 0)
		return err;
	out->addr = addr;
	out->gen = st->seq + 1;
	out->kind = kind;
	lc_random(out->nonce, sizeof out->nonce);
	ad(st, addr, out->gen, kind, a);
	if (lc_aead_encrypt(LC_XCHACHA20POLY1305, st->buf, plain, STORE_BSIZE, a, sizeof a,
	                    out->nonce, BKEY(st)) < 0) {
		st->broken = true;
		return proc_seterr(E_CRYPTO, "store: sealing block %llu failed",
		                   (unsigned long long)addr);
	}
	kmemcpy(out->tag, st->buf + STORE_BSIZE, LC_AEAD_TAG);
	if ((err = blk_write(st->d, addr * st->spb, st->buf, st->spb)) < 0) {
		st->broken = true;	/* what the drive holds there is unknown now */
		return err;
	}
	return 0;
}

int st_unseal(struct store *st, const struct sbptr *p, void *plain)
{
	static const char *kinds[] = { "?", "tree node", "value head", "indirect", "data" };
	uint8_t a[ADSZ];
	int err;

	if ((err = blk_read(st->d, p->addr * st->spb, st->buf, st->spb)) < 0)
		return err;
	kmemcpy(st->buf + STORE_BSIZE, p->tag, LC_AEAD_TAG);
	ad(st, p->addr, p->gen, p->kind, a);
	if (lc_aead_decrypt(LC_XCHACHA20POLY1305, plain, st->buf, STORE_BSIZE + LC_AEAD_TAG, a,
	                    sizeof a, p->nonce, BKEY(st)) < 0) {
		lc_wipe(plain, STORE_BSIZE);
		return st_bad(st, p->addr, kinds[p->kind <= K_DATA ? p->kind : 0]);
	}
	return 0;
}
