/*
 * The store (core/store) over the fake arch's device 0: values of every
 * shape round-trip through a close and an open; what was not committed
 * is gone; a wrong passphrase opens nothing and writes nothing; no
 * plaintext reaches the drive; a flipped byte anywhere, a block replayed
 * from an older commit or two blocks swapped give E_CRYPTO for what they
 * hold and never other data; space is reused; a hostile superblock is
 * refused at the edge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lux/arch.h>
#include <lux/blk.h>
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/proc.h>
#include <lux/store.h>

#include "fake_arch.h"

#define SECT FAKE_BLK_SECTOR
#define NSECT 4096			/* 2 MiB: 512 blocks */
#define DEVBYTES ((size_t)NSECT * SECT)
#define PASS "correct horse battery staple"
#define OPS 1
#define MEM 8192

static struct blkdev *dev;

static void setup_device(void)
{
	fake_blk_sectors = NSECT;
	fake_blk_inflight = 4;
	fake_blk_fail_next = 0;
	fake_idle_hook = fake_blk_finish_one;
}

/* Value i of version v: a length and bytes that depend on both. */
static size_t vlen(int i)
{
	static const size_t lens[] = { 0, 1, 100, 4032, 4033, 10000, 70000, 300000 };

	return lens[i % 8];
}

static void vfill(uint8_t *b, size_t n, int i, int v)
{
	for (size_t k = 0; k < n; k++)
		b[k] = (uint8_t)(k * 31 + (size_t)i * 7 + (size_t)v * 13 + (k >> 8));
}

static int open_pass(struct store **st)
{
	return store_open(dev, PASS, strlen(PASS), st);
}

static void put_version(struct store *st, int i, int v)
{
	size_t n = vlen(i);
	uint8_t *b = malloc(n + 1);

	vfill(b, n, i, v);
	assert_int_equal(store_put(st, (uint64_t)i * 1000, b, n), 0);
	free(b);
}

/* 0 when key i holds version v, E_CRYPTO when it fails to authenticate;
 * anything else (other bytes above all) fails the test. */
static int check_version(struct store *st, int i, int v)
{
	size_t n = vlen(i), got = 0;
	uint8_t *want = malloc(n + 1), *b = malloc(n + 1);
	int err;

	vfill(want, n, i, v);
	err = store_get(st, (uint64_t)i * 1000, b, n + 1, &got);
	if (err == 0) {
		assert_int_equal(got, n);
		assert_memory_equal(b, want, n);
	} else {
		assert_int_equal(err, E_CRYPTO);
	}
	free(want);
	free(b);
	return err;
}

static void roundtrip(void *arg)
{
	struct store *st;
	struct store_stat ss;
	uint64_t k;
	size_t n;
	uint8_t small[8];

	(void)arg;
	assert_int_equal(blk_attach(0, &dev), 0);
	assert_int_equal(store_format(dev, PASS, strlen(PASS), OPS, MEM), 0);
	assert_int_equal(open_pass(&st), 0);
	assert_int_equal(store_next(st, 0, &k), E_NOENT);
	for (int i = 0; i < 8; i++)
		put_version(st, i, 1);
	assert_int_equal(store_commit(st), 0);
	put_version(st, 2, 2);			/* never committed */
	store_close(st);

	assert_int_equal(open_pass(&st), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(check_version(st, i, 1), 0);
	assert_int_equal(store_get(st, 7000, small, sizeof small, &n), E_TOOBIG);
	assert_int_equal(n, vlen(7));
	assert_int_equal(store_get(st, 1, small, sizeof small, &n), E_NOENT);
	assert_int_equal(store_get(st, 1ull << 63, small, sizeof small, &n), E_NOENT);
	/* iteration in key order */
	k = 0;
	for (int i = 0; i < 8; i++) {
		assert_int_equal(store_next(st, k, &k), 0);
		assert_int_equal(k, (uint64_t)i * 1000);
		k++;
	}
	assert_int_equal(store_next(st, k, &k), E_NOENT);
	/* a key far away grows the tree; deleting it shrinks it back */
	assert_int_equal(store_put(st, 1ull << 62, "far", 3), 0);
	assert_int_equal(store_del(st, 3000), 0);
	assert_int_equal(store_del(st, 3000), E_NOENT);
	assert_int_equal(store_commit(st), 0);
	store_stat(st, &ss);
	assert_int_equal(ss.keys, 8);
	assert_false(ss.bad);
	store_close(st);

	assert_int_equal(open_pass(&st), 0);
	assert_int_equal(store_get(st, 3000, small, sizeof small, &n), E_NOENT);
	assert_int_equal(store_get(st, 1ull << 62, small, sizeof small, &n), 0);
	assert_memory_equal(small, "far", 3);
	assert_int_equal(store_next(st, 3000, &k), 0);
	assert_int_equal(k, 4000);
	/* everything gone: an empty tree again */
	for (int i = 0; i < 8; i++)
		if (i != 3)
			assert_int_equal(store_del(st, (uint64_t)i * 1000), 0);
	assert_int_equal(store_del(st, 1ull << 62), 0);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	assert_int_equal(open_pass(&st), 0);
	assert_int_equal(store_next(st, 0, &k), E_NOENT);
	store_stat(st, &ss);
	assert_int_equal(ss.keys, 0);
	/* the commit before is kept whole until the next one completes */
	assert_true(ss.used > 10);
	assert_int_equal(store_put(st, 1, "x", 1), 0);
	assert_int_equal(store_commit(st), 0);
	store_stat(st, &ss);
	assert_true(ss.used <= 6);	/* superblocks, a node, a head, and what was freed */
	store_close(st);
	blk_detach(dev);
}

static void test_roundtrip(void **state)
{
	(void)state;
	setup_device();
	assert_true(fake_run_in_proc(roundtrip, 0));
}

static uint8_t *snapshot(void)
{
	uint8_t *s = malloc(DEVBYTES);

	memcpy(s, fake_blk_medium(), DEVBYTES);
	return s;
}

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	return memmem(hay, n, needle, m) != 0;
}

/* A wrong passphrase opens nothing and writes nothing; a blank drive is
 * no store; the right passphrase still opens. */
static void wrong_pass(void *arg)
{
	struct store *st = 0;
	uint8_t *before;

	(void)arg;
	assert_int_equal(blk_attach(0, &dev), 0);
	memset(fake_blk_medium(), 0, DEVBYTES);
	assert_int_equal(open_pass(&st), E_NOENT);
	assert_non_null(strstr(proc_errstr(E_NOENT), "no store on"));
	memset(fake_blk_medium() + 4096, 0xee, 512);	/* not a store: never taken for one */
	assert_int_equal(open_pass(&st), E_INVAL);
	assert_non_null(strstr(proc_errstr(E_INVAL), "not a store"));
	assert_int_equal(store_format(dev, PASS, strlen(PASS), OPS, MEM), 0);
	assert_int_equal(open_pass(&st), 0);
	put_version(st, 1, 1);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	before = snapshot();
	assert_int_equal(store_open(dev, "wrong", 5, &st), E_PERM);
	assert_non_null(strstr(proc_errstr(E_PERM), "passphrase does not open"));
	assert_memory_equal(before, fake_blk_medium(), DEVBYTES);
	assert_int_equal(open_pass(&st), 0);
	assert_memory_equal(before, fake_blk_medium(), DEVBYTES);	/* opening writes nothing */
	assert_int_equal(check_version(st, 1, 1), 0);
	store_close(st);
	free(before);
	blk_detach(dev);
}

static void test_wrong_pass(void **state)
{
	(void)state;
	setup_device();
	assert_true(fake_run_in_proc(wrong_pass, 0));
}

static void no_plaintext(void *arg)
{
	static const char mark[] = "RECOGNISABLE-PLAINTEXT";
	uint8_t val[20000], key[32];
	struct store *st;

	(void)arg;
	assert_int_equal(blk_attach(0, &dev), 0);
	memset(fake_blk_medium(), 0, DEVBYTES);
	assert_int_equal(store_format(dev, PASS, strlen(PASS), OPS, MEM), 0);
	assert_int_equal(open_pass(&st), 0);
	for (size_t i = 0; i + sizeof mark <= sizeof val; i += sizeof mark)
		memcpy(val + i, mark, sizeof mark);
	memset(key, 0x5a, sizeof key);
	assert_int_equal(store_put(st, 1, mark, sizeof mark), 0);
	assert_int_equal(store_put(st, 2, val, sizeof val), 0);
	assert_int_equal(store_put(st, 3, key, sizeof key), 0);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	assert_false(contains(fake_blk_medium(), DEVBYTES, mark, 8));
	assert_false(contains(fake_blk_medium(), DEVBYTES, key, 16));
	assert_false(contains(fake_blk_medium(), DEVBYTES, PASS, 8));
	blk_detach(dev);
}

static void test_no_plaintext(void **state)
{
	(void)state;
	setup_device();
	assert_true(fake_run_in_proc(no_plaintext, 0));
}

/* Read every key of a store whose commit v+1 wrote version v: each is
 * its version or E_CRYPTO; returns how many failed.  When the newest
 * root was damaged the commit before opens (version v-1, the damage
 * said); an open that fails must fail for damage too. */
static int read_all(int v)
{
	struct store *st;
	struct store_stat ss;
	int bad = 0, err = open_pass(&st);

	if (err != 0) {
		assert_true(err == E_CRYPTO || err == E_PERM);
		return 8;
	}
	store_stat(st, &ss);
	if (ss.seq == (uint64_t)v) {
		assert_true(ss.bad);
		v--, bad++;
	} else {
		assert_int_equal(ss.seq, v + 1);
	}
	for (int i = 0; v > 0 && i < 8; i++)
		bad += check_version(st, i, v) != 0;
	store_close(st);
	return bad;
}

static void make_store(int versions)
{
	struct store *st;

	memset(fake_blk_medium(), 0, DEVBYTES);
	assert_int_equal(store_format(dev, PASS, strlen(PASS), OPS, MEM), 0);
	assert_int_equal(open_pass(&st), 0);
	for (int v = 1; v <= versions; v++) {
		for (int i = 0; i < 8; i++)
			put_version(st, i, v);
		assert_int_equal(store_commit(st), 0);
	}
	store_close(st);
}

/* One byte flipped in each block that holds anything (in turn): what it
 * holds fails, never reads as other data, and the rest reads. */
static void flips(void *arg)
{
	uint8_t *clean, *m;
	int hit = 0;

	(void)arg;
	assert_int_equal(blk_attach(0, &dev), 0);
	make_store(2);
	clean = snapshot();
	m = fake_blk_medium();
	for (size_t b = 2; b < NSECT / 8; b++) {
		size_t off = b * 4096 + (b * 977) % 4096;

		if (clean[off] == 0 && memcmp(clean + b * 4096, clean + b * 4096 + 1, 4095) == 0)
			continue;	/* an unused block */
		m[off] ^= 0x10;
		hit += read_all(2) > 0;
		memcpy(m, clean, DEVBYTES);
	}
	assert_true(hit > 8);	/* many blocks hold something someone reads */
	assert_int_equal(read_all(2), 0);
	/* the newest superblock (commit 3, block 1) damaged: commit 2 opens,
	 * and says which superblock it passed over */
	{
		struct store *st;
		struct store_stat ss;

		m[4096 + 100] ^= 1;
		assert_int_equal(open_pass(&st), 0);
		store_stat(st, &ss);
		assert_int_equal(ss.seq, 2);
		assert_true(ss.bad);
		assert_int_equal(ss.badblock, 1);
		assert_int_equal(check_version(st, 5, 1), 0);
		store_close(st);
		memcpy(m, clean, DEVBYTES);
	}
	free(clean);
	blk_detach(dev);
}

static void test_flips(void **state)
{
	(void)state;
	setup_device();
	assert_true(fake_run_in_proc(flips, 0));
}

/* Blocks put back as an older commit left them (a rollback of part of
 * the drive) or swapped with each other fail; none reads as data. */
static void replay_swap(void *arg)
{
	uint8_t *old, *m, tmp[4096];
	size_t changed = 0;

	(void)arg;
	assert_int_equal(blk_attach(0, &dev), 0);
	make_store(1);
	old = snapshot();
	{
		struct store *st;

		assert_int_equal(open_pass(&st), 0);
		for (int v = 2; v <= 6; v++) {
			for (int i = 0; i < 8; i++)
				put_version(st, i, v);
			assert_int_equal(store_commit(st), 0);
		}
		store_close(st);
	}
	m = fake_blk_medium();
	for (size_t b = 2; b < NSECT / 8; b++)	/* every block but the superblocks rolled back */
		if (memcmp(m + b * 4096, old + b * 4096, 4096) != 0) {
			memcpy(m + b * 4096, old + b * 4096, 4096);
			changed++;
		}
	assert_true(changed > 0);
	assert_true(read_all(6) > 0);
	free(old);

	make_store(1);
	m = fake_blk_medium();
	for (size_t a = 2, b = 3; b < NSECT / 8; a += 2, b += 2) {	/* swap pairs */
		memcpy(tmp, m + a * 4096, 4096);
		memcpy(m + a * 4096, m + b * 4096, 4096);
		memcpy(m + b * 4096, tmp, 4096);
	}
	assert_true(read_all(1) > 0);
	blk_detach(dev);
}

static void test_replay_swap(void **state)
{
	(void)state;
	setup_device();
	assert_true(fake_run_in_proc(replay_swap, 0));
}

/* Rewriting the same values again and again reuses the space: the
 * blocks in use stay bounded, and the drive never fills. */
static void reuse(void *arg)
{
	struct store *st;
	struct store_stat ss;
	uint64_t most = 0;

	(void)arg;
	assert_int_equal(blk_attach(0, &dev), 0);
	make_store(1);
	assert_int_equal(open_pass(&st), 0);
	for (int v = 2; v < 60; v++) {
		for (int i = 0; i < 8; i++)
			put_version(st, i, v);
		assert_int_equal(store_commit(st), 0);
		store_stat(st, &ss);
		most = ss.used > most ? ss.used : most;
	}
	store_close(st);
	assert_true(most < NSECT / 8);
	assert_int_equal(read_all(59), 0);
	blk_detach(dev);
}

static void test_reuse(void **state)
{
	(void)state;
	setup_device();
	assert_true(fake_run_in_proc(reuse, 0));
}

/* A full drive says so before writing anything, and the store goes on. */
static void full(void *arg)
{
	struct store *st;
	uint8_t *big = calloc(1, 900000);
	int err = 0, i;

	(void)arg;
	assert_int_equal(blk_attach(0, &dev), 0);
	make_store(1);
	assert_int_equal(open_pass(&st), 0);
	for (i = 100; i < 110 && err == 0; i++)
		err = store_put(st, (uint64_t)i, big, 300000);
	assert_int_equal(err, E_NOSPC);
	assert_non_null(strstr(proc_errstr(E_NOSPC), "blocks free"));
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_put(st, 5, "x", 1), 0);
	assert_int_equal(store_commit(st), 0);
	/* full, yet everything can be deleted, one commit at a time, and
	 * two commits later the space is back */
	while (store_put(st, (uint64_t)i, big, 100000) == 0)
		i++;
	for (int k = 100; k < i; k++) {
		err = store_del(st, (uint64_t)k);
		assert_true(err == 0 || err == E_NOENT);	/* the one refused above */
		assert_int_equal(store_commit(st), 0);
	}
	assert_int_equal(store_put(st, 6, "y", 1), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_put(st, 100, big, 300000), 0);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	free(big);
	blk_detach(dev);
}

static void test_full(void **state)
{
	(void)state;
	setup_device();
	assert_true(fake_run_in_proc(full, 0));
}

/* The drive is hostile: superblocks of random bytes, and real ones with
 * one field at a time set to a random value, never crash the open or
 * open as a store; a header edited to other Argon2id costs (which a
 * superblock MAC cannot cover before the key is known) fails to unwrap. */
static void hostile(void *arg)
{
	struct store *st;
	uint8_t *clean;
	uint32_t x = 12345;

	(void)arg;
	assert_int_equal(blk_attach(0, &dev), 0);
	make_store(1);
	clean = snapshot();
	for (int round = 0; round < 300; round++) {
		uint8_t *m = fake_blk_medium();
		int err;

		memcpy(m, clean, 2 * 4096);
		for (int slot = 0; slot < 2; slot++) {
			uint8_t *sb = m + slot * 4096;

			if (round < 100) {	/* all random */
				for (int i = 0; i < 512; i++)
					sb[i] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
			} else {		/* one field word random */
				int at = (int)(((x = x * 1103515245 + 12345) >> 16) % 64) * 8;

				for (int i = 0; i < 8; i++)
					sb[at + i] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
			}
		}
		err = open_pass(&st);
		if (err == 0) {		/* only when both edits missed what counts */
			store_close(st);
			continue;
		}
		assert_true(err == E_PERM || err == E_INVAL || err == E_CRYPTO || err == E_NOENT);
	}
	memcpy(fake_blk_medium(), clean, DEVBYTES);
	assert_int_equal(read_all(1), 0);
	free(clean);
	blk_detach(dev);
}

static void test_hostile(void **state)
{
	(void)state;
	setup_device();
	assert_true(fake_run_in_proc(hostile, 0));
}

static int entropy(void *buf, size_t n)
{
	memset(buf, 9, n);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_wrong_pass),
		cmocka_unit_test(test_no_plaintext),
		cmocka_unit_test(test_flips),
		cmocka_unit_test(test_replay_swap),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_hostile),
	};

	fake_boot(4096, true);
	if (lc_init(entropy) < 0)
		return 1;
	return cmocka_run_group_tests(tests, 0, 0);
}
