/*
 * The keyed clone sessions (core/fs/crypto/devcrypto_clone.c and the kinds
 * devcrypto_{aead,mac,verify,kx,kdf,pwhash}.c) through the file
 * interface: sys_* in a proc whose namespace has /secure mounted.
 *
 * Every answer is checked against the same lc_* call made here in the
 * test (so the files move the right bytes to and from libsodium; the
 * standards' vectors are tests/kat's), and every kind's failures: the
 * tampered ciphertext, wrong key, wrong alg, missing nonce, nonce reuse,
 * bad signature, another proc's session, an exhausted budget, hostile
 * ctl lines.  Each test deletes its keys and closes its sessions, and the
 * harness checks kalloc's live counts return to where they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/keystore.h>
#include <lux/ns.h>
#include <lux/pebble.h>
#include <lux/offload.h>
#include <lux/proc.h>
#include <lux/sysfile.h>

#include "fake_arch.h"
#include "proc_test.h"

#define C "/secure/crypto"

/* ---- the harness: a body in a proc with a fresh namespace ------------- */

static void build_namespace(void)
{
	fake_namespace();
	fake_mount(&crypto_dev, "/secure");
}

/* what the body must have let go of */
static void none_left(void)
{
	assert_int_equal(devcrypto_clones(), 0);
	assert_int_equal(ks_keys(), 0);
}

static void drop_namespace(void)
{
	struct proc *p = curproc();

	fdtab_put(p->fds);
	ns_put(p->ns);
	p->fds = 0;
	p->ns = 0;
}

static const struct proc_test_hooks proc_test_hooks_of_this_file = {
	build_namespace, none_left, drop_namespace
};

/* ---- file helpers ------------------------------------------------------ */

static char lasterr[128];	/* the errstr of the last failing helper call */

static long failed(long r)
{
	if (r < 0)
		snprintf(lasterr, sizeof lasterr, "%s", proc_errstr((int)r));
	return r;
}

static void keyctl(const char *cmd)
{
	int fd = sys_open(C "/keys/ctl", OWRITE);
	long r;

	assert_true(fd >= 0);
	r = sys_write(fd, cmd, strlen(cmd));
	if (r != (long)strlen(cmd))
		fail_msg("keys/ctl %s: %s", cmd, proc_errstr((int)r));
	assert_int_equal(sys_close(fd), 0);
}

/* Open KIND/clone: the session number. */
static int clone_of(const char *kind)
{
	char path[64], buf[16];
	int fd;
	long n;

	snprintf(path, sizeof path, C "/%s/clone", kind);
	if ((fd = sys_open(path, OREAD)) < 0)
		return (int)failed(fd);
	n = sys_read(fd, buf, sizeof buf - 1);
	assert_true(n > 1);
	buf[n] = 0;
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(sys_close(fd), 0);
	return atoi(buf);
}

static void file_of(char *out, size_t size, const char *kind, int n, const char *file)
{
	snprintf(out, size, C "/%s/%d/%s", kind, n, file);
}

/* One line to KIND/N/ctl (the newline added): the write's result. */
static long ctl(const char *kind, int n, const char *line)
{
	char path[64], buf[1200];
	int fd;
	long r;

	file_of(path, sizeof path, kind, n, "ctl");
	if ((fd = sys_open(path, OWRITE)) < 0)
		return failed(fd);
	snprintf(buf, sizeof buf, "%s\n", line);
	r = failed(sys_write(fd, buf, strlen(buf)));
	assert_int_equal(sys_close(fd), 0);
	return r;
}

static void ctl_ok(const char *kind, int n, const char *line)
{
	long r = ctl(kind, n, line);

	if (r < 0)
		fail_msg("%s ctl %s: %s", kind, line, lasterr);
}

/* KIND/N/ctl's text into buf. */
static void state(const char *kind, int n, char *buf, size_t size)
{
	char path[64];
	int fd;
	long r, len = 0;

	file_of(path, sizeof path, kind, n, "ctl");
	fd = sys_open(path, OREAD);
	assert_true(fd >= 0);
	while ((r = sys_read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += r;
	assert_int_equal(r, 0);
	buf[len] = 0;
	assert_int_equal(sys_close(fd), 0);
}

/* Write m to KIND/N/data then read the answer on the same ORDWR fid:
 * the answer's length, or the read's error. */
static long exchange(const char *kind, int n, const void *m, size_t mlen, void *out, size_t size)
{
	char path[64];
	int fd;
	long r, len = 0;

	file_of(path, sizeof path, kind, n, "data");
	if ((fd = sys_open(path, ORDWR)) < 0)
		return failed(fd);
	if (mlen && (r = failed(sys_write(fd, m, mlen))) != (long)mlen) {
		sys_close(fd);
		return r < 0 ? r : E_IO;
	}
	while ((r = sys_read(fd, (char *)out + len, size - (size_t)len)) > 0)
		len += r;
	failed(r);
	assert_int_equal(sys_close(fd), 0);
	return r < 0 ? r : len;
}

static void tohex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

static int unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* The hex after "WORD " in text, into out (n bytes): 0, or -1. */
static int field(const char *text, const char *word, uint8_t *out, size_t n)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof pat, "%s ", word);
	for (p = text; (p = strstr(p, pat)) != 0; p++)
		if (p == text || p[-1] == '\n')
			return unhex(p + strlen(pat), out, n);
	return -1;
}

static const uint8_t key32[32] = {
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
};

/* keys/ctl "import NAME ALG HEX [exportable]" */
static void import(const char *name, const char *alg, const uint8_t *k, size_t n, bool exportable)
{
	char cmd[256], hex[2 * 64 + 1];

	tohex(hex, k, n);
	snprintf(cmd, sizeof cmd, "import %s %s %s%s\n", name, alg, hex,
	         exportable ? " exportable" : "");
	keyctl(cmd);
}

static void delete(const char *name)
{
	char cmd[64];

	snprintf(cmd, sizeof cmd, "delete %s\n", name);
	keyctl(cmd);
}

/* ---- aead ---------------------------------------------------------------- */

static const char msg[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
                          "only one tip for the future, sunscreen would be it.";

PROC_TEST(test_aead_roundtrip)
{
	uint8_t nonce[24], ad[12] = "50515253c0c1", want[sizeof msg + 16], ct[sizeof msg + 64];
	char line[128], hex[64], text[1024];
	uint8_t pt[sizeof msg + 64];
	int n, d;
	long len;

	import("ak", "aead", key32, 32, false);
	for (size_t i = 0; i < sizeof nonce; i++)
		nonce[i] = (uint8_t)(0x40 + i);
	n = clone_of("aead");
	assert_true(n > 0);
	state("aead", n, text, sizeof text);
	assert_non_null(strstr(text, "key none\n"));
	assert_non_null(strstr(text, "alg xchacha20poly1305\n"));	/* the default */
	ctl_ok("aead", n, "key ak");
	tohex(hex, nonce, sizeof nonce);
	snprintf(line, sizeof line, "nonce %s", hex);
	ctl_ok("aead", n, line);
	tohex(hex, ad, sizeof ad);
	snprintf(line, sizeof line, "ad %s", hex);
	ctl_ok("aead", n, line);
	len = exchange("aead", n, msg, sizeof msg, ct, sizeof ct);
	assert_int_equal(len, sizeof msg + LC_AEAD_TAG);
	assert_int_equal(lc_aead_encrypt(LC_XCHACHA20POLY1305, want, msg, sizeof msg, ad, sizeof ad,
	                                 nonce, key32), 0);
	assert_memory_equal(ct, want, sizeof want);
	state("aead", n, text, sizeof text);
	assert_non_null(strstr(text, "key ak version 1\n"));
	assert_null(strstr(text, "8081828384"));	/* never the key */

	/* a given nonce encrypts once per key version */
	assert_int_equal(exchange("aead", n, msg, sizeof msg, ct, sizeof ct), E_INVAL);
	assert_non_null(strstr(lasterr, "nonce reused"));
	ctl_ok("aead", n, "key ak");		/* the same version again: still refused */
	assert_int_equal(exchange("aead", n, "x", 1, ct, sizeof ct), E_INVAL);
	assert_non_null(strstr(lasterr, "nonce reused"));

	/* decrypt in another session: the plaintext */
	d = clone_of("aead");
	ctl_ok("aead", d, "key ak");
	ctl_ok("aead", d, "decrypt");
	assert_int_equal(exchange("aead", d, want, sizeof want, pt, sizeof pt), E_INVAL);
	assert_non_null(strstr(lasterr, "nonce"));	/* decrypt needs the nonce */
	tohex(hex, nonce, sizeof nonce);
	snprintf(line, sizeof line, "nonce %s", hex);
	ctl_ok("aead", d, line);
	tohex(hex, ad, sizeof ad);
	snprintf(line, sizeof line, "ad %s", hex);
	ctl_ok("aead", d, line);
	/* the failed read kept the message: it decrypts now */
	assert_int_equal(exchange("aead", d, 0, 0, pt, sizeof pt), sizeof msg);
	assert_memory_equal(pt, msg, sizeof msg);
	/* tampered: the error, no plaintext, on every read until a new message */
	want[3] ^= 1;
	memset(pt, 0, sizeof pt);
	assert_int_equal(exchange("aead", d, want, sizeof want, pt, sizeof pt), E_CRYPTO);
	assert_string_equal(lasterr, "aead: authentication failed");
	assert_int_equal(exchange("aead", d, 0, 0, pt, sizeof pt), E_CRYPTO);
	for (size_t i = 0; i < sizeof pt; i++)
		assert_int_equal(pt[i], 0);
	want[3] ^= 1;
	assert_int_equal(exchange("aead", d, want, sizeof want, pt, sizeof pt), sizeof msg);
	/* the tag, the ad, a truncated input */
	want[sizeof want - 1] ^= 1;
	assert_int_equal(exchange("aead", d, want, sizeof want, pt, sizeof pt), E_CRYPTO);
	want[sizeof want - 1] ^= 1;
	ctl_ok("aead", d, "ad 00");
	assert_int_equal(exchange("aead", d, want, sizeof want, pt, sizeof pt), E_CRYPTO);
	assert_int_equal(exchange("aead", d, want, 15, pt, sizeof pt), E_CRYPTO);
	assert_non_null(strstr(lasterr, "aead: authentication failed"));

	/* close through ctl: the session is gone */
	ctl_ok("aead", n, "close");
	ctl_ok("aead", d, "close");
	assert_int_equal(ctl("aead", d, "encrypt"), E_NOENT);
	delete("ak");
}

/* The answer is sealed where the message was written (devcrypto_aead.c):
 * a ctl change after a read still answers again from the message as
 * written, under the new settings; so does a key change (unsealed with
 * the old key first), and a failed key line keeps the answer.  Small
 * messages and ones large enough to go through koffload (AEAD_OFFLOAD_MIN). */
PROC_TEST(test_aead_sealed_in_place_answers_again)
{
	static const uint8_t key2[32] = { 7, 6, 5, 4, 3, 2, 1 };
	static uint8_t big[300000], ct[sizeof big + 64], pt[sizeof big + 64], again[sizeof big + 64];
	const size_t sizes[] = { sizeof msg, sizeof big };
	uint8_t nonce[24], ad[2] = { 1, 2 };
	char text[1024];

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	import("sk", "aead", key32, 32, false);
	import("sk2", "aead", key2, 32, false);
	for (size_t k = 0; k < 2; k++) {
		const uint8_t *m = k ? big : (const uint8_t *)msg;
		size_t len = sizes[k];
		int n = clone_of("aead");

		ctl_ok("aead", n, "key sk");
		/* read, then read again: the same bytes (no second seal) */
		assert_int_equal(exchange("aead", n, m, len, ct, sizeof ct), len + LC_AEAD_TAG);
		assert_int_equal(exchange("aead", n, 0, 0, again, sizeof again), len + LC_AEAD_TAG);
		assert_memory_equal(ct, again, len + LC_AEAD_TAG);
		state("aead", n, text, sizeof text);
		assert_int_equal(field(text, "nonce", nonce, 24), 0);
		assert_int_equal(lc_aead_decrypt(LC_XCHACHA20POLY1305, pt, ct, len + LC_AEAD_TAG, 0, 0,
		                                 nonce, key32), 0);
		assert_memory_equal(pt, m, len);
		/* a failed key line changes nothing: the same answer */
		assert_int_equal(ctl("aead", n, "key nosuch"), E_NOENT);
		assert_int_equal(exchange("aead", n, 0, 0, again, sizeof again), len + LC_AEAD_TAG);
		assert_memory_equal(ct, again, len + LC_AEAD_TAG);
		/* new ad: sealed again from the plaintext, with a new random nonce */
		ctl_ok("aead", n, "ad 0102");
		assert_int_equal(exchange("aead", n, 0, 0, ct, sizeof ct), len + LC_AEAD_TAG);
		state("aead", n, text, sizeof text);
		assert_int_equal(field(text, "nonce", nonce, 24), 0);
		assert_int_equal(lc_aead_decrypt(LC_XCHACHA20POLY1305, pt, ct, len + LC_AEAD_TAG, ad,
		                                 sizeof ad, nonce, key32), 0);
		assert_memory_equal(pt, m, len);
		/* another key: unsealed with the old one, sealed with the new */
		ctl_ok("aead", n, "key sk2");
		assert_int_equal(exchange("aead", n, 0, 0, ct, sizeof ct), len + LC_AEAD_TAG);
		state("aead", n, text, sizeof text);
		assert_int_equal(field(text, "nonce", nonce, 24), 0);
		assert_int_equal(lc_aead_decrypt(LC_XCHACHA20POLY1305, pt, ct, len + LC_AEAD_TAG, ad,
		                                 sizeof ad, nonce, key2), 0);
		assert_memory_equal(pt, m, len);
		/* decrypt now: the message as written is not a ciphertext */
		ctl_ok("aead", n, "decrypt");
		ctl_ok("aead", n, "nonce 000102030405060708090a0b0c0d0e0f1011121314151617");
		assert_int_equal(exchange("aead", n, 0, 0, pt, sizeof pt), E_CRYPTO);
		/* and back: it still encrypts (the failed open did not touch it) */
		ctl_ok("aead", n, "encrypt");
		ctl_ok("aead", n, "nonce random");
		assert_int_equal(exchange("aead", n, 0, 0, ct, sizeof ct), len + LC_AEAD_TAG);
		state("aead", n, text, sizeof text);
		assert_int_equal(field(text, "nonce", nonce, 24), 0);
		assert_int_equal(lc_aead_decrypt(LC_XCHACHA20POLY1305, pt, ct, len + LC_AEAD_TAG, ad,
		                                 sizeof ad, nonce, key2), 0);
		assert_memory_equal(pt, m, len);
		/* a new message after the sealed one */
		assert_int_equal(exchange("aead", n, "abc", 3, ct, sizeof ct), 3 + LC_AEAD_TAG);
		state("aead", n, text, sizeof text);
		assert_int_equal(field(text, "nonce", nonce, 24), 0);
		assert_int_equal(lc_aead_decrypt(LC_XCHACHA20POLY1305, pt, ct, 3 + LC_AEAD_TAG, ad,
		                                 sizeof ad, nonce, key2), 0);
		assert_memory_equal(pt, "abc", 3);
		ctl_ok("aead", n, "close");
	}
	/* every alg seals in place and opens in place (unseal) what libsodium
	 * seals apart, over the 8-block loops too */
	for (int alg = 0; alg < LC_AEAD_NALGS; alg++) {
		static uint8_t want[sizeof big + LC_AEAD_TAG];
		size_t nl = lc_aead_nonce_len((enum lc_aead_alg)alg);
		char line[64];
		int n;

		if (!lc_aead_available((enum lc_aead_alg)alg))
			continue;
		n = clone_of("aead");
		ctl_ok("aead", n, "key sk");
		snprintf(line, sizeof line, "alg %s", lc_aead_name((enum lc_aead_alg)alg));
		ctl_ok("aead", n, line);
		for (int pass = 0; pass < 2; pass++) {
			if (pass)	/* after a read: unsealed, then sealed with the ad */
				ctl_ok("aead", n, "ad 0102");
			assert_int_equal(exchange("aead", n, pass ? 0 : big, pass ? 0 : sizeof big, ct,
			                          sizeof ct), sizeof big + LC_AEAD_TAG);
			state("aead", n, text, sizeof text);
			assert_int_equal(field(text, "nonce", nonce, nl), 0);
			assert_int_equal(lc_aead_encrypt((enum lc_aead_alg)alg, want, big, sizeof big,
			                                 pass ? ad : 0, pass ? sizeof ad : 0, nonce, key32), 0);
			assert_memory_equal(ct, want, sizeof want);
		}
		ctl_ok("aead", n, "close");
	}
	delete("sk");
	delete("sk2");
}

/* "nonce HEX" of a counter: len bytes, big-endian v. */
static void nonce_line(char *line, size_t size, size_t len, uint64_t v)
{
	uint8_t nonce[24] = { 0 };
	char hex[64];

	for (size_t i = 0; i < 8; i++)
		nonce[len - 1 - i] = (uint8_t)(v >> (8 * i));
	tohex(hex, nonce, len);
	snprintf(line, size, "nonce %s", hex);
}

/* Encrypt "m" in session n with given nonce v (24 bytes): the read's result. */
static long seal_with(int n, uint64_t v)
{
	uint8_t ct[1 + LC_AEAD_TAG];
	char line[80];

	nonce_line(line, sizeof line, 24, v);
	ctl_ok("aead", n, line);
	return exchange("aead", n, "m", 1, ct, sizeof ct);
}

/* Given nonces climb a mark kept with the key version: a list of recent
 * nonces per session forgot the 1st after 16 others, and never saw
 * another session's. */
PROC_TEST(test_aead_given_nonces_increase_per_key_version)
{
	uint8_t ct[1 + LC_AEAD_TAG], pt[8];
	char line[80], text[1024];
	int n, m, r, d;

	import("ak", "aead", key32, 32, false);
	n = clone_of("aead");
	ctl_ok("aead", n, "key ak");
	/* nonce 1, then 16 others: 1 again is still refused (it was not) */
	assert_int_equal(seal_with(n, 1), 1 + LC_AEAD_TAG);
	for (uint64_t v = 2; v <= 17; v++)
		assert_int_equal(seal_with(n, v), 1 + LC_AEAD_TAG);
	assert_int_equal(seal_with(n, 1), E_INVAL);
	assert_non_null(strstr(lasterr, "aead: nonce below one key ak v1 encrypted with: "
	                                "given nonces must increase"));
	/* equal and smaller than the last: refused, saying which */
	assert_int_equal(seal_with(n, 17), E_INVAL);
	assert_non_null(strstr(lasterr, "aead: nonce reused: key ak v1 encrypted with it before"));
	assert_int_equal(seal_with(n, 9), E_INVAL);
	assert_non_null(strstr(lasterr, "given nonces must increase"));
	/* a refusal moved nothing: the next greater one is fine */
	assert_int_equal(seal_with(n, 18), 1 + LC_AEAD_TAG);

	/* another session of the same version climbs the same mark */
	m = clone_of("aead");
	ctl_ok("aead", m, "key ak");
	assert_int_equal(seal_with(m, 18), E_INVAL);
	assert_non_null(strstr(lasterr, "nonce reused"));
	assert_int_equal(seal_with(m, 1), E_INVAL);
	assert_int_equal(seal_with(m, 100), 1 + LC_AEAD_TAG);
	assert_int_equal(seal_with(n, 19), E_INVAL);	/* ... and n sees m's */
	ctl_ok("aead", n, "key ak");			/* re-pinning the version forgets nothing */
	assert_int_equal(seal_with(n, 100), E_INVAL);

	/* a rotated version starts with no mark; the old one keeps its own */
	keyctl("rotate ak\n");
	r = clone_of("aead");
	ctl_ok("aead", r, "key ak");
	assert_int_equal(seal_with(r, 1), 1 + LC_AEAD_TAG);
	assert_int_equal(seal_with(n, 1), E_INVAL);
	assert_non_null(strstr(lasterr, "key ak v1"));

	/* the greatest nonce is the last one: nothing wraps to 0 */
	ctl_ok("aead", r, "nonce ffffffffffffffffffffffffffffffffffffffffffffffff");
	assert_int_equal(exchange("aead", r, "m", 1, ct, sizeof ct), 1 + LC_AEAD_TAG);
	assert_int_equal(seal_with(r, 0), E_INVAL);
	assert_non_null(strstr(lasterr, "key ak v2 used its greatest 24-byte nonce: rotate it"));
	assert_int_equal(seal_with(r, 2), E_INVAL);
	/* 12-byte nonces have their own mark (chacha20poly1305 and aes256gcm share it) */
	ctl_ok("aead", r, "alg chacha20poly1305");
	nonce_line(line, sizeof line, 12, 1);
	ctl_ok("aead", r, line);
	assert_int_equal(exchange("aead", r, "m", 1, ct, sizeof ct), 1 + LC_AEAD_TAG);
	if (lc_aead_available(LC_AES256GCM)) {
		ctl_ok("aead", r, "alg aes256gcm");
		assert_int_equal(exchange("aead", r, "m", 1, ct, sizeof ct), E_INVAL);
		assert_non_null(strstr(lasterr, "nonce reused"));
	}
	/* random nonces do not climb the mark, and are not refused by it */
	ctl_ok("aead", r, "alg xchacha20poly1305");
	ctl_ok("aead", r, "nonce random");
	assert_int_equal(exchange("aead", r, "m", 1, ct, sizeof ct), 1 + LC_AEAD_TAG);
	state("aead", r, text, sizeof text);
	assert_non_null(strstr(text, "nonce-source random\n"));
	/* decryption takes any nonce: the mark is about encrypting */
	ctl_ok("aead", n, "nonce random");
	assert_int_equal(exchange("aead", n, "m", 1, ct, sizeof ct), 1 + LC_AEAD_TAG);
	state("aead", n, text, sizeof text);
	d = clone_of("aead");
	ctl_ok("aead", d, "key ak");	/* v2 now: n sealed with v1 */
	ctl_ok("aead", d, "decrypt");
	{
		uint8_t nonce[24];
		char hex[64];
		assert_int_equal(field(text, "nonce", nonce, sizeof nonce), 0);
		tohex(hex, nonce, sizeof nonce);
		snprintf(line, sizeof line, "nonce %s", hex);
	}
	ctl_ok("aead", d, line);
	assert_int_equal(exchange("aead", d, ct, sizeof ct, pt, sizeof pt), E_CRYPTO);	/* v2 is not v1 */
	ctl_ok("aead", d, "close");

	ctl_ok("aead", n, "close");
	ctl_ok("aead", m, "close");
	ctl_ok("aead", r, "close");
	delete("ak");
}

/* Write n bytes of big to KIND/N/data in one write on a fresh OTRUNC fid:
 * the write's result. */
static long put_big(const char *kind, int sess, const uint8_t *big, size_t n)
{
	char path[64];
	long r;
	int fd;

	file_of(path, sizeof path, kind, sess, "data");
	fd = sys_open(path, OWRITE | OTRUNC);
	assert_true(fd >= 0);
	r = failed(sys_write(fd, big, n));
	assert_int_equal(sys_close(fd), 0);
	return r;
}

/* 1 MiB of plaintext, exactly: one byte more is refused when encrypting
 * (it was taken: the bound was the decrypt one, plaintext + tag). */
PROC_TEST(test_aead_message_bound_is_exact)
{
	static uint8_t big[DEVCRYPTO_MSGMAX + LC_AEAD_TAG + 1], ct[DEVCRYPTO_MSGMAX + LC_AEAD_TAG];
	uint64_t away0, in0, away, in;
	char path[64];
	long len = 0, r;
	int n, fd;

	import("ak", "aead", key32, 32, false);
	n = clone_of("aead");
	ctl_ok("aead", n, "key ak");
	/* a small message is sealed in place, a large one through koffload
	 * (in place here too: the fake arch offloads nothing) */
	koffload_counts(&away0, &in0);
	assert_int_equal(exchange("aead", n, msg, sizeof msg, ct, sizeof ct), sizeof msg + LC_AEAD_TAG);
	koffload_counts(&away, &in);
	assert_int_equal(away + in, away0 + in0);
	/* encrypt: plaintext up to 1 MiB, in one write or several */
	assert_int_equal(put_big("aead", n, big, DEVCRYPTO_MSGMAX + 1), E_TOOBIG);
	assert_string_equal(lasterr, "aead: at most 1048576 bytes (1 MiB) of plaintext to encrypt");
	assert_int_equal(put_big("aead", n, big, DEVCRYPTO_MSGMAX + LC_AEAD_TAG), E_TOOBIG);
	file_of(path, sizeof path, "aead", n, "data");
	fd = sys_open(path, ORDWR | OTRUNC);
	assert_int_equal(sys_write(fd, big, DEVCRYPTO_MSGMAX), DEVCRYPTO_MSGMAX);
	assert_int_equal(failed(sys_write(fd, big, 1)), E_TOOBIG);	/* the 1 MiB + 1st byte */
	while ((r = sys_read(fd, ct + len, sizeof ct - (size_t)len)) > 0)
		len += r;
	assert_int_equal(r, 0);
	assert_int_equal(len, DEVCRYPTO_MSGMAX + LC_AEAD_TAG);	/* the 1 MiB sealed */
	assert_int_equal(sys_close(fd), 0);
	koffload_counts(&away, &in);
	assert_int_equal(away + in, away0 + in0 + 1);	/* the 1 MiB went through koffload */
	/* decrypt: ciphertext and tag, up to 1 MiB + 16; one more is refused */
	ctl_ok("aead", n, "decrypt");
	assert_int_equal(put_big("aead", n, big, DEVCRYPTO_MSGMAX + LC_AEAD_TAG + 1), E_TOOBIG);
	assert_string_equal(lasterr, "aead: at most 1048592 bytes to decrypt (1 MiB of plaintext "
	                             "and the 16-byte tag)");
	assert_int_equal(put_big("aead", n, big, DEVCRYPTO_MSGMAX + LC_AEAD_TAG),
	                 DEVCRYPTO_MSGMAX + LC_AEAD_TAG);
	/* written to decrypt, then switched to encrypt: 1 MiB + 16 of plaintext is still refused */
	ctl_ok("aead", n, "encrypt");
	assert_int_equal(exchange("aead", n, 0, 0, ct, sizeof ct), E_TOOBIG);
	assert_non_null(strstr(lasterr, "plaintext to encrypt"));
	ctl_ok("aead", n, "close");
	delete("ak");
}

PROC_TEST(test_aead_random_nonce_algs_and_keys)
{
	uint8_t ct[64 + 16], pt[64], nonce[24], k2[32];
	char text[1024], line[128], hex[64];
	int n, d;

	import("ak", "aead", key32, 32, false);
	memset(k2, 0x55, sizeof k2);
	import("other", "aead", k2, 32, false);
	keyctl("gen ed25519 edk\n");
	n = clone_of("aead");
	/* no key; the wrong kind of key; an unknown alg */
	assert_int_equal(exchange("aead", n, "abc", 3, ct, sizeof ct), E_INVAL);
	assert_non_null(strstr(lasterr, "no key"));
	assert_int_equal(ctl("aead", n, "key edk"), E_INVAL);
	assert_non_null(strstr(lasterr, "not an aead key"));
	assert_int_equal(ctl("aead", n, "key nosuch"), E_NOENT);
	assert_int_equal(ctl("aead", n, "alg rot13"), E_INVAL);
	assert_non_null(strstr(lasterr, "no alg rot13"));
	ctl_ok("aead", n, "key ak");
	/* random nonces: fresh per message, shown in ctl, and they decrypt */
	assert_int_equal(exchange("aead", n, "abc", 3, ct, sizeof ct), 3 + LC_AEAD_TAG);
	state("aead", n, text, sizeof text);
	assert_non_null(strstr(text, "nonce-source random\n"));
	assert_int_equal(field(text, "nonce", nonce, sizeof nonce), 0);
	assert_int_equal(lc_aead_decrypt(LC_XCHACHA20POLY1305, pt, ct, 3 + LC_AEAD_TAG, 0, 0, nonce,
	                                 key32), 0);
	assert_memory_equal(pt, "abc", 3);
	assert_int_equal(exchange("aead", n, "abc", 3, ct, sizeof ct), 3 + LC_AEAD_TAG);
	state("aead", n, text, sizeof text);
	{
		uint8_t again[24];
		assert_int_equal(field(text, "nonce", again, sizeof again), 0);
		assert_memory_not_equal(again, nonce, sizeof nonce);
	}
	/* chacha20poly1305 (IETF, 12-byte nonce): a 24-byte nonce is refused at run */
	ctl_ok("aead", n, "alg chacha20poly1305");
	tohex(hex, nonce, 24);
	snprintf(line, sizeof line, "nonce %s", hex);
	ctl_ok("aead", n, line);
	assert_int_equal(exchange("aead", n, "abc", 3, ct, sizeof ct), E_INVAL);
	assert_non_null(strstr(lasterr, "wants 12"));
	tohex(hex, nonce, 12);
	snprintf(line, sizeof line, "nonce %s", hex);
	ctl_ok("aead", n, line);
	assert_int_equal(exchange("aead", n, "abc", 3, ct, sizeof ct), 3 + LC_AEAD_TAG);
	{
		uint8_t want[3 + LC_AEAD_TAG];
		assert_int_equal(lc_aead_encrypt(LC_CHACHA20POLY1305, want, "abc", 3, 0, 0, nonce,
		                                 key32), 0);
		assert_memory_equal(ct, want, sizeof want);
	}
	/* AES-256-GCM where the CPU has it, a clear refusal where not */
	if (lc_aead_available(LC_AES256GCM)) {
		uint8_t want[3 + LC_AEAD_TAG];
		ctl_ok("aead", n, "alg aes256gcm");
		assert_int_equal(exchange("aead", n, "abc", 3, ct, sizeof ct), E_INVAL);
		assert_non_null(strstr(lasterr, "nonce reused"));	/* same key, same nonce */
		for (int i = 11; i >= 0 && ++nonce[i] == 0; i--)	/* the next one: they must rise */
			;
		tohex(hex, nonce, 12);
		snprintf(line, sizeof line, "nonce %s", hex);
		ctl_ok("aead", n, line);
		assert_int_equal(exchange("aead", n, "abc", 3, ct, sizeof ct), 3 + LC_AEAD_TAG);
		assert_int_equal(lc_aead_encrypt(LC_AES256GCM, want, "abc", 3, 0, 0, nonce, key32), 0);
		assert_memory_equal(ct, want, sizeof want);
	} else {
		assert_int_equal(ctl("aead", n, "alg aes256gcm"), E_INVAL);
		assert_non_null(strstr(lasterr, "AES-NI"));
	}
	/* the wrong key does not open it */
	d = clone_of("aead");
	ctl_ok("aead", d, "key other");
	ctl_ok("aead", d, "decrypt");
	ctl_ok("aead", d, line);
	ctl_ok("aead", d, lc_aead_available(LC_AES256GCM) ? "alg aes256gcm" : "alg chacha20poly1305");
	assert_int_equal(exchange("aead", d, ct, 3 + LC_AEAD_TAG, pt, sizeof pt), E_CRYPTO);
	/* the message bound, checked before anything is held */
	{
		char path[64];
		static uint8_t big[DEVCRYPTO_MSGMAX + LC_AEAD_TAG + 1];	/* past a whole message and its tag */
		int fd;
		file_of(path, sizeof path, "aead", d, "data");
		fd = sys_open(path, OWRITE | OTRUNC);
		assert_int_equal(sys_write(fd, big, sizeof big), E_TOOBIG);
		sys_close(fd);
	}
	ctl_ok("aead", n, "close");
	ctl_ok("aead", d, "close");
	delete("ak");
	delete("other");
	delete("edk");
}

/* ---- mac ----------------------------------------------------------------- */

PROC_TEST(test_mac)
{
	static const struct {
		const char *alg;
		enum lc_auth_alg a;
		size_t len;
	} algs[] = {
		{ 0, LC_HMAC_SHA256, 32 },	/* the default */
		{ "hmac-sha256", LC_HMAC_SHA256, 32 },
		{ "hmac-sha512", LC_HMAC_SHA512, 64 },
		{ "blake2b", LC_BLAKE2B_KEYED, 32 },
	};
	uint8_t k[20], tag[64], want[64];
	char out[160];
	int n;

	memset(k, 0x0b, sizeof k);	/* RFC 4231 test case 1's key */
	import("mk", "mac", k, sizeof k, false);
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
		n = clone_of("mac");
		ctl_ok("mac", n, "key mk");
		if (algs[i].alg) {
			char line[32];
			snprintf(line, sizeof line, "alg %s", algs[i].alg);
			ctl_ok("mac", n, line);
		}
		assert_int_equal(exchange("mac", n, "Hi There", 8, out, sizeof out),
		                 (long)(2 * algs[i].len + 1));
		assert_int_equal(out[2 * algs[i].len], '\n');
		assert_int_equal(unhex(out, tag, algs[i].len), 0);
		assert_int_equal(lc_auth(algs[i].a, want, algs[i].len, k, sizeof k, "Hi There", 8), 0);
		assert_memory_equal(tag, want, algs[i].len);
		ctl_ok("mac", n, "close");
	}
	/* RFC 4231 case 1, HMAC-SHA-256, as the RFC prints it */
	n = clone_of("mac");
	ctl_ok("mac", n, "key mk");
	assert_int_equal(exchange("mac", n, "Hi There", 8, out, sizeof out), 65);
	assert_memory_equal(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7\n", 65);
	/* blake2b's tag length; len is for blake2b only */
	ctl_ok("mac", n, "len 64");
	assert_int_equal(exchange("mac", n, "x", 1, out, sizeof out), E_INVAL);
	assert_non_null(strstr(lasterr, "blake2b only"));
	ctl_ok("mac", n, "alg blake2b");
	assert_int_equal(exchange("mac", n, 0, 0, out, sizeof out), 129);
	assert_int_equal(lc_auth(LC_BLAKE2B_KEYED, want, 64, k, sizeof k, "x", 1), 0);
	assert_int_equal(unhex(out, tag, 64), 0);
	assert_memory_equal(tag, want, 64);
	/* refusals */
	assert_int_equal(ctl("mac", n, "len 8"), E_INVAL);
	assert_int_equal(ctl("mac", n, "len 65"), E_INVAL);
	assert_int_equal(ctl("mac", n, "alg md5"), E_INVAL);
	keyctl("gen aead ak\n");
	assert_int_equal(ctl("mac", n, "key ak"), E_INVAL);	/* not a mac key */
	ctl_ok("mac", n, "close");
	n = clone_of("mac");
	assert_int_equal(exchange("mac", n, "x", 1, out, sizeof out), E_INVAL);	/* no key */
	ctl_ok("mac", n, "close");
	delete("mk");
	delete("ak");
}

/* ---- sign and verify ---------------------------------------------------- */

PROC_TEST(test_verify)
{
	char out[256], line[200], hex[129], text[1024];
	uint8_t pk[32], sig[64];
	int s, v;

	keyctl("gen ed25519 ek\n");
	s = clone_of("sign");
	ctl_ok("sign", s, "key ek");
	assert_int_equal(exchange("sign", s, msg, sizeof msg, out, sizeof out), 129);
	assert_int_equal(unhex(out, sig, sizeof sig), 0);
	state("sign", s, text, sizeof text);
	assert_non_null(strstr(text, "key ek version 1\nalg ed25519\n"));
	{	/* the public key, from keys/ek */
		char path[] = C "/keys/ek";
		int fd = sys_open(path, OREAD);
		long r = sys_read(fd, text, sizeof text - 1);
		assert_true(r > 0);
		text[r] = 0;
		sys_close(fd);
		assert_int_equal(field(text, "public", pk, sizeof pk), 0);
	}
	/* pubkey HEX */
	v = clone_of("verify");
	assert_int_equal(exchange("verify", v, msg, sizeof msg, out, sizeof out), E_INVAL);
	assert_non_null(strstr(lasterr, "no signature"));
	tohex(hex, sig, sizeof sig);
	snprintf(line, sizeof line, "sig %s", hex);
	ctl_ok("verify", v, line);
	assert_int_equal(exchange("verify", v, 0, 0, out, sizeof out), E_INVAL);
	assert_non_null(strstr(lasterr, "no key"));
	tohex(hex, pk, sizeof pk);
	snprintf(line, sizeof line, "pubkey %s", hex);
	ctl_ok("verify", v, line);
	assert_int_equal(exchange("verify", v, 0, 0, out, sizeof out), 3);
	assert_memory_equal(out, "ok\n", 3);
	/* a changed message: the error, every read, until the next message */
	assert_int_equal(exchange("verify", v, msg, sizeof msg - 1, out, sizeof out), E_CRYPTO);
	assert_string_equal(lasterr, "verify: bad signature");
	assert_int_equal(exchange("verify", v, 0, 0, out, sizeof out), E_CRYPTO);
	assert_int_equal(exchange("verify", v, msg, sizeof msg, out, sizeof out), 3);
	/* key NAME, and a changed signature */
	ctl_ok("verify", v, "key ek");
	assert_int_equal(exchange("verify", v, msg, sizeof msg, out, sizeof out), 3);
	sig[10] ^= 4;
	tohex(hex, sig, sizeof sig);
	snprintf(line, sizeof line, "sig %s", hex);
	ctl_ok("verify", v, line);
	assert_int_equal(exchange("verify", v, msg, sizeof msg, out, sizeof out), E_CRYPTO);
	/* hostile hex */
	assert_int_equal(ctl("verify", v, "sig 00"), E_INVAL);
	assert_non_null(strstr(lasterr, "want 64 bytes"));
	assert_int_equal(ctl("verify", v, "pubkey zz"), E_INVAL);
	assert_int_equal(ctl("verify", v, "pubkey 123"), E_INVAL);
	ctl_ok("verify", v, "close");
	ctl_ok("sign", s, "close");
	delete("ek");
}

/* ---- kx ------------------------------------------------------------------ */

PROC_TEST(test_kx)
{
	uint8_t a[32], b[32], pa[32], pb[32], q[32], got[32], ct[5 + 16], pt[5];
	char line[128], hex[65], out[512], text[1024];
	int x, y, e, d;

	for (int i = 0; i < 32; i++) {
		a[i] = (uint8_t)(i * 7 + 1);
		b[i] = (uint8_t)(i * 11 + 3);
	}
	assert_int_equal(lc_x25519_public(pa, a), 0);
	assert_int_equal(lc_x25519_public(pb, b), 0);
	import("xa", "x25519", a, 32, true);
	import("xb", "x25519", b, 32, false);
	x = clone_of("kx");
	ctl_ok("kx", x, "key xa");
	assert_int_equal(exchange("kx", x, 0, 0, out, sizeof out), E_INVAL);
	assert_non_null(strstr(lasterr, "no peer"));
	tohex(hex, pb, 32);
	snprintf(line, sizeof line, "peer %s", hex);
	ctl_ok("kx", x, line);
	/* xa is exportable: the raw X25519 secret is readable */
	assert_true(exchange("kx", x, 0, 0, out, sizeof out) > 0);
	assert_int_equal(field(out, "shared", got, 32), 0);
	assert_int_equal(lc_x25519(q, a, pb), 0);
	assert_memory_equal(got, q, 32);
	ctl_ok("kx", x, "into sab");
	/* xb is not: the data says so and shows no secret */
	y = clone_of("kx");
	ctl_ok("kx", y, "key xb");
	tohex(hex, pa, 32);
	snprintf(line, sizeof line, "peer %s", hex);
	ctl_ok("kx", y, line);
	assert_true(exchange("kx", y, 0, 0, out, sizeof out) > 0);
	assert_non_null(strstr(out, "shared hidden"));
	tohex(hex, q, 32);
	assert_null(strstr(out, hex));
	ctl_ok("kx", y, "into sba");
	state("kx", y, text, sizeof text);
	assert_non_null(strstr(text, "into sba\n"));
	/* both sides made the same aead key: one encrypts, the other opens */
	e = clone_of("aead");
	ctl_ok("aead", e, "key sab");
	ctl_ok("aead", e, "nonce 000102030405060708090a0b0c0d0e0f1011121314151617");
	assert_int_equal(exchange("aead", e, "hello", 5, ct, sizeof ct), sizeof ct);
	d = clone_of("aead");
	ctl_ok("aead", d, "key sba");
	ctl_ok("aead", d, "decrypt");
	ctl_ok("aead", d, "nonce 000102030405060708090a0b0c0d0e0f1011121314151617");
	assert_int_equal(exchange("aead", d, ct, sizeof ct, pt, sizeof pt), 5);
	assert_memory_equal(pt, "hello", 5);
	/* the stored key is what lc_kx_shared computes */
	{
		uint8_t k[32], want[5 + 16], n24[24];
		for (int i = 0; i < 24; i++)
			n24[i] = (uint8_t)i;
		assert_int_equal(lc_kx_shared(k, a, pb), 0);
		assert_int_equal(lc_aead_encrypt(LC_XCHACHA20POLY1305, want, "hello", 5, 0, 0, n24, k), 0);
		assert_memory_equal(ct, want, sizeof want);
	}
	/* a low-order peer point has no shared secret; a taken name is refused */
	ctl_ok("kx", x, "peer 0000000000000000000000000000000000000000000000000000000000000000");
	assert_int_equal(ctl("kx", x, "into zero"), E_CRYPTO);
	assert_non_null(strstr(lasterr, "low-order"));
	tohex(hex, pb, 32);
	snprintf(line, sizeof line, "peer %s", hex);
	ctl_ok("kx", x, line);
	assert_int_equal(ctl("kx", x, "into sab"), E_EXIST);
	/* nothing to write to kx's data */
	assert_int_equal(exchange("kx", x, "x", 1, out, sizeof out), E_TOOBIG);
	ctl_ok("kx", x, "close");
	ctl_ok("kx", y, "close");
	ctl_ok("aead", e, "close");
	ctl_ok("aead", d, "close");
	delete("xa");
	delete("xb");
	delete("sab");
	delete("sba");
}

/* ---- kdf ----------------------------------------------------------------- */

PROC_TEST(test_kdf)
{
	uint8_t sub[64], want[64];
	char out[256];
	int n;

	import("master", "aead", key32, 32, true);
	import("hidden", "aead", key32, 32, false);
	n = clone_of("kdf");
	ctl_ok("kdf", n, "key master");
	assert_int_equal(exchange("kdf", n, 0, 0, out, sizeof out), E_INVAL);
	assert_non_null(strstr(lasterr, "no context"));
	assert_int_equal(ctl("kdf", n, "context short"), E_INVAL);
	assert_int_equal(ctl("kdf", n, "context toolong!!"), E_INVAL);
	ctl_ok("kdf", n, "context Examples");
	ctl_ok("kdf", n, "id 18446744073709551615");	/* 2^64 - 1 */
	assert_int_equal(ctl("kdf", n, "id 18446744073709551616"), E_INVAL);
	assert_int_equal(ctl("kdf", n, "id -1"), E_INVAL);
	assert_int_equal(exchange("kdf", n, 0, 0, out, sizeof out), 7 + 64 + 1);
	assert_memory_equal(out, "subkey ", 7);
	assert_int_equal(unhex(out + 7, sub, 32), 0);
	assert_int_equal(lc_kdf_derive(want, 32, UINT64_MAX, "Examples", key32), 0);
	assert_memory_equal(sub, want, 32);
	/* len, and a mac key from it */
	ctl_ok("kdf", n, "len 64");
	ctl_ok("kdf", n, "id 7");
	assert_int_equal(exchange("kdf", n, 0, 0, out, sizeof out), 7 + 128 + 1);
	assert_int_equal(unhex(out + 7, sub, 64), 0);
	assert_int_equal(lc_kdf_derive(want, 64, 7, "Examples", key32), 0);
	assert_memory_equal(sub, want, 64);
	assert_int_equal(ctl("kdf", n, "into sub1"), E_INVAL);	/* aead keys are 32 bytes */
	ctl_ok("kdf", n, "into sub1 mac");
	assert_int_equal(ctl("kdf", n, "into sub2 rsa"), E_INVAL);
	assert_int_equal(ctl("kdf", n, "len 15"), E_INVAL);
	/* a non-exportable master: subkeys go into keys only */
	ctl_ok("kdf", n, "key hidden");
	assert_int_equal(exchange("kdf", n, 0, 0, out, sizeof out), E_PERM);
	assert_non_null(strstr(lasterr, "not exportable"));
	ctl_ok("kdf", n, "len 32");
	ctl_ok("kdf", n, "into sub2");
	keyctl("gen ed25519 edk\n");
	assert_int_equal(ctl("kdf", n, "key edk"), E_INVAL);
	ctl_ok("kdf", n, "close");
	/* the subkey made "into" works as a mac key: the tag matches */
	n = clone_of("mac");
	ctl_ok("mac", n, "key sub1");
	assert_int_equal(exchange("mac", n, "m", 1, out, sizeof out), 65);
	{
		uint8_t tag[32];
		assert_int_equal(lc_kdf_derive(want, 64, 7, "Examples", key32), 0);
		assert_int_equal(lc_auth(LC_HMAC_SHA256, tag, 32, want, 64, "m", 1), 0);
		assert_int_equal(unhex(out, sub, 32), 0);
		assert_memory_equal(sub, tag, 32);
	}
	ctl_ok("mac", n, "close");
	delete("master");
	delete("hidden");
	delete("sub1");
	delete("sub2");
	delete("edk");
}

/* ---- pwhash -------------------------------------------------------------- */

static long pw_result;
static char pw_err[128];

static void pwhasher(void *arg)
{
	char out[128];
	int n = clone_of("pwhash");

	(void)arg;
	ctl_ok("pwhash", n, "salt 000102030405060708090a0b0c0d0e0f");
	ctl_ok("pwhash", n, "mem 2097152");
	pw_result = exchange("pwhash", n, "pw", 2, out, sizeof out);
	snprintf(pw_err, sizeof pw_err, "%s", lasterr);
}

PROC_TEST(test_pwhash)
{
	uint8_t salt[16], h[64], want[64];
	char out[256], text[512];
	int n;

	for (int i = 0; i < 16; i++)
		salt[i] = (uint8_t)i;
	n = clone_of("pwhash");
	assert_int_equal(exchange("pwhash", n, "hunter2", 7, out, sizeof out), E_INVAL);
	assert_non_null(strstr(lasterr, "no salt"));
	ctl_ok("pwhash", n, "salt 000102030405060708090a0b0c0d0e0f");
	ctl_ok("pwhash", n, "ops 1");
	ctl_ok("pwhash", n, "mem 65536");
	ctl_ok("pwhash", n, "len 48");
	state("pwhash", n, text, sizeof text);
	assert_non_null(strstr(text, "alg argon2id\nsalt 000102030405060708090a0b0c0d0e0f\nops 1\n"
	                             "mem 65536\nlen 48\n"));
	/* the failed read kept the password: it hashes now */
	assert_int_equal(exchange("pwhash", n, 0, 0, out, sizeof out), 97);
	assert_int_equal(unhex(out, h, 48), 0);
	assert_int_equal(lc_pwhash(want, 48, "hunter2", 7, salt, 1, 65536), 0);
	assert_memory_equal(h, want, 48);
	/* bounds */
	assert_int_equal(ctl("pwhash", n, "mem 4096"), E_INVAL);
	assert_int_equal(ctl("pwhash", n, "mem 99999999999"), E_INVAL);
	assert_int_equal(ctl("pwhash", n, "ops 0"), E_INVAL);
	assert_int_equal(ctl("pwhash", n, "ops 17"), E_INVAL);
	assert_int_equal(ctl("pwhash", n, "len 8"), E_INVAL);
	assert_int_equal(ctl("pwhash", n, "salt 0001"), E_INVAL);
	assert_int_equal(ctl("pwhash", n, "key k"), E_INVAL);	/* no keys here */
	ctl_ok("pwhash", n, "close");
	/* more memory than a proc's crypto pebbles: refused before anything is allocated */
	{
		static const struct pebbles onemib = { .n = { [PB_CRYPTO] = 1 << 20 } };
		int err;
		struct proc *p = proc_spawn("pwhasher", PRIO_NORMAL, pwhasher, 0, 0, &onemib, &err);
		assert_non_null(p);
		proc_join(p);
		assert_int_equal(pw_result, E_BUDGET);
		assert_non_null(strstr(pw_err, "budget exhausted: crypto"));
	}
}

/* ---- isolation, bounds, budgets, hostile ctl --------------------------- */

static const char *const kinds[] = { "aead", "mac", "sign", "verify", "kx", "kdf", "pwhash" };
static int theirs[7];
static long seen[7][3];

static void intruder(void *arg)
{
	char path[64];

	(void)arg;
	for (int i = 0; i < 7; i++) {
		file_of(path, sizeof path, kinds[i], theirs[i], "ctl");
		seen[i][0] = sys_open(path, OREAD);
		file_of(path, sizeof path, kinds[i], theirs[i], "data");
		seen[i][1] = sys_open(path, ORDWR);
		snprintf(path, sizeof path, C "/%s/%d", kinds[i], theirs[i]);
		seen[i][2] = sys_open(path, OREAD);
	}
	/* and what it makes goes with it */
	for (int i = 0; i < 7; i++)
		assert_true(clone_of(kinds[i]) > 0);
}

static long spent_result;
static char spent_err[128];

/* A proc with 4 KiB of crypto pebbles: an 8 KiB message is refused. */
static void spender(void *arg)
{
	static uint8_t m[8192];
	int n = clone_of("aead");

	(void)arg;
	ctl_ok("aead", n, "key ak");
	spent_result = exchange("aead", n, m, sizeof m, m, sizeof m);
	snprintf(spent_err, sizeof spent_err, "%s", lasterr);
}

/* Procs of one user holding sessions until released: the per-user bound. */
static struct waitq holdq = WAITQ_INIT(holdq);
static bool holding_done;
static int held[3], heldfail[3];

static bool released(void *arg)
{
	(void)arg;
	return holding_done;
}

static void holder(void *arg)
{
	int i = (int)(intptr_t)arg, n = 0;

	while (held[i] < DEVCRYPTO_CLONES_PER_PROC && (n = clone_of("mac")) > 0)
		held[i]++;
	heldfail[i] = held[i] < DEVCRYPTO_CLONES_PER_PROC ? n : 0;
	sleep_on(&holdq, released, 0);	/* keep them: sessions go with the proc */
	proc_exit(0);
}

/* One user's procs together hold at most DEVCRYPTO_CLONES_PER_USER
 * sessions, so no user fills the kernel's table for the others; another
 * user still gets theirs. */
PROC_TEST(test_sessions_are_bounded_per_user)
{
	struct proc *p[3];
	char saved[sizeof curproc()->cred.user];
	int n;

	holding_done = false;
	for (int i = 0; i < 3; i++) {
		held[i] = heldfail[i] = 0;
		p[i] = proc_create("holder", PRIO_NORMAL, holder, (void *)(intptr_t)i, 0);
		assert_non_null(p[i]);
	}
	while (held[0] + held[1] + held[2] < DEVCRYPTO_CLONES_PER_USER ||
	       (heldfail[2] == 0 && held[2] < DEVCRYPTO_CLONES_PER_PROC))
		proc_yield();
	assert_int_equal(held[0] + held[1] + held[2], DEVCRYPTO_CLONES_PER_USER);
	assert_int_equal(heldfail[2], E_BUDGET);
	assert_int_equal(clone_of("mac"), E_BUDGET);	/* this proc is eve's too */
	assert_non_null(strstr(lasterr, "budget exhausted: crypto sessions 16/16 (eve's)"));
	/* another user is not held back by eve's */
	memcpy(saved, curproc()->cred.user, sizeof saved);
	snprintf(curproc()->cred.user, sizeof curproc()->cred.user, "bob");
	assert_true((n = clone_of("mac")) > 0);
	ctl_ok("mac", n, "close");
	memcpy(curproc()->cred.user, saved, sizeof saved);
	holding_done = true;
	wakeup(&holdq);
	for (int i = 0; i < 3; i++)
		proc_join(p[i]);
	assert_int_equal(devcrypto_clones(), 0);
}

PROC_TEST(test_isolation_bounds_and_hostile_ctl)
{
	static const struct pebbles small = { .n = { [PB_CRYPTO] = 4096 } };
	char big[DEVCRYPTO_CTLMAX + 64], text[1024];
	struct proc *p;
	int err, n;

	keyctl("gen aead ak\n");
	for (int i = 0; i < 7; i++)
		assert_true((theirs[i] = clone_of(kinds[i])) > 0);
	assert_int_equal(devcrypto_clones(), 7);
	p = proc_create("intruder", PRIO_NORMAL, intruder, 0, 0);
	assert_non_null(p);
	proc_join(p);
	for (int i = 0; i < 7; i++)
		for (int j = 0; j < 3; j++)
			assert_int_equal(seen[i][j], E_NOENT);
	assert_int_equal(devcrypto_clones(), 7);	/* the intruder's went with it */
	/* per proc: 8 of all kinds together */
	n = clone_of("mac");
	assert_true(n > 0);
	assert_int_equal(clone_of("aead"), E_NOSPC);
	assert_non_null(strstr(lasterr, "sessions per proc"));
	ctl_ok("mac", n, "close");

	/* hostile ctl lines, each refused clearly, the session intact */
	n = theirs[0];
	ctl_ok("aead", n, "key ak");
	assert_int_equal(ctl("aead", n, "frobnicate"), E_INVAL);
	assert_non_null(strstr(lasterr, "unknown command frobnicate"));
	assert_int_equal(ctl("aead", n, "key"), E_INVAL);
	assert_int_equal(ctl("aead", n, "nonce xyz"), E_INVAL);
	assert_int_equal(ctl("aead", n, "nonce 0011"), E_INVAL);
	assert_int_equal(ctl("aead", n, "ad 0"), E_INVAL);
	assert_int_equal(ctl("aead", n, "encrypt now"), E_INVAL);
	assert_int_equal(ctl("aead", n, "key \x01\x02"), E_INVAL);
	assert_non_null(strstr(lasterr, "control"));
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = 0;
	assert_int_equal(ctl("aead", n, big), E_INVAL);
	assert_non_null(strstr(lasterr, "line longer"));
	/* the overlong line's tail was dropped, not run; the next line works */
	ctl_ok("aead", n, "decrypt");
	ctl_ok("aead", n, "  ");	/* blank lines are nothing */
	state("aead", n, text, sizeof text);
	assert_non_null(strstr(text, "key ak version 1\n"));
	assert_non_null(strstr(text, "\ndecrypt\n"));
	/* CRLF lines and a command split over writes */
	{
		char path[64];
		int fd;
		file_of(path, sizeof path, "aead", n, "ctl");
		fd = sys_open(path, OWRITE);
		assert_int_equal(sys_write(fd, "enc", 3), 3);
		assert_int_equal(sys_write(fd, "rypt\r\n", 6), 6);
		sys_close(fd);
	}
	state("aead", n, text, sizeof text);
	assert_non_null(strstr(text, "\nencrypt\n"));

	/* a budget bounds what a session holds */
	p = proc_spawn("spender", PRIO_NORMAL, spender, 0, 0, &small, &err);
	assert_non_null(p);
	proc_join(p);
	assert_int_equal(spent_result, E_BUDGET);
	assert_non_null(strstr(spent_err, "budget exhausted: crypto"));

	/* close through ctl frees each; an unknown number is no session */
	for (int i = 0; i < 7; i++)
		ctl_ok(kinds[i], theirs[i], "close");
	assert_int_equal(devcrypto_clones(), 0);
	assert_int_equal(ctl("aead", theirs[0], "close"), E_NOENT);
	delete("ak");
}

/* Noise: random bytes (newlines among them) written to every kind's ctl
 * and data in random pieces, with reads in between.  Whatever the bytes,
 * each call answers (a count or an error), ctl stays readable, and the
 * sessions close cleanly (the harness checks kalloc afterwards). */
PROC_TEST(test_noise)
{
	static const char *const verbs[] = { "key ", "alg ", "nonce ", "ad ", "sig ", "pubkey ",
	                                     "peer ", "context ", "id ", "len ", "salt ", "ops ",
	                                     "mem ", "encrypt", "decrypt", "into " };
	uint32_t x = 12345;
	char buf[700], text[1024];
	uint8_t out[4096];
	int n[7];

	keyctl("gen aead ak\n");
	for (int k = 0; k < 7; k++)
		n[k] = clone_of(kinds[k]);
	for (int round = 0; round < 3000; round++) {
		int k = (int)((x = x * 1103515245 + 12345) >> 16) % 7;
		size_t len = ((x = x * 1103515245 + 12345) >> 16) % sizeof buf, i = 0;
		char path[64];
		int fd;

		if (((x >> 20) & 3) == 0) {	/* sometimes a plausible verb first */
			const char *v = verbs[(x >> 8) % 16];
			i = strlen(v);
			memcpy(buf, v, i);
		}
		for (; i < len; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (char)((x >> 16) % 7 == 0 ? '\n' : (x >> 9) & 0xff);
		}
		file_of(path, sizeof path, kinds[k], n[k], (x >> 12) & 1 ? "ctl" : "data");
		fd = sys_open(path, ORDWR);
		assert_true(fd >= 0);
		sys_write(fd, buf, len);	/* a count or an error: both fine */
		if ((x >> 14) & 1)
			sys_read(fd, out, sizeof out);
		assert_int_equal(sys_close(fd), 0);
		state(kinds[k], n[k], text, sizeof text);
		assert_memory_equal(text, "key ", 4);
	}
	for (int k = 0; k < 7; k++) {
		ctl(kinds[k], n[k], "");	/* end whatever partial line the noise left */
		ctl_ok(kinds[k], n[k], "close");
	}
	assert_int_equal(devcrypto_clones(), 0);
	/* the noise may have stored keys through "into": remove them all */
	for (int slot = 0; slot < KS_KEYS; slot++) {
		struct ks_info info;
		if (ks_info(slot, &info, 0, 0) == 0)
			assert_int_equal(ks_delete(info.name), 0);
	}
}

static int entropy(void *buf, size_t n)
{
	memset(buf, 7, n);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aead_roundtrip),
		cmocka_unit_test(test_aead_sealed_in_place_answers_again),
		cmocka_unit_test(test_aead_random_nonce_algs_and_keys),
		cmocka_unit_test(test_aead_given_nonces_increase_per_key_version),
		cmocka_unit_test(test_aead_message_bound_is_exact),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_kx),
		cmocka_unit_test(test_kdf),
		cmocka_unit_test(test_pwhash),
		cmocka_unit_test(test_isolation_bounds_and_hostile_ctl),
		cmocka_unit_test(test_sessions_are_bounded_per_user),
		cmocka_unit_test(test_noise),
	};

	fake_boot(1024, false);
	if (lc_init(entropy) < 0)
		return 1;
	return cmocka_run_group_tests(tests, 0, 0);
}
