/*
 * The crypto device's hash sessions: one proc's pending or finished
 * message per algorithm, in a kernel-wide table of DEVCRYPTO_SESSIONS
 * (docs/crypto.md says why and what the bounds are).
 *
 * Locking: the table (the slots and the count) is touched with upcalls
 * off, briefly.  A session's contents are touched only by the proc that
 * owns it (the pid is the key and a proc is one thread), or by
 * devcrypto_procexit once that proc is dead, so hashing runs with
 * upcalls on: a long write does not hold off the timer.  Sessions are
 * kmalloc'd when a proc first writes and freed by an OTRUNC open or the
 * proc's exit (a finished digest stays, to be re-read, until then).
 */
#include <lux/arch.h>
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/proc.h>
#include <lux/string.h>

struct sess {
	lc_hash_state st;	/* first: its 64-byte alignment */
	void *raw;		/* what kmalloc returned (st is aligned in it) */
	int pid;
	char user[sizeof((struct cred *)0)->user]; /* whose write made it */
	enum lc_hash_alg alg;
	bool done;		/* read: hex holds the digest */
	size_t hexlen;
	char hex[2 * LC_HASH_MAX + 2];
};

static struct sess *tab[DEVCRYPTO_SESSIONS];
static size_t nsess;
/* tab[] and nsess; a session's hash state is its proc's */
static struct spinlock sess_lock = SPINLOCK_INIT("devcrypto-hash");

static struct sess *find_locked(int pid, enum lc_hash_alg alg, size_t *slot)
{
	for (size_t i = 0; i < DEVCRYPTO_SESSIONS; i++) {
		if (tab[i] && tab[i]->pid == pid && tab[i]->alg == alg) {
			if (slot)
				*slot = i;
			return tab[i];
		}
	}
	return 0;
}

static struct sess *find(int pid, enum lc_hash_alg alg)
{
	spin_lock(&sess_lock);
	struct sess *x = find_locked(pid, alg, 0);

	spin_unlock(&sess_lock);
	return x;
}

static void sess_free(struct sess *x)
{
	void *raw = x->raw;

	lc_wipe(x, sizeof *x);
	kfree(raw);
}

/* Sessions user's procs hold.  Upcalls off.  A user's share
 * (DEVCRYPTO_SESSIONS_PER_USER): without it 22 connections of none, every
 * unauthenticated client, took all 64 and nobody else could hash until
 * they hung up (tests/attacks/i_hash_sessions.py). */
static size_t users_sessions(const char *user)
{
	size_t n = 0;

	for (size_t i = 0; i < DEVCRYPTO_SESSIONS; i++)
		n += tab[i] && kstrcmp(tab[i]->user, user) == 0;
	return n;
}

/* A new session for (pid, alg) in the table, hashing an empty message:
 * 0 and *out, or E_NOMEM / E_NOSPC. */
static int sess_new(int pid, enum lc_hash_alg alg, struct sess **out)
{
	void *raw = kmalloc(sizeof(struct sess) + _Alignof(struct sess));
	struct sess *x;
	size_t i;
	int err;

	if (raw == 0)
		return E_NOMEM;
	x = (struct sess *)(((uintptr_t)raw + _Alignof(struct sess) - 1) &
	                    ~(uintptr_t)(_Alignof(struct sess) - 1));
	kmemset(x, 0, sizeof *x);
	x->raw = raw;
	x->pid = pid;
	x->alg = alg;
	if (lc_hash_init(&x->st, alg) < 0) {
		sess_free(x);
		return E_CRYPTO;
	}
	kstrlcpy(x->user, curproc() ? curproc()->cred.user : "eve", sizeof x->user);
	spin_lock(&sess_lock);
	if (users_sessions(x->user) >= DEVCRYPTO_SESSIONS_PER_USER) {
		spin_unlock(&sess_lock);
		err = proc_seterr(E_BUDGET, "budget exhausted: hash sessions %d/%d (%s's)",
		                  DEVCRYPTO_SESSIONS_PER_USER, DEVCRYPTO_SESSIONS_PER_USER,
		                  x->user);
		sess_free(x);
		return err;
	}
	for (i = 0; i < DEVCRYPTO_SESSIONS && tab[i]; i++)
		;
	if (i == DEVCRYPTO_SESSIONS) {
		spin_unlock(&sess_lock);
		sess_free(x);
		return proc_seterr(E_NOSPC, "crypto: all %d hash sessions are in use",
		                   DEVCRYPTO_SESSIONS);
	}
	tab[i] = x;
	nsess++;
	spin_unlock(&sess_lock);
	*out = x;
	return 0;
}

long devcrypto_hash_write(int pid, enum lc_hash_alg alg, const void *buf, size_t n)
{
	struct sess *x = find(pid, alg);
	int err;

	if (x == 0) {
		if (n == 0)
			return 0;	/* nothing pending reads as the empty message */
		if ((err = sess_new(pid, alg, &x)) < 0)
			return err;
	} else if (x->done) {	/* the last one was read: start the next */
		if (lc_hash_init(&x->st, alg) < 0)
			return E_CRYPTO;
		x->done = false;
		x->hexlen = 0;
	}
	if (n && lc_hash_update(&x->st, buf, n) < 0)
		return E_CRYPTO;
	return (long)n;
}

/* The digest as the file shows it: hex and a newline (out: 2n+2 bytes). */
static size_t tohex(char *out, const uint8_t *d, size_t n)
{
	khex(out, d, n);
	out[2 * n] = '\n';
	return 2 * n + 1;
}

long devcrypto_hash_read(int pid, enum lc_hash_alg alg, void *buf, size_t n, uint64_t off)
{
	struct sess *x = find(pid, alg);
	uint8_t dig[LC_HASH_MAX];
	char empty[2 * LC_HASH_MAX + 2];
	const char *hex;
	size_t len;

	if (x == 0) {
		if (lc_hash(alg, "", 0, dig) < 0)
			return E_CRYPTO;
		len = tohex(empty, dig, lc_hash_len(alg));
		hex = empty;
	} else {
		if (!x->done) {
			if (lc_hash_final(&x->st, dig) < 0)
				return E_CRYPTO;
			lc_wipe(&x->st, sizeof x->st);
			x->hexlen = tohex(x->hex, dig, lc_hash_len(alg));
			x->done = true;
		}
		hex = x->hex;
		len = x->hexlen;
	}
	lc_wipe(dig, sizeof dig);
	return dev_readstr(off, buf, n, hex, len);
}

int devcrypto_hash_reset(int pid, enum lc_hash_alg alg)
{
	spin_lock(&sess_lock);
	size_t i;
	struct sess *x = find_locked(pid, alg, &i);

	if (x) {
		tab[i] = 0;
		nsess--;
	}
	spin_unlock(&sess_lock);
	if (x)
		sess_free(x);
	return 0;
}

void devcrypto_procexit(int pid)
{
	for (int a = LC_SHA256; a <= LC_BLAKE2B512; a++)
		devcrypto_hash_reset(pid, (enum lc_hash_alg)a);
	devcrypto_clone_procexit(pid);
}

size_t devcrypto_sessions(void)
{
	return nsess;
}
