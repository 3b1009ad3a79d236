/*
 * Signature checks, /secure/crypto/verify (docs/crypto.md, "Sessions"): a
 * kind of clone session (devcrypto_clone.c).  N/ctl takes the public key,
 * "pubkey HEX" (32 bytes) or "key NAME" (an ed25519 key of keys/, its
 * public half), and "sig HEX" (64 bytes); N/data buffers the message, and
 * reading it answers "ok\n", or fails with "verify: bad signature".  A
 * public key needs no secrecy, but a named key's use is still audited and
 * charged like any other (ks_use).
 */
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/keystore.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "devcrypto_clone.h"

struct verify {
	bool haspk, hassig;
	uint8_t pk[LC_ED25519_PK];
	uint8_t sig[LC_ED25519_SIG];
};

static int verify_ctl(struct dc_sess *s, const char *verb, const char *arg)
{
	struct verify *v = s->priv;
	uint8_t b[LC_ED25519_SIG];
	int err;

	if (kstrcmp(verb, "pubkey") == 0) {
		if ((err = dc_unhex(s, "pubkey", arg, b, LC_ED25519_PK, 0, 0)) < 0)
			return err;
		ks_drop(s->key);	/* a given key replaces a named one */
		s->key = 0;
		kmemcpy(v->pk, b, LC_ED25519_PK);
		v->haspk = true;
		return 0;
	}
	if (kstrcmp(verb, "key") == 0) {
		if ((err = dc_setkey(s, arg, KS_ED25519)) < 0)
			return err;
		v->haspk = false;
		return 0;
	}
	if (kstrcmp(verb, "sig") == 0) {
		if ((err = dc_unhex(s, "sig", arg, b, LC_ED25519_SIG, 0, 0)) < 0)
			return err;
		kmemcpy(v->sig, b, LC_ED25519_SIG);
		v->hassig = true;
		return 0;
	}
	return DC_UNKNOWN;
}

static int verify_run(struct dc_sess *s)
{
	struct verify *v = s->priv;
	const uint8_t *pk = v->pk;
	size_t pklen = LC_ED25519_PK;
	int err;

	if (!v->hassig)
		return proc_seterr(E_INVAL, "verify: no signature (write \"sig HEX\" to ctl)");
	if (s->key) {
		if ((err = ks_use(s->key, "verify", s->inlen)) < 0)
			return err;
		pk = ks_public(s->key, &pklen);
	} else if (!v->haspk) {
		return proc_seterr(E_INVAL,
		                   "verify: no key (write \"pubkey HEX\" or \"key NAME\" to ctl)");
	}
	if (pk == 0 || pklen != LC_ED25519_PK)
		return proc_seterr(E_CRYPTO, "verify: the key has no Ed25519 public part");
	if (lc_ed25519_verify(v->sig, s->in ? s->in : (const uint8_t *)"", s->inlen, pk) < 0)
		return dc_fail(s, E_CRYPTO, "verify: bad signature");
	return dc_output_text(s, "ok\n", 3);
}

static size_t verify_state(struct dc_sess *s, char *buf, size_t size)
{
	struct verify *v = s->priv;
	char pk[2 * LC_ED25519_PK + 1], sig[2 * LC_ED25519_SIG + 1];

	khex(pk, v->pk, sizeof v->pk);
	khex(sig, v->sig, sizeof v->sig);
	return (size_t)ksnprintf(buf, size, "alg ed25519\npubkey %s\nsig %s\n",
	                         v->haspk ? pk : "none", v->hassig ? sig : "none");
}

const struct dc_kind dc_verify = {
	.name = "verify",
	.keyalg = -1,		/* key NAME or pubkey HEX: verify_ctl */
	.needkey = false,
	.maxmsg = DEVCRYPTO_MSGMAX,
	.privsize = sizeof(struct verify),
	.usage = "pubkey HEX, key NAME, sig HEX",
	.ctl = verify_ctl,
	.run = verify_run,
	.state = verify_state,
};
