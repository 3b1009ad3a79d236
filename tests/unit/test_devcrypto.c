/*
 * The crypto device (core/fs/crypto/devcrypto.c, devcrypto_sess.c) through the
 * file interface: sys_* in a proc whose namespace has /secure mounted as
 * core/kern/main.c mounts it (the harness is test_ramfs.c's).
 *
 * The KATs are FIPS 180-4's SHA-256("abc") and SHA-512("abc"), RFC 7693's
 * BLAKE2b-512("abc"), and each algorithm's empty message.  Then: a
 * message split over writes and opens equals the one-shot digest, the
 * ORDWR write-then-read, re-reads, OTRUNC, isolation between procs, the
 * kernel-wide session bound, and that a proc's exit frees its sessions
 * (kalloc's live counts return to the baseline).
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
#include <lux/proc.h>
#include <lux/sysfile.h>

#include "fake_arch.h"
#include "proc_test.h"

#define SHA256 "/secure/crypto/hash/sha256"
#define SHA512 "/secure/crypto/hash/sha512"
#define BLAKE2B "/secure/crypto/hash/blake2b"
#define RANDOM "/secure/crypto/random"

static const char *const paths[3] = { SHA256, SHA512, BLAKE2B };

static const char *const kat_abc[3] = {
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f\n",
	"ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
	"7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923\n",
};

static const char *const kat_empty[3] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
	"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e\n",
	"786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
	"d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce\n",
};

/* ---- the harness: a body in a proc with a fresh namespace ------------- */

static void build_namespace(void)
{
	fake_namespace();
	fake_mount(&crypto_dev, "/secure");
	assert_int_equal(devcrypto_sessions(), 0);
}

/* Drop our own sessions through the file interface: OTRUNC frees them. */
static void truncate_all(void)
{
	for (int i = 0; i < 3; i++) {
		int fd = sys_open(paths[i], OWRITE | OTRUNC);
		assert_true(fd >= 0);
		assert_int_equal(sys_close(fd), 0);
	}
	assert_int_equal(devcrypto_sessions(), 0);
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
	build_namespace, truncate_all, drop_namespace
};

/* ---- helpers (called inside a proc) ----------------------------------- */

static void put(const char *path, int mode, const void *data, size_t n)
{
	int fd = sys_open(path, mode);

	if (fd < 0)
		fail_msg("open %s: %s", path, lux_errstr(fd));
	assert_int_equal(sys_write(fd, data, n), (long)n);
	assert_int_equal(sys_close(fd), 0);
}

/* Read the whole file into buf (NUL-terminated); returns its length. */
static size_t get(const char *path, char *buf, size_t size)
{
	int fd = sys_open(path, OREAD);
	size_t len = 0;
	long n;

	if (fd < 0)
		fail_msg("open %s: %s", path, lux_errstr(fd));
	while ((n = sys_read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal(sys_close(fd), 0);
	buf[len] = 0;
	return len;
}

static void expect(const char *path, const char *want)
{
	char buf[256];

	get(path, buf, sizeof buf);
	assert_string_equal(buf, want);
}

/* ---- the tests -------------------------------------------------------- */

PROC_TEST(test_kat_abc)
{
	for (int i = 0; i < 3; i++) {
		put(paths[i], OWRITE, "abc", 3);
		expect(paths[i], kat_abc[i]);
		expect(paths[i], kat_abc[i]);	/* a new open re-reads it */
	}
}

PROC_TEST(test_kat_empty)
{
	for (int i = 0; i < 3; i++) {
		expect(paths[i], kat_empty[i]);		/* nothing written */
		assert_int_equal(devcrypto_sessions(), 0);	/* and nothing held */
		put(paths[i], OWRITE, "abc", 3);
		truncate_all();				/* `>` with no output */
		expect(paths[i], kat_empty[i]);
	}
}

PROC_TEST(test_multi_write_equals_one_shot)
{
	static uint8_t msg[100000];
	uint8_t dig[LC_HASH_MAX];
	char want[2 * LC_HASH_MAX + 2];
	int fd;

	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7 + i / 251);
	for (int a = 0; a < 3; a++) {
		/* "abc" over three opens */
		put(paths[a], OWRITE, "a", 1);
		put(paths[a], OWRITE, "b", 1);
		put(paths[a], ORDWR, "c", 1);
		expect(paths[a], kat_abc[a]);
		/* 100000 bytes in uneven writes through one fid */
		fd = sys_open(paths[a], OWRITE);
		assert_true(fd >= 0);
		for (size_t off = 0, k = 1; off < sizeof msg; off += k, k = k * 3 % 4093 + 1) {
			size_t n = off + k > sizeof msg ? sizeof msg - off : k;
			assert_int_equal(sys_write(fd, msg + off, n), (long)n);
		}
		assert_int_equal(sys_close(fd), 0);
		assert_int_equal(lc_hash((enum lc_hash_alg)a, msg, sizeof msg, dig), 0);
		for (size_t i = 0; i < lc_hash_len((enum lc_hash_alg)a); i++)
			snprintf(want + 2 * i, 3, "%02x", dig[i]);
		strcat(want, "\n");
		expect(paths[a], want);
	}
}

PROC_TEST(test_ordwr_write_then_read)
{
	char buf[256];
	long n;
	int fd = sys_open(SHA512, ORDWR);

	assert_true(fd >= 0);
	assert_int_equal(sys_write(fd, "ab", 2), 2);
	assert_int_equal(sys_write(fd, "c", 1), 1);
	n = sys_read(fd, buf, 10);	/* from the write offset: the text's start */
	assert_int_equal(n, 10);
	assert_memory_equal(buf, kat_abc[1], 10);
	n = sys_read(fd, buf + 10, sizeof buf - 10);	/* the rest */
	assert_int_equal(n, 129 - 10);
	assert_memory_equal(buf, kat_abc[1], 129);
	assert_int_equal(sys_read(fd, buf, sizeof buf), 0);	/* then EOF */
	/* writing again starts a new message, read the same way */
	assert_int_equal(sys_write(fd, "abc", 3), 3);
	assert_int_equal(sys_read(fd, buf, sizeof buf), 129);
	assert_memory_equal(buf, kat_abc[1], 129);
	assert_int_equal(sys_close(fd), 0);
}

static volatile bool release;
static volatile int written;
static int child_err[32];

/* A child: its own sessions (it shares our namespace and fds). */
static void isolated_child(void *arg)
{
	(void)arg;
	expect(SHA256, kat_empty[0]);	/* does not see the parent's "abc" */
	put(SHA256, OWRITE, "xyz", 3);
}

PROC_TEST(test_isolation_between_procs)
{
	struct proc *c;

	put(SHA256, OWRITE, "ab", 2);	/* pending, not finished */
	c = proc_create("other", PRIO_NORMAL, isolated_child, 0, 0);
	assert_non_null(c);
	proc_join(c);
	put(SHA256, OWRITE, "c", 1);	/* the child's "xyz" did not land here */
	expect(SHA256, kat_abc[0]);
	/* the child's finished session did not outlive it either */
	assert_int_equal(devcrypto_sessions(), 1);
}

/* Holders per user: holder i is user "h<i / per_user>". */
static int per_user = 1;

/* A child that holds one session per algorithm until released. */
static void holder(void *arg)
{
	int i = (int)(intptr_t)arg;

	snprintf(curproc()->cred.user, sizeof curproc()->cred.user, "h%d", i / per_user);
	child_err[i] = 0;
	for (int a = 0; a < 3; a++) {
		int fd = sys_open(paths[a], OWRITE);
		long r = sys_write(fd, "x", 1);
		sys_close(fd);
		if (r < 0)
			child_err[i] = (int)r;
	}
	written++;
	while (!release)
		proc_yield();
}

PROC_TEST(test_bound_and_exit_cleanup)
{
	enum { N = 22 };	/* 66 sessions wanted, DEVCRYPTO_SESSIONS = 64 */
	struct kalloc_stats base, now;
	struct proc *p[N];
	int refused = 0;

	_Static_assert(3 * N > DEVCRYPTO_SESSIONS && 3 * (N - 1) < DEVCRYPTO_SESSIONS + 3,
	               "N must just overflow the table");
	kalloc_stats(&base);
	release = false;
	written = 0;
	per_user = 5;	/* 15 sessions a user: within DEVCRYPTO_SESSIONS_PER_USER */
	for (int i = 0; i < N; i++) {
		/* an empty grant, as the 9P server gives its procs */
		static const struct pebbles none;
		int err;
		p[i] = proc_spawn("holder", PRIO_NORMAL, holder, (void *)(intptr_t)i, 0, &none, &err);
		if (p[i] == 0)
			fail_msg("holder %d: %s", i, lux_errstr(err));
	}
	while (written < N)
		proc_yield();
	assert_int_equal(devcrypto_sessions(), DEVCRYPTO_SESSIONS);
	for (int i = 0; i < N; i++)
		if (child_err[i])
			assert_int_equal(child_err[i], E_NOSPC), refused++;
	assert_int_equal(refused, 1);	/* the last holder got 1 of its 3 */
	release = true;
	for (int i = 0; i < N; i++)
		proc_join(p[i]);
	assert_int_equal(devcrypto_sessions(), 0);	/* exit freed them all */
	kalloc_stats(&now);
	assert_int_equal(now.live_objects, base.live_objects);
	assert_int_equal(now.live_bytes, base.live_bytes);
	/* and the table works again */
	put(SHA256, OWRITE, "abc", 3);
	expect(SHA256, kat_abc[0]);
}

/* One user's procs hold at most a quarter of the table: 22 connections
 * of none (every unauthenticated 9P client) took all 64 hash sessions, and
 * nobody else could hash (tests/attacks/i_hash_sessions.py). */
PROC_TEST(test_share_per_user)
{
	enum { N = 6 };	/* 18 sessions wanted by one user */
	static const struct pebbles none;
	struct proc *p[N];
	int refused = 0, err;

	release = false;
	written = 0;
	per_user = N;
	for (int i = 0; i < N; i++)
		if ((p[i] = proc_spawn("holder", PRIO_NORMAL, holder, (void *)(intptr_t)i, 0, &none,
		                       &err)) == 0)
			fail_msg("holder %d: %s", i, lux_errstr(err));
	while (written < N)
		proc_yield();
	assert_int_equal(devcrypto_sessions(), DEVCRYPTO_SESSIONS_PER_USER);
	for (int i = 0; i < N; i++)
		if (child_err[i])
			assert_int_equal(child_err[i], E_BUDGET), refused++;
	assert_int_equal(refused, 1);	/* the last holder got 1 of its 3 */
	put(SHA256, OWRITE, "abc", 3);	/* another user still hashes */
	expect(SHA256, kat_abc[0]);
	release = true;
	for (int i = 0; i < N; i++)
		proc_join(p[i]);
}

/* random is a stream: every read is filled, however large and however
 * far the offset has run, and never ends. */
PROC_TEST(test_random)
{
	static uint8_t big[1 << 20], zero[1 << 20];
	char a[64], b[64];
	int fd;

	fd = sys_open(RANDOM, OREAD);
	assert_true(fd >= 0);
	assert_int_equal(sys_read(fd, a, sizeof a), sizeof a);
	assert_int_equal(sys_read(fd, b, sizeof b), sizeof b);
	assert_memory_not_equal(a, b, sizeof a);	/* fresh bytes each read */
	/* 1 MiB in one read, four times over (well past the 4 KiB it once
	 * stopped at), each filled to the end */
	for (int i = 0; i < 4; i++) {
		memset(big, 0, sizeof big);
		assert_int_equal(sys_read(fd, big, sizeof big), sizeof big);
		assert_memory_not_equal(big + sizeof big - 64, zero, 64);
	}
	assert_int_equal(sys_close(fd), 0);
	assert_int_equal(sys_open(RANDOM, OWRITE), E_PERM);
	assert_int_equal(devcrypto_sessions(), 0);
}

PROC_TEST(test_errors)
{
	char buf[16];
	int fd;

	assert_int_equal(sys_open("/secure/crypto/hash/md5", OREAD), E_NOENT);
	assert_int_equal(sys_create("/secure/crypto/hash/md5", OWRITE, 0666), E_PERM);
	assert_int_equal(sys_remove(SHA256), E_PERM);
	assert_int_equal(sys_open("/secure/crypto/hash", OWRITE), E_PERM);
	fd = sys_open("/secure/crypto", OREAD);
	assert_true(fd >= 0);
	assert_true(sys_read(fd, buf, sizeof buf) < 0);
	assert_int_equal(sys_close(fd), 0);
	assert_int_equal(sys_open(SHA256, OEXEC), E_PERM);
}

static void ctl(const char *cmd, long want)
{
	int fd = sys_open("/secure/crypto/keys/ctl", OWRITE);

	assert_true(fd >= 0);
	assert_int_equal(sys_write(fd, cmd, strlen(cmd)), want);
	assert_int_equal(sys_close(fd), 0);
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

#define KEYHEAD "name host\nalg ed25519\nversion 1\nexportable no\npublic "

/* Keys are kernel-wide: this test makes all of them, so it runs once,
 * last (tests/unit/test_keystore.c covers delete and rotate). */
PROC_TEST(test_keys)
{
	char text[256], want[64], name[32];
	uint8_t pk[LC_ED25519_PK], sig[LC_ED25519_SIG];
	struct ks_ref *ref;
	struct lux_dir d;
	size_t sklen;
	int fd;

	/* the shell's echo writes a command word by word: one line counts */
	fd = sys_open("/secure/crypto/keys/ctl", OWRITE);
	assert_true(fd >= 0);
	assert_int_equal(sys_write(fd, "gen", 3), 3);
	assert_int_equal(sys_write(fd, " ed25519 host", 13), 13);
	assert_int_equal(sys_write(fd, "\n", 1), 1);
	assert_int_equal(sys_write(fd, "gen ed25519 host\n", 17), E_EXIST);
	assert_int_equal(sys_close(fd), 0);
	get("/secure/crypto/keys/host", text, sizeof text);
	assert_int_equal(strncmp(text, KEYHEAD, strlen(KEYHEAD)), 0);
	assert_int_equal(strlen(text), strlen(KEYHEAD) + 64 + 1 + strlen("uses 0\n"));
	assert_string_equal(text + strlen(KEYHEAD) + 65, "uses 0\n");
	/* the public key read from the file verifies what the secret signs */
	assert_int_equal(unhex(text + strlen(KEYHEAD), pk, sizeof pk), 0);
	assert_true(devcrypto_key_lookup("host") >= 0);
	assert_int_equal(ks_take("host", KS_ED25519, &ref), 0);
	assert_int_equal(lc_ed25519_sign(sig, "abc", 3, ks_secret(ref, &sklen)), 0);
	assert_int_equal(sklen, LC_ED25519_SK);
	ks_drop(ref);
	assert_int_equal(lc_ed25519_verify(sig, "abc", 3, pk), 0);
	assert_int_equal(lc_ed25519_verify(sig, "abd", 3, pk), -1);
	/* refusals */
	ctl("gen rsa x\n", E_INVAL);
	ctl("make ed25519 x\n", E_INVAL);
	ctl("gen ed25519 ctl\n", E_INVAL);
	ctl("gen ed25519 a/b\n", E_INVAL);
	ctl("gen ed25519 a b\n", E_INVAL);
	ctl("gen ed25519 0123456789012345678901234567890123\n", E_INVAL);
	assert_int_equal(sys_open("/secure/crypto/keys/host", OWRITE), E_PERM);
	assert_int_equal(sys_open("/secure/crypto/keys/ctl", OREAD), E_PERM);
	assert_int_equal(sys_open("/secure/crypto/keys/nokey", OREAD), E_NOENT);
	/* the bound: KS_USERKEYS of one user's, then "budget exhausted" */
	for (int i = 1; i < KS_USERKEYS; i++) {
		snprintf(want, sizeof want, "gen ed25519 k%d\n", i);
		ctl(want, (long)strlen(want));
	}
	ctl("gen ed25519 onemore\n", E_BUDGET);
	/* listing: ctl, then every key */
	fd = sys_open("/secure/crypto/keys", OREAD);
	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);
	for (int i = 1; i < KS_USERKEYS; i++) {
		snprintf(name, sizeof name, "/secure/crypto/keys/k%d", i);
		assert_int_equal(sys_stat(name, &d), 0);
		snprintf(name, sizeof name, "k%d", i);
		assert_string_equal(d.name, name);
	}
	/* keys are kmalloc'd now: delete them all, back to the baseline */
	for (int i = 1; i < KS_USERKEYS; i++) {
		snprintf(want, sizeof want, "delete k%d\n", i);
		ctl(want, (long)strlen(want));
	}
	ctl("delete host\n", 12);
	assert_int_equal(ks_keys(), 0);
	assert_int_equal(ks_versions(), 0);
}

/* Open sign/clone: the session number, with the clone fd left open in *fd. */
static int clone_sign(int *fd)
{
	char buf[16];
	long n;

	*fd = sys_open("/secure/crypto/sign/clone", OREAD);
	if (*fd < 0)
		return *fd;
	n = sys_read(*fd, buf, sizeof buf - 1);
	assert_true(n > 1);
	buf[n] = 0;
	assert_int_equal(buf[n - 1], '\n');
	return atoi(buf);
}

static void session_path(char *out, size_t size, int id, const char *file)
{
	snprintf(out, size, "/secure/crypto/sign/%d/%s", id, file);
}

static int other_id;
static long other_result;

static void sign_intruder(void *arg)
{
	char path[64];

	(void)arg;
	session_path(path, sizeof path, other_id, "data");
	other_result = sys_open(path, OREAD);
	/* and its own sessions go with it when it exits */
	int fd, id = clone_sign(&fd);
	assert_true(id > 0);
	sys_close(fd);
}

static void sign_late(void *arg)
{
	int fd;

	(void)arg;
	other_result = clone_sign(&fd);
}

static void sign_holder(void *arg)
{
	int fd;

	(void)arg;
	/* a user of its own: one user's procs may hold only a quarter of
	 * the table (DEVCRYPTO_CLONES_PER_USER), and this fills all of it */
	snprintf(curproc()->cred.user, sizeof curproc()->cred.user, "s%d", curproc()->pid);
	for (int i = 0; i < DEVCRYPTO_SIGNS_PER_PROC; i++)
		if (clone_sign(&fd) > 0)
			sys_close(fd);
}

static long write_to(const char *path, const char *data, size_t n)
{
	int fd = sys_open(path, OWRITE);
	long r;

	if (fd < 0)
		return fd;
	r = sys_write(fd, data, n);
	sys_close(fd);
	return r;
}

/* Makes its own key "host" and deletes it at the end. */
PROC_TEST(test_sign)
{
	enum { NP = DEVCRYPTO_SIGNS / DEVCRYPTO_SIGNS_PER_PROC };
	char path[64], text[256];
	uint8_t pk[LC_ED25519_PK], sig[LC_ED25519_SIG];
	struct kalloc_stats base, now;
	static char big[DEVCRYPTO_SIGNMAX + 1];
	struct proc *p[NP];
	int fd, id, d;
	static const struct pebbles none;
	int err;

	kalloc_stats(&base);
	ctl("gen ed25519 host\n", 17);
	get("/secure/crypto/keys/host", text, sizeof text);
	assert_int_equal(unhex(text + strlen(KEYHEAD), pk, sizeof pk), 0);
	id = clone_sign(&fd);
	assert_true(id > 0);
	assert_int_equal(sys_close(fd), 0);	/* the session outlives the clone fd */
	assert_int_equal(devcrypto_signs(), 1);
	/* no key yet: reading data fails clearly */
	session_path(path, sizeof path, id, "data");
	d = sys_open(path, ORDWR);
	assert_true(d >= 0);
	assert_int_equal(sys_write(d, "abc", 3), 3);
	assert_int_equal(sys_read(d, text, sizeof text), E_INVAL);
	session_path(path, sizeof path, id, "ctl");
	assert_int_equal(write_to(path, "key nokey\n", 10), E_NOENT);
	assert_int_equal(write_to(path, "bogus\n", 6), E_INVAL);
	assert_int_equal(write_to(path, "key ", 4), 4);	/* line-buffered */
	assert_int_equal(write_to(path, "host\n", 5), 5);
	/* write-then-read on one ORDWR fid: the signature of "abc" */
	assert_int_equal(sys_read(d, text, sizeof text), 129);
	assert_int_equal(text[128], '\n');
	assert_int_equal(unhex(text, sig, sizeof sig), 0);
	assert_int_equal(lc_ed25519_verify(sig, "abc", 3, pk), 0);
	assert_int_equal(sys_close(d), 0);
	/* a new write is a new message; > truncates */
	session_path(path, sizeof path, id, "data");
	put(path, OWRITE | OTRUNC, "x", 1);
	put(path, OWRITE, "yz", 2);
	get(path, text, sizeof text);
	assert_int_equal(unhex(text, sig, sizeof sig), 0);
	assert_int_equal(lc_ed25519_verify(sig, "xyz", 3, pk), 0);
	/* the message bound */
	put(path, OWRITE | OTRUNC, big, DEVCRYPTO_SIGNMAX);
	assert_int_equal(write_to(path, "!", 1), E_TOOBIG);
	get(path, text, sizeof text);
	assert_int_equal(unhex(text, sig, sizeof sig), 0);
	assert_int_equal(lc_ed25519_verify(sig, big, DEVCRYPTO_SIGNMAX, pk), 0);
	/* isolation: another proc cannot reach our session */
	other_id = id;
	p[0] = proc_create("intruder", PRIO_NORMAL, sign_intruder, 0, 0);
	assert_non_null(p[0]);
	proc_join(p[0]);
	assert_int_equal(other_result, E_NOENT);
	assert_int_equal(devcrypto_signs(), 1);	/* the intruder's went with it */
	/* per-proc bound: we hold 1, may open 3 more, not a 5th */
	for (int i = 1; i < DEVCRYPTO_SIGNS_PER_PROC; i++) {
		assert_true(clone_sign(&fd) > 0);
		sys_close(fd);
	}
	assert_int_equal(clone_sign(&fd), E_NOSPC);
	/* kernel-wide bound: NP - 1 more procs fill the table, one more is refused */
	for (int i = 0; i < NP - 1; i++) {
		p[i] = proc_spawn("signer", PRIO_NORMAL, sign_holder, 0, 0, &none, &err);
		assert_non_null(p[i]);
	}
	while (devcrypto_signs() < DEVCRYPTO_SIGNS)
		proc_yield();
	assert_int_equal(devcrypto_signs(), DEVCRYPTO_SIGNS);
	{
		struct proc *late = proc_spawn("late", PRIO_NORMAL, sign_late, 0, 0, &none, &err);
		assert_non_null(late);
		proc_join(late);
		assert_int_equal(other_result, E_NOSPC);	/* the table is full */
	}
	for (int i = 0; i < NP - 1; i++)
		proc_join(p[i]);
	assert_int_equal(devcrypto_signs(), DEVCRYPTO_SIGNS_PER_PROC);	/* ours */
	/* close them all through ctl: back to the baseline */
	for (uint32_t n = (uint32_t)id; devcrypto_signs() > 0 && n < (uint32_t)id + 64; n++) {
		session_path(path, sizeof path, (int)n, "ctl");
		write_to(path, "close\n", 6);
	}
	assert_int_equal(devcrypto_signs(), 0);
	ctl("delete host\n", 12);	/* nothing pins it now */
	kalloc_stats(&now);
	assert_int_equal(now.live_objects, base.live_objects);
	assert_int_equal(now.live_bytes, base.live_bytes);
}

static int entropy(void *buf, size_t n)
{
	memset(buf, 7, n);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat_abc),
		cmocka_unit_test(test_kat_empty),
		cmocka_unit_test(test_multi_write_equals_one_shot),
		cmocka_unit_test(test_ordwr_write_then_read),
		cmocka_unit_test(test_isolation_between_procs),
		cmocka_unit_test(test_bound_and_exit_cleanup),
		cmocka_unit_test(test_share_per_user),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_sign),
	};

	fake_boot(1024, false);
	if (lc_init(entropy) < 0)
		return 1;
	return cmocka_run_group_tests(tests, 0, 0);
}
