/*
 * Password hashing, /secure/crypto/pwhash (docs/crypto.md, "Sessions"): a
 * kind of clone session (devcrypto_clone.c).  N/ctl takes "salt HEX" (16
 * bytes, required), "ops N" (Argon2 passes, 1..PW_OPSMAX, default 2),
 * "mem BYTES" (8 KiB..PW_MEMMAX (64 MiB), default 256 KiB) and
 * "len N" (16..64 hash bytes, default 32).  Write the password to N/data
 * (at most PW_MAXPW bytes); a read returns the Argon2id v1.3 hash (one
 * lane: crypto_pwhash) in hex plus a newline.  No key.
 *
 * Memory: Argon2 allocates mem bytes for the length of the call, so mem
 * is bounded and charged to the owner's crypto pebbles (bytes the crypto
 * server holds for it) before libsodium allocates it, and returned after.
 * The password is wiped when the next message starts or the session goes
 * (a ctl change before that hashes it again with the new parameters).
 */
#include <lux/crypto.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/offload.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "devcrypto_clone.h"

#define PW_OPSMAX 16			/* CPU time: Argon2 passes */
#define PW_MEMMAX (64u << 20)		/* memory of one hash, bytes */
#define PW_MEMDEFAULT (256u << 10)
#define PW_OPSDEFAULT 2
#define PW_MAXPW 4096			/* password bytes */
#define PW_MAXLEN 64

struct pw {
	bool hassalt;
	uint8_t salt[LC_PWHASH_SALT];
	uint64_t ops, mem;	/* 0: the defaults */
	size_t len;		/* 0: 32 */
};

static uint64_t ops(const struct pw *p)
{
	return p->ops ? p->ops : PW_OPSDEFAULT;
}

static uint64_t mem(const struct pw *p)
{
	return p->mem ? p->mem : PW_MEMDEFAULT;
}

static size_t hashlen(const struct pw *p)
{
	return p->len ? p->len : 32;
}

static int pw_ctl(struct dc_sess *s, const char *verb, const char *arg)
{
	struct pw *p = s->priv;
	uint8_t salt[LC_PWHASH_SALT];
	uint64_t v;
	int err;

	if (kstrcmp(verb, "salt") == 0) {
		if ((err = dc_unhex(s, "salt", arg, salt, LC_PWHASH_SALT, 0, 0)) < 0)
			return err;
		kmemcpy(p->salt, salt, sizeof salt);
		p->hassalt = true;
		return 0;
	}
	if (kstrcmp(verb, "ops") == 0) {
		if ((err = dc_number(s, "ops", arg, LC_PWHASH_OPSMIN, PW_OPSMAX, &v)) < 0)
			return err;
		p->ops = v;
		return 0;
	}
	if (kstrcmp(verb, "mem") == 0) {
		if ((err = dc_number(s, "mem", arg, LC_PWHASH_MEMMIN, PW_MEMMAX, &v)) < 0)
			return err;
		p->mem = v;
		return 0;
	}
	if (kstrcmp(verb, "len") == 0) {
		if ((err = dc_number(s, "len", arg, LC_PWHASH_MIN, PW_MAXLEN, &v)) < 0)
			return err;
		p->len = (size_t)v;
		return 0;
	}
	return DC_UNKNOWN;
}

/* One Argon2id, as a pure computation koffload may run on another CPU:
 * everything it reads and writes is here. */
struct pw_job {
	uint8_t *out;
	size_t len;
	const uint8_t *pw;
	size_t pwlen;
	const uint8_t *salt;
	uint64_t ops;
	size_t mem;
	int r;
};

static void pw_compute(void *arg)
{
	struct pw_job *j = arg;

	j->r = lc_pwhash(j->out, j->len, j->pw, j->pwlen, j->salt, j->ops, j->mem);
}

static int pw_run(struct dc_sess *s)
{
	struct pw *p = s->priv;
	uint8_t out[PW_MAXLEN];
	struct pw_job job = { out,
		              hashlen(p),
		              s->in ? s->in : (const uint8_t *)"",
		              s->inlen,
		              p->salt,
		              ops(p),
		              (size_t)mem(p),
		              -1 };
	int err, r;

	if (!p->hassalt)
		return proc_seterr(E_INVAL,
		                   "pwhash: no salt (write \"salt HEX\", 16 bytes, to ctl)");
	if ((err = dc_charge(s, (size_t)mem(p))) < 0)
		return err;
	/* seconds of CPU at the largest settings: in the user's turn, away
	 * from the CPU that serves everyone else where the arch can
	 * (docs/crypto.md, "Fair shares") */
	err = koffload(pw_compute, &job);
	r = job.r;
	dc_release(s, (size_t)mem(p));
	if (err < 0)
		return err;
	if (r < 0)
		return proc_seterr(E_NOMEM,
		                   "pwhash: Argon2id failed (out of memory for %llu bytes?)",
		                   (unsigned long long)mem(p));
	err = dc_output_hex(s, out, hashlen(p));
	lc_wipe(out, sizeof out);
	return err;
}

static size_t pw_state(struct dc_sess *s, char *buf, size_t size)
{
	struct pw *p = s->priv;
	char salt[2 * LC_PWHASH_SALT + 1];

	khex(salt, p->salt, sizeof p->salt);
	return (size_t)ksnprintf(buf, size, "alg argon2id\nsalt %s\nops %llu\nmem %llu\nlen %zu\n",
	                         p->hassalt ? salt : "none", (unsigned long long)ops(p),
	                         (unsigned long long)mem(p), hashlen(p));
}

const struct dc_kind dc_pwhash = {
	.name = "pwhash",
	.keyalg = -1,		/* no key */
	.needkey = false,
	.maxmsg = PW_MAXPW,
	.privsize = sizeof(struct pw),
	.usage = "salt HEX, ops N, mem BYTES, len N",
	.ctl = pw_ctl,
	.run = pw_run,
	.state = pw_state,
};
