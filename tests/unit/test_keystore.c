/*
 * The keystore (core/fs/crypto/keystore.c) and its keys/ctl language
 * (core/fs/crypto/devcrypto_keys.c), called directly from a proc: gen, import
 * (with the RFC 8032 and RFC 7748 known answers for the public parts),
 * delete, rotate; pins across a rotation; delete of a key in use; that
 * every secret is wiped before it is freed (the test hook); the crypto
 * budget running out and coming back; audit records; and hostile ctl
 * lines, listed and random.  Every test ends with no keys, no versions
 * and kalloc back to where it started.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lux/audit.h>
#include <lux/crypto.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/keystore.h>
#include <lux/pebble.h>
#include <lux/proc.h>

#include "fake_arch.h"
#include "proc_test.h"

/* RFC 8032 7.1, TEST 1 */
#define ED_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define ED_PUB "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
/* RFC 7748 6.1, Alice */
#define X_SK "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define X_PUB "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define K32 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* ---- harness: a body in a proc; no keys left, kalloc at its baseline -- */

/* what the body must have let go of */
static void no_keys_left(void)
{
	assert_int_equal(ks_keys(), 0);
	assert_int_equal(ks_versions(), 0);
}

static const struct proc_test_hooks proc_test_hooks_of_this_file = { 0, no_keys_left, 0 };

/* One keys/ctl command; its result, and the error string in errbuf. */
static char errbuf[256];

static long ctl(const char *line)
{
	long r = devcrypto_key_ctl(line, strlen(line));

	snprintf(errbuf, sizeof errbuf, "%s", r < 0 ? proc_errstr((int)r) : "");
	return r;
}

static void ok(const char *line)
{
	long r = ctl(line);

	if (r != (long)strlen(line))
		fail_msg("%s: %ld (%s)", line, r, errbuf);
}

static void refused(const char *line, int err, const char *why)
{
	long r = ctl(line);

	if (r != err || strstr(errbuf, why) == 0)
		fail_msg("\"%s\": want %d \"%s\", got %ld \"%s\"", line, err, why, r, errbuf);
}

/* keys/NAME's text, NUL-terminated. */
static const char *text(const char *name)
{
	static char buf[512];
	long n;
	int id = devcrypto_key_lookup(name);

	assert_true(id >= 0);
	n = devcrypto_key_read(id, buf, sizeof buf - 1, 0);
	assert_true(n > 0);
	buf[n] = 0;
	return buf;
}

static void unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* The hex after "field " in t, into out (n bytes). */
static void field(const char *t, const char *f, uint8_t *out, size_t n)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof key, "\n%s ", f);
	p = strstr(t, key);
	assert_non_null(p);
	unhex(p + strlen(key), out, n);
}

/* ---- the ctl language ------------------------------------------------ */

PROC_TEST(test_gen_every_alg)
{
	static const char *const algs[] = { "ed25519", "x25519", "aead", "mac" };
	char line[64];

	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof line, "gen %s k%d\n", algs[i], i);
		ok(line);
	}
	assert_int_equal(ks_keys(), 4);
	assert_non_null(strstr(text("k0"), "alg ed25519\nversion 1\nexportable no\npublic "));
	assert_non_null(strstr(text("k1"), "alg x25519\n"));
	assert_non_null(strstr(text("k1"), "\npublic "));
	assert_string_equal(text("k2"), "name k2\nalg aead\nversion 1\nexportable no\nuses 0\n");
	assert_string_equal(text("k3"), "name k3\nalg mac\nversion 1\nexportable no\nuses 0\n");
	/* secret material never shows unless exportable */
	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof line, "k%d", i);
		assert_null(strstr(text(line), "secret"));
	}
	/* exportable: the secret is there, the right size */
	ok("gen mac m exportable\n");
	{
		uint8_t k[KS_MACMAX];
		field(text("m"), "secret", k, sizeof k);
		assert_non_null(strstr(text("m"), "exportable yes\n"));
	}
	refused("gen aead k2\n", E_EXIST, "key k2 already exists");
	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof line, "delete k%d", i);	/* no newline: fine too */
		ok(line);
	}
	ok("delete m\n");
}

PROC_TEST(test_import_known_answers)
{
	uint8_t pk[32], seed[32], want[32], sig[64], x[32];
	struct ks_ref *r;
	size_t n;

	ok("import ed ed25519 " ED_SEED " exportable\n");
	field(text("ed"), "public", pk, 32);
	unhex(ED_PUB, want, 32);
	assert_memory_equal(pk, want, 32);	/* RFC 8032's public key */
	field(text("ed"), "secret", seed, 32);	/* exported: the seed back */
	unhex(ED_SEED, want, 32);
	assert_memory_equal(seed, want, 32);
	/* and the secret it holds signs what the public key verifies */
	assert_int_equal(ks_take("ed", KS_ED25519, &r), 0);
	assert_int_equal(lc_ed25519_sign(sig, "", 0, ks_secret(r, &n)), 0);
	assert_int_equal(n, LC_ED25519_SK);
	assert_int_equal(lc_ed25519_verify(sig, "", 0, pk), 0);
	assert_memory_equal(ks_public(r, &n), pk, 32);
	ks_drop(r);

	ok("import x x25519 " X_SK "\n");
	field(text("x"), "public", x, 32);
	unhex(X_PUB, want, 32);
	assert_memory_equal(x, want, 32);	/* RFC 7748's Alice */
	assert_null(strstr(text("x"), "secret"));

	ok("import a aead " K32 "\n");
	assert_int_equal(ks_take("a", KS_AEAD, &r), 0);
	unhex(K32, want, 32);
	assert_memory_equal(ks_secret(r, &n), want, 32);
	assert_int_equal(n, 32);
	assert_null(ks_public(r, &n));
	ks_drop(r);

	ok("import m16 mac 000102030405060708090a0b0c0d0e0f\n");
	ok("import m64 mac " K32 K32 "\n");
	refused("import m15 mac 000102030405060708090a0b0c0d0e\n", E_INVAL, "bad hex");
	refused("import m65 mac " K32 K32 "00\n", E_INVAL, "bad hex");
	refused("import a2 aead " K32 "00\n", E_INVAL, "bad hex");
	refused("import a2 aead 0g02030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
	        E_INVAL, "bad hex");
	refused("import a2 aead 123\n", E_INVAL, "bad hex");
	refused("import a2 rsa " K32 "\n", E_INVAL, "unknown algorithm");
	for (const char *const *k = (const char *const[]){ "ed", "x", "a", "m16", "m64", 0 }; *k; k++)
		assert_int_equal(ks_delete(*k), 0);
}

/* ---- rotation, pins, delete ------------------------------------------ */

PROC_TEST(test_pins_survive_rotation)
{
	struct ks_ref *old, *cur;
	uint8_t oldpk[32], sig[64];
	size_t n;
	uint32_t v;

	ok("gen ed25519 r\n");
	assert_int_equal(ks_take("r", KS_ED25519, &old), 0);
	assert_int_equal(ks_version(old), 1);
	assert_int_equal(ks_current(old), 0);
	memcpy(oldpk, ks_public(old, &n), 32);
	ok("rotate r\n");
	assert_non_null(strstr(text("r"), "version 2\n"));
	assert_int_equal(ks_versions(), 2);	/* the old one is still pinned */
	/* the old pin is untouched: same version, same key, still works */
	assert_int_equal(ks_version(old), 1);
	assert_memory_equal(ks_public(old, &n), oldpk, 32);
	assert_int_equal(lc_ed25519_sign(sig, "m", 1, ks_secret(old, &n)), 0);
	assert_int_equal(lc_ed25519_verify(sig, "m", 1, oldpk), 0);
	assert_int_equal(ks_current(old), E_STALE);
	assert_non_null(strstr(proc_errstr(E_STALE), "key rotated"));
	/* a new pin gets the new version */
	assert_int_equal(ks_take("r", KS_ED25519, &cur), 0);
	assert_int_equal(ks_version(cur), 2);
	assert_int_equal(ks_current(cur), 0);
	assert_memory_not_equal(ks_public(cur, &n), oldpk, 32);
	/* rotate again with both pinned: three versions alive */
	assert_int_equal(ks_rotate("r", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(ks_versions(), 3);
	ks_drop(old);	/* version 1 goes now */
	assert_int_equal(ks_versions(), 2);
	ks_drop(cur);	/* and version 2 */
	assert_int_equal(ks_versions(), 1);
	ok("delete r\n");
}

PROC_TEST(test_delete_in_use)
{
	struct ks_ref *r;
	static char buf[AUDIT_RING * 256];

	ok("gen aead busy\n");
	assert_int_equal(ks_take("busy", KS_AEAD, &r), 0);
	audit_reset();
	refused("delete busy\n", E_INUSE, "key busy is in use");
	assert_true(audit_format(buf, sizeof buf) < sizeof buf);
	assert_non_null(strstr(buf, "key-delete"));
	assert_non_null(strstr(buf, "refused: 1 session holds it"));
	/* rotate is fine while pinned; delete still is not (old version pinned) */
	ok("rotate busy\n");
	refused("delete busy\n", E_INUSE, "in use");
	ks_drop(r);
	ok("delete busy\n");
	refused("delete busy\n", E_NOENT, "no such key busy");
	assert_int_equal(ks_take("busy", KS_AEAD, &r), E_NOENT);
	assert_non_null(strstr(proc_errstr(E_NOENT), "no such key busy"));
	assert_null(r);
	refused("rotate busy\n", E_NOENT, "no such key");
}

PROC_TEST(test_wrong_alg_and_store)
{
	struct ks_ref *r;
	uint8_t k[32] = { 1, 2, 3 };
	size_t n;

	ok("gen mac m\n");
	assert_int_equal(ks_take("m", KS_AEAD, &r), E_INVAL);
	assert_non_null(strstr(proc_errstr(E_INVAL), "key m is not an aead key"));
	assert_int_equal(ks_take("m", KS_X25519, &r), E_INVAL);
	assert_non_null(strstr(proc_errstr(E_INVAL), "key m is not an x25519 key"));
	assert_int_equal(ks_take("nope", KS_MAC, &r), E_NOENT);
	/* reading a key's file pins nothing: delete is not refused after it */
	{
		struct ks_info ki;
		uint8_t sec[KS_MACMAX];
		assert_int_equal(ks_info(ks_lookup("m"), &ki, sec, sizeof sec), 0);
		assert_int_equal(ki.pins, 0);
		assert_int_equal(ki.slen, 0);	/* not exportable: nothing copied */
		assert_string_equal(ki.name, "m");
	}
	assert_int_equal(ks_store("kx.out", KS_AEAD, k, sizeof k, false), 0);
	assert_int_equal(ks_store("kx.out", KS_AEAD, k, sizeof k, false), E_EXIST);
	assert_int_equal(ks_store("../etc", KS_AEAD, k, sizeof k, false), E_INVAL);
	assert_non_null(strstr(proc_errstr(E_INVAL), "bad key name"));
	assert_int_equal(ks_store("short", KS_AEAD, k, 16, false), E_INVAL);
	assert_int_equal(ks_take("kx.out", KS_AEAD, &r), 0);
	assert_memory_equal(ks_secret(r, &n), k, 32);
	assert_string_equal(ks_name(r), "kx.out");
	ks_drop(r);
	assert_int_equal(ks_delete("kx.out"), 0);
	assert_int_equal(ks_delete("m"), 0);
}

/* ---- wipe on free ---------------------------------------------------- */

static int wiped, dirty;

static void on_wipe(const uint8_t *p, size_t n)
{
	wiped++;
	for (size_t i = 0; i < n; i++)
		dirty += p[i] != 0;
}

PROC_TEST(test_wipe_on_free)
{
	struct ks_ref *r;

	ks_test_wipe_hook(on_wipe);
	wiped = dirty = 0;
	ok("import w aead " K32 "\n");
	assert_int_equal(wiped, 1);	/* the staging copy made by import */
	assert_int_equal(ks_take("w", KS_AEAD, &r), 0);
	ok("rotate w\n");
	assert_int_equal(wiped, 1);	/* version 1 is pinned: not yet */
	ks_drop(r);
	assert_int_equal(wiped, 2);	/* now, at its last pin */
	ok("delete w\n");
	assert_int_equal(wiped, 3);	/* version 2 with the key */
	ok("gen ed25519 e\n");
	ok("delete e\n");
	assert_int_equal(wiped, 5);
	assert_int_equal(dirty, 0);	/* every byte was zero before the free */
	ks_test_wipe_hook(0);
}

/* ---- pebbles and audit ----------------------------------------------- */

static int spent_err;

static uint64_t held_crypto(void)
{
	struct budget_info bi;

	budget_snapshot(curproc()->budget, &bi);
	return bi.held.n[PB_CRYPTO];
}

static void small_budget(void *arg)
{
	struct ks_ref *r, *r2;

	(void)arg;
	assert_int_equal(held_crypto(), 0);
	assert_int_equal(ks_take("b", KS_MAC, &r), 0);
	assert_true(held_crypto() > 0);	/* the pin itself */
	for (int i = 0; i < 3; i++)
		assert_int_equal(ks_use(r, "mac", 1000), 0);
	spent_err = ks_use(r, "mac", 2000);	/* over 4096 */
	snprintf(errbuf, sizeof errbuf, "%s", proc_errstr(spent_err));
	/* a second pin still fits; its work does not */
	assert_int_equal(ks_take("b", KS_MAC, &r2), 0);
	assert_int_equal(ks_use(r2, "mac", 4096), E_BUDGET);
	ks_drop(r2);
	ks_drop(r);
	assert_int_equal(held_crypto(), 0);	/* all of it came back */
	/* and the budget works again */
	assert_int_equal(ks_take("b", KS_MAC, &r), 0);
	assert_int_equal(ks_use(r, "mac", 3000), 0);
	ks_drop(r);
}

PROC_TEST(test_budget_exhaustion)
{
	struct pebbles g = { .n = { [PB_CRYPTO] = 4096 } };
	struct proc *p;
	static char buf[AUDIT_RING * 256];	/* not on the proc stack */
	int err;

	ok("gen mac b\n");
	audit_reset();
	p = proc_spawn("small", PRIO_NORMAL, small_budget, 0, 0, &g, &err);
	assert_non_null(p);
	proc_join(p);
	assert_int_equal(spent_err, E_BUDGET);
	assert_non_null(strstr(errbuf, "budget exhausted: crypto"));
	/* every use is an audit record: key, version, what, who; and the refusal */
	assert_true(audit_format(buf, sizeof buf) < sizeof buf);
	assert_non_null(strstr(buf, "(small) key-use obj 0 (b v1): mac 1000 bytes"));
	assert_non_null(strstr(buf, "key-use obj 0 (b v1): refused: mac 2000 bytes: budget exhausted"));
	ok("delete b\n");
}

/* ---- hostile lines ---------------------------------------------------- */

PROC_TEST(test_hostile_lines)
{
	static const struct { const char *line; int err; const char *why; } bad[] = {
		{ "", E_INVAL, "empty command" },
		{ " \t \n", E_INVAL, "empty command" },
		{ "gen", E_INVAL, "gen ALG NAME" },
		{ "gen ed25519", E_INVAL, "gen ALG NAME" },
		{ "gen ed25519 .dot", E_INVAL, "bad key name" },
		{ "gen ed25519 a/b", E_INVAL, "bad key name" },
		{ "gen ed25519 ctl", E_INVAL, "bad key name" },
		{ "gen ed25519 0123456789012345678901234567890123", E_INVAL, "bad key name" },
		{ "gen ed25519 x exportable extra", E_INVAL, "bad arguments" },
		{ "gen ed25519 x exportable extra words", E_INVAL, "too many words" },
		{ "gen ed25519 x secret", E_INVAL, "bad arguments" },
		{ "gen ed255190000000000000000000000 x", E_INVAL, "unknown algorithm" },
		{ "GEN aead x", E_INVAL, "unknown command" },
		{ "import x aead", E_INVAL, "import NAME ALG HEX" },
		{ "import x aead " K32 " exportable no", E_INVAL, "too many words" },
		{ "import x aead " K32 " no", E_INVAL, "bad arguments" },
		{ "import x aead xx", E_INVAL, "bad hex" },
		{ "delete", E_INVAL, "unknown command" },
		{ "delete a b", E_INVAL, "unknown command" },
		{ "rotate ../x", E_INVAL, "bad key name" },
		{ "delete nothere", E_NOENT, "no such key nothere" },
		{ "a b c d e f g h", E_INVAL, "too many words" },
	};
	char line[300];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused(bad[i].line, bad[i].err, bad[i].why);
	/* a NUL inside a word is not a name character */
	assert_int_equal(devcrypto_key_ctl("gen aead a\0b\n", 13), E_INVAL);
	/* random lines of the language's words and junk: refused or done,
	 * never a crash, never more than the table holds */
	srand(9);
	for (int i = 0; i < 3000; i++) {
		static const char *const w[] = {
			"gen", "import", "delete", "rotate", "ed25519", "x25519", "aead", "mac",
			"exportable", "k", "k2", K32, "00", "\xff\x01", "", "ctl", "zz", " ",
		};
		size_t n = 0;
		int nw = rand() % 7;
		for (int j = 0; j < nw && n < 200; j++)
			n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", j ? " " : "",
			                      w[rand() % (int)(sizeof w / sizeof w[0])]);
		long r = devcrypto_key_ctl(line, n);
		assert_true(r == (long)n || r == E_INVAL || r == E_NOENT || r == E_EXIST ||
		            r == E_INUSE || r == E_BUDGET);
		assert_true(ks_keys() <= KS_KEYS);
	}
	/* the random lines named keys after any word: delete what is left */
	for (int i = 0; i < KS_KEYS; i++) {
		struct ks_info ki;
		if (ks_info(i, &ki, 0, 0) == 0)
			assert_int_equal(ks_delete(ki.name), 0);
	}
}

PROC_TEST(test_table_bound_and_reuse)
{
	char line[64], name[KS_NAMELEN];
	int id0;

	for (int i = 0; i < KS_USERKEYS; i++) {
		snprintf(line, sizeof line, "gen aead t%d\n", i);
		ok(line);
	}
	refused("gen aead more\n", E_BUDGET, "budget exhausted: keys 16/16 (eve's)");
	/* a reused slot gets a new id: an old qid is stale */
	id0 = devcrypto_key_lookup("t0");
	ok("delete t0\n");
	assert_int_equal(devcrypto_key_name(id0, name, sizeof name), E_NOENT);
	ok("gen aead t0b\n");
	assert_true(devcrypto_key_lookup("t0b") != id0);
	assert_int_equal(devcrypto_key_name(devcrypto_key_lookup("t0b"), name, sizeof name), 0);
	assert_string_equal(name, "t0b");
	ok("delete t0b\n");
	for (int i = 1; i < KS_USERKEYS; i++) {
		snprintf(line, sizeof line, "delete t%d\n", i);
		ok(line);
	}
}

static void act_as(const char *user)
{
	snprintf(curproc()->cred.user, sizeof curproc()->cred.user, "%s", user);
}

/* Keys are their owner's: another user's key of the same name does not
 * exist for anyone else, and each user has a quota of the table. */
PROC_TEST(test_keys_belong_to_users)
{
	static const char *const users[] = { "u0", "u1", "u2", "u3" };
	char line[64];
	struct ks_ref *r;

	act_as("alice");
	ok("gen aead k exportable\n");
	act_as("bob");
	assert_int_equal(ks_lookup("k"), E_NOENT);	/* invisible */
	assert_int_equal(ks_take("k", KS_AEAD, &r), E_NOENT);	/* unusable */
	refused("delete k\n", E_NOENT, "no such key k");
	refused("rotate k\n", E_NOENT, "no such key k");
	for (int i = 0; i < KS_KEYS; i++) {	/* nothing of alice's to list or read */
		struct ks_info ki;
		assert_int_equal(ks_info(i, &ki, 0, 0), E_NOENT);
		assert_int_equal(ks_slot_id(i), E_NOENT);
	}
	ok("gen aead k\n");			/* bob's own k */
	ok("delete k\n");
	act_as("alice");
	assert_true(ks_lookup("k") >= 0);	/* alice's is untouched */
	ok("delete k\n");
	/* the whole table: four users' quotas fill it */
	for (int u = 0; u < 4; u++) {
		act_as(users[u]);
		for (int i = 0; i < KS_USERKEYS; i++) {
			snprintf(line, sizeof line, "gen aead t%d\n", i);
			ok(line);
		}
	}
	act_as("alice");
	refused("gen aead more\n", E_NOSPC, "all 64 key slots");
	for (int u = 0; u < 4; u++) {
		act_as(users[u]);
		for (int i = 0; i < KS_USERKEYS; i++) {
			snprintf(line, sizeof line, "delete t%d\n", i);
			ok(line);
		}
	}
	act_as("eve");
	assert_int_equal(ks_keys(), 0);
}

static int entropy(void *buf, size_t n)
{
	memset(buf, 7, n);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_every_alg),
		cmocka_unit_test(test_import_known_answers),
		cmocka_unit_test(test_pins_survive_rotation),
		cmocka_unit_test(test_delete_in_use),
		cmocka_unit_test(test_wrong_alg_and_store),
		cmocka_unit_test(test_wipe_on_free),
		cmocka_unit_test(test_budget_exhaustion),
		cmocka_unit_test(test_hostile_lines),
		cmocka_unit_test(test_table_bound_and_reuse),
		cmocka_unit_test(test_keys_belong_to_users),
	};

	fake_boot(1024, false);
	if (lc_init(entropy) < 0)
		return 1;
	return cmocka_run_group_tests(tests, 0, 0);
}
