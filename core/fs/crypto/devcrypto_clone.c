/*
 * Keyed crypto sessions through Plan 9's clone pattern: the framework
 * every kind shares (docs/crypto.md, "Sessions"; the kinds' side is
 * devcrypto_clone.h).
 *
 * Opening KIND/clone makes a session owned by the opening proc; its
 * number N is what reading the open clone returns.  N/ctl takes one
 * command per line ("key NAME" and "close" here, the rest by the kind);
 * reading it gives the session's state.  Writes to N/data append to the
 * message; the first read after them runs the kind's operation on the
 * whole message once and returns its output; the next write starts a new
 * message.
 *
 * Ownership: a session is found by (pid, kind, number), the pid being
 * the principal's (<lux/proc.h>: a 9P connection's workers work for its
 * reader), so another proc or connection finds nothing, and the owner's
 * exit frees it (devcrypto_procexit).  Numbers are never reused.
 *
 * Bounds: DEVCRYPTO_CLONES sessions kernel-wide, DEVCRYPTO_CLONES_PER_PROC
 * per proc (the table is the bound for the fixed-size session records);
 * a message is at most the kind's maxmsg bytes; the message and output
 * buffers are charged to the owner's crypto pebbles as they grow and
 * returned when the session goes.
 *
 * Locking: the table is touched with upcalls off, briefly; a session's
 * contents only by its owner (one thread at a time: the procs working for
 * one principal take turns, devcrypto.c) or, once it is dead, by
 * devcrypto_clone_procexit.  So the operations run with upcalls on.
 */
#include <lux/arch.h>
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/keystore.h>
#include <lux/lock.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "devcrypto_clone.h"

static const struct dc_kind *const kinds[DC_NKINDS] = {
	[DC_AEAD] = &dc_aead,     [DC_MAC] = &dc_mac, [DC_SIGN] = &dc_sign,
	[DC_VERIFY] = &dc_verify, [DC_KX] = &dc_kx,   [DC_KDF] = &dc_kdf,
	[DC_PWHASH] = &dc_pwhash,
};

static struct dc_sess *tab[DEVCRYPTO_CLONES];
static uint32_t nextid = 1;
/* tab[] and nextid; a session's own state is its proc's (the device's
 * turn qlock), freed outside the lock */
static struct spinlock clones_lock = SPINLOCK_INIT("devcrypto-clones");

const char *devcrypto_kind_name(int kind)
{
	return kind >= 0 && kind < DC_NKINDS ? kinds[kind]->name : 0;
}

static struct dc_sess *find(int pid, int kind, uint32_t id, size_t *slot)
{
	spin_lock(&clones_lock);
	struct dc_sess *x = 0;

	for (size_t i = 0; i < DEVCRYPTO_CLONES && x == 0; i++) {
		if (tab[i] && tab[i]->id == id && tab[i]->pid == pid && tab[i]->kind == kind &&
		    (curproc() == 0 || kstrcmp(tab[i]->user, curproc()->cred.user) == 0)) {
			x = tab[i];
			if (slot)
				*slot = i;
		}
	}
	spin_unlock(&clones_lock);
	return x;
}

/* ---- pebbles ---- */

int dc_charge(struct dc_sess *s, size_t n)
{
	return s->budget ? budget_charge(s->budget, PB_CRYPTO, n) : 0;
}

void dc_release(struct dc_sess *s, size_t n)
{
	if (s->budget && n)
		budget_release(s->budget, PB_CRYPTO, n);
}

/* Grow *buf (holding len bytes, cap of room) to at least want, charging
 * the difference: 0, or E_BUDGET / E_NOMEM with nothing changed. */
static int grow(struct dc_sess *s, uint8_t **buf, size_t len, size_t *cap, size_t want, size_t most)
{
	size_t ncap;
	uint8_t *b;
	int err;

	if (want <= *cap)
		return 0;
	ncap = MIN(MAX(2 * *cap, want), most);
	if ((err = dc_charge(s, ncap - *cap)) < 0)
		return err;
	if ((b = kmalloc(ncap ? ncap : 1)) == 0) {
		dc_release(s, ncap - *cap);
		return E_NOMEM;
	}
	if (*buf) {
		kmemcpy(b, *buf, len);
		lc_wipe(*buf, *cap);
		kfree(*buf);
	}
	*buf = b;
	*cap = ncap;
	return 0;
}

static void sfree(struct dc_sess *s)
{
	if (s->k->fini)
		s->k->fini(s);
	ks_drop(s->key);	/* an old key version goes with its last pin */
	if (s->in) {
		lc_wipe(s->in, s->incap);
		kfree(s->in);
	}
	if (s->out) {
		lc_wipe(s->out, s->outcap);
		kfree(s->out);
	}
	dc_release(s, s->incap + s->outcap);
	if (s->priv) {
		lc_wipe(s->priv, s->k->privsize);
		kfree(s->priv);
	}
	lc_wipe(s, sizeof *s);
	kfree(s);
}

static void sdrop(struct dc_sess *s)
{
	spin_lock(&clones_lock);
	for (size_t i = 0; i < DEVCRYPTO_CLONES; i++)
		if (tab[i] == s)
			tab[i] = 0;
	spin_unlock(&clones_lock);
	sfree(s);
}

/* ---- the session table ---- */

long devcrypto_clone_new(int pid, int kind)
{
	const struct dc_kind *k;
	struct proc *p = proc_principal(curproc());	/* a 9P worker's: its reader */
	struct dc_sess *s;
	size_t i, fr = DEVCRYPTO_CLONES, mine = 0, users = 0;
	char who[28];
	long r;

	if (kind < 0 || kind >= DC_NKINDS)
		return E_NOENT;
	k = kinds[kind];
	if ((s = kzalloc(sizeof *s)) == 0)
		return E_NOMEM;
	if (k->privsize && (s->priv = kzalloc(k->privsize)) == 0) {
		kfree(s);
		return E_NOMEM;
	}
	s->pid = pid;
	kstrlcpy(s->user, curproc() ? curproc()->cred.user : "eve", sizeof s->user);
	kstrlcpy(who, s->user, sizeof who);
	s->kind = kind;
	s->k = k;
	s->budget = p && p->pid == pid ? p->budget : 0;
	spin_lock(&clones_lock);
	for (i = 0; i < DEVCRYPTO_CLONES; i++) {
		if (tab[i] && tab[i]->pid == pid)
			mine++;
		if (tab[i] && kstrcmp(tab[i]->user, who) == 0)
			users++;
		if (tab[i] == 0 && fr == DEVCRYPTO_CLONES)
			fr = i;
	}
	if (mine >= DEVCRYPTO_CLONES_PER_PROC || users >= DEVCRYPTO_CLONES_PER_USER ||
	    fr == DEVCRYPTO_CLONES) {
		spin_unlock(&clones_lock);
		kfree(s->priv);
		kfree(s);
		if (users >= DEVCRYPTO_CLONES_PER_USER && mine < DEVCRYPTO_CLONES_PER_PROC)
			return proc_seterr(
			    E_BUDGET, "budget exhausted: crypto sessions %d/%d (%s's)",
			    DEVCRYPTO_CLONES_PER_USER, DEVCRYPTO_CLONES_PER_USER, who);
		if (mine >= DEVCRYPTO_CLONES_PER_PROC)
			return proc_seterr(E_NOSPC,
			                   "%s: %d sessions per proc (close one: "
			                   "echo close > N/ctl)",
			                   k->name, DEVCRYPTO_CLONES_PER_PROC);
		return proc_seterr(E_NOSPC, "%s: all %d crypto sessions are in use", k->name,
		                   DEVCRYPTO_CLONES);
	}
	s->id = nextid++;
	tab[fr] = s;
	r = (long)s->id;
	spin_unlock(&clones_lock);
	return r;
}

static int nosuch(void)
{
	return proc_seterr(E_NOENT, "no such session");
}

int devcrypto_clone_owned(int pid, int kind, uint32_t id)
{
	return find(pid, kind, id, 0) ? 0 : nosuch();
}

void devcrypto_clone_procexit(int pid)
{
	for (;;) {
		spin_lock(&clones_lock);
		struct dc_sess *s = 0;

		for (size_t i = 0; i < DEVCRYPTO_CLONES && s == 0; i++) {
			if (tab[i] && tab[i]->pid == pid) {
				s = tab[i];
				tab[i] = 0;
			}
		}
		spin_unlock(&clones_lock);
		if (s == 0)
			return;
		sfree(s);
	}
}

size_t devcrypto_clones_of(int kind)
{
	size_t n = 0;
	spin_lock(&clones_lock);

	for (size_t i = 0; i < DEVCRYPTO_CLONES; i++)
		n += tab[i] != 0 && (kind < 0 || tab[i]->kind == kind);
	spin_unlock(&clones_lock);
	return n;
}

size_t devcrypto_clones(void)
{
	return devcrypto_clones_of(-1);
}

size_t devcrypto_signs(void)
{
	return devcrypto_clones_of(DC_SIGN);
}

/* ---- helpers for the kinds ---- */

uint8_t *dc_inroom(struct dc_sess *s, size_t n, int *err)
{
	int e = grow(s, &s->in, s->inlen, &s->incap, MAX(n, 1), s->k->maxmsg);

	if (e < 0) {
		*err = e;
		return 0;
	}
	return s->in;
}

void dc_output_sealed(struct dc_sess *s, size_t n)
{
	s->sealed = true;
	s->outlen = n;
}

uint8_t *dc_output(struct dc_sess *s, size_t n, int *err)
{
	/* at least a byte: an empty output still has a buffer to point at */
	int e = grow(s, &s->out, 0, &s->outcap, MAX(n, 1), MAX(n, 1));

	if (e < 0) {
		*err = e;
		return 0;
	}
	s->outlen = n;
	return s->out;
}

int dc_output_hex(struct dc_sess *s, const uint8_t *p, size_t n)
{
	int err = E_NOMEM;
	uint8_t *o = dc_output(s, 2 * n + 2, &err);

	if (o == 0)
		return err;
	khex((char *)o, p, n);	/* 2n digits and a NUL, which the newline replaces */
	o[2 * n] = '\n';
	s->outlen = 2 * n + 1;
	return 0;
}

int dc_output_text(struct dc_sess *s, const char *text, size_t n)
{
	int err = E_NOMEM;
	uint8_t *o = dc_output(s, n, &err);

	if (o == 0)
		return err;
	kmemcpy(o, text, n);
	return 0;
}

int dc_fail(struct dc_sess *s, int err, const char *msg)
{
	if (s->out)	/* whatever the operation wrote (a forgery's plaintext) */
		lc_wipe(s->out, s->outcap);
	s->done = true;
	s->err = err;
	s->outlen = 0;
	kstrlcpy(s->errmsg, msg, sizeof s->errmsg);
	return proc_seterr(err, "%s", s->errmsg);
}

int dc_setkey(struct dc_sess *s, const char *name, enum ks_alg alg)
{
	struct ks_ref *r;
	int err;

	/* pin the key's current version: a rotate from now on does not
	 * change what this session uses */
	if ((err = ks_take(name, alg, &r)) < 0)
		return err;
	/* a message sealed in place opens only with the key that sealed
	 * it: undo that while the session still pins it */
	if (s->sealed && s->k->unseal && (err = s->k->unseal(s)) < 0) {
		ks_drop(r);
		return err;
	}
	ks_drop(s->key);
	s->key = r;
	return 0;
}

bool dc_exportable(const struct ks_ref *r)
{
	struct ks_info info;
	int slot;

	if (r == 0 || (slot = ks_lookup(ks_name(r))) < 0 || ks_info(slot, &info, 0, 0) < 0)
		return false;
	/* the same key (not a new one under the same name) at the version we pin or later */
	return info.exportable && info.version >= ks_version(r);
}

int dc_unhex(struct dc_sess *s, const char *what, const char *hex, uint8_t *out, size_t want,
             size_t max, size_t *len)
{
	size_t n = kstrlen(hex), at = 0;
	long r;

	if (n % 2 || n == 0)
		return proc_seterr(E_INVAL, "%s: %s: want an even number of hex digits", s->k->name,
		                   what);
	if (want ? n / 2 != want : n / 2 > max)
		return proc_seterr(E_INVAL, "%s: %s: want %s%zu bytes (%zu hex digits), got %zu",
		                   s->k->name, what, want ? "" : "at most ", want ? want : max,
		                   2 * (want ? want : max), n / 2);
	/* count and size are checked above, so only a digit can be wrong */
	if ((r = kunhex(hex, n, out, n / 2, &at)) < 0)
		return proc_seterr(E_INVAL, "%s: %s: not a hex digit at %zu", s->k->name, what, at);
	if (len)
		*len = (size_t)r;
	return 0;
}

int dc_number(struct dc_sess *s, const char *what, const char *arg, uint64_t lo, uint64_t hi,
              uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	bool over = false;

	for (i = 0; arg[i] >= '0' && arg[i] <= '9'; i++) {
		uint64_t d = (uint64_t)(arg[i] - '0');
		if (v > (~(uint64_t)0 - d) / 10)
			over = true;
		v = v * 10 + d;
	}
	if (i == 0 || arg[i] || over || v < lo || v > hi)
		return proc_seterr(E_INVAL, "%s: %s: want a number from %llu to %llu", s->k->name,
		                   what, (unsigned long long)lo, (unsigned long long)hi);
	*out = v;
	return 0;
}

/* ---- ctl ---- */

static void newanswer(struct dc_sess *s);

/* One ctl line, trailing blanks gone.  0, an error, or 1 when the
 * session is gone (closed). */
static int ctl_line(struct dc_sess *s, char *line)
{
	const char *arg = "";
	char *sp;
	int r;

	for (size_t i = 0; line[i]; i++)
		if ((unsigned char)line[i] < ' ' || (unsigned char)line[i] > '~')
			return proc_seterr(
			    E_INVAL, "%s ctl: a control or non-ASCII byte in the line", s->k->name);
	if ((sp = kstrchr(line, ' ')) != 0) {
		*sp = 0;
		arg = sp + 1;
		while (*arg == ' ')
			arg++;
	}
	if (line[0] == 0)
		return 0;
	if (kstrcmp(line, "close") == 0 && *arg == 0) {
		sdrop(s);
		return 1;
	}
	if (kstrcmp(line, "key") == 0 && s->k->keyalg >= 0) {
		if (*arg == 0)
			return proc_seterr(E_INVAL, "%s ctl: key NAME", s->k->name);
		return dc_setkey(s, arg, (enum ks_alg)s->k->keyalg);
	}
	r = s->k->ctl ? s->k->ctl(s, line, arg) : DC_UNKNOWN;
	if (r == DC_UNKNOWN)
		return proc_seterr(E_INVAL, "%s ctl: unknown command %.32s (want: %s, or close)",
		                   s->k->name, line, s->k->usage);
	return r;
}

static int ctl_end(struct dc_sess *s)
{
	size_t n = s->ctln;
	int r;

	while (n && s->ctl[n - 1] == ' ')
		n--;
	if (n && s->ctl[n - 1] == '\r')	/* a CRLF line */
		n--;
	s->ctl[n] = 0;
	s->ctln = 0;
	r = ctl_line(s, s->ctl);
	if (r != 1)
		lc_wipe(s->ctl, sizeof s->ctl);
	return r;
}

long devcrypto_clone_ctl(int pid, int kind, uint32_t id, const void *buf, size_t n)
{
	struct dc_sess *s = find(pid, kind, id, 0);
	const char *p = buf;
	bool toolong = false;
	int r;

	if (s == 0)
		return nosuch();
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (s->skipping) {
				s->skipping = false;
				continue;
			}
			if ((r = ctl_end(s)) < 0)
				return r;
			if (r == 1)	/* closed: the rest of the write has no session */
				return (long)n;
			newanswer(s);
			continue;
		}
		if (s->skipping)
			continue;
		if (s->ctln + 1 >= sizeof s->ctl) {
			/* drop this line up to its newline (in this write or a
			 * later one), so its tail is not taken for a command */
			lc_wipe(s->ctl, sizeof s->ctl);
			s->ctln = 0;
			s->skipping = true;
			toolong = true;
			continue;
		}
		s->ctl[s->ctln++] = p[i];
	}
	if (toolong)
		return proc_seterr(E_INVAL, "%s ctl: line longer than %d bytes", s->k->name,
		                   DEVCRYPTO_CTLMAX - 1);
	return (long)n;
}

long devcrypto_clone_state(int pid, int kind, uint32_t id, void *buf, size_t n, uint64_t off)
{
	struct dc_sess *s = find(pid, kind, id, 0);
	char text[1024];
	size_t len;

	if (s == 0)
		return nosuch();
	if (s->key)
		len = ksnprintf(text, sizeof text, "key %s version %u\n", ks_name(s->key),
		                (unsigned)ks_version(s->key));
	else
		len = ksnprintf(text, sizeof text, "key none\n");
	if (len < sizeof text && s->k->state)
		len += s->k->state(s, text + len, sizeof text - len);
	len = MIN(len, sizeof text - 1);
	return dev_readstr(off, buf, n, text, len);
}

/* ---- data ---- */

/* Forget the message and the output: the next write starts a new one.
 * A message sealed in place is ciphertext: nothing in it to wipe (and
 * the answer, outlen, was in it). */
static void newmessage(struct dc_sess *s)
{
	if (s->in && !s->sealed)
		lc_wipe(s->in, s->inlen);
	if (s->out && !s->sealed)
		lc_wipe(s->out, s->outlen);
	s->inlen = s->outlen = 0;
	s->sealed = false;
	s->done = s->asked = false;
	s->err = 0;
}

/* A ctl command changed how the message is to be handled: the answer is
 * made again at the next read (from the same message). */
static void newanswer(struct dc_sess *s)
{
	/* sealed: the answer is the message itself, which the kind's
	 * unseal gives back before the next run */
	if (s->out && !s->sealed)
		lc_wipe(s->out, s->outlen);
	s->outlen = 0;
	s->done = false;
	s->err = 0;
}

int devcrypto_clone_reset(int pid, int kind, uint32_t id)
{
	struct dc_sess *s = find(pid, kind, id, 0);

	if (s == 0)
		return nosuch();
	newmessage(s);
	return 0;
}

long devcrypto_clone_write(int pid, int kind, uint32_t id, const void *buf, size_t n)
{
	struct dc_sess *s = find(pid, kind, id, 0);
	size_t total;
	int err;

	if (s == 0)
		return nosuch();
	if (s->asked)	/* the message was answered (or refused): this is a new one */
		newmessage(s);
	/* the total, saturated: n may be anything a caller passes */
	total = n > s->k->maxmsg - s->inlen ? SIZE_MAX : s->inlen + n;
	if (s->k->admit && (err = s->k->admit(s, total)) < 0)
		return err;	/* the kind's sentence: it knows the tighter bound */
	if (total > s->k->maxmsg)
		return proc_seterr(E_TOOBIG, "%s: a message is at most %zu bytes", s->k->name,
		                   s->k->maxmsg);
	/* with the kind's room after it (no second copy to make room later) */
	if ((err = grow(s, &s->in, s->inlen, &s->incap, MIN(total + s->k->inroom, s->k->maxmsg),
	                s->k->maxmsg)) < 0)
		return err;
	kmemcpy(s->in + s->inlen, buf, n);
	s->inlen += n;
	return (long)n;
}

long devcrypto_clone_read(int pid, int kind, uint32_t id, void *buf, size_t n, uint64_t off)
{
	struct dc_sess *s = find(pid, kind, id, 0);
	int err;

	if (s == 0)
		return nosuch();
	s->asked = true;
	if (!s->done) {
		if (s->k->needkey && s->key == 0)
			return proc_seterr(E_INVAL, "%s: no key (write \"key NAME\" to ctl)",
			                   s->k->name);
		if (s->sealed && (err = s->k->unseal(s)) < 0)
			return err;	/* still sealed: the next read tries again */
		s->outlen = 0;
		if ((err = s->k->run(s)) < 0) {
			if (s->out)	/* no partial output survives a failure */
				lc_wipe(s->out, s->outcap);
			s->outlen = 0;
			return err;
		}
		s->done = true;
		s->err = 0;
	}
	if (s->err < 0)
		return proc_seterr(s->err, "%s", s->errmsg);
	return dev_readstr(off, buf, n, (const char *)(s->sealed ? s->in : s->out), s->outlen);
}
