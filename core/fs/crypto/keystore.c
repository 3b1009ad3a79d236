/*
 * The keystore: named, versioned keys and the pins sessions hold on them
 * (<lux/keystore.h>; docs/crypto.md, "Keys").  The ctl language and the
 * text of keys/NAME are devcrypto_keys.c's.
 *
 * A key is an entry in a kernel-wide table of KS_KEYS slots.  Its versions
 * are red-blue versions (core/kern/redblue.c): blue is the current one;
 * ks_take pins blue (rb_read), rotate stages a fresh red and commits it,
 * and an old version is released (its secret wiped and freed) when its
 * last pin goes (rb_done).  So a rotate never changes a key under a
 * session that pinned it, and a new session always gets the new one.
 *
 * Borrow rules, the keystore's own (keys outlive the procs that made
 * them, so they cannot be objects of the per-proc borrow table): a pin is
 * a shared borrow of one version; delete and rotate borrow the entry
 * exclusively, which excludes each other; delete also needs no version
 * pinned ("key NAME is in use"), since it frees them all.  Refusals and
 * every use are audit records (/dev/audit).
 *
 * Pebbles: a pin charges its own memory, and ks_use the bytes it is about
 * to process, as `crypto` pebbles to the pinning proc's budget; they are
 * held by the pin and returned when it is dropped (session close or proc
 * exit), so a budget bounds how much crypto work a proc's live sessions
 * have done.
 *
 * Locking: the table and the counters are touched with upcalls off, in
 * short sections; secrets are made, copied and wiped outside them.  Only
 * an updater (rotate) may sleep, on the red-blue update lock.
 */
#include <lux/arch.h>
#include <lux/audit.h>
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/keystore.h>
#include <lux/lock.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/redblue.h>
#include <lux/string.h>
#include <lux/users.h>

/* The given-nonce marks of one key version (ks_nonce_next): the one
 * part of a version that changes, so it lives beside the immutable payload,
 * touched only with upcalls off. */
#define NLANES 2	/* 12-byte nonces, 24-byte nonces */
struct knonces {
	bool set[NLANES];
	uint8_t mark[NLANES][KS_NONCE_MAX];
};

/* One version of a key: the red-blue payload.  Immutable once blue (what
 * nonces points at is not: it is the version's, not a copy's). */
struct kver {
	uint32_t version;
	enum ks_alg alg;
	uint8_t *secret;	/* lc_secure_alloc'd, slen bytes */
	size_t slen;
	uint8_t pub[32];	/* ed25519 / x25519 public key */
	size_t plen;
	struct knonces *nonces;	/* kzalloc'd with each version; 0 only for ks_make's staging copy */
};

struct kentry {
	char name[KS_NAMELEN];
	char owner[28];		/* whose key: only they find it (find) */
	enum ks_alg alg;
	bool exportable;
	bool excl;		/* rotate or delete holds the entry */
	int pins;		/* pins on any of its versions */
	uint64_t uses;		/* ks_use calls, all versions */
	struct redblue rb;	/* its versions */
};

struct ks_ref {
	struct kentry *e;
	const struct kver *v;
	int slot;
	struct budget *budget;	/* the pinning proc's; 0 for the kernel */
	uint64_t charged;	/* crypto pebbles held for this pin */
};

static struct kentry *tab[KS_KEYS];
static uint32_t gens[KS_KEYS];	/* bumped when a slot is emptied: qids */
static size_t nversions;	/* live versions (secrets held) */
static void (*wipe_hook)(const uint8_t *p, size_t n);
/* nversions: changed as versions come and go, from inside redblue's calls,
 * which may run under ks_lock: a leaf of its own */
static struct spinlock versions_lock = SPINLOCK_INIT("keystore-versions");
/* tab[], gens[], and each entry's excl, pins and uses, and its versions'
 * nonce marks.  Taken before redblue-pins (a pin under it); never across
 * a redblue update (rb_begin sleeps) or an audit record. */
static struct spinlock ks_lock = SPINLOCK_INIT("keystore");

/* Is v key e's current (blue) version? */
static bool is_blue(struct kentry *e, const struct kver *v)
{
	return rb_is_blue(&e->rb, v);
}

bool ks_goodname(const char *s, size_t n)
{
	if (n == 0 || n >= KS_NAMELEN || kstrcmp(s, "ctl") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || (c == '.' && i > 0)))
			return false;
	}
	return s[n] == 0;
}

static const char *const algnames[] = {
	[KS_ED25519] = "ed25519",
	[KS_X25519] = "x25519",
	[KS_AEAD] = "aead",
	[KS_MAC] = "mac",
};

const char *ks_alg_name(enum ks_alg alg)
{
	return (unsigned)alg < nelem(algnames) ? algnames[alg] : "?";
}

int ks_alg_lookup(const char *s)
{
	for (size_t i = 0; i < nelem(algnames); i++)
		if (kstrcmp(s, algnames[i]) == 0)
			return (int)i;
	return -1;
}

void ks_test_wipe_hook(void (*fn)(const uint8_t *p, size_t n))
{
	wipe_hook = fn;
}

/* ---- versions ---------------------------------------------------------- */

static void kver_release(void *payload)
{
	struct kver *v = payload;

	kfree(v->nonces);	/* a version's marks go with it: a new version starts fresh */
	v->nonces = 0;
	if (v->secret == 0)
		return;
	lc_wipe(v->secret, v->slen);
	if (wipe_hook)
		wipe_hook(v->secret, v->slen);
	lc_secure_free(v->secret, v->slen);
	v->secret = 0;
	spin_lock(&versions_lock);
	nversions--;
	spin_unlock(&versions_lock);
}

/* A deep copy: versions never share a secret, so releasing one never
 * touches another.  The updater then overwrites the copy's material. */
static int kver_copy(void *dst, const void *src)
{
	struct kver *d = dst;
	const struct kver *v = src;

	*d = *v;
	d->secret = 0;
	/* a copy is a new version (rb_begin's red, rb_init's first): none of
	 * its nonces are used yet, whatever the source's marks say */
	if ((d->nonces = kzalloc(sizeof *d->nonces)) == 0)
		return E_NOMEM;	/* kver_release frees what is there */
	if (rb_fault() || (d->secret = lc_secure_alloc(v->slen)) == 0)
		return E_NOMEM;
	kmemcpy(d->secret, v->secret, v->slen);
	spin_lock(&versions_lock);
	nversions++;
	spin_unlock(&versions_lock);
	return 0;
}

static const struct rb_ops kver_ops = {
	.size = sizeof(struct kver),
	.copy = kver_copy,
	.release = kver_release,
};

/* Fill v's public part from its secret (ed25519: secret is the 64-byte
 * libsodium secret key made from the 32-byte seed in seed). */
static int derive(struct kver *v, const uint8_t *material, size_t len)
{
	switch (v->alg) {
	case KS_ED25519:
		if (len != LC_ED25519_SEED)
			return E_INVAL;
		v->plen = LC_ED25519_PK;
		return lc_ed25519_seed_keypair(v->pub, v->secret, material) < 0 ? E_CRYPTO : 0;
	case KS_X25519:
		if (len != LC_X25519_KEY)
			return E_INVAL;
		kmemcpy(v->secret, material, len);
		v->plen = LC_X25519_KEY;
		return lc_x25519_public(v->pub, v->secret) < 0 ? E_CRYPTO : 0;
	case KS_AEAD:
	case KS_MAC:
		kmemcpy(v->secret, material, len);
		v->plen = 0;
		return 0;
	}
	return E_INVAL;
}

static size_t secret_len(enum ks_alg alg, size_t material)
{
	return alg == KS_ED25519 ? LC_ED25519_SK : material;
}

int ks_material_ok(enum ks_alg alg, size_t len)
{
	switch (alg) {
	case KS_ED25519: return len == LC_ED25519_SEED;
	case KS_X25519: return len == LC_X25519_KEY;
	case KS_AEAD: return len == KS_AEADKEY;
	case KS_MAC: return len >= KS_MACMIN && len <= KS_MACMAX;
	}
	return 0;
}

/* ---- the table --------------------------------------------------------- */

/* Who asks: the running proc's user; the kernel itself is eve. */
static const char *caller(void)
{
	struct proc *p = curproc();

	return p && p->cred.user[0] ? p->cred.user : eve;
}

static bool mine(const struct kentry *e)
{
	return e && kstrcmp(e->owner, caller()) == 0;
}

/* The caller's key name: a slot, or E_NOENT (upcalls off). */
static int find(const char *name)
{
	for (int i = 0; i < KS_KEYS; i++)
		if (mine(tab[i]) && kstrcmp(tab[i]->name, name) == 0)
			return i;
	return E_NOENT;
}

/* Another user's key of that name: not there for the caller, but a
 * probe of it is a refusal like any other, so it is audited. */
static void audit_probe(const char *name, const char *op)
{
	spin_lock(&ks_lock);
	int slot = -1;

	for (int i = 0; i < KS_KEYS && slot < 0; i++)
		if (tab[i] && kstrcmp(tab[i]->name, name) == 0 && !mine(tab[i]))
			slot = i;
	spin_unlock(&ks_lock);
	if (slot >= 0)
		audit_log(curproc(), op, (uint32_t)slot, name, "refused: %s is not its owner",
		          caller());
}

static size_t owned(const char *user)
{
	size_t n = 0;

	for (int i = 0; i < KS_KEYS; i++)
		n += tab[i] && kstrcmp(tab[i]->owner, user) == 0;
	return n;
}

int ks_lookup(const char *name)
{
	spin_lock(&ks_lock);
	int r = find(name);

	spin_unlock(&ks_lock);
	if (r < 0)
		audit_probe(name, "key-walk");
	return r;
}

int ks_slot_id(int slot)
{
	int r = E_NOENT;

	if (slot < 0 || slot >= KS_KEYS)
		return E_NOENT;
	spin_lock(&ks_lock);
	if (mine(tab[slot]))	/* another user's key is not there for us */
		r = (int)(slot + KS_KEYS * (gens[slot] & 0xffffff));
	spin_unlock(&ks_lock);
	return r;
}

int ks_id_slot(int id)
{
	int slot = id % KS_KEYS;

	return id >= 0 && ks_slot_id(slot) == id ? slot : E_NOENT;
}

size_t ks_keys(void)
{
	size_t n = 0;
	spin_lock(&ks_lock);

	for (int i = 0; i < KS_KEYS; i++)
		n += tab[i] != 0;
	spin_unlock(&ks_lock);
	return n;
}

size_t ks_versions(void)
{
	return nversions;
}

static void entry_free(struct kentry *e)
{
	rb_destroy(&e->rb);
	lc_wipe(e, sizeof *e);
	kfree(e);
}

/* none is every unauthenticated client at once: a key of none's was every
 * anonymous client's, from any host, to read, export, use and delete
 * (tests/attacks/l_none_keys.py), and 16 of them filled its share for all
 * who came after.  none owns nothing (as it mints no tokens and kills no
 * proc): it makes no keys.  What needs no key (hashes, random, pwhash,
 * verify) stays open to it. */
static int none_owns_no_keys(const char *name)
{
	audit_log(curproc(), "key-new", 0, name, "refused: none owns no keys");
	return proc_seterr(E_PERM, "permission denied: none owns no keys (authenticate first)");
}

static int find_owned(const char *owner, const char *name);

/* A new key NAME of owner's at version (ks_make: the caller's, 1). */
static int make(const char *owner, const char *name, enum ks_alg alg, const uint8_t *material,
                size_t len, bool exportable, uint32_t version)
{
	struct kentry *e;
	struct kver init;
	int err, slot = KS_KEYS;

	if (!ks_material_ok(alg, len))
		return proc_seterr(E_INVAL, "keys: wrong key length %zu for a %s key", len,
		                   ks_alg_name(alg));
	if (nversions >= KS_VERSIONS)
		return proc_seterr(E_NOSPC, "keys: %d key versions alive (drop sessions)",
		                   KS_VERSIONS);
	if ((e = kzalloc(sizeof *e)) == 0)
		return E_NOMEM;
	kstrlcpy(e->name, name, sizeof e->name);
	kstrlcpy(e->owner, owner, sizeof e->owner);
	e->alg = alg;
	e->exportable = exportable;
	kmemset(&init, 0, sizeof init);
	init.version = version;
	init.alg = alg;
	init.slen = secret_len(alg, len);
	if ((init.secret = lc_secure_alloc(init.slen)) == 0) {
		kfree(e);
		return E_NOMEM;
	}
	spin_lock(&versions_lock);
	nversions++;	/* init's; kver_release undoes it */
	spin_unlock(&versions_lock);
	if ((err = derive(&init, material, len)) == 0)
		err = rb_init(&e->rb, &kver_ops, &init);	/* a deep copy */
	kver_release(&init);
	if (err < 0) {	/* rb_init freed what it made */
		kfree(e);
		return err;
	}
	spin_lock(&ks_lock);
	if (find_owned(owner, name) >= 0) {
		err = E_EXIST;
	} else if (owned(e->owner) >= KS_USERKEYS) {
		err = E_BUDGET;
	} else {
		for (slot = 0; slot < KS_KEYS && tab[slot]; slot++)
			;
		if (slot == KS_KEYS)
			err = E_NOSPC;
		else
			tab[slot] = e;
	}
	spin_unlock(&ks_lock);
	if (err < 0) {
		entry_free(e);
		if (err == E_EXIST)
			return proc_seterr(E_EXIST, "key %s already exists", name);
		if (err == E_BUDGET)
			return proc_seterr(E_BUDGET, "budget exhausted: keys %d/%d (%s's)",
			                   KS_USERKEYS, KS_USERKEYS, owner);
		return proc_seterr(E_NOSPC, "keys: all %d key slots are in use", KS_KEYS);
	}
	audit_log(curproc(), "key-new", (uint32_t)slot, name, "%s key, version %u%s",
	          ks_alg_name(alg), version, exportable ? ", exportable" : "");
	return 0;
}

int ks_make(const char *name, enum ks_alg alg, const uint8_t *material, size_t len, bool exportable)
{
	if (kstrcmp(caller(), none) == 0)
		return none_owns_no_keys(name);
	return make(caller(), name, alg, material, len, exportable, 1);
}

size_t ks_save_all(struct ks_saved *out, size_t max)
{
	size_t n = 0;

	/* as ks_info: the table under ks_lock, each version pinned for its
	 * copy (keystore -> redblue-pins) */
	spin_lock(&ks_lock);
	for (int i = 0; i < KS_KEYS && n < max; i++) {
		struct kentry *e = tab[i];
		const struct kver *v;

		if (e == 0 || e->alg == KS_AEAD)
			continue;	/* see <lux/keystore.h>: given nonces */
		v = rb_read(&e->rb);
		kstrlcpy(out[n].name, e->name, sizeof out[n].name);
		kstrlcpy(out[n].owner, e->owner, sizeof out[n].owner);
		out[n].alg = e->alg;
		out[n].exportable = e->exportable;
		out[n].version = v->version;
		/* what ks_make takes: an ed25519 key's seed is the first half
		 * of libsodium's secret key (seed || public) */
		out[n].mlen = e->alg == KS_ED25519 ? LC_ED25519_SEED : v->slen;
		kmemcpy(out[n].material, v->secret, out[n].mlen);
		rb_done(&e->rb, v);
		n++;
	}
	spin_unlock(&ks_lock);
	return n;
}

int ks_restore(const struct ks_saved *k)
{
	if (!ks_goodname(k->name, kstrnlen(k->name, KS_NAMELEN)) || k->alg == KS_AEAD ||
	    kstrcmp(ks_alg_name(k->alg), "?") == 0 || k->version == 0 || k->mlen > KS_MACMAX)
		return proc_seterr(E_INVAL, "keys: a saved key that is not one");
	return make(k->owner, k->name, k->alg, k->material, k->mlen, k->exportable, k->version);
}

int ks_store(const char *name, enum ks_alg alg, const uint8_t *secret, size_t len, bool exportable)
{
	if (!ks_goodname(name, kstrnlen(name, KS_NAMELEN)))
		return proc_seterr(E_INVAL, "bad key name");
	return ks_make(name, alg, secret, len, exportable);
}

/* Take slot's entry exclusively (for delete and rotate): the entry, or 0
 * with the error set. */
static struct kentry *take_excl(const char *name, const char *op, int *slot, int *err)
{
	spin_lock(&ks_lock);
	struct kentry *e = 0;
	int i = find(name);

	if (i < 0) {
		*err = E_NOENT;
	} else if (tab[i]->excl) {
		*err = E_INUSE;
	} else {
		e = tab[i];
		e->excl = true;
		*slot = i;
	}
	spin_unlock(&ks_lock);
	if (*err == E_NOENT) {
		audit_probe(name, op);
		proc_seterr(E_NOENT, "no such key %s", name);
	}
	if (*err == E_INUSE) {
		audit_log(curproc(), op, (uint32_t)i, name,
		          "refused: key busy with another update");
		proc_seterr(E_INUSE, "key %s is in use", name);
	}
	return e;
}

int ks_delete(const char *name)
{
	struct kentry *e;
	int err = 0, slot = 0, pins;

	if ((e = take_excl(name, "key-delete", &slot, &err)) == 0)
		return err;
	spin_lock(&ks_lock);
	pins = e->pins;
	if (pins == 0) {
		tab[slot] = 0;
		gens[slot]++;
	} else {
		e->excl = false;
	}
	spin_unlock(&ks_lock);
	if (pins) {
		audit_log(curproc(), "key-delete", (uint32_t)slot, name,
		          "refused: %d session%s hold%s it", pins, pins == 1 ? "" : "s",
		          pins == 1 ? "s" : "");
		return proc_seterr(E_INUSE, "key %s is in use", name);
	}
	audit_log(curproc(), "key-delete", (uint32_t)slot, name, "deleted");
	entry_free(e);	/* nothing pins it: every version goes, wiped */
	return 0;
}

int ks_rotate(const char *name, uint32_t *version)
{
	uint8_t material[KS_MACMAX];
	struct kentry *e;
	struct kver *red;
	size_t len;
	int err = 0, slot = 0;

	if ((e = take_excl(name, "key-rotate", &slot, &err)) == 0)
		return err;
	if (nversions >= KS_VERSIONS) {
		err = proc_seterr(E_NOSPC, "keys: %d key versions alive (drop sessions)",
		                  KS_VERSIONS);
	} else if ((red = rb_begin(&e->rb, &err)) != 0) {
		/* fresh material of the same shape: a mac key keeps its length */
		len = red->alg == KS_ED25519 ? LC_ED25519_SEED : red->slen;
		lc_random(material, len);
		red->version++;
		if ((err = derive(red, material, len)) < 0) {
			rb_abort(&e->rb);
		} else {
			*version = red->version;
			rb_commit(&e->rb);	/* pinned old versions stay until dropped */
		}
		lc_wipe(material, sizeof material);
	}
	spin_lock(&ks_lock);
	e->excl = false;
	spin_unlock(&ks_lock);
	if (err < 0)
		return err;
	audit_log(curproc(), "key-rotate", (uint32_t)slot, name, "version %u", *version);
	return 0;
}

/* ---- pins -------------------------------------------------------------- */

/* The budget crypto work is charged to: the principal's (<lux/proc.h>),
 * so a 9P connection's workers spend the connection's crypto pebbles. */
static struct budget *mybudget(void)
{
	struct proc *p = proc_principal(curproc());

	return p ? p->budget : 0;
}

static int take(const char *owner, const char *name, enum ks_alg alg, struct ks_ref **out);

int ks_take(const char *name, enum ks_alg alg, struct ks_ref **out)
{
	return take(caller(), name, alg, out);
}

int ks_take_owned(const char *owner, const char *name, enum ks_alg alg, struct ks_ref **out)
{
	return take(owner, name, alg, out);
}

static int find_owned(const char *owner, const char *name)
{
	for (int i = 0; i < KS_KEYS; i++)
		if (tab[i] && kstrcmp(tab[i]->owner, owner) == 0 &&
		    kstrcmp(tab[i]->name, name) == 0)
			return i;
	return E_NOENT;
}

static int take(const char *owner, const char *name, enum ks_alg alg, struct ks_ref **out)
{
	struct ks_ref *r;
	struct kentry *e = 0;
	int i, err = 0;

	*out = 0;
	if ((r = kzalloc(sizeof *r)) == 0)
		return E_NOMEM;
	r->budget = mybudget();
	if (r->budget && (err = budget_charge(r->budget, PB_CRYPTO, sizeof *r)) < 0) {
		kfree(r);
		return err;
	}
	r->charged = r->budget ? sizeof *r : 0;
	spin_lock(&ks_lock);
	if ((i = find_owned(owner, name)) < 0) {
		err = E_NOENT;
	} else if (tab[i]->alg != alg) {
		err = E_INVAL;
	} else {
		e = tab[i];
		e->pins++;
		r->e = e;
		r->slot = i;
		r->v = rb_read(&e->rb);
	}
	spin_unlock(&ks_lock);
	if (err < 0) {
		const char *want = ks_alg_name(alg);
		if (r->budget)
			budget_release(r->budget, PB_CRYPTO, r->charged);
		kfree(r);
		if (err == E_NOENT) {
			audit_probe(name, "key-use");
			return proc_seterr(E_NOENT, "no such key %s", name);
		}
		return proc_seterr(E_INVAL, "key %s is not a%s %s key", name,
		                   want[0] == 'a' || want[0] == 'e' || want[0] == 'x' ? "n" : "",
		                   want);
	}
	*out = r;
	return 0;
}

const uint8_t *ks_secret(const struct ks_ref *r, size_t *len)
{
	*len = r->v->slen;
	return r->v->secret;
}

const uint8_t *ks_public(const struct ks_ref *r, size_t *len)
{
	*len = r->v->plen;
	return r->v->plen ? r->v->pub : 0;
}

uint32_t ks_version(const struct ks_ref *r)
{
	return r->v->version;
}

const char *ks_name(const struct ks_ref *r)
{
	return r->e->name;
}

int ks_current(const struct ks_ref *r)
{
	/* the entry cannot go while r pins it (delete refuses) */
	if (is_blue(r->e, r->v))
		return 0;
	return proc_seterr(E_STALE, "key rotated: %s is at a newer version than %u", r->e->name,
	                   r->v->version);
}

int ks_nonce_next(struct ks_ref *r, const uint8_t *nonce, size_t len)
{
	struct knonces *k = r->v->nonces;
	int lane = len == 12 ? 0 : len == 24 ? 1 : -1, cmp, why = KS_NONCE_OK;
	size_t i;

	if (lane < 0 || k == 0)	/* the callers' contract: 12- or 24-byte nonces, a key with lanes */
		panic("ks_nonce_next: a %zu-byte nonce, lanes %p", len, (void *)k);
	/* compare and move in one section: two sessions giving the same
	 * nonce at once cannot both pass */
	spin_lock(&ks_lock);
	if (k->set[lane]) {
		for (i = 0; i < len && k->mark[lane][i] == 0xff; i++)
			;
		cmp = kmemcmp(nonce, k->mark[lane], len);
		if (i == len)
			why = KS_NONCE_SPENT;	/* nothing is greater: no wrap to 0 */
		else if (cmp == 0)
			why = KS_NONCE_REUSED;
		else if (cmp < 0)
			why = KS_NONCE_BELOW;
	}
	if (why == KS_NONCE_OK) {
		kmemcpy(k->mark[lane], nonce, len);
		k->set[lane] = true;
	}
	spin_unlock(&ks_lock);
	return why;
}

int ks_use(struct ks_ref *r, const char *what, size_t n)
{
	char desc[KS_NAMELEN + 16];
	int err;

	ksnprintf(desc, sizeof desc, "%s v%u", r->e->name, r->v->version);
	if (r->budget && (err = budget_charge(r->budget, PB_CRYPTO, n)) < 0) {
		audit_log(curproc(), "key-use", (uint32_t)r->slot, desc,
		          "refused: %s %zu bytes: %s", what, n, proc_errstr(err));
		return err;
	}
	if (r->budget)
		r->charged += n;
	spin_lock(&ks_lock);
	r->e->uses++;
	spin_unlock(&ks_lock);
	audit_log(curproc(), "key-use", (uint32_t)r->slot, desc, "%s %zu bytes", what, n);
	return 0;
}

void ks_drop(struct ks_ref *r)
{
	if (r == 0)
		return;
	if (r->budget && r->charged)
		budget_release(r->budget, PB_CRYPTO, r->charged);
	spin_lock(&ks_lock);
	r->e->pins--;
	spin_unlock(&ks_lock);
	rb_done(&r->e->rb, r->v);	/* an old version goes with its last pin */
	lc_wipe(r, sizeof *r);
	kfree(r);
}

int ks_info(int slot, struct ks_info *out, uint8_t *secret, size_t size)
{
	struct kentry *e;
	const struct kver *v;

	if (slot < 0 || slot >= KS_KEYS)
		return E_NOENT;
	/* A copy of at most ~200 bytes, all under ks_lock: nothing can
	 * delete under it, and it takes no pin of the entry, so a reader of
	 * keys/NAME never makes a delete fail as "in use".  The version is
	 * pinned for the copy: a rotation meanwhile only makes rb_done free
	 * it after (keystore -> redblue-pins -> keystore-versions, kalloc). */
	spin_lock(&ks_lock);
	e = tab[slot];
	if (!mine(e)) {
		spin_unlock(&ks_lock);
		return E_NOENT;
	}
	v = rb_read(&e->rb);
	kstrlcpy(out->name, e->name, sizeof out->name);
	kstrlcpy(out->owner, e->owner, sizeof out->owner);
	out->alg = e->alg;
	out->exportable = e->exportable;
	out->version = v->version;
	out->uses = e->uses;
	out->pins = e->pins;
	out->plen = v->plen;
	kmemcpy(out->pub, v->pub, sizeof out->pub);
	out->slen = 0;
	if (e->exportable && secret) {
		/* what import takes back: an ed25519 key's seed is the first
		 * half of libsodium's secret key (seed || public) */
		size_t n = e->alg == KS_ED25519 ? LC_ED25519_SEED : v->slen;
		if (n <= size) {
			kmemcpy(secret, v->secret, n);
			out->slen = n;
		}
	}
	rb_done(&e->rb, v);
	spin_unlock(&ks_lock);
	return 0;
}
