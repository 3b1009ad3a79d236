/*
 * The server's side of the handshake: read the hello (version first, so a
 * future layout is refused as a version, not as garbage); answer with its
 * nonce, ephemeral key and host key, signed over the transcript; check
 * the user's proof (signature, then the caller's authorized-keys answer)
 * or unseal the token and hand it to the caller's verifier; confirm the
 * keys.  The record cipher is the server's pick from the client's offer:
 * AES-256-GCM when both run it, else ChaCha20-Poly1305.
 */
#include "auth_impl.h"

#include <lux/string.h>

static bool str_is(const uint8_t *s, size_t n, const char *c)
{
	return n == kstrlen(c) && kmemcmp(s, c, n) == 0;
}

static int hello(struct auth *a, const uint8_t *in, size_t inlen, struct wr *w)
{
	static const uint8_t zero[LC_ED25519_SIG];
	struct rd r;
	const uint8_t *ver, *meth, *user, *nc, *ec;
	unsigned offer, common;
	size_t vl, ml, ul, n;
	uint8_t th[64], blob[96], *h;
	char text[40];

	if (msg_open(a, &r, in, inlen, MSG_HELLO, "hello") < 0)
		return a->err;
	ver = rd_str(&r, 255, &vl, "version");
	if (ver && !str_is(ver, vl, AUTH_PROTOCOL)) {
		printable(text, sizeof text, ver, vl);
		return fail(a, AUTH_EVERSION,
		            "auth: client speaks '%s', this server speaks " AUTH_PROTOCOL, text);
	}
	meth = rd_str(&r, 255, &ml, "method");
	user = rd_str(&r, 255, &ul, "user name");
	nc = rd_bytes(&r, AUTH_NONCE, "client nonce");
	ec = rd_bytes(&r, AUTH_KEY, "client ephemeral key");
	offer = rd_u8(&r, "ciphers");
	if (msg_close(a, &r, "hello") < 0)
		return a->err;
	printable(text, sizeof text, meth, ml);
	if (str_is(meth, ml, "ed25519"))
		a->method = AUTH_M_ED25519;
	else if (str_is(meth, ml, "token"))
		a->method = AUTH_M_TOKEN;
	else
		return fail(a, AUTH_EMETHOD, "auth: unknown method '%s'", text);
	if (!(a->sc.methods & a->method))
		return fail(a, AUTH_EMETHOD, "auth: method %s is not allowed on this server", text);
	if (!user_name_ok(user, ul)) {
		printable(text, sizeof text, user, ul);
		return fail(a, AUTH_EUSERNAME,
		            "auth: bad user name '%s' (%zu bytes; 1..31 of A-Z a-z 0-9 . _ -)",
		            text, ul);
	}
	/* Bits we do not know are ciphers of a later version: ignored. */
	common = offer & a->ciphers;
	if (common == 0)
		return fail(
		    a, AUTH_ECIPHER,
		    "auth: no record cipher in common (client offers %#x, this server runs %#x)",
		    offer, a->ciphers);
	a->cipher = common & AUTH_C_AES256GCM ? AUTH_C_AES256GCM : AUTH_C_CHACHA20POLY1305;
	kmemcpy(a->user, user, ul);
	kmemcpy(a->nonce_c, nc, AUTH_NONCE);
	kmemcpy(a->epk_c, ec, AUTH_KEY);
	th_add(a, in, inlen);
	if (dh(a, a->epk_c) < 0)
		return a->err;

	h = wr_msg(w, MSG_SERVER);
	wr_bytes(w, a->nonce_s, AUTH_NONCE);
	wr_bytes(w, a->epk_s, AUTH_KEY);
	wr_bytes(w, a->sc.host_pk, AUTH_KEY);
	wr_u8(w, a->cipher);	/* signed with the rest: the pick is the server's */
	wr_bytes(w, zero, sizeof zero);
	wr_end(w, h);
	if (w->bad)
		return 0;	/* auth_step reports the short buffer */
	n = (size_t)(w->p - h) - LC_ED25519_SIG;
	th_add(a, h, n);
	th_peek(a, th);
	if (lc_ed25519_sign(h + n, blob, signed_blob(blob, LABEL_SERVER, th), a->sc.host_sk) < 0)
		return fail(a, AUTH_ECRYPTO, "auth: signing with the host key failed");
	th_add(a, h + n, LC_ED25519_SIG);
	a->phase = PH_PROOF;
	return AUTH_CONTINUE;
}

static int user_proof(struct auth *a, const uint8_t *in, size_t inlen)
{
	struct rd r;
	const uint8_t *pk, *sig;
	uint8_t th[64], blob[96];
	char fp[AUTH_FP_MAX];
	int k;

	if (msg_open(a, &r, in, inlen, MSG_USERPROOF, "user proof") < 0)
		return a->err;
	pk = rd_bytes(&r, AUTH_KEY, "user key");
	sig = rd_bytes(&r, LC_ED25519_SIG, "user signature");
	if (msg_close(a, &r, "user proof") < 0)
		return a->err;
	kmemcpy(a->user_pk, pk, AUTH_KEY);
	auth_fingerprint(a->user_pk, fp, sizeof fp);
	/* The signature covers both nonces, both ephemerals and the host
	 * key: a proof recorded from another session cannot verify here. */
	th_add(a, in, inlen - LC_ED25519_SIG);
	th_peek(a, th);
	if (lc_ed25519_verify(sig, blob, signed_blob(blob, LABEL_CLIENT, th), a->user_pk) != 0)
		return fail(a, AUTH_EUSERSIG, "auth: bad signature from user %s (key %s)", a->user,
		            fp);
	th_add(a, sig, LC_ED25519_SIG);
	k = a->sc.user_key(a->sc.arg, a->user, a->user_pk);
	if (k == AUTH_USER_UNKNOWN)
		return fail(a, AUTH_EUNKNOWNUSER, "auth: unknown user %s (key %s)", a->user, fp);
	if (k != AUTH_USER_OK)
		return fail(a, AUTH_EUSERKEY, "auth: key %s is not authorized for user %s", fp,
		            a->user);
	return 0;
}

static int token(struct auth *a, const uint8_t *in, size_t inlen)
{
	static const uint8_t nonce[12];
	struct rd r;
	const uint8_t *c;
	size_t clen;
	uint8_t th[64], k[32];
	int ok;

	if (msg_open(a, &r, in, inlen, MSG_TOKEN, "token") < 0)
		return a->err;
	clen = rd_u16(&r, "sealed token length");
	if (!r.bad && (clen <= LC_AEAD_TAG || clen > CT_WIRE_MAX + LC_AEAD_TAG))
		r.bad = "sealed token length";
	c = rd_bytes(&r, clen, "sealed token");
	if (msg_close(a, &r, "token") < 0)
		return a->err;
	th_peek(a, th);
	if (derive(a, th, KDF_HS, KID_TOKEN, k) < 0)
		return fail(a, AUTH_ECRYPTO, "auth: deriving the token key failed");
	ok = lc_aead_decrypt(LC_CHACHA20POLY1305, a->token, c, clen, 0, 0, nonce, k) == 0;
	lc_wipe(k, sizeof k);
	if (!ok) {
		lc_wipe(a->token, sizeof a->token);
		return fail(a, AUTH_ETOKEN,
		            "auth: token from user %s does not unseal (altered in transit)",
		            a->user);
	}
	a->token_len = clen - LC_AEAD_TAG;
	th_add(a, in, inlen);
	ok = a->sc.token_ok(a->sc.arg, a->user, a->token, a->token_len, &a->grant);
	if (ok != CT_OK)
		return fail(a, AUTH_ETOKEN, "auth: token for user %s refused: %s", a->user,
		            captoken_errstr(ok));
	return 0;
}

int server_step(struct auth *a, const uint8_t *in, size_t inlen, struct wr *w)
{
	uint8_t mac[32], *h;

	if (a->phase == PH_HELLO)
		return hello(a, in, inlen, w);
	if (a->phase != PH_PROOF)
		return fail(a, AUTH_ESTATE, "auth: server stepped in a finished handshake");
	if ((a->method == AUTH_M_TOKEN ? token(a, in, inlen) : user_proof(a, in, inlen)) < 0)
		return a->err;
	if (finish_keys(a, mac) < 0)
		return a->err;
	h = wr_msg(w, MSG_CONFIRM);
	wr_bytes(w, mac, sizeof mac);
	wr_end(w, h);
	lc_wipe(mac, sizeof mac);
	if (w->bad)
		return 0;
	a->phase = PH_DONE;
	return AUTH_DONE;
}
