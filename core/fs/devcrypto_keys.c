/*
 * The crypto device's named keys: /secure/crypto/keys (docs/crypto.md).
 *
 * A kernel-wide table of DEVCRYPTO_KEYS Ed25519 keys, made by writing
 * "gen ed25519 NAME" to keys/ctl (the seed comes from lc_random) and
 * never deleted, so a key's slot number is a stable qid.  Only the public
 * half is ever readable; the secret key stays here and is used only by
 * devcrypto_key_sign.  The table is touched with upcalls off, briefly:
 * key generation and signing work on copies made under it.
 */
#include <lux/arch.h>
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/string.h>

struct key {
	bool used;
	char name[DEVCRYPTO_KEYNAME];
	uint8_t pk[LC_ED25519_PK];
	uint8_t sk[LC_ED25519_SK];
};

static struct key keys[DEVCRYPTO_KEYS];

static bool goodname(const char *s, size_t n)
{
	if (n == 0 || n >= DEVCRYPTO_KEYNAME || kstrcmp(s, "ctl") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || (c == '.' && i > 0)))
			return false;
	}
	return true;
}

/* Split the next space-separated word of [*p, end) into w (size wn). */
static size_t word(const char **p, const char *end, char *w, size_t wn)
{
	size_t n = 0;

	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	while (*p < end && **p != ' ' && **p != '\t' && **p != '\n') {
		if (n + 1 < wn)
			w[n] = **p;
		n++;
		(*p)++;
	}
	if (wn)
		w[MIN(n, wn - 1)] = 0;
	return n;
}

static long gen(const char *name)
{
	uint8_t seed[LC_ED25519_SEED];
	struct key k;
	arch_irqstate s;
	long err = 0;
	size_t i, fr = DEVCRYPTO_KEYS;

	kmemset(&k, 0, sizeof k);
	k.used = true;
	kstrlcpy(k.name, name, sizeof k.name);
	lc_random(seed, sizeof seed);
	if (lc_ed25519_seed_keypair(k.pk, k.sk, seed) < 0)
		err = E_CRYPTO;
	lc_wipe(seed, sizeof seed);
	if (err < 0) {
		lc_wipe(&k, sizeof k);
		return err;
	}
	s = arch_irq_save();
	for (i = 0; i < DEVCRYPTO_KEYS; i++) {
		if (keys[i].used && kstrcmp(keys[i].name, name) == 0)
			break;
		if (!keys[i].used && fr == DEVCRYPTO_KEYS)
			fr = i;
	}
	if (i < DEVCRYPTO_KEYS)
		err = E_EXIST;
	else if (fr == DEVCRYPTO_KEYS)
		err = E_NOSPC;
	else
		keys[fr] = k;
	arch_irq_restore(s);
	lc_wipe(&k, sizeof k);
	if (err == E_EXIST)
		return proc_seterr(E_EXIST, "keys: %s already exists", name);
	if (err == E_NOSPC)
		return proc_seterr(E_NOSPC, "keys: all %d key slots are in use", DEVCRYPTO_KEYS);
	return 0;
}

long devcrypto_key_ctl(const void *buf, size_t n)
{
	const char *p = buf, *end = p + n;
	char verb[8], alg[16], name[DEVCRYPTO_KEYNAME + 1], extra[2];
	size_t vn, an, nn;
	long err;

	vn = word(&p, end, verb, sizeof verb);
	an = word(&p, end, alg, sizeof alg);
	nn = word(&p, end, name, sizeof name);
	if (word(&p, end, extra, sizeof extra) != 0 || (p < end && !(*p == '\n' && p + 1 == end)))
		return proc_seterr(E_INVAL, "keys/ctl: one command per write: gen ed25519 NAME");
	if (vn != 3 || kstrcmp(verb, "gen") != 0)
		return proc_seterr(E_INVAL, "keys/ctl: unknown command (want: gen ed25519 NAME)");
	if (an != 7 || kstrcmp(alg, "ed25519") != 0)
		return proc_seterr(E_INVAL, "keys/ctl: unknown algorithm %s (want: ed25519)", alg);
	if (nn > sizeof name - 1 || !goodname(name, nn))
		return proc_seterr(E_INVAL, "keys/ctl: bad key name (1 to %d of A-Z a-z 0-9 - _ ., "
		                   "not \"ctl\")", DEVCRYPTO_KEYNAME - 1);
	if ((err = gen(name)) < 0)
		return err;
	return (long)n;
}

int devcrypto_key_lookup(const char *name)
{
	arch_irqstate s = arch_irq_save();
	int r = E_NOENT;

	for (int i = 0; i < DEVCRYPTO_KEYS; i++)
		if (keys[i].used && kstrcmp(keys[i].name, name) == 0)
			r = i;
	arch_irq_restore(s);
	return r;
}

int devcrypto_key_name(int i, char *out, size_t size)
{
	arch_irqstate s;
	bool used;

	if (i < 0 || i >= DEVCRYPTO_KEYS)
		return E_NOENT;
	s = arch_irq_save();
	used = keys[i].used;
	if (used)
		kstrlcpy(out, keys[i].name, size);
	arch_irq_restore(s);
	return used ? 0 : E_NOENT;
}

long devcrypto_key_read(int i, void *buf, size_t n, uint64_t off)
{
	char text[DEVCRYPTO_KEYNAME + 2 * LC_ED25519_PK + 40];
	uint8_t pk[LC_ED25519_PK];
	char name[DEVCRYPTO_KEYNAME], hex[2 * LC_ED25519_PK + 1];
	arch_irqstate s;
	size_t len;

	if (i < 0 || i >= DEVCRYPTO_KEYS)
		return E_NOENT;
	s = arch_irq_save();
	if (!keys[i].used) {
		arch_irq_restore(s);
		return E_NOENT;
	}
	kmemcpy(pk, keys[i].pk, sizeof pk);
	kstrlcpy(name, keys[i].name, sizeof name);
	arch_irq_restore(s);
	khex(hex, pk, sizeof pk);
	len = (size_t)ksnprintf(text, sizeof text, "name %s\nalg ed25519\npublic %s\n", name, hex);
	return dev_readstr(off, buf, n, text, len);
}

int devcrypto_key_sign(int i, uint8_t sig[LC_ED25519_SIG], const void *m, size_t n)
{
	uint8_t sk[LC_ED25519_SK];
	arch_irqstate s;
	int r;

	if (i < 0 || i >= DEVCRYPTO_KEYS)
		return E_NOENT;
	s = arch_irq_save();
	if (!keys[i].used) {
		arch_irq_restore(s);
		return E_NOENT;
	}
	kmemcpy(sk, keys[i].sk, sizeof sk);
	arch_irq_restore(s);
	r = lc_ed25519_sign(sig, m, n, sk) < 0 ? E_CRYPTO : 0;
	lc_wipe(sk, sizeof sk);
	return r;
}
