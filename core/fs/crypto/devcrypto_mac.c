/*
 * MACs, /secure/crypto/mac (docs/crypto.md, "Sessions"): a kind of clone
 * session (devcrypto_clone.c).  N/ctl takes "key NAME" (a mac key of
 * keys/, 16..64 bytes), "alg hmac-sha256|hmac-sha512|blake2b" (HMAC-SHA-256
 * by default) and, for blake2b only, "len N" (tag bytes, 16..64, default
 * 32); N/data buffers the message, and reading it returns the tag in hex
 * plus a newline.  Each tag is one key use (ks_use).
 */
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/keystore.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "devcrypto_clone.h"

struct mac {
	enum lc_auth_alg alg;	/* LC_HMAC_SHA256 = 0: the default */
	size_t len;		/* blake2b's tag bytes; 0: lc_auth_len */
};

static int mac_ctl(struct dc_sess *s, const char *verb, const char *arg)
{
	struct mac *m = s->priv;
	uint64_t v;
	int err;

	if (kstrcmp(verb, "alg") == 0) {
		for (int a = 0; a < LC_AUTH_NALGS; a++) {
			if (kstrcmp(arg, lc_auth_name((enum lc_auth_alg)a)) == 0) {
				m->alg = (enum lc_auth_alg)a;
				return 0;
			}
		}
		return proc_seterr(E_INVAL,
		                   "mac: no alg %.32s (want hmac-sha256, hmac-sha512 "
		                   "or blake2b)",
		                   arg);
	}
	if (kstrcmp(verb, "len") == 0) {
		if ((err = dc_number(s, "len", arg, 16, LC_AUTH_MAX, &v)) < 0)
			return err;
		m->len = (size_t)v;
		return 0;
	}
	return DC_UNKNOWN;
}

static size_t taglen(const struct mac *m)
{
	return m->alg == LC_BLAKE2B_KEYED && m->len ? m->len : lc_auth_len(m->alg);
}

static int mac_run(struct dc_sess *s)
{
	struct mac *m = s->priv;
	uint8_t tag[LC_AUTH_MAX];
	const uint8_t *key;
	size_t keylen;
	int err;

	if (m->len && m->alg != LC_BLAKE2B_KEYED)
		return proc_seterr(E_INVAL, "mac: len is for blake2b only (%s tags are %zu bytes)",
		                   lc_auth_name(m->alg), lc_auth_len(m->alg));
	if ((err = ks_use(s->key, lc_auth_name(m->alg), s->inlen)) < 0)
		return err;
	key = ks_secret(s->key, &keylen);
	if (key == 0 || lc_auth(m->alg, tag, taglen(m), key, keylen,
	                        s->in ? s->in : (const uint8_t *)"", s->inlen) < 0)
		return proc_seterr(E_CRYPTO, "mac: %s failed", lc_auth_name(m->alg));
	err = dc_output_hex(s, tag, taglen(m));
	lc_wipe(tag, sizeof tag);
	return err;
}

static size_t mac_state(struct dc_sess *s, char *buf, size_t size)
{
	struct mac *m = s->priv;

	return (size_t)ksnprintf(buf, size, "alg %s\nlen %zu\n", lc_auth_name(m->alg), taglen(m));
}

const struct dc_kind dc_mac = {
	.name = "mac",
	.keyalg = KS_MAC,
	.needkey = true,
	.maxmsg = DEVCRYPTO_MSGMAX,
	.privsize = sizeof(struct mac),
	.usage = "key NAME, alg hmac-sha256|hmac-sha512|blake2b, len N",
	.ctl = mac_ctl,
	.run = mac_run,
	.state = mac_state,
};
