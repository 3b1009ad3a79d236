/*
 * The mount client's side of authentication (docs/security.md): `mount
 * -k KEY tcp!... /n/x` proves the mounting user's Ed25519 key (from the
 * keystore, /secure/crypto/keys) on an afid, checks the server's host key
 * against the kernel's known hosts (/adm/knownhosts), attaches through
 * the afid, and from the Rattach on seals every request and opens every
 * reply as records -- the same engine (core/auth) and the same shape the
 * server (srv_secure.c) and lux9p use.  Each redial does it again.
 */
#include <lux/auth.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/keystore.h>
#include "mntsess.h"
#include <lux/string.h>
#include <lux/users.h>

struct hostarg {
	struct mnt_sess *s;
	int answer;
	uint8_t pk[AUTH_KEY];	/* what the server proved: for the message */
};

static int known_host(void *arg, const uint8_t pk[AUTH_KEY])
{
	struct hostarg *h = arg;

	kmemcpy(h->pk, pk, AUTH_KEY);
	h->answer = host_known(h->s->addr, pk);
	return h->answer;
}

/* One handshake message out on the afid, and the server's answer back
 * (0 bytes when it has none).  0 or an mnt_rpc error. */
static int exchange(struct mnt_sess *s, uint32_t afid, const uint8_t *m, size_t n, uint8_t *rbuf,
                    size_t rcap, const uint8_t **ans, size_t *anslen)
{
	struct p9_msg t = { .type = P9_TWRITE, .u.twrite = { afid, 0, (uint32_t)n, m } }, r;
	int err;

	if ((err = mnt_rpc(s, &t, rbuf, rcap, &r, true)) < 0)
		return err;
	t = (struct p9_msg){ .type = P9_TREAD, .u.tread = { afid, 0, AUTH_MSG_MAX } };
	if ((err = mnt_rpc(s, &t, rbuf, rcap, &r, true)) < 0)
		return err;
	*ans = r.u.rread.data;
	*anslen = r.u.rread.count;
	return 0;
}

static int handshake(struct mnt_sess *s, uint32_t afid, struct auth *a)
{
	enum { RCAP = AUTH_MSG_MAX + P9_IOHDRSZ };
	uint8_t *out = kmalloc(AUTH_MSG_MAX), *rbuf = kmalloc(RCAP);
	const uint8_t *in = 0;
	size_t inlen = 0, outlen;
	int r, err = 0;

	if (out == 0 || rbuf == 0) {
		kfree(out);
		kfree(rbuf);
		return E_NOMEM;
	}
	for (;;) {
		r = auth_step(a, in, inlen, out, AUTH_MSG_MAX, &outlen);
		if (r < 0 || (r == AUTH_DONE && outlen == 0))
			break;
		if ((err = exchange(s, afid, out, outlen, rbuf, RCAP, &in, &inlen)) < 0)
			break;
		if (r == AUTH_DONE)
			break;
	}
	kfree(out);
	kfree(rbuf);
	return err < 0 ? err : r;
}

int mnt_authenticate(struct mnt_sess *s, uint32_t afid)
{
	struct auth_client_config cfg = { 0 };
	struct hostarg h = { s, AUTH_HOST_KNOWN, { 0 } };
	uint8_t rbuf[MNT_SMALL];
	struct p9_msg t = { .type = P9_TAUTH,
		            .u.tauth = { afid, p9_str_c(s->uname), p9_str_c(s->aname),
		                         P9_NONUNAME } },
		      r;
	struct ks_ref *key;
	struct auth *a;
	char fp[AUTH_FP_MAX], hex[65];
	size_t len;
	int err;

	if ((err = ks_take_owned(s->uname, s->key, KS_ED25519, &key)) < 0)
		return proc_seterr(err, "9p: mount %s: %s has no ed25519 key %s", s->addr, s->uname,
		                   s->key);
	if ((a = kzalloc(sizeof *a)) == 0) {
		ks_drop(key);
		return E_NOMEM;
	}
	cfg.method = AUTH_M_ED25519;
	cfg.user = s->uname;
	cfg.user_pk = ks_public(key, &len);
	cfg.user_sk = ks_secret(key, &len);
	cfg.known_host = known_host;
	cfg.arg = &h;
	if ((err = auth_client_init(a, &cfg)) < 0) {
		err = proc_seterr(E_INVAL, "9p: mount %s: %s", s->addr, auth_why(a));
	} else if ((err = mnt_rpc(s, &t, rbuf, sizeof rbuf, &r, true)) < 0) {
		if (err != MNT_E_BROKEN)
			err = proc_seterr(err, "9p: mount %s: Tauth refused: %s", s->addr,
			                  lux_errstr(err));
	} else if ((err = handshake(s, afid, a)) == MNT_E_BROKEN) {
		;
	} else if (err < 0 && (err == AUTH_EHOSTUNKNOWN || err == AUTH_EHOSTMISMATCH)) {
		auth_fingerprint(h.pk, fp, sizeof fp);
		khex(hex, h.pk, AUTH_KEY);
		/* the line that accepts it is longer than an error string: say it
		 * on the console, where the host owner is */
		kprintf("9p: mount %s: %s host key %s; if it is right:\n"
		        "  echo knownhost %s +%s > /adm/users\n",
		        s->addr, err == AUTH_EHOSTUNKNOWN ? "unknown" : "CHANGED", fp, s->addr,
		        hex);
		err = proc_seterr(E_PERM, "%s host key %s",
		                  err == AUTH_EHOSTUNKNOWN ? "unknown" : "CHANGED", fp);
	} else if (err < 0) {
		err = proc_seterr(auth_lux_err(err), "9p: mount %s: %s", s->addr, auth_why(a));
	} else {
		uint8_t *raw = kmalloc(MNT_INBUF);
		if (raw == 0) {
			err = E_NOMEM;
		} else {
			/* the attach through the afid is the last message in the
			 * clear; records start after its reply (mnt_fid.c) */
			spin_lock(&mnt_lock);
			kfree(s->raw);
			s->raw = raw;
			s->rawlen = 0;
			auth_take_records(a, &s->tx, &s->rx);
			spin_unlock(&mnt_lock);
			err = 0;
		}
	}
	auth_wipe(a);
	kfree(a);
	ks_drop(key);
	return err;
}

long mnt_sealed_send(struct mnt_sess *s, const uint8_t *buf, size_t n)
{
	size_t cap = AUTH_REC_SEALED(n);
	uint8_t *out = kmalloc(cap);
	long r;

	if (out == 0)
		return E_NOMEM;
	r = auth_seal(&s->tx, buf, n, out, cap);
	if (r >= 0)
		r = arch_conn_send(s->conn, out, (size_t)r);
	kfree(out);
	return r;
}

const char *mnt_sealed_received(struct mnt_sess *s, const void *buf, size_t n)
{
	size_t consumed, outlen;
	int err;

	if (n > MNT_INBUF - s->rawlen)
		return "the arch delivered more than LUX_CONN_CHUNK";
	kmemcpy(s->raw + s->rawlen, buf, n);
	s->rawlen += n;
	err = auth_open(&s->rx, s->raw, s->rawlen, s->in + s->inlen, MNT_INBUF - s->inlen,
	                &consumed, &outlen);
	kmemmove(s->raw, s->raw + consumed, s->rawlen - consumed);
	s->rawlen -= consumed;
	s->inlen += outlen;
	if (err == AUTH_REC_CLOSE)
		return "the server closed the sealed stream";
	if (err < 0 && err != AUTH_ESPACE)
		return auth_rec_why(&s->rx);
	return 0;
}

void mnt_sealed_reset(struct mnt_sess *s)
{
	s->secure = false;
	s->rawlen = 0;
	auth_rec_wipe(&s->tx);
	auth_rec_wipe(&s->rx);
}
