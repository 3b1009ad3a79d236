/*
 * Capability tokens: the host key, the slot table, mint, attenuate,
 * verify, revoke (see <lux/captoken.h> and docs/capabilities.md).
 *
 * Who owns what: the slot table and the host key are the kernel's, under
 * ct_lock (a spinlock: verification may come from any context and holds
 * it only to read or bump a generation).  Tokens are bytes in the
 * caller's buffers; nothing here keeps a pointer to them.
 *
 * Constant time: the only secrets are the host key and the tags the
 * kernel recomputes.  The MAC is libsodium's (lc_mac), the final compare
 * is lc_equal (sodium_memcmp), and the recomputed tag is wiped and never
 * returned: it would be a valid tag for whatever id the caller sent.  How
 * long parsing, the chain and the caveat checks take depends only on the
 * token's public bytes and the request.
 */
#include <lux/captoken.h>
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/string.h>

_Static_assert(CT_TAG == LC_MAC_BYTES, "token tag is one MAC");
_Static_assert(CT_SLOTS <= 65536, "slot numbers are u16 on the wire");
_Static_assert(CT_MAX_CAVEATS <= 255, "caveat count is u8 on the wire");

struct ct_slot {
	uint32_t gen;		/* bumped by revoke; tokens carry it */
	bool live;		/* minted and not revoked since */
	bool retired;		/* gen would wrap: never reused */
	uint64_t object;	/* a root slot's object (0: a derived one's) */
};

/* slots[]: each token generation's live and retired flags (revocation) */
static struct spinlock ct_lock = SPINLOCK_INIT("captoken");
static struct ct_slot slots[CT_SLOTS];
static uint8_t hostkey[LC_MAC_KEY];
static bool keyed;

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void reset_table(void)
{
	spin_lock(&ct_lock);
	kmemset(slots, 0, sizeof slots);
	spin_unlock(&ct_lock);
}

int captoken_init(void)
{
	lc_random(hostkey, sizeof hostkey);
	keyed = true;
	reset_table();
	return CT_OK;
}

void captoken_init_key(const uint8_t key[32])
{
	kmemcpy(hostkey, key, sizeof hostkey);
	keyed = true;
	reset_table();
}

/* ---- Slots ------------------------------------------------------------ */

static int slot_alloc(struct ct_cap *cap, uint64_t object)
{
	int r = CT_ENOSLOT;

	spin_lock(&ct_lock);
	for (unsigned i = 0; i < CT_SLOTS; i++) {
		if (!slots[i].live && !slots[i].retired) {
			slots[i].live = true;
			slots[i].object = object;
			cap->slot = (uint16_t)i;
			cap->gen = slots[i].gen;
			r = CT_OK;
			break;
		}
	}
	spin_unlock(&ct_lock);
	return r;
}

/* Called with ct_lock held. */
static bool slot_current(unsigned slot, uint32_t gen)
{
	return slot < CT_SLOTS && slots[slot].live && slots[slot].gen == gen;
}

bool captoken_live(struct ct_cap cap)
{
	bool ok;

	spin_lock(&ct_lock);
	ok = slot_current(cap.slot, cap.gen);
	spin_unlock(&ct_lock);
	return ok;
}

int captoken_revoke(struct ct_cap cap)
{
	int r = CT_EREVOKED;

	if (cap.slot >= CT_SLOTS)
		return CT_EINVAL;
	spin_lock(&ct_lock);
	if (slot_current(cap.slot, cap.gen)) {
		struct ct_slot *s = &slots[cap.slot];

		s->live = false;
		if (++s->gen == UINT32_MAX)
			s->retired = true;
		r = CT_OK;
	}
	spin_unlock(&ct_lock);
	return r;
}

size_t captoken_slots_live(uint64_t object)
{
	size_t n = 0;

	spin_lock(&ct_lock);
	for (unsigned i = 0; i < CT_SLOTS; i++)
		n += slots[i].live && slots[i].object == object;
	spin_unlock(&ct_lock);
	return n;
}

size_t captoken_slots_free(void)
{
	size_t n = 0;

	spin_lock(&ct_lock);
	for (unsigned i = 0; i < CT_SLOTS; i++)
		n += !slots[i].live && !slots[i].retired;
	spin_unlock(&ct_lock);
	return n;
}

/* ---- Mint and attenuate ----------------------------------------------- */

int captoken_mint(uint64_t object, uint32_t rights, struct ct_cap *cap, uint8_t *out,
                  size_t cap_bytes, size_t *len)
{
	size_t n = CT_ID_BYTES + 1 + CT_TAG;
	int r;

	if (!keyed)
		return CT_ENOKEY;
	if (rights & ~(uint32_t)CT_R_ALL)
		return CT_EINVAL;
	if (cap_bytes < n)
		return CT_ESPACE;
	if ((r = slot_alloc(cap, object)) != CT_OK)
		return r;
	out[0] = CT_VERSION;
	put_le(out + 1, cap->slot, 2);
	put_le(out + 3, cap->gen, 4);
	put_le(out + 7, object, 8);
	put_le(out + 15, rights, 4);
	out[CT_ID_BYTES] = 0;
	if (lc_mac(out + CT_ID_BYTES + 1, hostkey, out, CT_ID_BYTES) < 0) {
		captoken_revoke(*cap);
		return CT_ECRYPTO;
	}
	*len = n;
	return CT_OK;
}

int captoken_attenuate(const uint8_t *in, size_t n, enum ct_caveat_kind kind, const void *val,
                       size_t vlen, uint8_t *out, size_t cap_bytes, size_t *len)
{
	struct ct_view v;
	uint8_t cav[2 + CT_PATH_MAX], tag[CT_TAG];
	size_t body, need;
	int r;

	if ((r = captoken_decode(in, n, &v)) != CT_OK)
		return r;
	if (v.ncav == CT_MAX_CAVEATS)
		return CT_ETOOMANY;
	if (vlen > CT_PATH_MAX || captoken_caveat_ok(kind, val, vlen) != CT_OK)
		return CT_EINVAL;
	body = n - CT_TAG;
	need = body + 2 + vlen + CT_TAG;
	if (cap_bytes < need)
		return CT_ESPACE;
	cav[0] = (uint8_t)kind;
	cav[1] = (uint8_t)vlen;
	kmemcpy(cav + 2, val, vlen);
	/* The holder's key for the next link is the current tag. */
	if (lc_mac(tag, v.tag, cav, 2 + vlen) < 0)
		return CT_ECRYPTO;
	if (out != in)
		kmemmove(out, in, body);
	out[CT_ID_BYTES] = (uint8_t)(v.ncav + 1);
	kmemcpy(out + body, cav, 2 + vlen);
	kmemcpy(out + body + 2 + vlen, tag, CT_TAG);
	*len = need;
	return CT_OK;
}

int captoken_restrict_rights(const uint8_t *in, size_t n, uint32_t rights, uint8_t *out,
                             size_t cap_bytes, size_t *len)
{
	uint8_t v[4];

	put_le(v, rights, 4);
	return captoken_attenuate(in, n, CT_CAV_RIGHTS, v, 4, out, cap_bytes, len);
}

int captoken_restrict_u64(const uint8_t *in, size_t n, enum ct_caveat_kind kind, uint64_t x,
                          uint8_t *out, size_t cap_bytes, size_t *len)
{
	uint8_t v[8];

	put_le(v, x, 8);
	return captoken_attenuate(in, n, kind, v, 8, out, cap_bytes, len);
}

/* ---- Verify ----------------------------------------------------------- */

/*
 * The chain.  Every step runs whatever the bytes are (no early exit), and
 * the result is one constant-time compare.  The running tag is a secret
 * until compared: wiped on the way out.
 */
static int chain_ok(const uint8_t *tok, const struct ct_view *v)
{
	uint8_t t[CT_TAG];
	int fail = lc_mac(t, hostkey, tok, CT_ID_BYTES);
	bool eq;

	for (unsigned i = 0; i < v->ncav; i++)
		fail |= lc_mac(t, t, v->cav[i].val - 2, 2u + v->cav[i].len);
	eq = lc_equal(t, v->tag, CT_TAG);
	lc_wipe(t, sizeof t);
	if (fail)
		return CT_ECRYPTO;
	return eq ? CT_OK : CT_EFORGED;
}

/* Live: the root slot at the minted generation, and every REVOKER slot at
 * its generation, read under one lock so a revoke is all or nothing. */
static int live(const struct ct_view *v)
{
	bool ok;

	spin_lock(&ct_lock);
	ok = slot_current(v->slot, v->gen);
	for (unsigned i = 0; ok && i < v->ncav; i++)
		if (v->cav[i].kind == CT_CAV_REVOKER)
			ok = slot_current((unsigned)get_le(v->cav[i].val, 2),
			                  (uint32_t)get_le(v->cav[i].val + 2, 4));
	spin_unlock(&ct_lock);
	return ok ? CT_OK : CT_EREVOKED;
}

/* Fold the caveats into the narrowed grant (public data only). */
static void narrow(const struct ct_view *v, struct ct_grant *g)
{
	g->object = v->object;
	g->rights = v->rights;
	g->budget = UINT64_MAX;
	g->expiry_ns = UINT64_MAX;
	g->cap.slot = v->slot;
	g->cap.gen = v->gen;
	for (unsigned i = 0; i < v->ncav; i++) {
		const struct ct_caveat *k = &v->cav[i];
		uint64_t x = k->len == 4 || k->len == 8 ? get_le(k->val, k->len) : 0;

		if (k->kind == CT_CAV_RIGHTS)
			g->rights &= (uint32_t)x;
		else if (k->kind == CT_CAV_EXPIRY && x < g->expiry_ns)
			g->expiry_ns = x;
		else if (k->kind == CT_CAV_BUDGET && x < g->budget)
			g->budget = x;
	}
}

/* Authenticate and check liveness; fill v and g.  The MAC comes first so
 * a forger learns nothing about slots. */
static int check(const uint8_t *tok, size_t n, struct ct_view *v, struct ct_grant *g)
{
	int r;

	if (!keyed)
		return CT_ENOKEY;
	if ((r = captoken_decode(tok, n, v)) != CT_OK)
		return r;
	if ((r = chain_ok(tok, v)) != CT_OK)
		return r;
	if ((r = live(v)) != CT_OK)
		return r;
	narrow(v, g);
	return CT_OK;
}

/* A path is within a prefix when it starts with it at an element
 * boundary ("/a/b" holds "/a/b" and "/a/b/c", not "/a/bc"), and has no
 * ".." element that could climb back out. */
static bool path_within(const char *path, const uint8_t *pre, size_t len)
{
	size_t pl;

	if (path == 0)
		return false;
	pl = kstrlen(path);
	if (pl < len || kmemcmp(path, pre, len) != 0)
		return false;
	if (pl != len && pre[len - 1] != '/' && path[len] != '/')
		return false;
	for (const char *e = path; *e; e++)
		if (e[0] == '.' && e[1] == '.' && (e == path || e[-1] == '/') &&
		    (e[2] == 0 || e[2] == '/'))
			return false;
	return true;
}

int captoken_verify(const uint8_t *tok, size_t n, const struct ct_request *req,
                    struct ct_grant *grant)
{
	struct ct_view v;
	struct ct_grant g;
	int r;

	if ((r = check(tok, n, &v, &g)) != CT_OK)
		return r;
	if (req->object != g.object)
		return CT_EOBJECT;
	if (req->rights & ~g.rights)
		return CT_ERIGHTS;
	for (unsigned i = 0; i < v.ncav; i++)
		if (v.cav[i].kind == CT_CAV_PATH &&
		    !path_within(req->path, v.cav[i].val, v.cav[i].len))
			return CT_EPATH;
	if (req->now_ns >= g.expiry_ns)
		return CT_EEXPIRED;
	if (req->budget > g.budget)
		return CT_EBUDGET;
	if (grant)
		*grant = g;
	return CT_OK;
}

int captoken_derive_revocable(const uint8_t *in, size_t n, struct ct_cap *child, uint8_t *out,
                              size_t cap_bytes, size_t *len)
{
	struct ct_view v;
	struct ct_grant g;
	uint8_t val[6];
	int r;

	if ((r = check(in, n, &v, &g)) != CT_OK)
		return r;
	if (!(g.rights & CT_R_DELEGATE))
		return CT_ERIGHTS;
	if (v.ncav == CT_MAX_CAVEATS)
		return CT_ETOOMANY;
	if (cap_bytes < n + 2 + sizeof val)
		return CT_ESPACE;
	if ((r = slot_alloc(child, 0)) != CT_OK)
		return r;
	put_le(val, child->slot, 2);
	put_le(val + 2, child->gen, 4);
	r = captoken_attenuate(in, n, CT_CAV_REVOKER, val, sizeof val, out, cap_bytes, len);
	if (r != CT_OK)
		captoken_revoke(*child);
	return r;
}

/* ---- Errors ----------------------------------------------------------- */

static const char *const ct_msgs[CT_NRESULT] = {
	[CT_OK] = "ok",
	[CT_EMALFORMED] = "token: malformed",
	[CT_EVERSION] = "token: unknown version",
	[CT_ETOOMANY] = "token: too many caveats (max 32)",
	[CT_EFORGED] = "token: bad MAC (forged, tampered or from another boot)",
	[CT_EREVOKED] = "token: revoked",
	[CT_ERIGHTS] = "token: rights not granted",
	[CT_EPATH] = "token: path outside the token's prefix",
	[CT_EEXPIRED] = "token: expired",
	[CT_EBUDGET] = "token: budget exceeds the token's limit",
	[CT_EOBJECT] = "token: names another object",
	[CT_ENOSLOT] = "token: no free capability slot",
	[CT_ESPACE] = "token: buffer too small",
	[CT_EINVAL] = "token: bad argument",
	[CT_ENOKEY] = "token: no host key (captoken_init not run)",
	[CT_ECRYPTO] = "token: MAC failed",
};

const char *captoken_errstr(int r)
{
	if (r < 0 || r >= CT_NRESULT || ct_msgs[r] == 0)
		return "token: unknown error";
	return ct_msgs[r];
}

int captoken_lux_err(int r)
{
	switch (r) {
	case CT_OK: return LUX_OK;
	case CT_EMALFORMED:
	case CT_EVERSION:
	case CT_ETOOMANY:
	case CT_EINVAL: return E_INVAL;
	case CT_ENOSLOT:
	case CT_ESPACE: return E_NOSPC;
	case CT_ECRYPTO:
	case CT_ENOKEY: return E_CRYPTO;
	}
	return E_PERM;
}
