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
 * One warm-up run of each, then the median of REPS runs of each,
 * alternating, so drift on a noisy host falls on both.  The digests must agree, else the test fails.
 */
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
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

/* The digest of TOTAL bytes (the chunk over and over) through the file,
 * as hex text; 0 or an error. */
static int sha256_files(const uint8_t *chunk, char hex[2 * 32 + 2])
{
	const char *path = "/secure/crypto/hash/sha256";
	int fd = sys_open(path, OWRITE | OTRUNC);
	long n = 0;

	if (fd < 0)
		return fd;
	for (size_t off = 0; off < TOTAL && n >= 0; off += CHUNK)
		n = sys_write(fd, chunk, CHUNK);
	sys_close(fd);
	if (n < 0)
		return (int)n;
	if ((fd = sys_open(path, OREAD)) < 0)
		return fd;
	n = sys_read(fd, hex, 2 * 32 + 1);
	sys_close(fd);
	if (n != 2 * 32 + 1)
		return n < 0 ? (int)n : E_IO;
	hex[2 * 32] = 0;	/* drop the newline */
	return 0;
}

static int sha256_direct(const uint8_t *chunk, char hex[2 * 32 + 2])
{
	lc_hash_state st;
	uint8_t d[32];

	if (lc_hash_init(&st, LC_SHA256) < 0)
		return E_IO;
	for (size_t off = 0; off < TOTAL; off += CHUNK)
		lc_hash_update(&st, chunk, CHUNK);
	lc_hash_final(&st, d);
	khex(hex, d, sizeof d);
	return 0;
}

static int bench_sha256(const uint8_t *chunk, char *msg, size_t size)
{
	uint64_t files[REPS], direct[REPS], f, d;
	char a[2 * 32 + 2], b[2 * 32 + 2];
	int err = sha256_files(chunk, a);

	if (err == 0)
		err = sha256_direct(chunk, b);
	for (int r = 0; r < REPS && err == 0; r++) {
		uint64_t t0 = arch_time_ns();
		err = sha256_files(chunk, a);
		uint64_t t1 = arch_time_ns();
		if (err == 0)
			err = sha256_direct(chunk, b);
		uint64_t t2 = arch_time_ns();
		files[r] = t1 - t0;
		direct[r] = t2 - t1;
		if (err == 0 && kstrcmp(a, b) != 0)
			err = E_IO;
	}
	if (err) {
		ksnprintf(msg, size, "sha256 64 MiB: %s", err == E_IO ? "digests differ" : lux_errstr(err));
		return -1;
	}
	f = median(files, REPS);
	d = median(direct, REPS);
	ksnprintf(msg, size, "sha256 64 MiB: files %llu ms, lc %llu ms, %llu.%02llux",
	          (unsigned long long)(f / 1000000), (unsigned long long)(d / 1000000),
	          (unsigned long long)(d * 100 / f / 100), (unsigned long long)(d * 100 / f % 100));
	return 0;
}

int ktest_cryptobench(char *msg, size_t size)
{
	uint8_t *chunk = kmalloc(CHUNK);
	int r;

	if (chunk == 0) {
		ksnprintf(msg, size, "%s", lux_errstr(E_NOMEM));
		return -1;
	}
	for (size_t i = 0; i < CHUNK; i++)
		chunk[i] = (uint8_t)(krand() >> 24);
	r = bench_sha256(chunk, msg, size);
	kfree(chunk);
	return r;
}
