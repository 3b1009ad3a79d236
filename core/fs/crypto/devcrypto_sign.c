/*
 * Signing sessions, /secure/crypto/sign (docs/crypto.md, "Sessions"): a
 * kind of clone session (devcrypto_clone.c).  N/ctl takes "key NAME" (an
 * ed25519 key of keys/); N/data buffers the message, and reading it signs
 * the whole message with the version of the key the session pinned
 * (Ed25519 is not streaming, hence the buffer, at most DEVCRYPTO_SIGNMAX)
 * and returns the signature in hex plus a newline.  Each signature is one
 * key use: audited, its bytes charged (ks_use).
 */
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/keystore.h>
#include <lux/proc.h>

#include "devcrypto_clone.h"

static int sign_run(struct dc_sess *s)
{
	uint8_t sig[LC_ED25519_SIG];
	const uint8_t *sk;
	size_t sklen;
	int err;

	if ((err = ks_use(s->key, "sign", s->inlen)) < 0)
		return err;
	sk = ks_secret(s->key, &sklen);
	if (sk == 0 || sklen != LC_ED25519_SK ||
	    lc_ed25519_sign(sig, s->in ? s->in : (const uint8_t *)"", s->inlen, sk) < 0)
		return proc_seterr(E_CRYPTO, "sign: the signature failed");
	return dc_output_hex(s, sig, sizeof sig);
}

static size_t sign_state(struct dc_sess *s, char *buf, size_t size)
{
	(void)s;
	return (size_t)ksnprintf(buf, size, "alg ed25519\n");
}

const struct dc_kind dc_sign = {
	.name = "sign",
	.keyalg = KS_ED25519,
	.needkey = true,
	.maxmsg = DEVCRYPTO_SIGNMAX,
	.usage = "key NAME",
	.run = sign_run,
	.state = sign_state,
};
