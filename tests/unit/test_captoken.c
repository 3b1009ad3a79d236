/*
 * Capability tokens (core/authority/captoken.c, captoken_codec.c).  The chain
 * is checked against libsodium called directly here (keyed BLAKE2b-256),
 * not against the code under test; forgeries are every single-bit flip of
 * real tokens; the codec is fed every truncation and each malformation
 * the format forbids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <cmocka.h>
#include <sodium.h>

#include <lux/captoken.h>
#include <lux/crypto.h>
#include <lux/error.h>

#include "fake_arch.h"

static const uint8_t key0[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f,
};

static int entropy(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

static int setup(void **state)
{
	(void)state;
	captoken_init_key(key0);
	return 0;
}

static struct ct_request any_req(uint64_t object, uint32_t rights)
{
	struct ct_request r = {object, rights, "/", 0, 0};

	return r;
}

struct tok {
	uint8_t b[CT_WIRE_MAX];
	size_t n;
};

static struct tok mint(uint64_t object, uint32_t rights, struct ct_cap *cap)
{
	struct tok t;
	struct ct_cap c;

	assert_int_equal(captoken_mint(object, rights, cap ? cap : &c, t.b, sizeof t.b, &t.n),
	                 CT_OK);
	return t;
}

static struct tok add(const struct tok *in, enum ct_caveat_kind k, const void *v, size_t vl)
{
	struct tok t;

	assert_int_equal(captoken_attenuate(in->b, in->n, k, v, vl, t.b, sizeof t.b, &t.n),
	                 CT_OK);
	return t;
}

static struct tok add_rights(const struct tok *in, uint32_t rights)
{
	struct tok t;

	assert_int_equal(captoken_restrict_rights(in->b, in->n, rights, t.b, sizeof t.b, &t.n),
	                 CT_OK);
	return t;
}

static struct tok add_u64(const struct tok *in, enum ct_caveat_kind k, uint64_t v)
{
	struct tok t;

	assert_int_equal(captoken_restrict_u64(in->b, in->n, k, v, t.b, sizeof t.b, &t.n), CT_OK);
	return t;
}

static int verify(const struct tok *t, const struct ct_request *r)
{
	return captoken_verify(t->b, t->n, r, 0);
}

/* ---- The chain, against libsodium directly ----------------------------- */

static void test_chain_known_answer(void **state)
{
	uint8_t want[32], id[19];
	struct ct_cap cap;
	struct tok t, a;
	uint8_t cav[6] = {CT_CAV_RIGHTS, 4, CT_R_READ, 0, 0, 0};

	(void)state;
	t = mint(0x1122334455667788ull, CT_R_READ | CT_R_WRITE, &cap);
	assert_int_equal(t.n, 19 + 1 + 32);
	/* The id, by hand: version, slot, gen, object, rights, little-endian. */
	id[0] = 1;
	id[1] = (uint8_t)cap.slot;
	id[2] = (uint8_t)(cap.slot >> 8);
	memset(id + 3, 0, 4);		/* first generation of a fresh table */
	for (int i = 0; i < 8; i++)
		id[7 + i] = (uint8_t)(0x1122334455667788ull >> (8 * i));
	id[15] = CT_R_READ | CT_R_WRITE;
	id[16] = id[17] = id[18] = 0;
	assert_memory_equal(t.b, id, 19);
	assert_int_equal(t.b[19], 0);
	crypto_generichash(want, 32, id, 19, key0, 32);
	assert_memory_equal(t.b + 20, want, 32);

	a = add(&t, CT_CAV_RIGHTS, cav + 2, 4);
	assert_int_equal(a.n, t.n + 6);
	assert_int_equal(a.b[19], 1);
	assert_memory_equal(a.b + 20, cav, 6);
	crypto_generichash(want, 32, cav, 6, t.b + 20, 32);	/* tag_1 = MAC(tag_0, c_1) */
	assert_memory_equal(a.b + 26, want, 32);

	struct ct_request r = any_req(0x1122334455667788ull, CT_R_READ);
	struct ct_grant g;

	assert_int_equal(captoken_verify(a.b, a.n, &r, &g), CT_OK);
	assert_int_equal(g.rights, CT_R_READ);
	assert_int_equal(g.object, 0x1122334455667788ull);
	assert_int_equal(g.budget, UINT64_MAX);
	assert_int_equal(g.cap.slot, cap.slot);
}

static void test_lc_mac_is_keyed_blake2b(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(lc_mac(a, key0, "abc", 3), 0);
	crypto_generichash(b, 32, (const unsigned char *)"abc", 3, key0, 32);
	assert_memory_equal(a, b, 32);
	assert_true(LC_VERSION >= 2);
}

/* ---- Forgery and tampering ------------------------------------------- */

/* Every single-bit change of a valid token is rejected, whatever part of it
 * the bit is in (id, count, caveat, tag). */
static void flip_every_bit(const struct tok *t, const struct ct_request *r)
{
	assert_int_equal(verify(t, r), CT_OK);
	for (size_t i = 0; i < t->n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct tok x = *t;

			x.b[i] ^= (uint8_t)(1u << bit);
			if (verify(&x, r) == CT_OK)
				fail_msg("bit %d of byte %zu flipped: still verifies", bit, i);
		}
	}
}

static void test_forged_and_tampered_rejected(void **state)
{
	struct tok t, a;
	struct ct_request r = any_req(7, CT_R_READ);
	uint8_t k2[32];

	(void)state;
	t = mint(7, CT_R_READ | CT_R_WRITE, 0);
	flip_every_bit(&t, &r);
	a = add_rights(&t, CT_R_READ);
	a = add(&a, CT_CAV_PATH, "/usr/glenda", 11);
	a = add_u64(&a, CT_CAV_BUDGET, 1000);
	r.path = "/usr/glenda/lib";
	flip_every_bit(&a, &r);

	/* A tag made up from nothing. */
	{
		struct tok f = t;

		randombytes_buf(f.b + 20, 32);
		assert_int_equal(verify(&f, &r), CT_EFORGED);
	}
	/* Widen a RIGHTS caveat in place: the chain breaks. */
	{
		struct tok f = a;

		f.b[22] = CT_R_ALL;
		assert_int_equal(verify(&f, &r), CT_EFORGED);
	}
	/* Drop the last caveat but keep the final tag. */
	{
		struct tok f = a;

		f.n -= 10;
		f.b[19]--;
		memcpy(f.b + f.n - 32, a.b + a.n - 32, 32);
		assert_int_equal(verify(&f, &r), CT_EFORGED);
	}
	/* Drop a caveat the honest way round: keep the earlier tag.  That is
	 * the parent token, which is fine only because the holder had it. */
	/* Tokens of another boot (another key). */
	randombytes_buf(k2, sizeof k2);
	captoken_init_key(k2);
	t = mint(7, CT_R_READ | CT_R_WRITE, 0);		/* same slot and gen as before */
	assert_int_equal(verify(&t, &r), CT_OK);
	assert_int_equal(verify(&a, &r), CT_EFORGED);
}

/* Before captoken_init nothing mints or verifies (runs first). */
static void test_no_key_fails_closed(void **state)
{
	uint8_t b[CT_WIRE_MAX] = {1};
	size_t n;
	struct ct_cap c;
	struct ct_request r = any_req(1, CT_R_READ);

	(void)state;
	assert_int_equal(captoken_mint(1, CT_R_READ, &c, b, sizeof b, &n), CT_ENOKEY);
	assert_int_equal(captoken_verify(b, 52, &r, 0), CT_ENOKEY);
}

/* The real per-boot key comes from lc_random (lc_init ran in main). */
static void test_init_with_generator(void **state)
{
	uint8_t b[CT_WIRE_MAX];
	size_t n;
	struct ct_cap c;
	struct ct_request r = any_req(1, CT_R_READ);

	(void)state;
	assert_int_equal(captoken_init(), CT_OK);
	assert_int_equal(captoken_slots_free(), CT_SLOTS);
	assert_int_equal(captoken_mint(1, CT_R_READ, &c, b, sizeof b, &n), CT_OK);
	assert_int_equal(captoken_verify(b, n, &r, 0), CT_OK);
	assert_int_equal(captoken_slots_free(), CT_SLOTS - 1);
	/* Another boot: the same table position, a new key. */
	assert_int_equal(captoken_init(), CT_OK);
	assert_int_equal(captoken_verify(b, n, &r, 0), CT_EFORGED);
}

/* ---- Narrowing -------------------------------------------------------- */

static void test_derived_cannot_widen(void **state)
{
	struct tok t, a, w;
	struct ct_request r = any_req(9, CT_R_READ);
	struct ct_grant g;
	uint8_t bad[4] = {0x80, 0, 0, 0};

	(void)state;
	t = mint(9, CT_R_READ | CT_R_WRITE, 0);
	r.rights = CT_R_EXEC;
	assert_int_equal(verify(&t, &r), CT_ERIGHTS);	/* never had it */
	a = add_rights(&t, CT_R_READ);
	w = add_rights(&a, CT_R_ALL);			/* tries to widen */
	r.rights = CT_R_WRITE;
	assert_int_equal(verify(&t, &r), CT_OK);
	assert_int_equal(verify(&a, &r), CT_ERIGHTS);
	assert_int_equal(verify(&w, &r), CT_ERIGHTS);
	r.rights = CT_R_READ | CT_R_EXEC;
	assert_int_equal(verify(&w, &r), CT_ERIGHTS);
	r.rights = CT_R_READ;
	assert_int_equal(captoken_verify(w.b, w.n, &r, &g), CT_OK);
	assert_int_equal(g.rights, CT_R_READ);

	/* Unknown rights bits are refused, not masked. */
	assert_int_equal(captoken_attenuate(t.b, t.n, CT_CAV_RIGHTS, bad, 4, w.b, sizeof w.b, &w.n),
	                 CT_EINVAL);
	assert_int_equal(captoken_mint(9, 1u << 7, &g.cap, w.b, sizeof w.b, &w.n), CT_EINVAL);

	/* Budget and expiry: the least wins, later larger ones change nothing. */
	a = add_u64(&t, CT_CAV_BUDGET, 100);
	a = add_u64(&a, CT_CAV_BUDGET, 1000);
	a = add_u64(&a, CT_CAV_EXPIRY, 5000);
	a = add_u64(&a, CT_CAV_EXPIRY, UINT64_MAX);
	r.budget = 100;
	r.now_ns = 4999;
	assert_int_equal(captoken_verify(a.b, a.n, &r, &g), CT_OK);
	assert_int_equal(g.budget, 100);
	assert_int_equal(g.expiry_ns, 5000);
	r.budget = 101;
	assert_int_equal(verify(&a, &r), CT_EBUDGET);
	r.budget = 0;
	r.now_ns = 5000;
	assert_int_equal(verify(&a, &r), CT_EEXPIRED);

	/* Another object. */
	r = any_req(10, CT_R_READ);
	assert_int_equal(verify(&t, &r), CT_EOBJECT);
}

static void test_path_prefix(void **state)
{
	struct tok t, a, b;
	struct ct_request r = any_req(3, CT_R_READ);

	(void)state;
	t = mint(3, CT_R_READ, 0);
	a = add(&t, CT_CAV_PATH, "/usr/glenda", 11);
	b = add(&a, CT_CAV_PATH, "/", 1);		/* wider: changes nothing */
	static const struct {
		const char *path;
		int want;
	} cases[] = {
		{"/usr/glenda", CT_OK},
		{"/usr/glenda/", CT_OK},
		{"/usr/glenda/lib/profile", CT_OK},
		{"/usr/glendax", CT_EPATH},
		{"/usr/glend", CT_EPATH},
		{"/usr", CT_EPATH},
		{"/", CT_EPATH},
		{"/usr/glenda/../../etc", CT_EPATH},
		{"/usr/glenda/..", CT_EPATH},
		{"/usr/glenda/..x", CT_OK},
		{"/usr/glenda/x..", CT_OK},
		{0, CT_EPATH},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r.path = cases[i].path;
		if (verify(&a, &r) != cases[i].want || verify(&b, &r) != cases[i].want)
			fail_msg("path %s: got %d, want %d", cases[i].path ? cases[i].path : "(null)",
			         verify(&a, &r), cases[i].want);
	}
	r.path = 0;
	assert_int_equal(verify(&t, &r), CT_OK);	/* no PATH caveat: no path needed */
	/* "/" as a prefix holds every absolute path. */
	b = add(&t, CT_CAV_PATH, "/", 1);
	r.path = "/anything/at/all";
	assert_int_equal(verify(&b, &r), CT_OK);
	/* Bad path caveats are refused at attenuation. */
	assert_int_equal(captoken_attenuate(t.b, t.n, CT_CAV_PATH, "rel", 3, b.b, sizeof b.b, &b.n),
	                 CT_EINVAL);
	assert_int_equal(captoken_attenuate(t.b, t.n, CT_CAV_PATH, "/a\0b", 4, b.b, sizeof b.b,
	                                    &b.n), CT_EINVAL);
	assert_int_equal(captoken_attenuate(t.b, t.n, CT_CAV_PATH, "", 0, b.b, sizeof b.b, &b.n),
	                 CT_EINVAL);
}

/* ---- Revocation ------------------------------------------------------- */

#define NDERIVED 256

static void test_revoke_kills_256_derived(void **state)
{
	static struct tok d[NDERIVED];
	struct ct_cap cap, other;
	struct tok root, keep;
	struct ct_request r = any_req(42, CT_R_READ);

	(void)state;
	root = mint(42, CT_R_ALL, &cap);
	keep = mint(43, CT_R_READ, &other);
	/* 256 different derivations, chains of 1..32 caveats. */
	for (int i = 0; i < NDERIVED; i++) {
		d[i] = add_u64(&root, CT_CAV_BUDGET, 1000 + (uint64_t)i);
		for (int j = 1; j < 1 + i % CT_MAX_CAVEATS; j++)
			d[i] = add_rights(&d[i], CT_R_READ | (uint32_t)(j & 2));
		assert_int_equal(verify(&d[i], &r), CT_OK);
	}
	assert_int_equal(captoken_revoke(cap), CT_OK);
	assert_int_equal(verify(&root, &r), CT_EREVOKED);
	for (int i = 0; i < NDERIVED; i++)
		if (verify(&d[i], &r) != CT_EREVOKED)
			fail_msg("derived token %d survived its parent's revocation", i);
	/* Others are untouched; a second revoke is an error, not a wrap. */
	r.object = 43;
	assert_int_equal(verify(&keep, &r), CT_OK);
	assert_int_equal(captoken_revoke(cap), CT_EREVOKED);

	/* The slot comes back at the next generation; old tokens stay dead. */
	struct ct_cap again;
	struct tok fresh = mint(42, CT_R_ALL, &again);

	assert_int_equal(again.slot, cap.slot);
	assert_int_equal(again.gen, cap.gen + 1);
	r.object = 42;
	assert_int_equal(verify(&fresh, &r), CT_OK);
	assert_int_equal(verify(&d[0], &r), CT_EREVOKED);
	assert_int_equal(verify(&root, &r), CT_EREVOKED);
}

static void test_revocable_child(void **state)
{
	struct ct_cap root_cap, child, child2;
	struct tok root, c, gc, c2, plain;
	struct ct_request r = any_req(5, CT_R_READ);

	(void)state;
	root = mint(5, CT_R_READ | CT_R_DELEGATE, &root_cap);
	assert_int_equal(captoken_derive_revocable(root.b, root.n, &child, c.b, sizeof c.b, &c.n),
	                 CT_OK);
	assert_int_equal(captoken_derive_revocable(root.b, root.n, &child2, c2.b, sizeof c2.b,
	                                           &c2.n), CT_OK);
	gc = add_rights(&c, CT_R_READ);
	assert_int_equal(verify(&c, &r), CT_OK);
	assert_int_equal(verify(&gc, &r), CT_OK);
	/* Revoking the child kills it and what derives from it, not the root
	 * nor its sibling. */
	assert_int_equal(captoken_revoke(child), CT_OK);
	assert_int_equal(verify(&c, &r), CT_EREVOKED);
	assert_int_equal(verify(&gc, &r), CT_EREVOKED);
	assert_int_equal(verify(&root, &r), CT_OK);
	assert_int_equal(verify(&c2, &r), CT_OK);
	/* Revoking the root kills the sibling too. */
	assert_int_equal(captoken_revoke(root_cap), CT_OK);
	assert_int_equal(verify(&c2, &r), CT_EREVOKED);

	/* No DELEGATE right, no revocable child; forged parents get no slot. */
	plain = mint(6, CT_R_READ, 0);
	size_t before = captoken_slots_free();

	assert_int_equal(captoken_derive_revocable(plain.b, plain.n, &child, c.b, sizeof c.b,
	                                           &c.n), CT_ERIGHTS);
	plain = mint(6, CT_R_READ | CT_R_DELEGATE, 0);
	plain.b[plain.n - 1] ^= 1;
	before = captoken_slots_free();
	assert_int_equal(captoken_derive_revocable(plain.b, plain.n, &child, c.b, sizeof c.b,
	                                           &c.n), CT_EFORGED);
	assert_int_equal(captoken_slots_free(), before);
}

static void test_slots_run_out_cleanly(void **state)
{
	static struct ct_cap caps[CT_SLOTS];
	uint8_t b[CT_WIRE_MAX];
	size_t n;
	struct ct_cap c;

	(void)state;
	for (int i = 0; i < CT_SLOTS; i++)
		assert_int_equal(captoken_mint((uint64_t)i, CT_R_READ, &caps[i], b, sizeof b, &n),
		                 CT_OK);
	assert_int_equal(captoken_slots_free(), 0);
	assert_int_equal(captoken_mint(1, CT_R_READ, &c, b, sizeof b, &n), CT_ENOSLOT);
	assert_int_equal(captoken_revoke(caps[17]), CT_OK);
	assert_int_equal(captoken_mint(1, CT_R_READ, &c, b, sizeof b, &n), CT_OK);
	assert_int_equal(c.slot, 17);
	c.slot = CT_SLOTS;
	assert_int_equal(captoken_revoke(c), CT_EINVAL);
}

/* ---- The codec on hostile input -------------------------------------- */

static void test_codec_rejects_malformed(void **state)
{
	struct tok t, a, x;
	struct ct_view v;
	struct ct_request r = any_req(8, CT_R_READ);

	(void)state;
	t = mint(8, CT_R_READ, 0);
	a = add_u64(&t, CT_CAV_BUDGET, 10);
	a = add(&a, CT_CAV_PATH, "/x", 2);
	r.path = "/x";
	assert_int_equal(verify(&a, &r), CT_OK);

	/* Every truncation and every one-byte extension. */
	for (size_t n = 0; n < a.n; n++)
		if (captoken_verify(a.b, n, &r, 0) == CT_OK || captoken_decode(a.b, n, &v) == CT_OK)
			fail_msg("truncated to %zu bytes: accepted", n);
	x = a;
	x.b[x.n] = 0;
	assert_int_equal(captoken_decode(x.b, x.n + 1, &v), CT_EMALFORMED);

	/* Version. */
	x = a;
	x.b[0] = 2;
	assert_int_equal(captoken_verify(x.b, x.n, &r, 0), CT_EVERSION);
	/* Count says more or fewer caveats than there are. */
	x = a;
	x.b[19] = 3;
	assert_int_equal(captoken_decode(x.b, x.n, &v), CT_EMALFORMED);
	x.b[19] = 1;
	assert_int_equal(captoken_decode(x.b, x.n, &v), CT_EMALFORMED);
	x.b[19] = 33;
	assert_int_equal(captoken_decode(x.b, x.n, &v), CT_ETOOMANY);
	x.b[19] = 255;
	assert_int_equal(captoken_decode(x.b, x.n, &v), CT_ETOOMANY);
	/* Unknown kind, wrong length for its kind, a length past the end. */
	x = a;
	x.b[20] = 99;
	assert_int_equal(captoken_decode(x.b, x.n, &v), CT_EMALFORMED);
	x = a;
	x.b[21] = 7;
	assert_int_equal(captoken_decode(x.b, x.n, &v), CT_EMALFORMED);
	x = a;
	x.b[31] = 255;			/* the PATH caveat's length */
	assert_int_equal(captoken_decode(x.b, x.n, &v), CT_EMALFORMED);
	/* Slot out of range, root rights with unknown bits. */
	x = a;
	x.b[2] = 0xff;
	assert_int_equal(captoken_decode(x.b, x.n, &v), CT_EMALFORMED);
	x = a;
	x.b[18] = 0x80;
	assert_int_equal(captoken_decode(x.b, x.n, &v), CT_EMALFORMED);
	/* Too long to be a token at all. */
	static uint8_t big[CT_WIRE_MAX + 1];

	memcpy(big, a.b, a.n);
	assert_int_equal(captoken_decode(big, sizeof big, &v), CT_EMALFORMED);
	/* Output too small. */
	assert_int_equal(captoken_attenuate(a.b, a.n, CT_CAV_PATH, "/x/y", 4, x.b, a.n + 5,
	                                    &x.n), CT_ESPACE);
}

static void test_max_caveats(void **state)
{
	struct tok t;
	char path[CT_PATH_MAX + 1];
	struct ct_request r = any_req(11, CT_R_READ);
	size_t n;

	(void)state;
	memset(path, 'p', sizeof path);
	path[0] = '/';
	path[CT_PATH_MAX] = 0;
	t = mint(11, CT_R_READ, 0);
	for (int i = 0; i < CT_MAX_CAVEATS; i++)
		t = add(&t, CT_CAV_PATH, path, CT_PATH_MAX);		/* in place is fine too */
	assert_int_equal(t.n, CT_WIRE_MAX);
	r.path = path;
	assert_int_equal(verify(&t, &r), CT_OK);
	assert_int_equal(captoken_restrict_rights(t.b, t.n, CT_R_READ, t.b, sizeof t.b, &n),
	                 CT_ETOOMANY);
	/* Attenuating in place works. */
	t = mint(11, CT_R_READ, 0);
	assert_int_equal(captoken_restrict_rights(t.b, t.n, CT_R_READ, t.b, sizeof t.b, &t.n), CT_OK);
	r.path = 0;
	assert_int_equal(verify(&t, &r), CT_OK);
}

/* ---- Text form -------------------------------------------------------- */

static void test_text_roundtrip(void **state)
{
	static char txt[CT_TEXT_MAX];
	static uint8_t back[CT_WIRE_MAX];
	struct tok t;
	size_t n;
	uint8_t raw[8];

	(void)state;
	t = mint(12, CT_R_READ, 0);
	for (int i = 0; i <= CT_MAX_CAVEATS; i++) {
		assert_int_equal(captoken_to_text(t.b, t.n, txt, sizeof txt), CT_OK);
		assert_int_equal(strncmp(txt, "lux1.", 5), 0);
		assert_int_equal(strspn(txt + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                                 "0123456789-_"), strlen(txt) - 5);
		assert_int_equal(captoken_from_text(txt, strlen(txt), back, sizeof back, &n), CT_OK);
		assert_int_equal(n, t.n);
		assert_memory_equal(back, t.b, n);
		if (i < CT_MAX_CAVEATS)		/* +10 bytes: every n mod 3 */
			t = add_u64(&t, CT_CAV_BUDGET, (uint64_t)i);
	}
	/* Small exact cases (RFC 4648 section 10, base64url, no padding). */
	assert_int_equal(captoken_to_text((const uint8_t *)"foob", 4, txt, sizeof txt), CT_OK);
	assert_string_equal(txt, "lux1.Zm9vYg");
	assert_int_equal(captoken_to_text((const uint8_t *)"\xfb\xff", 2, txt, sizeof txt), CT_OK);
	assert_string_equal(txt, "lux1.-_8");
	assert_int_equal(captoken_from_text("lux1.Zm9vYmE", 12, raw, sizeof raw, &n), CT_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(raw, "fooba", 5);
	/* Rejections. */
	assert_int_equal(captoken_from_text("lux2.Zm9v", 9, raw, sizeof raw, &n), CT_EMALFORMED);
	assert_int_equal(captoken_from_text("lux1.Zm9vY", 10, raw, sizeof raw, &n), CT_EMALFORMED);
	assert_int_equal(captoken_from_text("lux1.Zm9vYg==", 13, raw, sizeof raw, &n), CT_EMALFORMED);
	assert_int_equal(captoken_from_text("lux1.Zm+v", 9, raw, sizeof raw, &n), CT_EMALFORMED);
	assert_int_equal(captoken_from_text("lux1.Zm9vYh", 11, raw, sizeof raw, &n), CT_EMALFORMED);
	assert_int_equal(captoken_from_text("lux1.Zm9vYmFy", 13, raw, 2, &n), CT_ESPACE);
	assert_int_equal(captoken_to_text((const uint8_t *)"foob", 4, txt, 11), CT_ESPACE);
	assert_int_equal(captoken_from_text("lux", 3, raw, sizeof raw, &n), CT_EMALFORMED);
}

/* ---- Forged tags ------------------------------------------------------ */

/* A tag wrong in its first byte and one wrong in its last are both
 * forgeries, whatever the caveats.  That rejection takes the same time
 * either way (the chain runs in full, the compare is lc_equal) is
 * measured side by side by bench-captoken, not asserted here: timing
 * belongs to the benchmarks, and a loaded machine made it flaky. */
static void test_forged_tag_any_byte(void **state)
{
	struct tok t, first, last;
	struct ct_request r = any_req(13, CT_R_READ);

	(void)state;
	t = mint(13, CT_R_READ, 0);
	for (int i = 0; i < 8; i++)
		t = add_u64(&t, CT_CAV_BUDGET, 100);
	assert_int_equal(verify(&t, &r), CT_OK);
	for (size_t i = t.n - 32; i < t.n; i++) {
		first = last = t;
		first.b[i] ^= 1;
		last.b[i] ^= 0x80;
		assert_int_equal(verify(&first, &r), CT_EFORGED);
		assert_int_equal(verify(&last, &r), CT_EFORGED);
	}
}

static void test_errors_are_strings(void **state)
{
	(void)state;
	for (int r = 0; r < CT_NRESULT; r++)
		assert_true(strncmp(captoken_errstr(r), r ? "token: " : "ok", 2) == 0);
	assert_string_equal(captoken_errstr(-1), "token: unknown error");
	assert_int_equal(captoken_lux_err(CT_EFORGED), E_PERM);
	assert_int_equal(captoken_lux_err(CT_EMALFORMED), E_INVAL);
	assert_int_equal(captoken_lux_err(CT_ENOSLOT), E_NOSPC);
	assert_int_equal(captoken_lux_err(CT_OK), LUX_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_key_fails_closed),
		cmocka_unit_test(test_init_with_generator),
		cmocka_unit_test_setup(test_lc_mac_is_keyed_blake2b, setup),
		cmocka_unit_test_setup(test_chain_known_answer, setup),
		cmocka_unit_test_setup(test_forged_and_tampered_rejected, setup),
		cmocka_unit_test_setup(test_derived_cannot_widen, setup),
		cmocka_unit_test_setup(test_path_prefix, setup),
		cmocka_unit_test_setup(test_revoke_kills_256_derived, setup),
		cmocka_unit_test_setup(test_revocable_child, setup),
		cmocka_unit_test_setup(test_slots_run_out_cleanly, setup),
		cmocka_unit_test_setup(test_codec_rejects_malformed, setup),
		cmocka_unit_test_setup(test_max_caveats, setup),
		cmocka_unit_test_setup(test_text_roundtrip, setup),
		cmocka_unit_test_setup(test_forged_tag_any_byte, setup),
		cmocka_unit_test_setup(test_errors_are_strings, setup),
	};

	if (lc_init(entropy) < 0)
		return 1;
	return cmocka_run_group_tests(tests, 0, 0);
}
