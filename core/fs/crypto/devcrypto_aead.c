/*
 * Authenticated encryption, /secure/crypto/aead (docs/crypto.md,
 * "Sessions"): a kind of clone session (devcrypto_clone.c).
 *
 * N/ctl: "key NAME" (an aead key of keys/), "alg xchacha20poly1305|
 * chacha20poly1305|aes256gcm" (XChaCha20-Poly1305 by default; AES-256-GCM
 * only where the CPU has AES-NI), "nonce HEX" or "nonce random" (the
 * default: a fresh nonce per encryption, shown in ctl afterwards),
 * "ad HEX" (associated data; "ad" alone clears it), "encrypt" or
 * "decrypt".  N/data takes the whole input (at most DEVCRYPTO_MSGMAX of
 * plaintext to encrypt, and its ciphertext and tag to decrypt);
 * a read returns ciphertext||tag, or the plaintext, or fails with "aead:
 * authentication failed" and no plaintext at all.
 *
 * Nonces: a random nonce is drawn for every encryption.  A given nonce
 * must be greater than every nonce given before under the same key
 * version (ks_nonce_next: the mark is kept with the version in the
 * keystore, so all its sessions share it), because a repeated (key, nonce)
 * pair leaks the XOR of two plaintexts and, for Poly1305 and GHASH, the
 * authentication key.  A list of recent nonces per session, what this
 * was, forgets: the 17th nonce pushed the 1st out, and another session
 * never saw it at all.  A mark is one number per version and forgets
 * nothing.
 */
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/keystore.h>
#include <lux/offload.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "devcrypto_clone.h"

#define AEAD_ADMAX ((DEVCRYPTO_CTLMAX - 4) / 2)	/* what an "ad HEX" line holds */

_Static_assert(LC_AEAD_NONCE_MAX <= KS_NONCE_MAX, "the keystore's marks hold every nonce");

struct aead {
	enum lc_aead_alg alg;	/* LC_XCHACHA20POLY1305 = 0: the default */
	bool decrypt;
	bool given;		/* the nonce came from ctl (else random per encryption) */
	bool hasnonce;		/* nonce holds one: given, or the last random one */
	size_t noncelen;
	uint8_t nonce[LC_AEAD_NONCE_MAX];
	size_t adlen;
	uint8_t ad[AEAD_ADMAX];
	/* what the message sealed in place was sealed with (valid while
	 * s->sealed): ctl may change the settings above before unseal needs
	 * them.  Never a secret (the nonce and ad are in ctl's state). */
	struct {
		enum lc_aead_alg alg;
		size_t noncelen, adlen;
		uint8_t nonce[LC_AEAD_NONCE_MAX];
		uint8_t ad[AEAD_ADMAX];
	} was;
};

/* Take the given nonce for one encryption (ks_nonce_next): 0, or E_INVAL
 * with a sentence saying what to do instead. */
static int claim(struct dc_sess *s, const struct aead *a)
{
	const char *name = ks_name(s->key);
	uint32_t v = ks_version(s->key);

	switch (ks_nonce_next(s->key, a->nonce, a->noncelen)) {
	case KS_NONCE_OK: return 0;
	case KS_NONCE_REUSED:
		return proc_seterr(E_INVAL,
		                   "aead: nonce reused: key %s v%u encrypted with it "
		                   "before (give a greater one, or \"nonce random\")",
		                   name, v);
	case KS_NONCE_BELOW:
		return proc_seterr(E_INVAL,
		                   "aead: nonce below one key %s v%u encrypted with: "
		                   "given nonces must increase (or \"nonce random\")",
		                   name, v);
	default:
		return proc_seterr(E_INVAL,
		                   "aead: key %s v%u used its greatest %zu-byte nonce: "
		                   "rotate it, or \"nonce random\"",
		                   name, v, a->noncelen);
	}
}

static int aead_ctl(struct dc_sess *s, const char *verb, const char *arg)
{
	struct aead *a = s->priv;
	uint8_t b[AEAD_ADMAX];
	size_t n;
	int err;

	if (kstrcmp(verb, "alg") == 0) {
		for (int i = 0; i < LC_AEAD_NALGS; i++) {
			if (kstrcmp(arg, lc_aead_name((enum lc_aead_alg)i)) != 0)
				continue;
			if (!lc_aead_available((enum lc_aead_alg)i))
				return proc_seterr(E_INVAL,
				                   "aead: %s needs AES-NI and PCLMUL, which this "
				                   "CPU lacks (use xchacha20poly1305)",
				                   arg);
			a->alg = (enum lc_aead_alg)i;
			return 0;
		}
		return proc_seterr(E_INVAL,
		                   "aead: no alg %.32s (want xchacha20poly1305, "
		                   "chacha20poly1305 or aes256gcm)",
		                   arg);
	}
	if (kstrcmp(verb, "nonce") == 0) {
		if (kstrcmp(arg, "random") == 0) {
			a->given = a->hasnonce = false;
			return 0;
		}
		if ((err = dc_unhex(s, "nonce", arg, b, 0, LC_AEAD_NONCE_MAX, &n)) < 0)
			return err;
		if (n != 12 && n != 24)
			return proc_seterr(E_INVAL,
			                   "aead: nonce: want 12 bytes (chacha20poly1305, "
			                   "aes256gcm) or 24 (xchacha20poly1305), got %zu",
			                   n);
		kmemcpy(a->nonce, b, n);
		a->noncelen = n;
		a->given = a->hasnonce = true;
		return 0;
	}
	if (kstrcmp(verb, "ad") == 0) {
		if (*arg == 0) {
			a->adlen = 0;
			return 0;
		}
		if ((err = dc_unhex(s, "ad", arg, b, 0, AEAD_ADMAX, &n)) < 0)
			return err;
		kmemcpy(a->ad, b, n);
		a->adlen = n;
		return 0;
	}
	if ((kstrcmp(verb, "encrypt") == 0 || kstrcmp(verb, "decrypt") == 0) && *arg == 0) {
		a->decrypt = verb[0] == 'd';
		return 0;
	}
	return DC_UNKNOWN;
}

/* The message bound is exact per direction: DEVCRYPTO_MSGMAX of plaintext
 * to encrypt, and to decrypt that much plaintext's ciphertext and tag. */
static int bound(const struct aead *a, size_t total)
{
	if (a->decrypt && total > DEVCRYPTO_MSGMAX + LC_AEAD_TAG)
		return proc_seterr(E_TOOBIG,
		                   "aead: at most %u bytes to decrypt (1 MiB of plaintext "
		                   "and the %d-byte tag)",
		                   DEVCRYPTO_MSGMAX + LC_AEAD_TAG, LC_AEAD_TAG);
	if (!a->decrypt && total > DEVCRYPTO_MSGMAX)
		return proc_seterr(E_TOOBIG,
		                   "aead: at most %u bytes (1 MiB) of plaintext to encrypt",
		                   DEVCRYPTO_MSGMAX);
	return 0;
}

/* Messages from this size on are sealed or opened through koffload: a
 * megabyte is milliseconds of one libsodium call that no preemption cuts,
 * so a client looping them would hold the kernel's CPU from everyone
 * else; smaller ones run in place.  The hop to another thread costs about
 * 60 us of CPU per message on hosted (a 64 KiB message's seal is ~45 us:
 * over 9P the hop took luxsim from 11 to 19 ms of CPU per 8 MiB), and
 * below 256 KiB a seal holds the CPU (~180 us) no longer than hashing one
 * 64 KiB write to hash/sha256 does, which runs in place.
 * docs/crypto.md, "Fair shares". */
#define AEAD_OFFLOAD_MIN (256u << 10)

/* One seal or open, as a pure computation: everything it reads and
 * writes is here (the key stays pinned by the session, its buffers are
 * the session's, and the session is ours alone while we wait). */
struct aead_job {
	bool open;
	enum lc_aead_alg alg;
	uint8_t *out;
	const uint8_t *in;
	size_t n;
	const uint8_t *ad;
	size_t adlen;
	const uint8_t *nonce, *key;
	int r;
};

static void aead_compute(void *arg)
{
	struct aead_job *j = arg;

	j->r = j->open
	           ? lc_aead_decrypt(j->alg, j->out, j->in, j->n, j->ad, j->adlen, j->nonce, j->key)
	           : lc_aead_encrypt(j->alg, j->out, j->in, j->n, j->ad, j->adlen, j->nonce,
	                             j->key);
}

/* Run j, away from the kernel's CPU when it is large: 0, or koffload's
 * error (a kill while waiting for the user's turn); j->r says how the
 * AEAD went. */
static int aead_do(struct aead_job *j)
{
	if (j->n < AEAD_OFFLOAD_MIN) {
		aead_compute(j);
		return 0;
	}
	return koffload(aead_compute, j);
}

static int aead_admit(struct dc_sess *s, size_t total)
{
	return bound(s->priv, total);
}

/* Sealed in place: the ciphertext overwrites the plaintext where it was
 * written and the tag goes after it (the room for it was made as the
 * message grew, dc_kind.inroom), and reads answer from there.  So there
 * is no output buffer to fill, copy from and wipe, and no plaintext is
 * left behind to wipe either: the seal itself overwrote it. */
static int encrypt(struct dc_sess *s, struct aead *a, const uint8_t *key)
{
	size_t want = lc_aead_nonce_len(a->alg);
	struct aead_job job;
	uint8_t *buf;
	int err = E_NOMEM;

	/* written while decrypting, then "encrypt" on ctl: the writes were
	 * admitted for the other direction */
	if ((err = bound(a, s->inlen)) < 0)
		return err;
	err = E_NOMEM;
	if (a->given) {
		if (a->noncelen != want)
			return proc_seterr(E_INVAL, "aead: the nonce is %zu bytes, %s wants %zu",
			                   a->noncelen, lc_aead_name(a->alg), want);
	}
	if ((buf = dc_inroom(s, s->inlen + LC_AEAD_TAG, &err)) == 0)
		return err;
	/* claimed before the budget check: a refused budget burns the nonce
	 * (the client gives a greater one), never the other way round */
	if (a->given && (err = claim(s, a)) < 0)
		return err;
	if ((err = ks_use(s->key, "encrypt", s->inlen)) < 0)
		return err;
	if (!a->given) {
		lc_random(a->nonce, want);
		a->noncelen = want;
		a->hasnonce = true;
	}
	/* libsodium's AEADs seal with c == m (one pass: each block is read
	 * before its ciphertext is stored) */
	job = (struct aead_job){ false, a->alg,   buf,      buf, s->inlen,
		                 a->ad, a->adlen, a->nonce, key, -1 };
	if ((err = aead_do(&job)) < 0)
		return err;	/* a kill before it ran: the message is as written */
	if (job.r < 0)	/* an unknown alg, refused before touching buf */
		return proc_seterr(E_CRYPTO, "aead: %s failed", lc_aead_name(a->alg));
	a->was.alg = a->alg;
	a->was.noncelen = a->noncelen;
	kmemcpy(a->was.nonce, a->nonce, a->noncelen);
	a->was.adlen = a->adlen;
	kmemcpy(a->was.ad, a->ad, a->adlen);
	dc_output_sealed(s, s->inlen + LC_AEAD_TAG);
	return 0;
}

/* The framework's unseal: the sealed message back to the plaintext as
 * written, opened in place with what sealed it (the key is still the
 * pinned one: a "key" line unseals before it changes the pin).  Only a
 * ctl change between a read and another read of the same message (or a
 * key change) comes here; a new message just drops the ciphertext. */
static int aead_unseal(struct dc_sess *s)
{
	struct aead *a = s->priv;
	struct aead_job job;
	const uint8_t *key;
	size_t keylen;
	int err;

	key = ks_secret(s->key, &keylen);
	if (key == 0 || keylen != LC_AEAD_KEY)
		return proc_seterr(E_INVAL, "aead: the key is not a %d-byte aead key", LC_AEAD_KEY);
	job = (struct aead_job){
		true,      a->was.alg,   s->in,        s->in, s->inlen + LC_AEAD_TAG,
		a->was.ad, a->was.adlen, a->was.nonce, key,   -1
	};
	if ((err = aead_do(&job)) < 0)
		return err;	/* a kill before it ran: still sealed */
	if (job.r < 0) {
		/* cannot happen (we sealed it with these); the open zeroed the
		 * buffer, so the message is gone */
		s->sealed = false;
		s->inlen = 0;
		return proc_seterr(E_CRYPTO,
		                   "aead: the sealed message did not open again: write it again");
	}
	s->sealed = false;
	return 0;
}

static int decrypt(struct dc_sess *s, struct aead *a, const uint8_t *key)
{
	size_t want = lc_aead_nonce_len(a->alg);
	struct aead_job job;
	uint8_t *out;
	int err = E_NOMEM;

	if (!a->given)
		return proc_seterr(E_INVAL,
		                   "aead: decrypt needs the nonce (write \"nonce HEX\" to ctl)");
	if (a->noncelen != want)
		return proc_seterr(E_INVAL, "aead: the nonce is %zu bytes, %s wants %zu",
		                   a->noncelen, lc_aead_name(a->alg), want);
	if (s->inlen < LC_AEAD_TAG)
		return dc_fail(s, E_CRYPTO, "aead: authentication failed (shorter than the tag)");
	if ((out = dc_output(s, s->inlen - LC_AEAD_TAG, &err)) == 0)
		return err;
	if ((err = ks_use(s->key, "decrypt", s->inlen)) < 0)
		return err;
	job = (struct aead_job){ true,  a->alg,   out,      s->in, s->inlen,
		                 a->ad, a->adlen, a->nonce, key,   -1 };
	if ((err = aead_do(&job)) < 0)
		return err;
	if (job.r < 0)
		return dc_fail(s, E_CRYPTO, "aead: authentication failed");	/* wipes out */
	return 0;
}

static int aead_run(struct dc_sess *s)
{
	struct aead *a = s->priv;
	const uint8_t *key;
	size_t keylen;

	if (!lc_aead_available(a->alg))
		return proc_seterr(E_INVAL, "aead: %s is not available on this CPU",
		                   lc_aead_name(a->alg));
	key = ks_secret(s->key, &keylen);
	if (key == 0 || keylen != LC_AEAD_KEY)
		return proc_seterr(E_INVAL, "aead: the key is not a %d-byte aead key", LC_AEAD_KEY);
	return a->decrypt ? decrypt(s, a, key) : encrypt(s, a, key);
}

static size_t aead_state(struct dc_sess *s, char *buf, size_t size)
{
	struct aead *a = s->priv;
	char nonce[2 * LC_AEAD_NONCE_MAX + 1], ad[2 * AEAD_ADMAX + 1];

	khex(nonce, a->nonce, a->hasnonce ? a->noncelen : 0);
	khex(ad, a->ad, a->adlen);
	return (size_t)ksnprintf(buf, size, "alg %s\n%s\nnonce %s\nnonce-source %s\nad %s\n",
	                         lc_aead_name(a->alg), a->decrypt ? "decrypt" : "encrypt",
	                         a->hasnonce ? nonce : "random", a->given ? "given" : "random",
	                         a->adlen ? ad : "none");
}

const struct dc_kind dc_aead = {
	.name = "aead",
	.keyalg = KS_AEAD,
	.needkey = true,
	.maxmsg = DEVCRYPTO_MSGMAX + LC_AEAD_TAG,	/* a whole message's ciphertext and tag */
	.inroom = LC_AEAD_TAG,				/* the tag, sealed in place */
	.admit = aead_admit,				/* ... plaintext only when encrypting */
	.privsize = sizeof(struct aead),
	.usage = "key NAME, alg xchacha20poly1305|chacha20poly1305|aes256gcm, nonce HEX|random, "
		 "ad HEX, encrypt, decrypt",
	.ctl = aead_ctl,
	.run = aead_run,
	.state = aead_state,
	.unseal = aead_unseal,
};
