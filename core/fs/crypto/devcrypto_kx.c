/*
 * Key exchange, /secure/crypto/kx (docs/crypto.md, "Sessions"): a kind of
 * clone session (devcrypto_clone.c).  N/ctl takes "key NAME" (an x25519
 * key of keys/: ours), "peer HEX" (the peer's 32-byte public key) and
 * "into NEWNAME", which stores the shared key as a new aead key NEWNAME:
 * BLAKE2b-256(q || the two public keys in memcmp order), q the X25519
 * shared secret (lc_kx_shared says why that order).  NEWNAME is
 * exportable exactly when our key is: it adds no secrecy of its own.
 *
 * Reading N/data describes the exchange: our public key, the peer's, the
 * key made "into", and q itself in hex ONLY when our key is exportable
 * (so RFC 7748's vectors can be checked through the files); otherwise q
 * never leaves the kernel.
 */
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/keystore.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "devcrypto_clone.h"

struct kx {
	bool haspeer;
	uint8_t peer[LC_X25519_KEY];
	char into[KS_NAMELEN];	/* the last key stored, or "" */
};

static int oursecret(struct dc_sess *s, const uint8_t **sk)
{
	size_t len;

	if (s->key == 0)
		return proc_seterr(E_INVAL, "kx: no key (write \"key NAME\" to ctl)");
	if (!((struct kx *)s->priv)->haspeer)
		return proc_seterr(E_INVAL, "kx: no peer (write \"peer HEX\" to ctl)");
	*sk = ks_secret(s->key, &len);
	if (*sk == 0 || len != LC_X25519_KEY)
		return proc_seterr(E_INVAL, "kx: the key is not a %d-byte x25519 key",
		                   LC_X25519_KEY);
	return 0;
}

static int into(struct dc_sess *s, struct kx *x, const char *name)
{
	uint8_t key[32];
	const uint8_t *sk;
	int err;

	if ((err = oursecret(s, &sk)) < 0)
		return err;
	if ((err = ks_use(s->key, "kx", 0)) < 0)
		return err;
	if (lc_kx_shared(key, sk, x->peer) < 0)
		return proc_seterr(E_CRYPTO,
		                   "kx: the peer key is a low-order point (no shared secret)");
	err = ks_store(name, KS_AEAD, key, sizeof key, dc_exportable(s->key));
	lc_wipe(key, sizeof key);
	if (err < 0)
		return err;
	kstrlcpy(x->into, name, sizeof x->into);
	return 0;
}

static int kx_ctl(struct dc_sess *s, const char *verb, const char *arg)
{
	struct kx *x = s->priv;
	uint8_t b[LC_X25519_KEY];
	int err;

	if (kstrcmp(verb, "peer") == 0) {
		if ((err = dc_unhex(s, "peer", arg, b, LC_X25519_KEY, 0, 0)) < 0)
			return err;
		kmemcpy(x->peer, b, sizeof b);
		x->haspeer = true;
		return 0;
	}
	if (kstrcmp(verb, "into") == 0) {
		if (*arg == 0)
			return proc_seterr(E_INVAL, "kx ctl: into NEWNAME");
		return into(s, x, arg);
	}
	return DC_UNKNOWN;
}

static int kx_run(struct dc_sess *s)
{
	struct kx *x = s->priv;
	char text[512], pub[2 * LC_X25519_KEY + 1], peer[2 * LC_X25519_KEY + 1];
	char shared[2 * LC_X25519_KEY + 1];
	uint8_t q[LC_X25519_KEY];
	const uint8_t *sk, *pk;
	size_t len, pklen;
	int err;

	if ((err = oursecret(s, &sk)) < 0)
		return err;
	pk = ks_public(s->key, &pklen);
	khex(pub, pk, pk && pklen == LC_X25519_KEY ? pklen : 0);
	khex(peer, x->peer, sizeof x->peer);
	len = (size_t)ksnprintf(text, sizeof text, "public %s\npeer %s\ninto %s\n", pub, peer,
	                        x->into[0] ? x->into : "none");
	if (dc_exportable(s->key)) {
		if ((err = ks_use(s->key, "kx-shared", 0)) < 0)
			return err;
		if (lc_x25519(q, sk, x->peer) < 0)
			return proc_seterr(
			    E_CRYPTO, "kx: the peer key is a low-order point (no shared secret)");
		khex(shared, q, sizeof q);
		lc_wipe(q, sizeof q);
		len += (size_t)ksnprintf(text + len, sizeof text - len, "shared %s\n", shared);
		lc_wipe(shared, sizeof shared);
	} else {
		len += (size_t)ksnprintf(
		    text + len, sizeof text - len,
		    "shared hidden (key %s is not exportable; use into NEWNAME)\n",
		    ks_name(s->key));
	}
	err = dc_output_text(s, text, MIN(len, sizeof text - 1));
	lc_wipe(text, sizeof text);
	return err;
}

static size_t kx_state(struct dc_sess *s, char *buf, size_t size)
{
	struct kx *x = s->priv;
	char peer[2 * LC_X25519_KEY + 1];

	khex(peer, x->peer, sizeof x->peer);
	return (size_t)ksnprintf(buf, size, "alg x25519\npeer %s\ninto %s\n",
	                         x->haspeer ? peer : "none", x->into[0] ? x->into : "none");
}

const struct dc_kind dc_kx = {
	.name = "kx",
	.keyalg = KS_X25519,
	.needkey = true,
	.maxmsg = 0,		/* nothing to write: the exchange is all ctl */
	.privsize = sizeof(struct kx),
	.usage = "key NAME, peer HEX, into NEWNAME",
	.ctl = kx_ctl,
	.run = kx_run,
	.state = kx_state,
};
