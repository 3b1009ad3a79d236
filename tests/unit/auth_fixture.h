/*
 * What the auth unit tests share: keys made from fixed seeds, a known-
 * hosts and an authorized-keys stand-in, the token verifier, and a driver
 * that runs a whole handshake in memory.  Header-only (static), included
 * by test_auth_handshake.c.
 */
#ifndef LUX_TESTS_AUTH_FIXTURE_H
#define LUX_TESTS_AUTH_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <cmocka.h>

#include <lux/auth.h>
#include <lux/captoken.h>
#include <lux/crypto.h>

struct keypair {
	uint8_t pk[32], sk[64];
};

static struct keypair host, other_host, alice, bob;

static void keypair(struct keypair *k, uint8_t seed_byte)
{
	uint8_t seed[32];

	memset(seed, seed_byte, sizeof seed);
	assert_int_equal(lc_ed25519_seed_keypair(k->pk, k->sk, seed), 0);
}

static int entropy(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

/* Known hosts: knows `host` when expect is null, else expect. */
static const uint8_t *kh_expect;
static int kh_unknown;

static int known_host(void *arg, const uint8_t pk[32])
{
	const uint8_t *want = kh_expect ? kh_expect : host.pk;

	(void)arg;
	if (kh_unknown)
		return AUTH_HOST_UNKNOWN;
	return memcmp(pk, want, 32) == 0 ? AUTH_HOST_KNOWN : AUTH_HOST_MISMATCH;
}

/* Authorized keys: alice with alice's key; bob with bob's; nobody else. */
static int user_key(void *arg, const char *user, const uint8_t pk[32])
{
	(void)arg;
	if (strcmp(user, "alice") == 0)
		return memcmp(pk, alice.pk, 32) == 0 ? AUTH_USER_OK : AUTH_USER_KEY_REFUSED;
	if (strcmp(user, "bob") == 0)
		return memcmp(pk, bob.pk, 32) == 0 ? AUTH_USER_OK : AUTH_USER_KEY_REFUSED;
	return AUTH_USER_UNKNOWN;
}

/* The kernel's side of the token method: captoken_verify for object 42. */
static int token_calls;
static int token_ok(void *arg, const char *user, const uint8_t *tok, size_t n,
                    struct ct_grant *g)
{
	struct ct_request req = { 42, CT_R_READ, "/", 0, 0 };

	(void)arg;
	(void)user;
	token_calls++;
	return captoken_verify(tok, n, &req, g);
}

static struct auth_server_config server_cfg(const struct keypair *hk)
{
	struct auth_server_config c = {
		.host_pk = hk->pk, .host_sk = hk->sk,
		.methods = AUTH_M_ED25519 | AUTH_M_TOKEN,
		.user_key = user_key, .token_ok = token_ok,
	};

	return c;
}

static struct auth_client_config client_cfg(const char *user, const struct keypair *uk)
{
	struct auth_client_config c = {
		.method = AUTH_M_ED25519, .user = user,
		.user_pk = uk->pk, .user_sk = uk->sk, .known_host = known_host,
	};

	return c;
}

/* One handshake's messages, kept so tests can replay or alter them. */
struct flight {
	uint8_t m[5][AUTH_MSG_MAX];
	size_t n[5];
};

/* Run c and s to the end; returns the first failure's code (the side that
 * failed is reported through *who: 'c' or 's'), or 0 when both are done. */
static int handshake(struct auth *c, struct auth *s, struct flight *f, char *who)
{
	int r;

	*who = 'c';
	if ((r = auth_step(c, 0, 0, f->m[0], AUTH_MSG_MAX, &f->n[0])) != AUTH_CONTINUE)
		return r;
	*who = 's';
	if ((r = auth_step(s, f->m[0], f->n[0], f->m[1], AUTH_MSG_MAX, &f->n[1])) != AUTH_CONTINUE)
		return r;
	*who = 'c';
	if ((r = auth_step(c, f->m[1], f->n[1], f->m[2], AUTH_MSG_MAX, &f->n[2])) != AUTH_CONTINUE)
		return r;
	*who = 's';
	if ((r = auth_step(s, f->m[2], f->n[2], f->m[3], AUTH_MSG_MAX, &f->n[3])) != AUTH_DONE)
		return r;
	*who = 'c';
	return auth_step(c, f->m[3], f->n[3], f->m[4], AUTH_MSG_MAX, &f->n[4]);
}

static int fixture_setup(void **state)
{
	static const uint8_t tk[32] = { 7 };

	(void)state;
	keypair(&host, 1);
	keypair(&other_host, 2);
	keypair(&alice, 3);
	keypair(&bob, 4);
	kh_expect = 0;
	kh_unknown = 0;
	token_calls = 0;
	captoken_init_key(tk);
	return 0;
}

#endif
