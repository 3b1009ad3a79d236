/*
 * Tokens over 9P, the pure parts: folding a token's caveats for the
 * server (core/9p/srv/srv_token.c), the rights each message needs, and the
 * minting rules of /adm/tokens (core/authority/tokens.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include <cmocka.h>

#include "9p/srv/9psrv.h"
#include <lux/captoken.h>
#include <lux/crypto.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/users.h>

#include "fake_arch.h"

static const uint8_t key0[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static int entropy(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

static int setup(void **state)
{
	char why[128];

	(void)state;
	captoken_init_key(key0);
	users_init(1000);
	assert_int_equal(users_ctl("uname alice 1001\nuname bob 1002\n", 32, why, sizeof why), 0);
	return 0;
}

/* A token for object with the given PATH caveats, folded. */
static int fold(struct ninep_caveats *c, const char *const *paths, size_t n, uint32_t rights)
{
	uint8_t tok[CT_WIRE_MAX];
	struct ct_grant g;
	struct ct_cap cap;
	size_t len;

	assert_int_equal(captoken_mint(7, rights, &cap, tok, sizeof tok, &len), CT_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(captoken_attenuate(tok, len, CT_CAV_PATH, paths[i], strlen(paths[i]),
		                                    tok, sizeof tok, &len), CT_OK);
	g = (struct ct_grant){ .object = 7, .rights = rights, .expiry_ns = 99, .cap = cap };
	return ninep_caveats_fold(c, &g, tok, len);
}

static void test_fold_and_within(void **state)
{
	static const char *const one[] = { "/tmp/a" };
	static const char *const nested[] = { "/tmp", "/tmp/a/b", "/tmp/a" };
	static const char *const disjoint[] = { "/tmp/a", "/tmp/b" };
	static const char *const root[] = { "/" };
	struct ninep_caveats c;

	(void)state;
	assert_int_equal(fold(&c, 0, 0, CT_R_READ), CT_OK);
	assert_string_equal(c.prefix, "");
	assert_int_equal(c.rights, CT_R_READ);
	assert_int_equal(c.expiry_ns, 99);
	assert_true(ninep_caveats_within(&c, ""));
	assert_true(ninep_caveats_within(&c, "/anything"));

	assert_int_equal(fold(&c, one, 1, CT_R_ALL), CT_OK);
	assert_string_equal(c.prefix, "/tmp/a");
	assert_true(ninep_caveats_within(&c, "/tmp/a"));
	assert_true(ninep_caveats_within(&c, "/tmp/a/x/y"));
	assert_false(ninep_caveats_within(&c, "/tmp/ab"));
	assert_false(ninep_caveats_within(&c, "/tmp"));
	assert_false(ninep_caveats_within(&c, ""));	/* the root */

	assert_int_equal(fold(&c, nested, 3, CT_R_ALL), CT_OK);	/* the longest rules */
	assert_string_equal(c.prefix, "/tmp/a/b");
	assert_false(ninep_caveats_within(&c, "/tmp/a"));
	assert_true(ninep_caveats_within(&c, "/tmp/a/b/c"));

	assert_int_equal(fold(&c, disjoint, 2, CT_R_ALL), CT_EPATH);	/* nothing is in both */
	assert_false(ninep_caveats_within(&c, "/tmp/a"));
	assert_false(ninep_caveats_within(&c, "/tmp/b"));

	assert_int_equal(fold(&c, root, 1, CT_R_ALL), CT_OK);
	assert_true(ninep_caveats_within(&c, ""));
	assert_true(ninep_caveats_within(&c, "/x"));
	assert_true(ninep_caveats_within(0, "/x"));	/* no token: no bound */
}

static void test_rights_per_message(void **state)
{
	struct p9_msg t = { 0 };

	(void)state;
	t.type = P9_TWALK;
	assert_int_equal(ninep_token_rights(&t), 0);
	t.type = P9_TREAD;
	assert_int_equal(ninep_token_rights(&t), CT_R_READ);
	t.type = P9_TOPEN;
	t.u.topen.mode = OREAD;
	assert_int_equal(ninep_token_rights(&t), CT_R_READ);
	t.u.topen.mode = OREAD | OTRUNC;
	assert_int_equal(ninep_token_rights(&t), CT_R_READ | CT_R_WRITE);
	t.u.topen.mode = OREAD | P9_ORCLOSE;
	assert_int_equal(ninep_token_rights(&t), CT_R_READ | CT_R_REMOVE);
	t.type = P9_TLOPEN;
	t.u.tlopen.flags = 2;	/* O_RDWR */
	assert_int_equal(ninep_token_rights(&t), CT_R_READ | CT_R_WRITE);
	const uint8_t change[] = { P9_TWRITE, P9_TCREATE, P9_TLCREATE, P9_TREMOVE, P9_TUNLINKAT,
	                           P9_TWSTAT, P9_TSETATTR, P9_TRENAME, P9_TRENAMEAT, P9_TMKDIR,
	                           P9_TSYMLINK, P9_TLINK, P9_TLOCK, P9_TXATTRCREATE };
	for (size_t i = 0; i < sizeof change; i++) {
		memset(&t, 0, sizeof t);
		t.type = change[i];
		/* a read-only token (read, exec) lacks something each needs */
		assert_true(ninep_token_rights(&t) & ~(uint32_t)(CT_R_READ | CT_R_EXEC));
	}
}

static int mint(const char *cmd, const char *caller, bool via_token, char *text, char *why)
{
	char line[256];

	strcpy(line, cmd);
	return tokens_mint(line, caller, via_token, 1000, text, CT_TEXT_MAX, why, 160);
}

static void test_mint_rules(void **state)
{
	char text[CT_TEXT_MAX], why[160];
	uint8_t tok[CT_WIRE_MAX];
	struct ct_request req = { .object = USER_TOKEN_OBJECT(1001), .rights = CT_R_READ,
	                          .path = "/tmp/a/f", .now_ns = 1000 };
	struct ct_view v;
	size_t len;

	(void)state;
	assert_int_equal(mint("mint ro path /tmp/a/ expiry 5", "alice", false, text, why), 0);
	assert_int_equal(captoken_from_text(text, strlen(text), tok, sizeof tok, &len), CT_OK);
	assert_int_equal(captoken_decode(tok, len, &v), CT_OK);
	assert_int_equal(v.object, USER_TOKEN_OBJECT(1001));	/* it speaks for alice */
	assert_int_equal(v.rights, CT_R_READ | CT_R_EXEC);
	assert_int_equal(captoken_verify(tok, len, &req, 0), CT_OK);
	req.path = "/tmp/b";
	assert_int_equal(captoken_verify(tok, len, &req, 0), CT_EPATH);
	req.path = "/tmp/a";
	req.now_ns = 1000 + 5000000000ull;
	assert_int_equal(captoken_verify(tok, len, &req, 0), CT_EEXPIRED);

	/* eve mints for anyone; others for themselves only; never via a token */
	assert_int_equal(mint("mint bob", "eve", false, text, why), 0);
	assert_int_equal(mint("mint bob", "alice", false, text, why), E_PERM);
	assert_non_null(strstr(why, "only eve mints tokens for another user (bob)"));
	assert_int_equal(mint("mint", "alice", true, text, why), E_PERM);
	assert_int_equal(mint("mint ghost", "eve", false, text, why), E_NOENT);
	assert_int_equal(mint("mint none", "eve", false, text, why), E_PERM);
	assert_int_equal(mint("mint path a", "alice", false, text, why), E_INVAL);
	assert_int_equal(mint("mint path /a/./b", "alice", false, text, why), E_BADPATH);
	assert_int_equal(mint("mint path /a//b", "alice", false, text, why), E_BADPATH);
	assert_int_equal(mint("mint expiry -1", "alice", false, text, why), E_INVAL);
	assert_int_equal(mint("mint alice rw", "alice", false, text, why), E_SYNTAX);
	assert_int_equal(mint("mint path / ro", "alice", false, text, why), 0);	/* "/": no caveat */
	assert_int_equal(captoken_from_text(text, strlen(text), tok, sizeof tok, &len), CT_OK);
	assert_int_equal(captoken_decode(tok, len, &v), CT_OK);
	assert_int_equal(v.ncav, 0);

	/* revoke: the user it speaks for, or eve */
	assert_int_equal(mint("mint alice", "eve", false, text, why), 0);
	assert_int_equal(tokens_revoke(text, "bob", why, 160), E_PERM);
	assert_int_equal(tokens_revoke(text, "alice", why, 160), 0);
	assert_int_equal(tokens_revoke(text, "alice", why, 160), E_PERM);	/* revoked already */
	assert_non_null(strstr(why, "revoked"));
}

/* Slots are per boot and freed only by revoke: one user minting in a loop
 * took all 256 and nobody could mint (tests/attacks/h_token_slots.py).  A
 * user holds at most CT_SLOTS / 16 live tokens; eve is not counted. */
static void test_mint_share_per_user(void **state)
{
	char text[CT_TEXT_MAX], first[CT_TEXT_MAX], why[160];
	size_t free0 = captoken_slots_free();

	(void)state;
	for (int i = 0; i < CT_SLOTS / 16; i++) {
		assert_int_equal(mint("mint", "alice", false, text, why), 0);
		if (i == 0)
			strcpy(first, text);
	}
	assert_int_equal(mint("mint ro", "alice", false, text, why), E_BUDGET);
	assert_non_null(strstr(why, "budget exhausted: tokens 16/16 (alice's; revoke one)"));
	assert_int_equal(captoken_slots_free(), free0 - CT_SLOTS / 16);
	assert_int_equal(mint("mint", "bob", false, text, why), 0);	/* bob is not alice */
	assert_int_equal(mint("mint alice", "eve", false, text, why), 0);	/* eve administers */
	assert_int_equal(tokens_revoke(text, "eve", why, 160), 0);
	assert_int_equal(tokens_revoke(first, "alice", why, 160), 0);	/* a revoke frees one */
	assert_int_equal(mint("mint", "alice", false, text, why), 0);
	assert_int_equal(mint("mint", "alice", false, text, why), E_BUDGET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fold_and_within, setup),
		cmocka_unit_test_setup(test_rights_per_message, setup),
		cmocka_unit_test_setup(test_mint_rules, setup),
		cmocka_unit_test_setup(test_mint_share_per_user, setup),
	};

	if (lc_init(entropy) < 0)
		return 1;
	return cmocka_run_group_tests(tests, 0, 0);
}
