/*
 * The crypto device, mounted on /secure (docs/crypto.md):
 *   /secure/crypto/hash/sha256, sha512, blake2b	per-proc hash sessions
 *   /secure/crypto/random				lc_random, endless
 *   /secure/crypto/keys/ctl, keys/NAME		named keys (the keystore)
 *   /secure/crypto/KIND/clone, KIND/N/{ctl,data}	keyed sessions, per proc,
 *	for KIND in aead mac sign verify kx kdf pwhash (devcrypto_clone.c)
 *
 * The tree is fixed but for the keys, so qid.path is the file's index,
 * or QKEY(id) for a key (an id changes when a slot is reused: keystore.h), or
 * QSESS(KIND, N, file) for session N's directory, ctl and data.  The hash
 * files' state lives in the session table (devcrypto_sess.c), keyed by
 * the pid of the proc doing the I/O, never by the chan: writes through
 * any chan of a proc feed that proc's message, and a read by the same
 * proc finalises it and returns the digest in hex plus a newline.
 *
 * A chan's aux holds, as an integer, where its digest text starts, so
 * that one fid opened ORDWR can write and then read: a write sets it to
 * the offset just past the data (and marks it undecided); the first read
 * after that keeps it if it reads from there on (sys_read continues at
 * the write offset) or drops it to 0 if it reads from before (a 9P
 * client that rewinds).  A chan that never wrote reads from 0.
 *
 * An open keys/ctl chan's aux is instead its line buffer (struct ctlbuf):
 * the shell's echo writes a command word by word, so commands run one
 * whole line at a time, when its newline arrives (or at close).
 * All cryptography is lc_* (libsodium).
 */
#include <lux/audit.h>
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/proc.h>
#include <lux/string.h>

enum {
	Qroot,
	Qcrypto,
	Qhash,
	Qsha256,
	Qsha512,
	Qblake2b,
	Qrandom,
	Qkeys,
	Qkeyctl,
	Qkinds, /* then, per session kind k: its directory and its clone */
	Qmax = Qkinds + 2 * DC_NKINDS
};
#define QKINDDIR(k) (Qkinds + 2 * (k))
#define QKINDCLONE(k) (Qkinds + 2 * (k) + 1)
#define QKINDOF(q) (((q)-Qkinds) / 2)

#define QKEY0 0x100
#define QKEY(i) (QKEY0 + (i))

/* A session's files: bit 40, the kind in bits 36..39, the number in
 * bits 2..33, which file in bits 0..1. */
enum { Sdir, Sctl, Sdata };
#define QSESSBIT (1ull << 40)
#define QSESS(k, n, file) (QSESSBIT | (uint64_t)(k) << 36 | (uint64_t)(n) << 2 | (file))
#define QSESSID(path) ((uint32_t)((path) >> 2))
#define QSESSKIND(path) ((int)(((path) >> 36) & 15))
#define QSESSFILE(path) ((int)((path)&3))

static const struct {
	const char *name;
	int parent;
	uint32_t mode;
} files[Qmax] = {
	[Qroot] = { "secure", Qroot, DMDIR | 0555 },
	[Qcrypto] = { "crypto", Qroot, DMDIR | 0555 },
	[Qhash] = { "hash", Qcrypto, DMDIR | 0555 },
	[Qsha256] = { "sha256", Qhash, 0666 },
	[Qsha512] = { "sha512", Qhash, 0666 },
	[Qblake2b] = { "blake2b", Qhash, 0666 },
	[Qrandom] = { "random", Qcrypto, 0444 },
	[Qkeys] = { "keys", Qcrypto, DMDIR | 0555 },
	[Qkeyctl] = { "ctl", Qkeys, 0222 },
#define KIND(k, name) \
	[QKINDDIR(k)] = { name, Qcrypto, DMDIR | 0555 }, \
	[QKINDCLONE(k)] = { "clone", QKINDDIR(k), 0444 }
	KIND(DC_AEAD, "aead"),
	KIND(DC_MAC, "mac"),
	KIND(DC_SIGN, "sign"),
	KIND(DC_VERIFY, "verify"),
	KIND(DC_KX, "kx"),
	KIND(DC_KDF, "kdf"),
	KIND(DC_PWHASH, "pwhash"),
#undef KIND
};

static bool issess(uint64_t path)
{
	return (path & QSESSBIT) != 0;
}

static bool isclone(int q)
{
	return q >= Qkinds && q < Qmax && (q - Qkinds) % 2 == 1;
}

static bool iskinddir(int q)
{
	return q >= Qkinds && q < Qmax && (q - Qkinds) % 2 == 0;
}

/* Sessions belong to the principal (<lux/proc.h>): the proc itself, or
 * the 9P connection's reader for its workers. */
static int mypid(void)
{
	struct proc *p = proc_principal(curproc());

	return p ? p->pid : 0;
}

static bool iskey(int q)
{
	return q >= QKEY0;
}

static bool isdir(int q)
{
	return q >= 0 && q < Qmax && (files[q].mode & DMDIR) != 0;
}

static bool ishash(int q)
{
	return q >= Qsha256 && q <= Qblake2b;
}

static enum lc_hash_alg alg_of(int q)
{
	return q == Qsha256 ? LC_SHA256 : q == Qsha512 ? LC_SHA512 : LC_BLAKE2B512;
}

/* aux: (text base << 1) | decided */
#define AUX(base, decided) ((void *)(uintptr_t)((base) << 1 | (decided)))
#define AUXBASE(c) ((uint64_t)(uintptr_t)(c)->aux >> 1)
#define AUXDECIDED(c) ((uintptr_t)(c)->aux & 1)

/* keys/ctl: a partial command line per open chan */
#define CTLMAX 256	/* import NAME mac <128 hex digits> exportable fits */
struct ctlbuf {
	size_t n;
	char line[CTLMAX];
	char user[LUX_UIDMAX];	/* the opener's: whose a line left at close is */
};

static void setq(struct chan *c, int q)
{
	c->qid.path = (uint64_t)q;
	c->qid.type = isdir(q) ? QTDIR : QTFILE;
	c->qid.vers = 0;
}

static int crypto_attach(struct chan *c, const char *spec)
{
	USED(spec);
	setq(c, Qroot);
	c->aux = 0;
	return 0;
}

static void crypto_clone(struct chan *from, struct chan *to)
{
	USED(from);
	to->aux = 0;	/* a clone is a fresh handle: it has written nothing */
}

static int sess_walk(struct chan *c, const char *name)
{
	uint64_t path = c->qid.path;
	int k = QSESSKIND(path);
	uint32_t id = QSESSID(path);

	if (QSESSFILE(path) != Sdir)
		return E_NOTDIR;
	if (kstrcmp(name, "ctl") == 0)
		c->qid.path = QSESS(k, id, Sctl);
	else if (kstrcmp(name, "data") == 0)
		c->qid.path = QSESS(k, id, Sdata);
	else
		return E_NOENT;
	c->qid.type = QTFILE;
	return 0;
}

/* A session number in KIND/: walkable only by the proc that owns it. */
static int sess_lookup(struct chan *c, int k, const char *name)
{
	long long v;

	if (kstrtoll(name, &v) < 0 || v <= 0 || v > 0xffffffffLL || name[0] == '0' ||
	    name[0] == '+')
		return E_NOENT;
	if (devcrypto_clone_owned(mypid(), k, (uint32_t)v) < 0)
		return E_NOENT;
	c->qid.path = QSESS(k, v, Sdir);
	c->qid.type = QTDIR;
	c->qid.vers = 0;
	return 0;
}

static int crypto_walk_turn(struct chan *c, const char *name)
{
	int dir;

	if (issess(c->qid.path))
		return sess_walk(c, name);
	dir = (int)c->qid.path;

	if (!isdir(dir))
		return E_NOTDIR;
	for (int q = Qcrypto; q < Qmax; q++) {
		if (files[q].parent == dir && kstrcmp(files[q].name, name) == 0) {
			setq(c, q);
			return 0;
		}
	}
	if (dir == Qkeys) {
		int k = devcrypto_key_lookup(name);
		if (k < 0)
			return k;
		setq(c, QKEY(k));
		return 0;
	}
	if (iskinddir(dir))
		return sess_lookup(c, QKINDOF(dir), name);
	return E_NOENT;
}

static int fill(int q, struct lux_dir *d)
{
	kmemset(d, 0, sizeof *d);
	d->qid.path = (uint64_t)q;
	d->qid.type = isdir(q) ? QTDIR : QTFILE;
	if (iskey(q)) {
		/* a key is visible to its owner only (keystore.h): the reader */
		d->mode = 0444;
		if (curproc()) {
			kstrlcpy(d->uid, curproc()->cred.user, sizeof d->uid);
			kstrlcpy(d->gid, curproc()->cred.user, sizeof d->gid);
		}
		return devcrypto_key_name(q - QKEY0, d->name, sizeof d->name);
	}
	d->mode = files[q].mode;
	kstrlcpy(d->name, files[q].name, sizeof d->name);
	return 0;
}

static int sess_fill(uint64_t path, struct lux_dir *d)
{
	static const char *const names[] = { 0, "ctl", "data" };
	static const uint32_t modes[] = { DMDIR | 0555, 0666, 0666 };
	int file = QSESSFILE(path);

	kmemset(d, 0, sizeof *d);
	d->qid.path = path;
	d->qid.type = file == Sdir ? QTDIR : QTFILE;
	d->mode = modes[file];
	if (file == Sdir)
		ksnprintf(d->name, sizeof d->name, "%u", (unsigned)QSESSID(path));
	else
		kstrlcpy(d->name, names[file], sizeof d->name);
	return devcrypto_clone_owned(mypid(), QSESSKIND(path), QSESSID(path));
}

static int crypto_stat_turn(struct chan *c, struct lux_dir *d)
{
	if (issess(c->qid.path))
		return sess_fill(c->qid.path, d);
	return fill((int)c->qid.path, d);
}

static int sess_open(struct chan *c, int mode)
{
	int k = QSESSKIND(c->qid.path);
	uint32_t id = QSESSID(c->qid.path);
	int m = mode & OMODE;

	if (devcrypto_clone_owned(mypid(), k, id) < 0)
		return E_NOENT;
	if (QSESSFILE(c->qid.path) == Sdir)
		return m == OREAD ? 0 : E_PERM;
	if (m == OEXEC)
		return E_PERM;
	if (QSESSFILE(c->qid.path) == Sdata && (mode & OTRUNC) && m != OREAD)
		return devcrypto_clone_reset(mypid(), k, id);
	return 0;
}

static int crypto_open_turn(struct chan *c, int mode)
{
	int q;
	int m = mode & OMODE;
	long id;

	if (issess(c->qid.path))
		return sess_open(c, mode);
	q = (int)c->qid.path;
	if (isclone(q)) {	/* a new session; its number is the text */
		if (m != OREAD)
			return E_PERM;
		if ((id = devcrypto_clone_new(mypid(), QKINDOF(q))) < 0)
			return (int)id;
		c->aux = (void *)(uintptr_t)id;
		return 0;
	}

	if (isdir(q) || q == Qrandom || iskey(q))
		return m == OREAD ? 0 : E_PERM;
	if (q == Qkeyctl) {
		if (m != OWRITE)
			return E_PERM;
		if ((c->aux = kzalloc(sizeof(struct ctlbuf))) == 0)
			return E_NOMEM;
		if (curproc())
			kstrlcpy(((struct ctlbuf *)c->aux)->user, curproc()->cred.user,
			         sizeof((struct ctlbuf *)c->aux)->user);
		return 0;
	}
	if (m == OEXEC)
		return E_PERM;
	/* `>` in the shell: OTRUNC starts an empty message */
	if ((mode & OTRUNC) && m != OREAD)
		return devcrypto_hash_reset(mypid(), alg_of(q));
	return 0;
}

static int crypto_create(struct chan *c, const char *name, int mode, uint32_t perm)
{
	USED(c);
	USED(name);
	USED(mode);
	USED(perm);
	return E_PERM;
}

/* Where a write-then-read chan's text starts (see the top). */
static uint64_t textpos(struct chan *c, uint64_t off)
{
	uint64_t base = AUXBASE(c);

	if (!AUXDECIDED(c)) {
		if (off < base)
			base = 0;
		c->aux = AUX(base, 1);
	}
	return off >= base ? off - base : off;
}

static long crypto_read_turn(struct chan *c, void *buf, size_t n, uint64_t off)
{
	int q;
	struct proc *p = curproc();
	char text[16];
	size_t len;

	if (issess(c->qid.path)) {
		int k = QSESSKIND(c->qid.path);
		uint32_t id = QSESSID(c->qid.path);
		switch (QSESSFILE(c->qid.path)) {
		case Sdir: return E_ISDIR;
		case Sctl: return devcrypto_clone_state(mypid(), k, id, buf, n, off);
		}
		return devcrypto_clone_read(mypid(), k, id, buf, n, textpos(c, off));
	}
	q = (int)c->qid.path;
	if (isdir(q))
		return E_ISDIR;
	if (isclone(q)) {
		len = (size_t)ksnprintf(text, sizeof text, "%u\n", (unsigned)(uintptr_t)c->aux);
		return dev_readstr(off, buf, n, text, len);
	}
	if (iskey(q))
		return devcrypto_key_read(q - QKEY0, buf, n, off);
	if (q == Qrandom) {
		/* A stream, not a file: every read is filled, at any offset, and
		 * there is no end (Plan 9's /dev/random).  A reader that asked for
		 * n bytes and got fewer would have to guess why.  The count is
		 * the caller's, already bounded (9P: msize less the header). */
		lc_random(buf, n);
		return (long)n;
	}
	if (p == 0)
		return E_PERM;
	return devcrypto_hash_read(mypid(), alg_of(q), buf, n, textpos(c, off));
}

/* Buffer keys/ctl input; run each complete line.  A line's error is the
 * error of the write that completed it. */
static long ctl_write(struct chan *c, const void *buf, size_t n)
{
	struct ctlbuf *b = c->aux;
	const char *p = buf;
	long err;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			err = b->n ? devcrypto_key_ctl(b->line, b->n) : 0;
			lc_wipe(b->line, b->n);	/* an import line is key material */
			b->n = 0;
			if (err < 0)
				return err;
			continue;
		}
		if (b->n == CTLMAX) {
			lc_wipe(b->line, b->n);
			b->n = 0;
			return proc_seterr(E_INVAL, "keys/ctl: line longer than %d bytes", CTLMAX);
		}
		b->line[b->n++] = p[i];
	}
	return (long)n;
}

static long crypto_write_turn(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	int q;
	struct proc *p = curproc();
	long r;

	if (issess(c->qid.path)) {
		int k = QSESSKIND(c->qid.path);
		uint32_t id = QSESSID(c->qid.path);
		switch (QSESSFILE(c->qid.path)) {
		case Sdir: return E_ISDIR;
		case Sctl: return devcrypto_clone_ctl(mypid(), k, id, buf, n);
		}
		r = devcrypto_clone_write(mypid(), k, id, buf, n);
		if (r > 0)
			c->aux = AUX(off + (uint64_t)r, 0);
		return r;
	}
	q = (int)c->qid.path;
	if (q == Qkeyctl)
		return ctl_write(c, buf, n);
	if (!ishash(q))
		return isdir(q) ? E_ISDIR : E_PERM;
	if (p == 0)
		return E_PERM;
	r = devcrypto_hash_write(mypid(), alg_of(q), buf, n);
	if (r > 0)
		c->aux = AUX(off + (uint64_t)r, 0);
	return r;
}

static int crypto_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	int dir;

	if (issess(c->qid.path)) {
		uint64_t path = c->qid.path;
		if (QSESSFILE(path) != Sdir)
			return E_NOTDIR;
		if (i >= 2)
			return 0;
		sess_fill(QSESS(QSESSKIND(path), QSESSID(path), Sctl + (int)i), d);
		return 1;
	}
	dir = (int)c->qid.path;

	if (!isdir(dir))
		return E_NOTDIR;
	for (int q = Qcrypto; q < Qmax; q++) {
		if (files[q].parent != dir)
			continue;
		if (i-- == 0) {
			fill(q, d);
			return 1;
		}
	}
	if (dir == Qkeys) {	/* then the keys, slot by slot */
		for (int k = 0; k < DEVCRYPTO_KEYS; k++) {
			int id = devcrypto_key_slotid(k);
			if (id < 0 || fill(QKEY(id), d) < 0)
				continue;
			if (i-- == 0)
				return 1;
		}
	}
	return 0;
}

static void crypto_close_turn(struct chan *c)
{
	struct ctlbuf *b;
	uint64_t path = c->qid.path;

	if (path != Qkeyctl || c->mode < 0 || (b = c->aux) == 0)
		return;
	/* a last line without its newline runs for its writer only: the
	 * last close of a 9P fid may come from a Tversion or the hang-up,
	 * which run as the connection's own user (eve for a trusted one) */
	if (b->n && curproc() && kstrcmp(curproc()->cred.user, b->user) == 0)
		devcrypto_key_ctl(b->line, b->n);
	else if (b->n && curproc())
		audit_log(curproc(), "key-ctl", 0, b->user,
		          "dropped: a line left at close, closed by %s", curproc()->cred.user);
	else if (b->n)
		devcrypto_key_ctl(b->line, b->n);	/* the kernel's own */
	lc_wipe(b, sizeof *b);
	kfree(b);
	c->aux = 0;
}

static int crypto_remove(struct chan *c)
{
	USED(c);
	return E_PERM;
}

/* ---- Turns ----------------------------------------------------------- */

/* The session tables assume one thread per owner; the procs working for
 * one principal (a 9P connection's workers) take turns with its actlock
 * around every call that finds or changes its sessions. */
static struct qlock *turn_take(void)
{
	struct proc *p = curproc();
	struct qlock *l = p ? p->actlock : 0;

	if (l)
		qlock(l);
	return l;
}

static void turn_give(struct qlock *l)
{
	if (l)
		qunlock(l);
}

static int crypto_walk(struct chan *c, const char *name)
{
	struct qlock *l = turn_take();
	int r = crypto_walk_turn(c, name);

	turn_give(l);
	return r;
}

static int crypto_stat(struct chan *c, struct lux_dir *d)
{
	struct qlock *l = turn_take();
	int r = crypto_stat_turn(c, d);

	turn_give(l);
	return r;
}

static int crypto_open(struct chan *c, int mode)
{
	struct qlock *l = turn_take();
	int r = crypto_open_turn(c, mode);

	turn_give(l);
	return r;
}

static long crypto_read(struct chan *c, void *buf, size_t n, uint64_t off)
{
	struct qlock *l = turn_take();
	long r = crypto_read_turn(c, buf, n, off);

	turn_give(l);
	return r;
}

static long crypto_write(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	struct qlock *l = turn_take();
	long r = crypto_write_turn(c, buf, n, off);

	turn_give(l);
	return r;
}

static void crypto_close(struct chan *c)
{
	struct qlock *l = turn_take();

	crypto_close_turn(c);
	turn_give(l);
}

const struct dev crypto_dev = {
	.name = "crypto",
	.attach = crypto_attach,
	.clone = crypto_clone,
	.walk = crypto_walk,
	.stat = crypto_stat,
	.open = crypto_open,
	.create = crypto_create,
	.read = crypto_read,
	.write = crypto_write,
	.dirent = crypto_dirent,
	.close = crypto_close,
	.remove = crypto_remove,
};
