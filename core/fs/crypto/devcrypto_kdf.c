/*
 * Subkeys, /secure/crypto/kdf (docs/crypto.md, "Sessions"): a kind of
 * clone session (devcrypto_clone.c).  N/ctl takes "key NAME" (the master:
 * an aead key, or a mac key of 32 bytes), "context CTX" (exactly 8
 * printable characters), "id N" (0..2^64-1), "len N" (16..64 bytes,
 * default 32) and "into NEWNAME [aead|mac]", which stores subkey id as a
 * new key (aead, the default, wants len 32), exportable exactly when the
 * master is.  The derivation is libsodium's crypto_kdf_derive_from_key
 * (keyed BLAKE2b).  Reading N/data returns "subkey HEX" ONLY when the
 * master is exportable; otherwise subkeys never leave the kernel.
 */
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/keystore.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "devcrypto_clone.h"

struct kdf {
	bool hasctx;
	char ctx[LC_KDF_CONTEXT + 1];
	uint64_t id;
	size_t len;		/* 0: 32 */
};

static size_t sublen(const struct kdf *d)
{
	return d->len ? d->len : 32;
}

static int setkey(struct dc_sess *s, const char *name)
{
	int err = dc_setkey(s, name, KS_AEAD);

	if (err == E_INVAL)	/* not an aead key: a mac key will do */
		err = dc_setkey(s, name, KS_MAC);
	if (err == E_INVAL)
		return proc_seterr(E_INVAL, "kdf: key %s is neither an aead key nor a mac key",
		                   name);
	return err;
}

/* Subkey id of the pinned master into sub[0..sublen). */
static int derive(struct dc_sess *s, struct kdf *d, uint8_t *sub, const char *what)
{
	const uint8_t *key;
	size_t keylen;
	int err;

	if (s->key == 0)
		return proc_seterr(E_INVAL, "kdf: no key (write \"key NAME\" to ctl)");
	if (!d->hasctx)
		return proc_seterr(E_INVAL,
		                   "kdf: no context (write \"context CTX\", 8 characters, to ctl)");
	key = ks_secret(s->key, &keylen);
	if (key == 0 || keylen != LC_KDF_KEY)
		return proc_seterr(E_INVAL, "kdf: the master key must be %d bytes, %s has %zu",
		                   LC_KDF_KEY, ks_name(s->key), keylen);
	if ((err = ks_use(s->key, what, sublen(d))) < 0)
		return err;
	if (lc_kdf_derive(sub, sublen(d), d->id, d->ctx, key) < 0)
		return proc_seterr(E_CRYPTO, "kdf: derivation failed");
	return 0;
}

static int into(struct dc_sess *s, struct kdf *d, const char *arg)
{
	char name[KS_NAMELEN];
	const char *sp = kstrchr(arg, ' ');
	size_t n = sp ? (size_t)(sp - arg) : kstrlen(arg);
	enum ks_alg alg = KS_AEAD;
	uint8_t sub[LC_KDF_MAX];
	int err;

	if (n == 0 || n >= sizeof name)
		return proc_seterr(E_INVAL, "kdf ctl: into NEWNAME [aead|mac]");
	kmemcpy(name, arg, n);
	name[n] = 0;
	if (sp) {
		if (kstrcmp(sp + 1, "mac") == 0)
			alg = KS_MAC;
		else if (kstrcmp(sp + 1, "aead") != 0)
			return proc_seterr(E_INVAL, "kdf ctl: into NEWNAME [aead|mac]");
	}
	if (alg == KS_AEAD && sublen(d) != KS_AEADKEY)
		return proc_seterr(E_INVAL,
		                   "kdf: an aead key is %d bytes (len %zu: use into NAME mac)",
		                   KS_AEADKEY, sublen(d));
	if ((err = derive(s, d, sub, "kdf-into")) < 0)
		return err;
	err = ks_store(name, alg, sub, sublen(d), dc_exportable(s->key));
	lc_wipe(sub, sizeof sub);
	return err;
}

static int kdf_ctl(struct dc_sess *s, const char *verb, const char *arg)
{
	struct kdf *d = s->priv;
	uint64_t v;
	int err;

	if (kstrcmp(verb, "key") == 0)
		return *arg ? setkey(s, arg) : proc_seterr(E_INVAL, "kdf ctl: key NAME");
	if (kstrcmp(verb, "context") == 0) {
		if (kstrlen(arg) != LC_KDF_CONTEXT)
			return proc_seterr(E_INVAL, "kdf: context: want exactly %d characters",
			                   LC_KDF_CONTEXT);
		kmemcpy(d->ctx, arg, LC_KDF_CONTEXT);
		d->hasctx = true;
		return 0;
	}
	if (kstrcmp(verb, "id") == 0) {
		if ((err = dc_number(s, "id", arg, 0, ~(uint64_t)0, &v)) < 0)
			return err;
		d->id = v;
		return 0;
	}
	if (kstrcmp(verb, "len") == 0) {
		if ((err = dc_number(s, "len", arg, LC_KDF_MIN, LC_KDF_MAX, &v)) < 0)
			return err;
		d->len = (size_t)v;
		return 0;
	}
	if (kstrcmp(verb, "into") == 0)
		return into(s, d, arg);
	return DC_UNKNOWN;
}

static int kdf_run(struct dc_sess *s)
{
	struct kdf *d = s->priv;
	uint8_t sub[LC_KDF_MAX];
	char text[2 * LC_KDF_MAX + 16];
	int err;

	if (s->key && !dc_exportable(s->key))
		return proc_seterr(E_PERM,
		                   "kdf: key %s is not exportable, so neither are its "
		                   "subkeys (use into NEWNAME)",
		                   ks_name(s->key));
	if ((err = derive(s, d, sub, "kdf")) < 0)
		return err;
	kstrlcpy(text, "subkey ", sizeof text);
	khex(text + 7, sub, sublen(d));
	text[7 + 2 * sublen(d)] = '\n';
	err = dc_output_text(s, text, 8 + 2 * sublen(d));
	lc_wipe(sub, sizeof sub);
	lc_wipe(text, sizeof text);
	return err;
}

static size_t kdf_state(struct dc_sess *s, char *buf, size_t size)
{
	struct kdf *d = s->priv;

	return (size_t)ksnprintf(buf, size, "alg blake2b\ncontext %s\nid %llu\nlen %zu\n",
	                         d->hasctx ? d->ctx : "none", (unsigned long long)d->id, sublen(d));
}

const struct dc_kind dc_kdf = {
	.name = "kdf",
	.keyalg = -1,		/* aead or mac master: kdf_ctl */
	.needkey = true,
	.maxmsg = 0,		/* nothing to write: all ctl */
	.privsize = sizeof(struct kdf),
	.usage = "key NAME, context CTX, id N, len N, into NEWNAME [aead|mac]",
	.ctl = kdf_ctl,
	.run = kdf_run,
	.state = kdf_state,
};
