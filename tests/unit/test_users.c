/*
 * The user table (core/authority/users.c) and the permission check
 * (core/authority/perm.c): the uname language, groups and leaders, authorized
 * keys, hostile lines, and the owner/group/other decision.  Neither needs
 * a proc: the table takes a spinlock, perm_allows takes a cred.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <lux/error.h>
#include <lux/perm.h>
#include <lux/users.h>

#include "fake_arch.h"

static char why[160];

static int run(const char *text)
{
	return users_ctl(text, strlen(text), why, sizeof why);
}

static void ok(const char *text)
{
	int err = run(text);

	if (err != 0)
		fail_msg("%s: %d %s", text, err, why);
}

static void refused(const char *text, int err, const char *sentence)
{
	assert_int_equal(run(text), err);
	assert_string_equal(why, sentence);
}

static char table[8192];

static const char *format(void)
{
	users_format(table, sizeof table);
	return table;
}

static void test_defaults(void **state)
{
	uint32_t id;
	char name[USER_NAMEMAX];

	(void)state;
	users_init(1000);
	assert_string_equal(format(), "1000:eve::\n65534:none::\n");
	assert_int_equal(user_id("eve", &id), 0);
	assert_int_equal(id, 1000);
	assert_int_equal(user_name(65534, name), 0);
	assert_string_equal(name, "none");
	assert_int_equal(user_name(7, name), E_NOENT);
	/* the host owner is nobody: none moves aside */
	users_init(65534);
	assert_string_equal(format(), "65534:eve::\n65533:none::\n");
	users_init(-1);	/* metal: no host users */
	assert_string_equal(format(), "0:eve::\n65534:none::\n");
}

static void test_uname_language(void **state)
{
	(void)state;
	users_init(0);
	ok("uname alice 1001\nuname bob 1002\nuname dev 2000\n");
	ok("uname dev +alice\nuname dev +bob\nuname dev :alice\n");
	assert_string_equal(format(), "0:eve::\n65534:none::\n1001:alice::\n1002:bob::\n"
	                              "2000:dev:alice:alice,bob\n");
	assert_true(user_ingroup("alice", "dev"));
	assert_true(user_ingroup("bob", "dev"));
	assert_true(user_ingroup("bob", "bob"));	/* every user is its group */
	assert_false(user_ingroup("eve", "dev"));
	assert_true(user_leads("alice", "dev"));
	assert_false(user_leads("bob", "dev"));
	ok("uname dev :\n");	/* no leader: every member leads */
	assert_true(user_leads("bob", "dev"));
	ok("uname dev -bob\n");
	assert_false(user_ingroup("bob", "dev"));
	ok("deluser alice\n");
	assert_false(user_exists("alice"));
	assert_false(user_ingroup("alice", "dev"));	/* out of every group */
	assert_string_equal(format(), "0:eve::\n65534:none::\n1002:bob::\n2000:dev::\n");
}

static void test_refusals(void **state)
{
	(void)state;
	users_init(0);
	ok("uname alice 1001\n");
	refused("uname alice 1003\n", E_EXIST, "users: user exists: alice");
	refused("uname carol 1001\n", E_EXIST, "users: id in use: 1001");
	refused("uname carol -5\n", E_NOENT, "users: no such user: carol");
	refused("uname carol x5\n", E_INVAL, "users: want a numeric id 0..4294967294: x5");
	refused("uname carol 99999999999\n", E_INVAL, "users: want a numeric id 0..4294967294: 99999999999");
	refused("uname ../x 5\n", E_INVAL, "users: bad user name: ../x");
	refused("uname nobody +alice\n", E_NOENT, "users: no such user: nobody");
	refused("uname alice +nobody\n", E_NOENT, "users: no such user: nobody");
	refused("uname alice -bob\n", E_NOENT, "users: no such user: bob");
	refused("deluser eve\n", E_PERM, "users: cannot delete: eve");
	refused("deluser none\n", E_PERM, "users: cannot delete: none");
	refused("frobnicate\n", E_SYNTAX,
	        "users: want uname NAME ID|:LEADER|+MEMBER|-MEMBER, deluser NAME, "
	        "quota NAME BYTES|default, "
	        "authkey NAME +HEX|-HEX or knownhost ADDR +HEX|-HEX");
	refused("uname a b c d e\n", E_SYNTAX, "users: too many words");
	assert_int_equal(users_ctl("uname x\0 5\n", 11, why, sizeof why), E_SYNTAX);
	/* a bad line stops the rest: carol is not made */
	assert_int_equal(run("bad line\nuname carol 1005\n"), E_SYNTAX);
	assert_false(user_exists("carol"));
	/* the table is bounded */
	for (int i = 0; i < USERS_MAX - 3; i++) {
		char line[64];
		snprintf(line, sizeof line, "uname u%d %d\n", i, 5000 + i);
		ok(line);
	}
	refused("uname last 9999\n", E_NOSPC, "users: table full (64 users): last");
}

static void test_authorized_keys(void **state)
{
	static const char k1[] = "0101010101010101010101010101010101010101010101010101010101010101";
	uint8_t pk[32];
	char line[160], list[512];

	(void)state;
	users_init(0);
	ok("uname alice 1001\n");
	snprintf(line, sizeof line, "authkey alice +%s\n", k1);
	ok(line);
	ok(line);	/* twice is once */
	memset(pk, 1, sizeof pk);
	assert_true(user_key_ok("alice", pk));
	assert_false(user_key_ok("eve", pk));
	pk[31] = 2;
	assert_false(user_key_ok("alice", pk));
	users_keys_format(list, sizeof list);
	snprintf(line, sizeof line, "alice %s\n", k1);
	assert_string_equal(list, line);
	refused("authkey alice +0101\n", E_INVAL, "users: want authkey NAME +HEX or -HEX (64 hex digits)");
	refused("authkey bob +0101010101010101010101010101010101010101010101010101010101010101\n",
	        E_NOENT, "users: no such user: bob");
	snprintf(line, sizeof line, "authkey alice -%s\n", k1);
	ok(line);
	memset(pk, 1, sizeof pk);
	assert_false(user_key_ok("alice", pk));
}

static void test_permission(void **state)
{
	struct cred alice = { "alice", 0 }, bob = { "bob", 0 }, eve_ = { "eve", 0 },
	            none_ = { "none", 0 };

	(void)state;
	users_init(0);
	ok("uname alice 1001\nuname bob 1002\nuname dev 2000\nuname dev +bob\n");
	/* owner bits, group bits, other bits: the first that applies decides */
	assert_true(perm_allows(&alice, "alice", "dev", 0600, AREAD | AWRITE));
	assert_false(perm_allows(&bob, "alice", "dev", 0600, AREAD));
	assert_true(perm_allows(&bob, "alice", "dev", 0640, AREAD));
	assert_false(perm_allows(&bob, "alice", "dev", 0640, AWRITE));
	assert_false(perm_allows(&none_, "alice", "dev", 0640, AREAD));
	assert_true(perm_allows(&none_, "alice", "dev", 0644, AREAD));
	assert_false(perm_allows(&none_, "alice", "dev", 0644, AWRITE));
	/* the owner's bits are the owner's even when others get more */
	assert_false(perm_allows(&alice, "alice", "dev", 0077, AREAD));
	/* no superuser for a file's contents */
	assert_false(perm_allows(&eve_, "alice", "dev", 0600, AREAD));
	assert_false(perm_allows(&eve_, "eve", "eve", 0400, AWRITE));
	/* but the names are the host owner's: any directory, as root's */
	assert_true(perm_allows(&eve_, "alice", "dev", DMDIR | 0700, AREAD | AWRITE | AEXEC));
	assert_false(perm_allows(&bob, "alice", "dev", DMDIR | 0755, AWRITE));
	/* "" is eve's (devices that keep no owner) */
	assert_true(perm_allows(&eve_, "", "", 0600, AREAD | AWRITE));
	assert_false(perm_allows(&bob, "", "", 0660, AREAD));
	/* search */
	assert_true(perm_allows(&bob, "alice", "dev", DMDIR | 0710, AEXEC));
	assert_false(perm_allows(&none_, "alice", "dev", DMDIR | 0710, AEXEC));
	assert_int_equal(perm_access(OREAD), AREAD);
	assert_int_equal(perm_access(ORDWR), AREAD | AWRITE);
	assert_int_equal(perm_access(OREAD | OTRUNC), AREAD | AWRITE);
	assert_int_equal(perm_access(OEXEC), AEXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_uname_language),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_authorized_keys),
		cmocka_unit_test(test_permission),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
