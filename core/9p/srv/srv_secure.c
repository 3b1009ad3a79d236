/*
 * Authentication on the 9P afid, and the sealed stream after it
 * (docs/security.md, "Protocols" and "Where it runs").
 *
 * Tauth makes an afid whose reads and writes carry the handshake messages
 * of core/auth (Plan 9's p9any shape: the client writes its message, then
 * reads the server's).  A Tattach naming a finished afid attaches as the
 * user it proved, and right after its Rattach both directions of the
 * connection become records: that Tattach is run by a control job, not
 * a worker, so the switch falls exactly between it and the next byte.
 *
 * Once sealed, the arch's bytes land in raw (ciphertext); the framer opens
 * whole records into in, where framing works as before; every reply is
 * sealed as one record on its way out.  A record that fails to open ends
 * the connection, with an audit record saying why.
 */
#include "9psrv.h"
#include <lux/audit.h>
#include <lux/arch.h>
#include <lux/auth.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/hostkey.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/users.h>

struct ninep_afid {
	int state;		/* 0 running, 1 authenticated, < 0 failed (AUTH_E*) */
	bool used;		/* an attach took it: one attach per handshake */
	size_t outlen;		/* the server's message waiting to be read */
	uint8_t out[AUTH_MSG_MAX];
	struct auth a;
};

static int user_key(void *arg, const char *user, const uint8_t pk[AUTH_KEY])
{
	USED(arg);
	if (!user_exists(user))
		return AUTH_USER_UNKNOWN;
	return user_key_ok(user, pk) ? AUTH_USER_OK : AUTH_USER_KEY_REFUSED;
}

/* The token method: is tok a live token of this boot that speaks for
 * user (its object names the user's id: USER_TOKEN_OBJECT)?  Checked
 * against the token's own longest PATH caveat, so a token whose path
 * caveats exclude each other is refused here, and against the clock.
 * Every request after the attach is checked again (srv_token.c). */
static int token_ok(void *arg, const char *user, const uint8_t *tok, size_t n,
                    struct ct_grant *grant)
{
	struct ct_request req = { .now_ns = arch_time_ns() };
	char prefix[CT_PATH_MAX + 1] = "";
	struct ct_view v;
	uint32_t id;
	int r;

	USED(arg);
	if ((r = captoken_decode(tok, n, &v)) != CT_OK)
		return r;
	for (unsigned i = 0; i < v.ncav; i++) {
		if (v.cav[i].kind == CT_CAV_PATH && v.cav[i].len > kstrlen(prefix)) {
			kmemcpy(prefix, v.cav[i].val, v.cav[i].len);
			prefix[v.cav[i].len] = 0;
		}
	}
	req.path = prefix[0] ? prefix : 0;
	if (user_id(user, &id) < 0)
		return CT_EOBJECT;	/* no such user: it cannot speak for them */
	req.object = USER_TOKEN_OBJECT(id);
	return captoken_verify(tok, n, &req, grant);
}

int ninep_rauth(struct ninep_conn *s, const struct p9_msg *t, struct p9_msg *r)
{
	struct auth_server_config cfg = { 0 };
	struct ninep_afid *af;
	struct ninep_fid *f;
	char *path;
	int err;

	/* a connection its transport already trusts (the host owner's own
	 * socket, a listener opened without authentication) has nothing to
	 * prove: say so, as a server without authentication does, so the
	 * tools that try Tauth first (diod's) go on to attach */
	if (!hostkey_ready() || s->trusted)
		return NINEP_E_NOAUTH;
	if (t->u.tauth.afid == P9_NOFID)
		return proc_seterr(E_INVAL, "auth: afid may not be NOFID");
	if (ninep_fid_get(s, t->u.tauth.afid) || ninep_afid_get(s, t->u.tauth.afid))
		return NINEP_E_FIDINUSE;
	if ((err = ninep_fid_new(s, t->u.tauth.afid, &f)) < 0)
		return err;
	if ((err = ninep_charge(s, sizeof *af)) < 0) {
		ninep_fid_free(s, f);
		return err;
	}
	if ((af = kzalloc(sizeof *af)) == 0 || (path = kmalloc(1)) == 0) {
		kfree(af);
		ninep_uncharge(s, sizeof *af);
		ninep_fid_free(s, f);
		return E_NOMEM;
	}
	path[0] = 0;
	cfg.host_pk = hostkey_public();
	cfg.host_sk = hostkey_secret();
	cfg.methods = AUTH_M_ED25519 | AUTH_M_TOKEN;
	cfg.user_key = user_key;
	cfg.token_ok = token_ok;
	auth_server_init(&af->a, &cfg);
	f->afid = af;
	f->charged += sizeof *af;
	if ((err = ninep_fid_setpath(s, f, path)) < 0 || (err = ninep_fid_insert(s, f)) < 0) {
		ninep_fid_free(s, f);
		return err;
	}
	r->u.rqid.qid.type = 0x08;	/* QTAUTH */
	r->u.rqid.qid.path = t->u.tauth.afid;
	return 0;
}

void ninep_afid_free(struct ninep_afid *af)
{
	if (af) {
		auth_wipe(&af->a);
		lc_wipe(af->out, sizeof af->out);
		kfree(af);
	}
}

int ninep_afid_write(struct ninep_conn *s, struct ninep_fid *f, const uint8_t *data, uint32_t n)
{
	struct ninep_afid *af = f->afid;
	char fp[AUTH_FP_MAX];
	size_t outlen = 0;
	int err;

	if ((err = ninep_fid_excl(s, f)) < 0)
		return err;
	if (af->state != 0)
		return proc_seterr(E_INVAL, "auth: the exchange is over");
	if (af->outlen)
		return proc_seterr(E_INVAL, "auth: read the server's message first");
	err = auth_step(&af->a, data, n, af->out, sizeof af->out, &outlen);
	af->outlen = outlen;
	if (err == AUTH_CONTINUE)
		return 0;
	if (err == AUTH_DONE) {
		const struct ct_grant *g = auth_grant(&af->a);

		af->state = 1;
		if (g) {
			audit_log(ninep_who(s), "9p-auth", (uint32_t)s->id, s->peer,
			          "%s presented token slot %u gen %u (rights %#x)",
			          auth_user(&af->a), g->cap.slot, g->cap.gen, g->rights);
			return 0;
		}
		auth_fingerprint(auth_user_key(&af->a), fp, sizeof fp);
		audit_log(ninep_who(s), "9p-auth", (uint32_t)s->id, s->peer,
		          "%s proved key %s; records %s", auth_user(&af->a), fp,
		          auth_cipher_name(auth_cipher(&af->a)));
		return 0;
	}
	af->state = err;
	audit_log(ninep_who(s), "9p-auth", (uint32_t)s->id, s->peer, "refused: %s",
	          auth_why(&af->a));
	if (outlen)	/* the client reads why, as the protocol tells it */
		return 0;
	return proc_seterr(E_PERM, "authentication failed");
}

long ninep_afid_read(struct ninep_conn *s, struct ninep_fid *f, uint8_t *buf, uint32_t count)
{
	struct ninep_afid *af = f->afid;
	size_t n;
	int err;

	if ((err = ninep_fid_excl(s, f)) < 0)
		return err;
	n = af->outlen;
	if (n > count)
		return proc_seterr(E_INVAL, "auth: read %zu bytes at least for the message", n);
	kmemcpy(buf, af->out, n);
	af->outlen = 0;
	return (long)n;
}

/* An attach through an afid refused: audited, like the attaches
 * srv_auth.c refuses, and told to the client as permission denied. */
static int refuse_attach(struct ninep_conn *s, uint32_t afid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse_attach(struct ninep_conn *s, uint32_t afid, const char *fmt, ...)
{
	char why[CT_PATH_MAX + 96];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	for (char *p = why; *p; p++)	/* a uname is the client's bytes: one line */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	audit_log(ninep_who(s), "9p-attach", (uint32_t)s->id, s->peer,
	          "refused: %s may not attach through afid %u: %s", s->user, afid, why);
	return proc_seterr(E_PERM, "permission denied: %s", why);
}

int ninep_afid_attach(struct ninep_conn *s, uint32_t afid, struct p9_str uname, const char *aname,
                      char user[LUX_UIDMAX])
{
	struct ninep_fid *f = ninep_afid_get(s, afid);
	const struct ct_grant *g;
	struct ninep_caveats cav;
	struct ninep_afid *af;
	const uint8_t *tok;
	const char *who;
	size_t toklen;
	int err;

	if (f == 0)
		return proc_seterr(NINEP_E_NOFID, "attach: afid %u is not an auth fid", afid);
	if ((err = ninep_fid_excl(s, f)) < 0)
		return err;
	af = f->afid;
	if (s->secure || s->sealing)	/* keys change once: a second would race the first */
		return refuse_attach(s, afid, "the connection is sealed already");
	if (af->state != 1 || af->used)
		return refuse_attach(s, afid, "afid %u has not authenticated%s", afid,
		                     af->used ? " (again)" : "");
	who = auth_user(&af->a);
	if (uname.len && !p9_str_eq(uname, who))
		return refuse_attach(s, afid, "authenticated as %s, not %.*s", who,
		                     (int)(uname.len < 32 ? uname.len : 32), uname.s);
	/* a token: its caveats bound this attach and every later one */
	if ((g = auth_grant(&af->a)) != 0) {
		tok = auth_token(&af->a, &toklen);
		if (ninep_caveats_fold(&cav, g, tok, toklen) != CT_OK)
			return refuse_attach(s, afid,
			                     "the token's path caveats exclude each other");
		if (!ninep_caveats_within(&cav, aname))
			return refuse_attach(s, afid, "outside the token's path %s", cav.prefix);
	}
	/* the records' keys live apart from the connection's small state,
	 * only while it is sealed */
	if (s->recs == 0) {
		if (ninep_charge(s, sizeof *s->recs) < 0)
			return E_BUDGET;
		if ((s->recs = kzalloc(sizeof *s->recs)) == 0) {
			ninep_uncharge(s, sizeof *s->recs);
			return E_NOMEM;
		}
	}
	if (auth_take_records(&af->a, &s->recs->tx, &s->recs->rx) < 0)
		return proc_seterr(E_PERM, "auth: no session keys");
	af->used = true;
	kstrlcpy(user, who, LUX_UIDMAX);
	/* the connection is who it proved: later attaches act for them */
	kstrlcpy(s->user, who, sizeof s->user);
	/* a token is narrower than the key: its holder never speaks for
	 * others, even when the token is eve's */
	s->trusted = g == 0 && kstrcmp(who, eve) == 0;
	if (g) {	/* kept apart: few connections hold a token */
		struct ninep_caveats *t;
		if (ninep_charge(s, sizeof *t) < 0)
			return E_BUDGET;
		if ((t = kmalloc(sizeof *t)) == 0) {
			ninep_uncharge(s, sizeof *t);
			return E_NOMEM;
		}
		*t = cav;
		t->on = true;
		s->tok = t;	/* whole before it is seen */
	}
	s->sealing = true;	/* after the Rattach: see ninep_attach_inline */
	return 0;
}

/* ---- The sealed stream ------------------------------------------------- */

/* Switch to records: what is already buffered past the Tattach is
 * ciphertext.  The control job, after queueing the Rattach in the clear. */
static int seal_now(struct ninep_conn *s)
{
	uint8_t *raw;
	int err;

	/* records open into in at up to a whole message at a time: it stays
	 * large while sealed */
	if ((err = ninep_input_grow(s, NINEP_INBUF)) < 0)
		return err;
	if ((raw = ninep_inbuf_alloc(s, NINEP_INBUF, &err)) == 0)
		return err;
	spin_lock(&ninep_lock);
	kmemcpy(raw, s->in + s->inoff, s->inlen - s->inoff);
	s->rawlen = s->inlen - s->inoff;
	s->rawoff = 0;
	s->inoff = s->inlen = 0;
	s->raw = raw;
	s->secure = true;
	spin_unlock(&ninep_lock);
	return 0;
}

void ninep_attach_inline(struct ninep_conn *s, struct ninep_req *r)
{
	int n;

	n = ninep_handle(s, &s->rx, r->msg, r->len);	/* rx.out: the worker's (run_ctl) */
	ninep_fid_release_all(s, &s->rx);
	if (n > 0)
		ninep_send(s, s->rx.out, (size_t)n);
	if (s->sealing && !s->secure && seal_now(s) < 0) {
		kprintf("9p: connection %d (%s): no memory to seal it; closing\n", s->id, s->peer);
		s->fatal = true;
	}
}

/* Into the console's summary, not a line each: an authenticated client
 * may reconnect and send a bad record again and again (docs/9p.md, "The
 * console").  The audit record names it. */
static void closed_for(struct ninep_conn *s, const char *why)
{
	char line[160];

	ksnprintf(line, sizeof line, "connection %d (%s): %s; closing", s->id, s->peer, why);
	ninep_note_closed(line);
}

/* A whole record waits in raw (ninep_lock held). */
bool ninep_sealed_ready(struct ninep_conn *s)
{
	size_t have = s->rawlen - s->rawoff;
	uint32_t len;

	if (have < AUTH_REC_HDR)
		return false;
	len = (uint32_t)s->raw[s->rawoff] | (uint32_t)s->raw[s->rawoff + 1] << 8 |
	      (uint32_t)s->raw[s->rawoff + 2] << 16 | (uint32_t)s->raw[s->rawoff + 3] << 24;
	/* room for its payload in in, or a bad length the opener will name
	 * (judged on the header alone: len counts the body, type and tag,
	 * so it is bounded by AUTH_REC_MAX less the header) */
	return have >= AUTH_REC_HDR + (size_t)len || len < AUTH_REC_SEALED(0) - AUTH_REC_HDR ||
	       len > AUTH_REC_MAX - AUTH_REC_HDR ||
	       s->incap - (s->inlen - s->inoff) < AUTH_OPEN_BUF;
}

int ninep_sealed_open(struct ninep_conn *s)
{
	spin_lock(&ninep_lock);
	size_t consumed, outlen;
	int err = 0;

	for (;;) {
		if (s->incap - s->inlen < AUTH_OPEN_BUF && s->inoff > 0) {
			kmemmove(s->in, s->in + s->inoff, s->inlen - s->inoff);
			s->inlen -= s->inoff;
			s->inoff = 0;
		}
		if (s->incap - s->inlen < AUTH_OPEN_BUF)
			break;	/* framing first: in is full of plaintext */
		err = auth_open(&s->recs->rx, s->raw + s->rawoff, s->rawlen - s->rawoff,
		                s->in + s->inlen, s->incap - s->inlen, &consumed, &outlen);
		s->rawoff += consumed;
		s->inlen += outlen;
		if (s->rawoff == s->rawlen)
			s->rawoff = s->rawlen = 0;
		if (err == AUTH_REC_CLOSE) {
			s->peer_sealed_close = true;
			s->gone_sealed = true;
			err = 0;
			break;
		}
		if (err < 0 || consumed == 0)
			break;
	}
	ninep_resume(s, NINEP_INBUF, s->rawlen - s->rawoff);
	spin_unlock(&ninep_lock);
	if (err < 0 && err != AUTH_ESPACE) {
		audit_log(ninep_who(s), "9p-record", (uint32_t)s->id, s->peer, "closed: %s",
		          auth_rec_why(&s->recs->rx));
		closed_for(s, auth_rec_why(&s->recs->rx));
		return E_IO;
	}
	return s->gone_sealed ? E_IO : 0;
}

long ninep_sealed_send(struct ninep_conn *s, const uint8_t *buf, size_t n)
{
	size_t cap = AUTH_REC_SEALED(n);
	uint8_t *out = kmalloc(cap);
	long r, q;

	kassert(spin_held(&ninep_lock));
	if (out == 0)
		return E_NOMEM;
	/* sequence numbers follow the order of sends: seal and queue as one,
	 * under the caller's ninep_lock (ninep_send_reserved) */
	r = auth_seal(&s->recs->tx, buf, n, out, cap);
	q = r < 0 ? r : arch_conn_send(s->conn, out, (size_t)r);
	kfree(out);
	return q;
}

void ninep_sealed_end(struct ninep_conn *s)
{
	uint8_t close[AUTH_REC_SEALED(0)];
	long n;

	if (!s->secure)
		return;
	spin_lock(&ninep_lock);
	if (!s->gone && (n = auth_seal_close(&s->recs->tx, close, sizeof close)) > 0)
		arch_conn_send(s->conn, close, (size_t)n);
	spin_unlock(&ninep_lock);
	if (!s->peer_sealed_close && auth_open_eof(&s->recs->rx) < 0)
		audit_log(ninep_who(s), "9p-record", (uint32_t)s->id, s->peer, "ended: %s",
		          auth_rec_why(&s->recs->rx));
}

void ninep_sealed_free(struct ninep_conn *s)
{
	spin_lock(&ninep_lock);
	uint8_t *raw = s->raw;

	s->raw = 0;
	s->secure = false;
	spin_unlock(&ninep_lock);
	ninep_inbuf_free(s, raw, NINEP_INBUF);
	if (s->tok) {	/* no fid is left to point at it */
		kfree((void *)s->tok);
		s->tok = 0;
		ninep_uncharge(s, sizeof *s->tok);
	}
	if (s->recs) {
		auth_rec_wipe(&s->recs->tx);
		auth_rec_wipe(&s->recs->rx);
		kfree(s->recs);
		s->recs = 0;
		ninep_uncharge(s, sizeof *s->recs);
	}
}
