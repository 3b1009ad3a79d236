/*
 * The store's edge (docs/store.md, "The format on the drive"): pointers
 * and superblocks to and from their bytes, little-endian.  The drive is
 * hostile, so each decoder checks every field it reads, once, here;
 * nothing past it trusts a number it did not check.  A block's own bytes
 * are checked by whoever opened it (store_value.c, store_tree.c), but
 * always through st_ptr_dec.
 */
#include <lux/string.h>

#include "store_int.h"

static const uint8_t magic[8] = { 'L', 'U', 'X', '9', 'S', 'T', 'O', 'R' };

void st_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void st_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t st_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint32_t st_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool zeros(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* 0 addr, 8 gen, 16 kind, 20 zero, 24 nonce, 48 tag: ST_PTRSZ bytes */
void st_ptr_enc(uint8_t *p, const struct sbptr *b)
{
	kmemset(p, 0, ST_PTRSZ);
	if (b->addr == 0)
		return;
	st_put64(p, b->addr);
	st_put64(p + 8, b->gen);
	st_put32(p + 16, b->kind);
	kmemcpy(p + 24, b->nonce, LC_AEAD_NONCE_MAX);
	kmemcpy(p + 48, b->tag, LC_AEAD_TAG);
}

int st_ptr_dec(const uint8_t *p, struct sbptr *b, uint32_t kind, uint64_t nblocks, uint64_t maxgen)
{
	kmemset(b, 0, sizeof *b);
	if (zeros(p, ST_PTRSZ))
		return 0;
	b->addr = st_get64(p);
	b->gen = st_get64(p + 8);
	b->kind = st_get32(p + 16);
	kmemcpy(b->nonce, p + 24, LC_AEAD_NONCE_MAX);
	kmemcpy(b->tag, p + 48, LC_AEAD_TAG);
	if (b->addr < ST_FIRST || b->addr >= nblocks || b->gen == 0 || b->gen > maxgen ||
	    b->kind != kind || st_get32(p + 20) != 0) {
		kmemset(b, 0, sizeof *b);
		return -1;
	}
	return 0;
}

/*
 *   0 magic "LUX9STOR"   8 version   12 block size   16 blocks   24 uuid
 *  40 kdf (1: Argon2id)  44 zero     48 ops          56 mem      64 salt
 *  80 wrapped master key (nonce, key, tag)          152 seq     160 depth
 * 164 zero  168 root pointer  232 keys  240..480 zero  480 MAC
 * Bytes 0..80 are the header: the wrapped key's associated data.
 */
void st_super_enc(uint8_t *p, const struct ssuper *s)
{
	kmemset(p, 0, ST_SBSZ);
	kmemcpy(p, s->hdr, ST_HDRSZ);
	kmemcpy(p + 80, s->wrap, ST_WRAPSZ);
	st_put64(p + 152, s->seq);
	st_put32(p + 160, s->depth);
	st_ptr_enc(p + 168, &s->root);
	st_put64(p + 232, s->keys);
	kmemcpy(p + ST_SBMAC, s->mac, LC_MAC_BYTES);
}

void st_header_enc(struct ssuper *s)
{
	uint8_t *h = s->hdr;

	kmemset(h, 0, ST_HDRSZ);
	kmemcpy(h, magic, sizeof magic);
	st_put32(h + 8, ST_VERSION);
	st_put32(h + 12, STORE_BSIZE);
	st_put64(h + 16, s->nblocks);
	kmemcpy(h + 24, s->uuid, 16);
	st_put32(h + 40, 1);
	st_put64(h + 48, s->ops);
	st_put64(h + 56, s->mem);
	kmemcpy(h + 64, s->salt, LC_PWHASH_SALT);
}

int st_super_dec(const uint8_t *p, struct ssuper *s, uint64_t nblocks)
{
	kmemset(s, 0, sizeof *s);
	if (kmemcmp(p, magic, sizeof magic) != 0 || st_get32(p + 8) != ST_VERSION ||
	    st_get32(p + 12) != STORE_BSIZE || st_get32(p + 40) != 1 || st_get32(p + 44) != 0 ||
	    st_get32(p + 164) != 0 || !zeros(p + 240, ST_SBMAC - 240))
		return -1;
	kmemcpy(s->hdr, p, ST_HDRSZ);
	s->nblocks = st_get64(p + 16);
	kmemcpy(s->uuid, p + 24, 16);
	s->ops = st_get64(p + 48);
	s->mem = st_get64(p + 56);
	kmemcpy(s->salt, p + 64, LC_PWHASH_SALT);
	kmemcpy(s->wrap, p + 80, ST_WRAPSZ);
	s->seq = st_get64(p + 152);
	s->depth = st_get32(p + 160);
	s->keys = st_get64(p + 232);
	kmemcpy(s->mac, p + ST_SBMAC, LC_MAC_BYTES);
	if (s->nblocks <= ST_FIRST || s->nblocks > nblocks || s->ops < LC_PWHASH_OPSMIN ||
	    s->ops > STORE_KDF_OPSMAX || s->mem < LC_PWHASH_MEMMIN || s->mem > STORE_KDF_MEMMAX ||
	    s->seq == 0 || s->depth > ST_DEPTHMAX)
		return -1;
	if (st_ptr_dec(p + 168, &s->root, s->depth > 0 ? K_NODE : 0, s->nblocks, s->seq) < 0 ||
	    (s->depth == 0) != (s->root.addr == 0))
		return -1;
	return 0;
}
