/*
 * The crypto device's signing sessions: /secure/crypto/sign (docs/crypto.md).
 *
 * Opening sign/clone makes a session owned by the opening proc and reads
 * back its number N; N/ctl takes "key NAME" (a key of keys/) and
 * "close"; writes to N/data append to the message, and reading N/data
 * signs it (Ed25519, with the version of the key the session pinned:
 * <lux/keystore.h>) and returns the signature in hex plus a newline.
 * Each signature is one key use: audited, and its message bytes charged
 * to the proc's crypto pebbles (the keystore does both in ks_use).  Like the hash sessions,
 * a session is visible only to its owner (pid), and goes with it.
 *
 * Bounds: DEVCRYPTO_SIGNS sessions kernel-wide, DEVCRYPTO_SIGNS_PER_PROC
 * per proc, DEVCRYPTO_SIGNMAX bytes of message each.  Session numbers are
 * never reused.  The table is touched with upcalls off; a session's
 * contents only by its owner (or by devcrypto_sign_procexit once the
 * owner is dead).
 */
#include <lux/arch.h>
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/keystore.h>
#include <lux/proc.h>
#include <lux/string.h>

struct signs {
	int pid;
	uint32_t id;
	struct ks_ref *key;	/* the pinned key version, or 0 */
	bool done;		/* signed: hex holds the signature */
	size_t len, cap;
	uint8_t *msg;
	size_t ctln;
	char ctl[64];		/* a partial ctl line */
	char hex[2 * LC_ED25519_SIG + 2];
};

static struct signs *tab[DEVCRYPTO_SIGNS];
static uint32_t nextid = 1;

static struct signs *find(int pid, uint32_t id, size_t *slot)
{
	arch_irqstate s = arch_irq_save();
	struct signs *x = 0;

	for (size_t i = 0; i < DEVCRYPTO_SIGNS; i++) {
		if (tab[i] && tab[i]->id == id && tab[i]->pid == pid) {
			x = tab[i];
			if (slot)
				*slot = i;
		}
	}
	arch_irq_restore(s);
	return x;
}

static void sfree(struct signs *x)
{
	ks_drop(x->key);	/* an old version goes with its last pin */
	if (x->msg) {
		lc_wipe(x->msg, x->cap);
		kfree(x->msg);
	}
	lc_wipe(x, sizeof *x);
	kfree(x);
}

static void sdrop(int pid, uint32_t id)
{
	size_t i;
	struct signs *x = find(pid, id, &i);
	arch_irqstate s;

	if (x == 0)
		return;
	s = arch_irq_save();
	tab[i] = 0;
	arch_irq_restore(s);
	sfree(x);
}

long devcrypto_sign_new(int pid)
{
	struct signs *x = kzalloc(sizeof *x);
	arch_irqstate s;
	size_t i, fr = DEVCRYPTO_SIGNS, mine = 0;
	long r;

	if (x == 0)
		return E_NOMEM;
	x->pid = pid;
	s = arch_irq_save();
	for (i = 0; i < DEVCRYPTO_SIGNS; i++) {
		if (tab[i] && tab[i]->pid == pid)
			mine++;
		if (tab[i] == 0 && fr == DEVCRYPTO_SIGNS)
			fr = i;
	}
	if (mine >= DEVCRYPTO_SIGNS_PER_PROC || fr == DEVCRYPTO_SIGNS) {
		arch_irq_restore(s);
		kfree(x);
		if (mine >= DEVCRYPTO_SIGNS_PER_PROC)
			return proc_seterr(E_NOSPC, "sign: %d sessions per proc (close one: "
			                   "echo close > N/ctl)", DEVCRYPTO_SIGNS_PER_PROC);
		return proc_seterr(E_NOSPC, "sign: all %d sessions are in use", DEVCRYPTO_SIGNS);
	}
	x->id = nextid++;
	tab[fr] = x;
	r = (long)x->id;
	arch_irq_restore(s);
	return r;
}

int devcrypto_sign_owned(int pid, uint32_t id)
{
	return find(pid, id, 0) ? 0 : E_NOENT;
}

static long ctl_line(struct signs *x, char *line)
{
	struct ks_ref *k;
	int err;

	if (kstrcmp(line, "close") == 0) {
		sdrop(x->pid, x->id);
		return 1;	/* x is gone */
	}
	if (kstrncmp(line, "key ", 4) == 0) {
		/* pin the key's current version; a rotate from now on does
		 * not change what this session signs with */
		if ((err = ks_take(line + 4, KS_ED25519, &k)) < 0)
			return err;
		ks_drop(x->key);
		x->key = k;
		return 0;
	}
	return proc_seterr(E_INVAL, "sign ctl: unknown command (want: key NAME, or close)");
}

long devcrypto_sign_ctl(int pid, uint32_t id, const void *buf, size_t n)
{
	struct signs *x = find(pid, id, 0);
	const char *p = buf;
	long r;

	if (x == 0)
		return E_NOENT;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			x->ctl[x->ctln] = 0;
			x->ctln = 0;
			if ((r = ctl_line(x, x->ctl)) < 0)
				return r;
			if (r == 1)	/* closed: the rest of the write has no session */
				return (long)n;
			continue;
		}
		if (x->ctln + 1 >= sizeof x->ctl) {
			x->ctln = 0;
			return proc_seterr(E_INVAL, "sign ctl: line too long");
		}
		x->ctl[x->ctln++] = p[i];
	}
	return (long)n;
}

int devcrypto_sign_reset(int pid, uint32_t id)
{
	struct signs *x = find(pid, id, 0);

	if (x == 0)
		return E_NOENT;
	x->len = 0;
	x->done = false;
	return 0;
}

long devcrypto_sign_write(int pid, uint32_t id, const void *buf, size_t n)
{
	struct signs *x = find(pid, id, 0);

	if (x == 0)
		return E_NOENT;
	if (x->done) {	/* the last message was signed: start the next */
		x->len = 0;
		x->done = false;
	}
	if (n > DEVCRYPTO_SIGNMAX - x->len)
		return proc_seterr(E_TOOBIG, "sign: a message is at most %d bytes",
		                   DEVCRYPTO_SIGNMAX);
	if (x->len + n > x->cap) {
		size_t cap = MIN(MAX(2 * x->cap, x->len + n), (size_t)DEVCRYPTO_SIGNMAX);
		uint8_t *m = kmalloc(cap);
		if (m == 0)
			return E_NOMEM;
		if (x->msg) {
			kmemcpy(m, x->msg, x->len);
			lc_wipe(x->msg, x->cap);
			kfree(x->msg);
		}
		x->msg = m;
		x->cap = cap;
	}
	kmemcpy(x->msg + x->len, buf, n);
	x->len += n;
	return (long)n;
}

long devcrypto_sign_read(int pid, uint32_t id, void *buf, size_t n, uint64_t off)
{
	struct signs *x = find(pid, id, 0);
	uint8_t sig[LC_ED25519_SIG];
	size_t len = 2 * LC_ED25519_SIG + 1, sklen;
	const uint8_t *sk;
	int err;

	if (x == 0)
		return E_NOENT;
	if (!x->done) {
		if (x->key == 0)
			return proc_seterr(E_INVAL, "sign: no key (write \"key NAME\" to ctl)");
		if ((err = ks_use(x->key, "sign", x->len)) < 0)
			return err;
		sk = ks_secret(x->key, &sklen);
		if (lc_ed25519_sign(sig, x->msg ? x->msg : (const uint8_t *)"", x->len, sk) < 0)
			return E_CRYPTO;
		khex(x->hex, sig, LC_ED25519_SIG);
		x->hex[2 * LC_ED25519_SIG] = '\n';
		x->done = true;
	}
	return dev_readstr(off, buf, n, x->hex, len);
}

void devcrypto_sign_procexit(int pid)
{
	for (;;) {
		arch_irqstate s = arch_irq_save();
		struct signs *x = 0;

		for (size_t i = 0; i < DEVCRYPTO_SIGNS && x == 0; i++) {
			if (tab[i] && tab[i]->pid == pid) {
				x = tab[i];
				tab[i] = 0;
			}
		}
		arch_irq_restore(s);
		if (x == 0)
			return;
		sfree(x);
	}
}

size_t devcrypto_signs(void)
{
	size_t n = 0;
	arch_irqstate s = arch_irq_save();

	for (size_t i = 0; i < DEVCRYPTO_SIGNS; i++)
		n += tab[i] != 0;
	arch_irq_restore(s);
	return n;
}
