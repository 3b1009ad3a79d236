/*
 * The parts of the handshake both roles share: init, the step dispatcher
 * (with the server's error message on refusal), message framing, the
 * transcript and the key schedule, the getters and the error strings.
 * The roles themselves are client.c and server.c.
 */
#include "auth_impl.h"

#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/string.h>

int fail(struct auth *a, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(a->why, sizeof a->why, fmt, ap);
	va_end(ap);
	a->err = err;
	a->phase = PH_DEAD;
	/* No secret of a dead handshake is needed again. */
	lc_wipe(a->esk, sizeof a->esk);
	lc_wipe(a->shared, sizeof a->shared);
	lc_wipe(a->confirm, sizeof a->confirm);
	auth_rec_wipe(&a->tx);
	auth_rec_wipe(&a->rx);
	return err;
}

int msg_open(struct auth *a, struct rd *r, const uint8_t *in, size_t n, unsigned t,
             const char *what)
{
	size_t body;

	if (in == 0 || n < MSG_HDR)
		return fail(a, AUTH_EMALFORMED, "auth: %s message truncated: %zu bytes", what, n);
	if (in[0] != t)
		return fail(a, AUTH_EMALFORMED, "auth: expected the %s message, got type %u", what,
		            in[0]);
	body = (size_t)in[1] | (size_t)in[2] << 8;
	if (body != n - MSG_HDR)
		return fail(a, AUTH_EMALFORMED, "auth: %s message says %zu bytes but %zu came",
		            what, body, n - MSG_HDR);
	rd_init(r, in + MSG_HDR, body);
	return 0;
}

int msg_close(struct auth *a, struct rd *r, const char *what)
{
	if (r->bad)
		return fail(a, AUTH_EMALFORMED,
		            "auth: malformed %s message: %s truncated or out of range", what,
		            r->bad);
	if (r->p != r->end)
		return fail(a, AUTH_EMALFORMED,
		            "auth: malformed %s message: %zu bytes after the last field", what,
		            (size_t)(r->end - r->p));
	return 0;
}

/* ---- Transcript and keys ---------------------------------------------- */

void th_add(struct auth *a, const void *p, size_t n)
{
	lc_hash_update(&a->th, p, n);
}

void th_peek(const struct auth *a, uint8_t h[64])
{
	lc_hash_state copy = a->th;	/* BLAKE2b state is plain bytes: a copy forks it */

	lc_hash_final(&copy, h);
	lc_wipe(&copy, sizeof copy);
}

size_t signed_blob(uint8_t out[96], const char *label, const uint8_t h[64])
{
	size_t n = kstrlen(label) + 1;

	kmemcpy(out, label, n);
	kmemcpy(out + n, h, 64);
	return n + 64;
}

int dh(struct auth *a, const uint8_t peer[AUTH_KEY])
{
	if (lc_x25519(a->shared, a->esk, peer) < 0)
		return fail(
		    a, AUTH_ECRYPTO,
		    "auth: the peer's ephemeral key is a low-order point (no shared secret)");
	lc_wipe(a->esk, sizeof a->esk);	/* forward secrecy: only shared is needed now */
	return 0;
}

int derive(const struct auth *a, const uint8_t h[64], const char ctx[8], uint64_t id,
           uint8_t out[32])
{
	uint8_t prk[32];
	int r;

	/* Keyed BLAKE2b is a PRF: keyed by the DH secret, over the
	 * transcript, it binds the keys to everything either side said. */
	r = lc_auth(LC_BLAKE2B_KEYED, prk, sizeof prk, a->shared, sizeof a->shared, h, 64);
	if (r == 0)
		r = lc_kdf_derive(out, 32, id, ctx, prk);
	lc_wipe(prk, sizeof prk);
	return r;
}

int finish_keys(struct auth *a, uint8_t mac[32])
{
	uint8_t h[64], c2s[32], s2c[32], kc[32];
	int r;

	th_peek(a, h);
	r = derive(a, h, KDF_MS, KID_C2S, c2s);
	r |= derive(a, h, KDF_MS, KID_S2C, s2c);
	r |= derive(a, h, KDF_MS, KID_CONFIRM, kc);
	r |= lc_auth(LC_BLAKE2B_KEYED, mac, 32, kc, sizeof kc, h, sizeof h);
	if (r == 0) {
		struct auth_rec *c = a->role == 'c' ? &a->tx : &a->rx;
		struct auth_rec *s = a->role == 'c' ? &a->rx : &a->tx;

		kmemcpy(c->key, c2s, 32);
		kmemcpy(s->key, s2c, 32);
		c->cipher = s->cipher = (uint8_t)a->cipher;
		c->keyed = s->keyed = true;
	}
	lc_wipe(c2s, sizeof c2s);
	lc_wipe(s2c, sizeof s2c);
	lc_wipe(kc, sizeof kc);
	lc_wipe(a->shared, sizeof a->shared);
	if (r != 0)
		return fail(a, AUTH_ECRYPTO, "auth: key derivation failed");
	return 0;
}

/* ---- Ciphers ----------------------------------------------------------- */

unsigned auth_ciphers_available(void)
{
	return AUTH_C_CHACHA20POLY1305 | (lc_aead_available(LC_AES256GCM) ? AUTH_C_AES256GCM : 0u);
}

const char *auth_cipher_name(unsigned cipher)
{
	switch (cipher) {
	case 0: return "none";
	case AUTH_C_CHACHA20POLY1305: return "chacha20poly1305";
	case AUTH_C_AES256GCM: return "aes256gcm";
	default: return "?";
	}
}

enum lc_aead_alg cipher_alg(unsigned cipher)
{
	return cipher == AUTH_C_AES256GCM ? LC_AES256GCM : LC_CHACHA20POLY1305;
}

int ciphers_of(struct auth *a, unsigned asked)
{
	unsigned have = auth_ciphers_available();

	if (asked & ~(unsigned)AUTH_C_ALL)
		return fail(a, AUTH_ECIPHER, "auth: config asks for unknown ciphers %#x", asked);
	if (asked == 0)
		asked = AUTH_C_ALL;
	if ((asked & have) == 0)
		return fail(a, AUTH_ECIPHER,
		            "auth: config asks for ciphers %#x; this CPU runs only %#x", asked,
		            have);
	a->ciphers = asked & have;
	return 0;
}

/* ---- Init and step ---------------------------------------------------- */

static int begin(struct auth *a, uint8_t role, uint8_t *nonce, uint8_t *epk)
{
	a->role = role;
	a->phase = PH_HELLO;
	lc_random(nonce, AUTH_NONCE);
	lc_random(a->esk, sizeof a->esk);
	if (lc_hash_init(&a->th, LC_BLAKE2B512) < 0 || lc_x25519_public(epk, a->esk) < 0)
		return fail(a, AUTH_ECRYPTO, "auth: could not make an ephemeral key");
	return 0;
}

int auth_client_init(struct auth *a, const struct auth_client_config *c)
{
	size_t ul;

	kmemset(a, 0, sizeof *a);
	if (c == 0 || c->user == 0 || c->known_host == 0)
		return fail(a, AUTH_EINVAL,
		            "auth: client config lacks a user or a known-hosts callback");
	ul = kstrnlen(c->user, AUTH_USER_MAX);
	if (!user_name_ok((const uint8_t *)c->user, ul))
		return fail(a, AUTH_EUSERNAME, "auth: bad user name (1..31 of A-Z a-z 0-9 . _ -)");
	if (c->method == AUTH_M_ED25519 ? c->user_pk == 0 || c->user_sk == 0
	    : c->method == AUTH_M_TOKEN
	        ? c->token == 0 || c->token_len == 0 || c->token_len > CT_WIRE_MAX
	        : true)
		return fail(a, AUTH_EINVAL, "auth: client config: method needs its key or token");
	if (ciphers_of(a, c->ciphers) < 0)
		return a->err;
	a->cc = *c;
	a->method = c->method;
	kmemcpy(a->user, c->user, ul);
	return begin(a, 'c', a->nonce_c, a->epk_c);
}

int auth_server_init(struct auth *a, const struct auth_server_config *c)
{
	kmemset(a, 0, sizeof *a);
	if (c == 0 || c->host_pk == 0 || c->host_sk == 0 || c->methods == 0 ||
	    (c->methods & ~(unsigned)(AUTH_M_ED25519 | AUTH_M_TOKEN)) ||
	    ((c->methods & AUTH_M_ED25519) && c->user_key == 0) ||
	    ((c->methods & AUTH_M_TOKEN) && c->token_ok == 0))
		return fail(a, AUTH_EINVAL,
		            "auth: server config lacks a host key, methods or a callback");
	if (ciphers_of(a, c->ciphers) < 0)
		return a->err;
	a->sc = *c;
	return begin(a, 's', a->nonce_s, a->epk_s);
}

/* What a refusing server tells the client.  Whether a user exists, or
 * which check a proof failed, stays in the server's audit log (a->why):
 * the client learns only that it was refused. */
static const char *reason(int err)
{
	switch (err) {
	case AUTH_EVERSION:
		return "protocol version not supported (this server speaks " AUTH_PROTOCOL ")";
	case AUTH_EMETHOD: return "authentication method not allowed";
	case AUTH_EUSERNAME: return "bad user name";
	case AUTH_EMALFORMED: return "malformed message";
	case AUTH_ECRYPTO: return "key exchange failed";
	case AUTH_ECIPHER: return "no record cipher in common";
	default: return "authentication failed";
	}
}

int auth_step(struct auth *a, const uint8_t *in, size_t inlen, uint8_t *out, size_t cap,
              size_t *outlen)
{
	struct wr w;
	int r;

	*outlen = 0;
	if (a->err)
		return a->err;
	if (a->phase == PH_DONE)
		return fail(a, AUTH_ESTATE, "auth: step after the handshake was done");
	wr_init(&w, out, cap);
	r = a->role == 'c' ? client_step(a, in, inlen, &w) : server_step(a, in, inlen, &w);
	if (r >= 0 && w.bad)
		r = fail(a, AUTH_ESPACE,
		         "auth: output buffer of %zu bytes is too small (give AUTH_MSG_MAX)", cap);
	if (r < 0)
		wr_init(&w, out, cap);	/* nothing half-written goes out */
	if (r < 0 && a->role == 's' && r != AUTH_ESPACE && r != AUTH_ESTATE) {
		const char *why = reason(r);
		uint8_t *h;

		h = wr_msg(&w, MSG_ERROR);
		wr_str(&w, why, kstrlen(why));
		wr_end(&w, h);
		if (w.bad)
			w.p = w.start;
	}
	*outlen = (size_t)(w.p - w.start);
	return r;
}

/* ---- After the handshake ---------------------------------------------- */

const char *auth_user(const struct auth *a)
{
	return a->phase == PH_DONE ? a->user : "";
}

const uint8_t *auth_user_key(const struct auth *a)
{
	if (a->phase != PH_DONE || a->method != AUTH_M_ED25519)
		return 0;
	return a->role == 's' ? a->user_pk : a->cc.user_pk;
}

const uint8_t *auth_host_key(const struct auth *a)
{
	if (a->phase != PH_DONE)
		return 0;
	return a->role == 's' ? a->sc.host_pk : a->host_pk;
}

unsigned auth_cipher(const struct auth *a)
{
	return a->phase == PH_DONE ? a->cipher : 0;
}

const struct ct_grant *auth_grant(const struct auth *a)
{
	return a->phase == PH_DONE && a->role == 's' && a->method == AUTH_M_TOKEN ? &a->grant : 0;
}

const uint8_t *auth_token(const struct auth *a, size_t *len)
{
	if (!auth_grant(a)) {
		*len = 0;
		return 0;
	}
	*len = a->token_len;
	return a->token;
}

int auth_take_records(struct auth *a, struct auth_rec *tx, struct auth_rec *rx)
{
	if (a->phase != PH_DONE || !a->tx.keyed)
		return a->err ? a->err : AUTH_ESTATE;
	*tx = a->tx;
	*rx = a->rx;
	auth_rec_wipe(&a->tx);
	auth_rec_wipe(&a->rx);
	return 0;
}

const char *auth_why(const struct auth *a)
{
	return a->why;
}

void auth_wipe(struct auth *a)
{
	lc_wipe(a, sizeof *a);
}

static const char *const msgs[] = {
	[0] = "ok",
	[-AUTH_EMALFORMED] = "auth: malformed message",
	[-AUTH_EVERSION] = "auth: unsupported protocol version",
	[-AUTH_EMETHOD] = "auth: method unknown or not allowed",
	[-AUTH_EUSERNAME] = "auth: bad user name",
	[-AUTH_EHOSTSIG] = "auth: bad signature from the host",
	[-AUTH_EHOSTUNKNOWN] = "auth: unknown host key",
	[-AUTH_EHOSTMISMATCH] = "auth: host key does not match known hosts",
	[-AUTH_EUSERSIG] = "auth: bad signature from the user",
	[-AUTH_EUNKNOWNUSER] = "auth: unknown user",
	[-AUTH_EUSERKEY] = "auth: key not authorized for the user",
	[-AUTH_ETOKEN] = "auth: token refused",
	[-AUTH_EREFUSED] = "auth: refused by the server",
	[-AUTH_ECONFIRM] = "auth: key confirmation failed",
	[-AUTH_ECRYPTO] = "auth: crypto operation failed",
	[-AUTH_ESTATE] = "auth: call out of order",
	[-AUTH_ESPACE] = "auth: buffer too small",
	[-AUTH_EINVAL] = "auth: bad argument",
	[-AUTH_ERECORD] = "auth: record failed authentication",
	[-AUTH_ETOOBIG] = "auth: record too long",
	[-AUTH_ECLOSED] = "auth: record after close",
	[-AUTH_ETRUNCATED] = "auth: stream truncated (no close record)",
	[-AUTH_ESEQ] = "auth: record sequence exhausted",
	[-AUTH_ECIPHER] = "auth: no record cipher in common",
};
_Static_assert(sizeof msgs / sizeof msgs[0] == -AUTH_ENERR, "a message per error");

const char *auth_errstr(int err)
{
	if (err > 0 || err <= AUTH_ENERR || msgs[-err] == 0)
		return "auth: unknown error";
	return msgs[-err];
}

int auth_lux_err(int err)
{
	switch (err) {
	case 0: return LUX_OK;
	case AUTH_EHOSTSIG:
	case AUTH_EHOSTUNKNOWN:
	case AUTH_EHOSTMISMATCH:
	case AUTH_EUSERSIG:
	case AUTH_EUNKNOWNUSER:
	case AUTH_EUSERKEY:
	case AUTH_ETOKEN:
	case AUTH_EREFUSED:
	case AUTH_ECONFIRM: return E_PERM;
	case AUTH_ECRYPTO:
	case AUTH_ERECORD:
	case AUTH_ESEQ:
	case AUTH_ECIPHER: return E_CRYPTO;
	case AUTH_ESPACE: return E_NOSPC;
	case AUTH_ECLOSED:
	case AUTH_ETRUNCATED: return E_IO;
	default: return E_INVAL;
	}
}
