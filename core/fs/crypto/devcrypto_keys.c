/*
 * The crypto device's keys/ files over the keystore (core/fs/crypto/keystore.c;
 * docs/crypto.md, "Keys"): the keys/ctl language and the text keys/NAME
 * reads as.
 *
 *   gen ed25519|x25519|aead|mac NAME [exportable]
 *   import NAME ed25519|x25519|aead|mac HEX [exportable]
 *   delete NAME
 *   rotate NAME
 *
 * One command per call (devcrypto.c buffers lines).  Every word is
 * bounded and checked here, at the edge; the keystore trusts what it
 * gets.  Key material read from a line is wiped once it is stored.
 */
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/keystore.h>
#include <lux/proc.h>
#include <lux/string.h>

_Static_assert(DEVCRYPTO_KEYS == KS_KEYS && DEVCRYPTO_KEYNAME == KS_NAMELEN, "key table sizes");

#define USAGE \
	"gen ALG NAME [exportable], import NAME ALG HEX [exportable], delete NAME, " \
	"rotate NAME (ALG: ed25519 x25519 aead mac)"
#define MAXWORDS 5
#define MAXHEX (2 * KS_MACMAX)

/* Split [p, end) into at most MAXWORDS space-separated words.  Returns
 * the word count, or -1 when there are more.  A word is a (pointer,
 * length) pair into the line, not a copy. */
static int split(const char *p, const char *end, const char *w[], size_t wn[])
{
	int n = 0;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p == end)
			return n;
		if (n == MAXWORDS)
			return -1;
		w[n] = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		wn[n] = (size_t)(p - w[n]);
		n++;
	}
}

static bool is(const char *w, size_t n, const char *s)
{
	return kstrlen(s) == n && kstrncmp(w, s, n) == 0;
}

/* The name word into out (KS_NAMELEN), or the "bad key name" error. */
static int getname(const char *w, size_t n, char *out)
{
	if (n > 0 && n < KS_NAMELEN) {
		kmemcpy(out, w, n);
		out[n] = 0;
		if (ks_goodname(out, n))
			return 0;
	}
	return proc_seterr(E_INVAL,
	                   "bad key name (1 to %d of A-Z a-z 0-9 - _ ., "
	                   "not starting with ., not \"ctl\")",
	                   KS_NAMELEN - 1);
}

static int getalg(const char *w, size_t n)
{
	char a[16];
	int alg = -1;

	if (n < sizeof a) {
		kmemcpy(a, w, n);
		a[n] = 0;
		alg = ks_alg_lookup(a);
	}
	if (alg < 0)
		return proc_seterr(E_INVAL,
		                   "keys/ctl: unknown algorithm (want: ed25519 x25519 aead "
		                   "mac)");
	return alg;
}

/* Decode n hex digits into out (size bytes): the byte count, or "bad hex". */
static long unhex(const char *w, size_t n, uint8_t *out, size_t size)
{
	long r = n == 0 ? KHEX_ODD : kunhex(w, n, out, size, 0);

	if (r == KHEX_DIGIT)	/* no echo of the word or where: it is key material */
		return proc_seterr(E_INVAL, "bad hex: not a hex digit");
	if (r < 0)
		return proc_seterr(
		    E_INVAL, "bad hex: want an even number of hex digits, at most %zu", 2 * size);
	return r;
}

/* The optional last word: "exportable" or nothing. */
static int getexport(int nw, int at, const char *w[], size_t wn[], bool *exp)
{
	*exp = false;
	if (nw == at)
		return 0;
	if (nw == at + 1 && is(w[at], wn[at], "exportable")) {
		*exp = true;
		return 0;
	}
	return proc_seterr(E_INVAL, "keys/ctl: bad arguments (want: " USAGE ")");
}

static int gen(int nw, const char *w[], size_t wn[])
{
	uint8_t material[KS_MACMAX];
	char name[KS_NAMELEN];
	size_t len;
	bool exp;
	int alg, err;

	if (nw < 3)
		return proc_seterr(E_INVAL, "keys/ctl: gen ALG NAME [exportable]");
	if ((alg = getalg(w[1], wn[1])) < 0)
		return alg;
	if ((err = getname(w[2], wn[2], name)) < 0 || (err = getexport(nw, 3, w, wn, &exp)) < 0)
		return err;
	/* a mac key gets the largest size BLAKE2b and HMAC-SHA-512 take well */
	len = alg == KS_MAC ? KS_MACMAX : 32;
	lc_random(material, len);
	err = ks_make(name, (enum ks_alg)alg, material, len, exp);
	lc_wipe(material, sizeof material);
	return err;
}

static int import(int nw, const char *w[], size_t wn[])
{
	uint8_t material[KS_MACMAX];
	char name[KS_NAMELEN];
	long len;
	bool exp;
	int alg, err;

	if (nw < 4)
		return proc_seterr(E_INVAL, "keys/ctl: import NAME ALG HEX [exportable]");
	if ((err = getname(w[1], wn[1], name)) < 0)
		return err;
	if ((alg = getalg(w[2], wn[2])) < 0)
		return alg;
	if ((err = getexport(nw, 4, w, wn, &exp)) < 0)
		return err;
	if ((len = unhex(w[3], wn[3], material, sizeof material)) < 0)
		return (int)len;
	if (!ks_material_ok((enum ks_alg)alg, (size_t)len))
		err = proc_seterr(E_INVAL, "bad hex: a%s %s key is %s bytes, not %ld",
		                  alg != KS_MAC ? "n" : "", ks_alg_name((enum ks_alg)alg),
		                  alg == KS_MAC ? "16 to 64" : "32", len);
	else
		err = ks_make(name, (enum ks_alg)alg, material, (size_t)len, exp);
	lc_wipe(material, sizeof material);
	return err;
}

long devcrypto_key_ctl(const void *buf, size_t n)
{
	const char *w[MAXWORDS];
	size_t wn[MAXWORDS];
	char name[KS_NAMELEN];
	uint32_t version;
	int nw, err;

	if ((nw = split(buf, (const char *)buf + n, w, wn)) <= 0)
		return proc_seterr(E_INVAL, "keys/ctl: %s (want: " USAGE ")",
		                   nw < 0 ? "too many words" : "empty command");
	if (is(w[0], wn[0], "gen"))
		err = gen(nw, w, wn);
	else if (is(w[0], wn[0], "import"))
		err = import(nw, w, wn);
	else if ((is(w[0], wn[0], "delete") || is(w[0], wn[0], "rotate")) && nw == 2) {
		if ((err = getname(w[1], wn[1], name)) == 0)
			err = w[0][0] == 'd' ? ks_delete(name) : ks_rotate(name, &version);
	} else
		err = proc_seterr(E_INVAL, "keys/ctl: unknown command (want: " USAGE ")");
	return err < 0 ? err : (long)n;
}

int devcrypto_key_lookup(const char *name)
{
	int slot = ks_lookup(name);

	return slot < 0 ? slot : ks_slot_id(slot);
}

int devcrypto_key_slotid(int i)
{
	return ks_slot_id(i);
}

int devcrypto_key_name(int id, char *out, size_t size)
{
	struct ks_info ki;
	int slot = ks_id_slot(id);

	if (slot < 0 || ks_info(slot, &ki, 0, 0) < 0)
		return E_NOENT;
	kstrlcpy(out, ki.name, size);
	return 0;
}

long devcrypto_key_read(int id, void *buf, size_t n, uint64_t off)
{
	char text[KS_NAMELEN + 2 * 32 + 2 * KS_MACMAX + 160];
	char hex[2 * KS_MACMAX + 1];
	uint8_t secret[KS_MACMAX];
	struct ks_info ki;
	int slot = ks_id_slot(id);
	size_t len;
	long r;

	if (slot < 0 || ks_info(slot, &ki, secret, sizeof secret) < 0)
		return proc_seterr(E_NOENT, "no such key (deleted)");
	len = (size_t)ksnprintf(text, sizeof text, "name %s\nalg %s\nversion %u\nexportable %s\n",
	                        ki.name, ks_alg_name(ki.alg), ki.version,
	                        ki.exportable ? "yes" : "no");
	if (ki.plen) {
		khex(hex, ki.pub, ki.plen);
		len += (size_t)ksnprintf(text + len, sizeof text - len, "public %s\n", hex);
	}
	len += (size_t)ksnprintf(text + len, sizeof text - len, "uses %llu\n",
	                         (unsigned long long)ki.uses);
	if (ki.slen) {
		khex(hex, secret, ki.slen);
		len += (size_t)ksnprintf(text + len, sizeof text - len, "secret %s\n", hex);
	}
	r = dev_readstr(off, buf, n, text, len);
	lc_wipe(secret, sizeof secret);
	lc_wipe(hex, sizeof hex);
	lc_wipe(text, sizeof text);
	return r;
}
