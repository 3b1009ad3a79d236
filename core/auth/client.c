/*
 * The client's side of the handshake: hello; check the server's proof of
 * its host key (signature over the transcript, then known hosts); prove
 * the user (an Ed25519 signature, or a capability token sealed under a
 * key from this exchange); check the server's key confirmation.
 */
#include "auth_impl.h"

#include <lux/string.h>

static const char *method_name(enum auth_method m)
{
	return m == AUTH_M_TOKEN ? "token" : "ed25519";
}

static int hello(struct auth *a, const uint8_t *in, size_t inlen, struct wr *w)
{
	const char *m = method_name(a->method);
	uint8_t *h;

	USED(in);
	if (inlen != 0)
		return fail(a, AUTH_ESTATE,
		            "auth: the client speaks first; nothing may come before its hello");
	h = wr_msg(w, MSG_HELLO);
	wr_str(w, AUTH_PROTOCOL, kstrlen(AUTH_PROTOCOL));
	wr_str(w, m, kstrlen(m));
	wr_str(w, a->user, kstrlen(a->user));
	wr_bytes(w, a->nonce_c, AUTH_NONCE);
	wr_bytes(w, a->epk_c, AUTH_KEY);
	wr_u8(w, a->ciphers);	/* the offer: in the transcript the server signs */
	wr_end(w, h);
	if (w->bad)
		return 0;	/* auth_step reports the short buffer */
	th_add(a, w->start, (size_t)(w->p - w->start));
	a->phase = PH_PROOF;
	return AUTH_CONTINUE;
}

/* The server said no: keep its reason, quoted safely, for the caller. */
static int refused(struct auth *a, const uint8_t *in, size_t inlen)
{
	struct rd r;
	const uint8_t *s;
	size_t n;
	char text[AUTH_REASON_MAX];

	if (msg_open(a, &r, in, inlen, MSG_ERROR, "error") < 0)
		return a->err;
	s = rd_str(&r, 255, &n, "reason");
	if (msg_close(a, &r, "error") < 0)
		return a->err;
	printable(text, sizeof text, s, n);
	return fail(a, AUTH_EREFUSED, "auth: server refused: %s", text);
}

/* Sign the message in w from hdr on: it ends with a zeroed signature,
 * which is what the header's length counts; the transcript takes what
 * comes before the signature, the signature covers that hash, and then
 * the signature joins the transcript too. */
static int sign_tail(struct auth *a, struct wr *w, uint8_t *hdr, const char *label,
                     const uint8_t *sk)
{
	uint8_t h[64], blob[96];
	size_t n = (size_t)(w->p - hdr) - LC_ED25519_SIG;
	int r;

	th_add(a, hdr, n);
	th_peek(a, h);
	r = lc_ed25519_sign(hdr + n, blob, signed_blob(blob, label, h), sk);
	th_add(a, hdr + n, LC_ED25519_SIG);
	return r;
}

static int prove_user(struct auth *a, struct wr *w)
{
	static const uint8_t zero[LC_ED25519_SIG];
	uint8_t *h = wr_msg(w, MSG_USERPROOF);

	wr_bytes(w, a->cc.user_pk, AUTH_KEY);
	wr_bytes(w, zero, sizeof zero);
	wr_end(w, h);
	if (w->bad)
		return 0;
	if (sign_tail(a, w, h, LABEL_CLIENT, a->cc.user_sk) < 0)
		return fail(a, AUTH_ECRYPTO, "auth: signing the user proof failed");
	return 0;
}

/* The token travels sealed under a key from the DH secret and the
 * transcript so far: only the server that just proved its host key can
 * read it, and only in this session.  The key seals one message, so a
 * zero nonce is safe. */
static int send_token(struct auth *a, struct wr *w)
{
	static const uint8_t nonce[12];
	uint8_t th[64], k[32], *h;
	size_t clen = a->cc.token_len + LC_AEAD_TAG;
	int r;

	th_peek(a, th);
	if (derive(a, th, KDF_HS, KID_TOKEN, k) < 0)
		return fail(a, AUTH_ECRYPTO, "auth: deriving the token key failed");
	h = wr_msg(w, MSG_TOKEN);
	wr_u16(w, (unsigned)clen);
	if ((size_t)(w->end - w->p) < clen)
		w->bad = true;
	if (!w->bad) {
		r = lc_aead_encrypt(LC_CHACHA20POLY1305, w->p, a->cc.token, a->cc.token_len, 0, 0,
		                    nonce, k);
		w->p += clen;
		if (r < 0) {
			lc_wipe(k, sizeof k);
			return fail(a, AUTH_ECRYPTO, "auth: sealing the token failed");
		}
	}
	lc_wipe(k, sizeof k);
	wr_end(w, h);
	if (!w->bad)
		th_add(a, h, (size_t)(w->p - h));
	return 0;
}

static int server_proof(struct auth *a, const uint8_t *in, size_t inlen, struct wr *w)
{
	struct rd r;
	const uint8_t *ns, *es, *hk, *sig;
	uint8_t h[64], blob[96];
	char fp[AUTH_FP_MAX];
	unsigned cipher;
	int k;

	if (inlen > 0 && in && in[0] == MSG_ERROR)
		return refused(a, in, inlen);
	if (msg_open(a, &r, in, inlen, MSG_SERVER, "server proof") < 0)
		return a->err;
	ns = rd_bytes(&r, AUTH_NONCE, "server nonce");
	es = rd_bytes(&r, AUTH_KEY, "server ephemeral key");
	hk = rd_bytes(&r, AUTH_KEY, "host key");
	cipher = rd_u8(&r, "cipher");
	sig = rd_bytes(&r, LC_ED25519_SIG, "host signature");
	if (msg_close(a, &r, "server proof") < 0)
		return a->err;
	kmemcpy(a->nonce_s, ns, AUTH_NONCE);
	kmemcpy(a->epk_s, es, AUTH_KEY);
	kmemcpy(a->host_pk, hk, AUTH_KEY);
	auth_fingerprint(a->host_pk, fp, sizeof fp);

	/* The signature covers our nonce and our ephemeral key: a proof
	 * recorded from another session cannot verify in this one. */
	th_add(a, in, inlen - LC_ED25519_SIG);
	th_peek(a, h);
	if (lc_ed25519_verify(sig, blob, signed_blob(blob, LABEL_SERVER, h), a->host_pk) != 0)
		return fail(a, AUTH_EHOSTSIG, "auth: bad signature from host key %s", fp);
	th_add(a, sig, LC_ED25519_SIG);

	/* Only now ask who it is: the peer has shown it holds this key. */
	k = a->cc.known_host(a->cc.arg, a->host_pk);
	if (k == AUTH_HOST_MISMATCH)
		return fail(a, AUTH_EHOSTMISMATCH,
		            "auth: host key %s does not match known hosts (another machine answers "
		            "for this host)",
		            fp);
	if (k != AUTH_HOST_KNOWN)
		return fail(a, AUTH_EHOSTUNKNOWN, "auth: unknown host key %s (not in known hosts)",
		            fp);

	/* The pick is signed, so it is the server's own: one of ours, or
	 * a server that does not follow the protocol. */
	if (cipher == 0 || (cipher & (cipher - 1)) || (cipher & ~a->ciphers))
		return fail(a, AUTH_ECIPHER, "auth: host %s picked cipher %#x; we offered %#x", fp,
		            cipher, a->ciphers);
	a->cipher = cipher;

	if (dh(a, a->epk_s) < 0)
		return a->err;
	if ((a->method == AUTH_M_TOKEN ? send_token(a, w) : prove_user(a, w)) < 0)
		return a->err;
	if (w->bad)
		return 0;
	if (finish_keys(a, a->confirm) < 0)
		return a->err;
	a->phase = PH_CONFIRM;
	return AUTH_CONTINUE;
}

static int confirm(struct auth *a, const uint8_t *in, size_t inlen)
{
	struct rd r;
	const uint8_t *mac;

	if (inlen > 0 && in && in[0] == MSG_ERROR)
		return refused(a, in, inlen);
	if (msg_open(a, &r, in, inlen, MSG_CONFIRM, "confirmation") < 0)
		return a->err;
	mac = rd_bytes(&r, 32, "confirmation MAC");
	if (msg_close(a, &r, "confirmation") < 0)
		return a->err;
	if (!lc_equal(mac, a->confirm, 32))
		return fail(a, AUTH_ECONFIRM,
		            "auth: the server's key confirmation does not match (the exchange was "
		            "altered)");
	lc_wipe(a->confirm, sizeof a->confirm);
	a->phase = PH_DONE;
	return AUTH_DONE;
}

int client_step(struct auth *a, const uint8_t *in, size_t inlen, struct wr *w)
{
	switch (a->phase) {
	case PH_HELLO: return hello(a, in, inlen, w);
	case PH_PROOF: return server_proof(a, in, inlen, w);
	case PH_CONFIRM: return confirm(a, in, inlen);
	default: return fail(a, AUTH_ESTATE, "auth: client stepped in a finished handshake");
	}
}
