/*
 * The capability token codec (see <lux/captoken.h>, docs/capabilities.md):
 * the binary wire form and its text form.  No key and no kernel state
 * here, so tools and a fuzzer can link it alone.
 *
 * Wire form, version 1, integers little-endian:
 *	u8  version (1)        \
 *	u16 slot                |
 *	u32 generation          |  the id: tag_0 = MAC(hostkey, these 19 bytes)
 *	u64 object              |
 *	u32 rights             /
 *	u8  ncaveats (0..32)
 *	ncaveats x { u8 kind, u8 len, len bytes }   tag_i = MAC(tag_{i-1}, these)
 *	32 bytes tag_n
 * and nothing after.  The count is not MACed (it is implied by the chain:
 * dropping or adding a caveat changes the tag), but it must match the
 * bytes exactly.
 *
 * Decoding is a cursor with a sticky error: reads past the end set it and
 * return zeros, and the result is looked at once.  A bad count or length
 * is rejected, never clamped.
 */
#include <lux/captoken.h>
#include <lux/string.h>

struct cur {
	const uint8_t *p, *end;
	bool bad;	/* sticky: some read went past the end */
};

static const uint8_t *take(struct cur *c, size_t n)
{
	const uint8_t *p = c->p;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return 0;
	}
	c->p += n;
	return p;
}

static uint64_t get_le(struct cur *c, size_t n)
{
	const uint8_t *p = take(c, n);
	uint64_t v = 0;

	if (p == 0)
		return 0;
	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static uint64_t le_val(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

int captoken_caveat_ok(unsigned kind, const uint8_t *val, size_t len)
{
	switch (kind) {
	case CT_CAV_RIGHTS:
		return len == 4 && (le_val(val, 4) & ~(uint64_t)CT_R_ALL) == 0 ? CT_OK : CT_EINVAL;
	case CT_CAV_PATH:
		/* An absolute prefix with no NUL: what namec would walk. */
		if (len < 1 || len > CT_PATH_MAX || val[0] != '/' || kmemchr(val, 0, len))
			return CT_EINVAL;
		return CT_OK;
	case CT_CAV_EXPIRY:
	case CT_CAV_BUDGET: return len == 8 ? CT_OK : CT_EINVAL;
	case CT_CAV_REVOKER: return len == 6 && le_val(val, 2) < CT_SLOTS ? CT_OK : CT_EINVAL;
	}
	return CT_EINVAL;
}

int captoken_decode(const uint8_t *p, size_t n, struct ct_view *v)
{
	struct cur c = { p, p + n, false };
	unsigned ncav;

	if (n < 1)
		return CT_EMALFORMED;
	if (p[0] != CT_VERSION)
		return CT_EVERSION;
	if (n < CT_ID_BYTES + 1 + CT_TAG || n > CT_WIRE_MAX)
		return CT_EMALFORMED;
	c.end = p + n - CT_TAG;		/* the tag is not the cursor's */
	(void)get_le(&c, 1);
	v->slot = (uint16_t)get_le(&c, 2);
	v->gen = (uint32_t)get_le(&c, 4);
	v->object = get_le(&c, 8);
	v->rights = (uint32_t)get_le(&c, 4);
	ncav = (unsigned)get_le(&c, 1);
	if (c.bad || v->slot >= CT_SLOTS || (v->rights & ~(uint32_t)CT_R_ALL))
		return CT_EMALFORMED;
	if (ncav > CT_MAX_CAVEATS)
		return CT_ETOOMANY;
	v->ncav = (uint8_t)ncav;
	for (unsigned i = 0; i < ncav; i++) {
		struct ct_caveat *k = &v->cav[i];

		k->kind = (uint8_t)get_le(&c, 1);
		k->len = (uint8_t)get_le(&c, 1);
		k->val = take(&c, k->len);
		if (c.bad || captoken_caveat_ok(k->kind, k->val, k->len) != CT_OK)
			return CT_EMALFORMED;
	}
	if (c.p != c.end)		/* trailing bytes before the tag */
		return CT_EMALFORMED;
	v->tag = c.end;
	return CT_OK;
}

/* ---- Text form: "lux1." + unpadded base64url ------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	return -1;
}

int captoken_to_text(const uint8_t *tok, size_t n, char *out, size_t cap_bytes)
{
	size_t pre = sizeof CT_TEXT_PREFIX - 1;
	size_t need = pre + (n * 4 + 2) / 3 + 1;
	size_t o = pre;

	if (n > CT_WIRE_MAX || cap_bytes < need)
		return CT_ESPACE;
	kmemcpy(out, CT_TEXT_PREFIX, pre);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)tok[i] << 16;
		size_t left = n - i;

		if (left > 1)
			w |= (uint32_t)tok[i + 1] << 8;
		if (left > 2)
			w |= tok[i + 2];
		out[o++] = b64[w >> 18 & 63];
		out[o++] = b64[w >> 12 & 63];
		if (left > 1)
			out[o++] = b64[w >> 6 & 63];
		if (left > 2)
			out[o++] = b64[w & 63];
	}
	out[o] = 0;
	return CT_OK;
}

int captoken_from_text(const char *s, size_t slen, uint8_t *out, size_t cap_bytes, size_t *len)
{
	size_t pre = sizeof CT_TEXT_PREFIX - 1, m, n, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (slen < pre || kmemcmp(s, CT_TEXT_PREFIX, pre) != 0)
		return CT_EMALFORMED;
	s += pre;
	m = slen - pre;
	if (m % 4 == 1)				/* no byte count gives that */
		return CT_EMALFORMED;
	n = m / 4 * 3 + (m % 4 ? m % 4 - 1 : 0);
	if (n > CT_WIRE_MAX)
		return CT_EMALFORMED;
	if (n > cap_bytes)
		return CT_ESPACE;
	for (size_t i = 0; i < m; i++) {
		int v = b64val(s[i]);

		if (v < 0)
			return CT_EMALFORMED;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)		/* leftover bits must be zero: one text per token */
		return CT_EMALFORMED;
	*len = o;
	return CT_OK;
}
