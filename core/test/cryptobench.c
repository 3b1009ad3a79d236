/*
 * ktest cryptobench: what the file interface costs inside the kernel.
 * The same bytes go once through /secure/crypto with sys_write/sys_read
 * (64 KiB writes, as a program would) and once straight to the lc_* calls
 * the device makes, timed with the arch clock in the same run; the ratio
 * in-process / files is the result (1.00x: the files cost nothing).
 * docs/performance.md records it; ./lux bench runs it on luxsim.
 *
 *   SHA-256 of 64 MiB: 1024 writes of 64 KiB, then one read of the hex
 *   digest; against lc_hash_update of the same 1024 chunks.
 *
 *   XChaCha20-Poly1305 of 64 MiB as 64 messages of 1 MiB (an AEAD message
 *   is sealed whole, so messages are bounded: DEVCRYPTO_MSGMAX): one
 *   session with an imported key, per message a nonce line on ctl, 16
 *   writes of 64 KiB to data and reads of the 1 MiB + 16 back; against
 *   lc_aead_encrypt of the same 64 messages with the same key and nonces.
 *   An untimed first run compares every ciphertext byte for byte; the
 *   timed runs compare the last.
 *
 * A noisy host (other processes on the same two cores) changes speed from
 * one moment to the next, so the two paths are interleaved finely: each
 * 64 KiB chunk (SHA-256) or each message (AEAD) goes through the file and
 * then straight to lc_*, each timed on its own, and the times are summed
 * per path.  One warm-up run, then REPS runs; the result is the median of
 * the runs' ratios, with the median times.  The digests and ciphertexts
 * must agree, else the test fails.
 */
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/ktest.h>
#include <lux/rand.h>
#include <lux/string.h>
#include <lux/sysfile.h>

enum {
	CHUNK = 64 * 1024,
	TOTAL = 64 * 1024 * 1024,
	REPS = 5,
};

static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* One run: TOTAL bytes (the chunk over and over) through the file and
 * into an lc_hash state, chunk by chunk, each timed; the two digests must
 * agree.  0 or an error (E_IO: they differ). */
static int sha256_run(const uint8_t *chunk, uint64_t *tfiles, uint64_t *tdirect)
{
	const char *path = "/secure/crypto/hash/sha256";
	char a[2 * 32 + 2], b[2 * 32 + 2];
	lc_hash_state st;
	uint8_t d[32];
	uint64_t t0, t1, t2;
	long n = 0;
	int fd;

	*tfiles = *tdirect = 0;
	t0 = arch_time_ns();
	fd = sys_open(path, OWRITE | OTRUNC);
	t1 = arch_time_ns();
	lc_hash_init(&st, LC_SHA256);
	t2 = arch_time_ns();
	*tfiles += t1 - t0, *tdirect += t2 - t1;
	if (fd < 0)
		return fd;
	for (size_t off = 0; off < TOTAL && n >= 0; off += CHUNK) {
		t0 = arch_time_ns();
		n = sys_write(fd, chunk, CHUNK);
		t1 = arch_time_ns();
		lc_hash_update(&st, chunk, CHUNK);
		t2 = arch_time_ns();
		*tfiles += t1 - t0, *tdirect += t2 - t1;
	}
	t0 = arch_time_ns();
	sys_close(fd);
	if (n >= 0 && (fd = sys_open(path, OREAD)) >= 0) {
		n = sys_read(fd, a, 2 * 32 + 1);
		sys_close(fd);
	} else if (n >= 0) {
		n = fd;
	}
	t1 = arch_time_ns();
	lc_hash_final(&st, d);
	t2 = arch_time_ns();
	*tfiles += t1 - t0, *tdirect += t2 - t1;
	if (n < 0)
		return (int)n;
	a[n == 2 * 32 + 1 ? 2 * 32 : 0] = 0;	/* drop the newline */
	khex(b, d, sizeof d);
	return kstrcmp(a, b) == 0 ? 0 : E_IO;
}

/* "NAME: files F ms, lc D ms, R.RRx" from REPS runs: median times and
 * the median of the runs' ratios. */
static void report(char *msg, size_t size, const char *name, uint64_t *files, uint64_t *direct)
{
	uint64_t ratio[REPS];

	for (int r = 0; r < REPS; r++)
		ratio[r] = direct[r] * 100 / (files[r] ? files[r] : 1);
	uint64_t q = median(ratio, REPS);
	ksnprintf(msg, size, "%s: files %llu ms, lc %llu ms, %llu.%02llux", name,
	          (unsigned long long)(median(files, REPS) / 1000000),
	          (unsigned long long)(median(direct, REPS) / 1000000),
	          (unsigned long long)(q / 100), (unsigned long long)(q % 100));
}

static int bench_sha256(const uint8_t *chunk, char *msg, size_t size)
{
	uint64_t files[REPS], direct[REPS], f, d;
	int err = sha256_run(chunk, &f, &d);	/* warm-up */

	for (int r = 0; r < REPS && err == 0; r++)
		err = sha256_run(chunk, &files[r], &direct[r]);
	if (err) {
		ksnprintf(msg, size, "sha256 64 MiB: %s",
		          err == E_IO ? "digests differ" : proc_errstr(err));
		return -1;
	}
	report(msg, size, "sha256 64 MiB", files, direct);
	return 0;
}

/* ---- XChaCha20-Poly1305 ---- */

enum { MSG = 1024 * 1024, NMSG = TOTAL / MSG };

static const char benchkey[] = "cryptobench";

static int put(const char *path, const char *text)
{
	int fd = sys_open(path, OWRITE);
	long n;

	if (fd < 0)
		return fd;
	n = sys_write(fd, text, kstrlen(text));
	sys_close(fd);
	return n < 0 ? (int)n : 0;
}

/* The nonce of message i in run r: distinct for every encryption with
 * the key (the session refuses a repeated nonce). */
static void nonce_of(uint8_t nonce[24], int r, int i)
{
	kmemset(nonce, 0, 24);
	nonce[0] = (uint8_t)r;
	nonce[1] = (uint8_t)i;
}

/* Seal messages first..first+count-1 (the chunk, 16 times each) through
 * session dir; each ciphertext lands in out (one message's room, reused:
 * 64 MiB of output would not fit a 64 MiB kernel).  0 or an error. */
static int aead_files(const char *dir, const uint8_t *chunk, int run, int first, int count,
                      uint8_t *out)
{
	char path[64], line[80], hex[2 * 24 + 1];
	uint8_t nonce[24];
	int err = 0;

	for (int i = first; i < first + count && err == 0; i++) {
		long n = 0, got = 0;
		int fd;

		nonce_of(nonce, run, i);
		khex(hex, nonce, sizeof nonce);
		ksnprintf(path, sizeof path, "%s/ctl", dir);
		ksnprintf(line, sizeof line, "nonce %s\n", hex);
		if ((err = put(path, line)) < 0)
			break;
		ksnprintf(path, sizeof path, "%s/data", dir);
		if ((fd = sys_open(path, ORDWR)) < 0)
			return fd;
		for (size_t off = 0; off < MSG && n >= 0; off += CHUNK)
			n = sys_write(fd, chunk, CHUNK);
		while (n >= 0 && got < MSG + 16 &&
		       (n = sys_read(fd, out + got, MSG + 16 - got)) > 0)
			got += n;
		sys_close(fd);
		if (n < 0)
			err = (int)n;
		else if (got != MSG + 16)
			err = E_IO;
	}
	return err;
}

static int aead_direct(const uint8_t *key, const uint8_t *chunk, uint8_t *m, int run, int first,
                       int count, uint8_t *out)
{
	uint8_t nonce[24];

	for (int i = first; i < first + count; i++) {
		nonce_of(nonce, run, i);
		/* the message is whole before it is sealed, as in the session */
		for (size_t off = 0; off < MSG; off += CHUNK)
			kmemcpy(m + off, chunk, CHUNK);
		if (lc_aead_encrypt(LC_XCHACHA20POLY1305, out, m, MSG, 0, 0, nonce, key) < 0)
			return E_IO;
	}
	return 0;
}

static int aead_session(const uint8_t *key, char *dir, size_t dirsize)
{
	char line[2 * 32 + 64], keyhex[2 * 32 + 1], num[16];
	int fd, err;
	long n;

	khex(keyhex, key, 32);
	ksnprintf(line, sizeof line, "import %s aead %s\n", benchkey, keyhex);
	err = put("/secure/crypto/keys/ctl", line);
	lc_wipe(line, sizeof line);
	lc_wipe(keyhex, sizeof keyhex);
	if (err < 0)
		return err;
	if ((fd = sys_open("/secure/crypto/aead/clone", OREAD)) < 0)
		return fd;
	n = sys_read(fd, num, sizeof num - 1);
	sys_close(fd);	/* the session outlives the clone fd */
	if (n <= 1)
		return n < 0 ? (int)n : E_IO;
	num[n - 1] = 0;	/* drop the newline */
	ksnprintf(dir, dirsize, "/secure/crypto/aead/%s", num);
	ksnprintf(line, sizeof line, "%s/ctl", dir);
	return put(line, "key cryptobench\nalg xchacha20poly1305\nencrypt\n");
}

static void aead_cleanup(const char *dir)
{
	char path[64];

	if (dir[0]) {
		ksnprintf(path, sizeof path, "%s/ctl", dir);
		put(path, "close\n");
	}
	put("/secure/crypto/keys/ctl", "delete cryptobench\n");
}

static int bench_aead(const uint8_t *chunk, char *msg, size_t size)
{
	uint8_t key[32], *a = kmalloc(MSG + 16), *b = kmalloc(MSG + 16), *m = kmalloc(MSG);
	uint64_t files[REPS], direct[REPS];
	char dir[48] = "";
	int err = a && b && m ? 0 : E_NOMEM;

	lc_random(key, sizeof key);
	if (err == 0)
		err = aead_session(key, dir, sizeof dir);
	/* run 0, untimed (it warms up too): every message both ways, compared */
	for (int i = 0; i < NMSG && err == 0; i++) {
		err = aead_files(dir, chunk, 0, i, 1, a);
		if (err == 0)
			err = aead_direct(key, chunk, m, 0, i, 1, b);
		if (err == 0 && kmemcmp(a, b, MSG + 16) != 0)
			err = E_IO;
	}
	for (int r = 1; r <= REPS && err == 0; r++) {
		files[r - 1] = direct[r - 1] = 0;
		for (int i = 0; i < NMSG && err == 0; i++) {
			uint64_t t0 = arch_time_ns();
			err = aead_files(dir, chunk, r, i, 1, a);
			uint64_t t1 = arch_time_ns();
			if (err == 0)
				err = aead_direct(key, chunk, m, r, i, 1, b);
			uint64_t t2 = arch_time_ns();
			files[r - 1] += t1 - t0;
			direct[r - 1] += t2 - t1;
		}
		if (err == 0 && kmemcmp(a, b, MSG + 16) != 0)	/* the last message */
			err = E_IO;
	}
	aead_cleanup(dir);
	lc_wipe(key, sizeof key);
	kfree(a);
	kfree(b);
	kfree(m);
	if (err) {
		ksnprintf(msg, size, "xchacha20poly1305 64 x 1 MiB: %s",
		          err == E_IO ? "ciphertexts differ" : proc_errstr(err));
		return -1;
	}
	report(msg, size, "xchacha20poly1305 64 x 1 MiB", files, direct);
	return 0;
}

int ktest_cryptobench(char *msg, size_t size)
{
	uint8_t *chunk = kmalloc(CHUNK);
	size_t len;
	int r;

	if (chunk == 0) {
		ksnprintf(msg, size, "%s", lux_errstr(E_NOMEM));
		return -1;
	}
	for (size_t i = 0; i < CHUNK; i++)
		chunk[i] = (uint8_t)(krand() >> 24);
	r = bench_sha256(chunk, msg, size);
	len = kstrlen(msg);
	if (r == 0 && len + 2 < size) {
		kstrlcpy(msg + len, "; ", size - len);
		r = bench_aead(chunk, msg + len + 2, size - len - 2);
	}
	kfree(chunk);
	return r;
}
