/*
 * The authentication handshake (core/auth): both methods end to end in
 * memory, every refusal with its exact code and audit sentence, replays
 * of either side's messages across sessions, each message cut short at
 * every byte, lengthened, and altered at every byte, and the record
 * cipher negotiation: the pick, a side forced to one cipher, an offer or
 * a pick altered in transit, and a signed pick that was not offered.
 */
#include "auth_fixture.h"

#include <sodium.h>

static struct auth c, s, c2, s2;
static struct flight f, f2;
static uint8_t buf[AUTH_MSG_MAX];

static void fp(const uint8_t *pk, char out[AUTH_FP_MAX])
{
	assert_int_equal(auth_fingerprint(pk, out, AUTH_FP_MAX), AUTH_FP_MAX - 1);
}

/* The client's keys and the server's must pair up: what one seals the
 * other opens, in both directions, and not in the wrong one. */
static void records_pair(struct auth *cl, struct auth *sv)
{
	struct auth_rec ctx, crx, stx, srx;
	static uint8_t rec[AUTH_REC_SEALED(5)], out[AUTH_OPEN_BUF];
	size_t used, got;
	long n;

	unsigned ci = auth_cipher(cl);

	assert_true(ci == AUTH_C_CHACHA20POLY1305 || ci == AUTH_C_AES256GCM);
	assert_int_equal(auth_cipher(sv), ci);
	assert_int_equal(auth_take_records(cl, &ctx, &crx), 0);
	assert_int_equal(auth_take_records(sv, &stx, &srx), 0);
	assert_int_equal(auth_rec_cipher(&ctx), ci);
	assert_int_equal(auth_rec_cipher(&crx), ci);
	assert_int_equal(auth_rec_cipher(&stx), ci);
	assert_int_equal(auth_rec_cipher(&srx), ci);
	assert_int_equal(auth_take_records(cl, &ctx, &crx), AUTH_ESTATE);	/* moved out */
	n = auth_seal(&ctx, "hello", 5, rec, sizeof rec);
	assert_int_equal(n, AUTH_REC_SEALED(5));
	assert_int_equal(auth_open(&srx, rec, (size_t)n, out, sizeof out, &used, &got), 0);
	assert_int_equal(used, (size_t)n);
	assert_memory_equal(out, "hello", got);
	n = auth_seal(&stx, "world", 5, rec, sizeof rec);
	assert_int_equal(auth_open(&crx, rec, (size_t)n, out, sizeof out, &used, &got), 0);
	assert_memory_equal(out, "world", got);
	/* a record reflected back to its sender does not open */
	n = auth_seal(&ctx, "hello", 5, rec, sizeof rec);
	assert_int_equal(auth_open(&crx, rec, (size_t)n, out, sizeof out, &used, &got), AUTH_ERECORD);
}

static void test_ed25519_handshake(void **state)
{
	char who;

	(void)state;
	struct auth_server_config sc = server_cfg(&host);
	struct auth_client_config cc = client_cfg("alice", &alice);

	assert_int_equal(auth_server_init(&s, &sc), 0);
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(handshake(&c, &s, &f, &who), AUTH_DONE);
	assert_int_equal(f.n[4], 0);
	assert_string_equal(auth_user(&s), "alice");
	assert_memory_equal(auth_user_key(&s), alice.pk, 32);
	assert_memory_equal(auth_host_key(&c), host.pk, 32);
	assert_null(auth_grant(&s));
	assert_string_equal(auth_why(&s), "");
	assert_string_equal(auth_why(&c), "");
	/* done is done: another step is out of order */
	records_pair(&c, &s);
	assert_int_equal(auth_step(&s, f.m[2], f.n[2], buf, sizeof buf, &f.n[0]), AUTH_ESTATE);
	auth_wipe(&c);
	auth_wipe(&s);
}

static size_t mint(uint8_t tok[CT_WIRE_MAX], uint32_t narrow)
{
	struct ct_cap cap;
	size_t n;

	assert_int_equal(captoken_mint(42, CT_R_READ | CT_R_WRITE, &cap, tok, CT_WIRE_MAX, &n), CT_OK);
	assert_int_equal(captoken_restrict_rights(tok, n, narrow, tok, CT_WIRE_MAX, &n), CT_OK);
	return n;
}

static void token_client(struct auth *a, const uint8_t *tok, size_t n)
{
	struct auth_client_config cc = client_cfg("alice", &alice);

	cc.method = AUTH_M_TOKEN;
	cc.user_pk = cc.user_sk = 0;
	cc.token = tok;
	cc.token_len = n;
	assert_int_equal(auth_client_init(a, &cc), 0);
}

static void test_token_handshake(void **state)
{
	static uint8_t tok[CT_WIRE_MAX];
	struct auth_server_config sc = server_cfg(&host);
	size_t n = mint(tok, CT_R_READ), tn;
	const uint8_t *t;
	struct ct_view v;
	char who;

	(void)state;
	assert_int_equal(auth_server_init(&s, &sc), 0);
	token_client(&c, tok, n);
	assert_int_equal(handshake(&c, &s, &f, &who), AUTH_DONE);
	assert_int_equal(token_calls, 1);
	assert_string_equal(auth_user(&s), "alice");
	assert_null(auth_user_key(&s));
	assert_non_null(auth_grant(&s));
	assert_int_equal(auth_grant(&s)->object, 42);
	assert_int_equal(auth_grant(&s)->rights, CT_R_READ);
	t = auth_token(&s, &tn);
	assert_int_equal(tn, n);
	assert_memory_equal(t, tok, n);
	assert_int_equal(captoken_decode(t, tn, &v), CT_OK);	/* caveats for the caller */
	assert_int_equal(v.ncav, 1);
	assert_int_equal(v.cav[0].kind, CT_CAV_RIGHTS);
	/* the token never travels in the clear */
	assert_null(memmem(f.m[2], f.n[2], tok, n));
	records_pair(&c, &s);
}

static void test_token_refused(void **state)
{
	static uint8_t tok[CT_WIRE_MAX];
	static const uint8_t other[32] = { 9 };
	struct auth_server_config sc = server_cfg(&host);
	size_t n = mint(tok, CT_R_READ);
	char who;

	(void)state;
	captoken_init_key(other);	/* a reboot: the kernel's key changed */
	assert_int_equal(auth_server_init(&s, &sc), 0);
	token_client(&c, tok, n);
	assert_int_equal(handshake(&c, &s, &f, &who), AUTH_ETOKEN);
	assert_int_equal(who, 's');
	assert_string_equal(auth_why(&s),
	                    "auth: token for user alice refused: token: bad MAC (forged, tampered or from another boot)");
	/* the client hears only that it was refused */
	assert_int_equal(auth_step(&c, f.m[3], f.n[3], buf, sizeof buf, &f.n[4]), AUTH_EREFUSED);
	assert_string_equal(auth_why(&c), "auth: server refused: authentication failed");
}

/* The server refuses; return its code after checking the client hears a
 * generic refusal. */
static int refused_user(const char *user, const struct keypair *k)
{
	struct auth_server_config sc = server_cfg(&host);
	struct auth_client_config cc = client_cfg(user, k);
	char who;
	int r;

	assert_int_equal(auth_server_init(&s, &sc), 0);
	assert_int_equal(auth_client_init(&c, &cc), 0);
	r = handshake(&c, &s, &f, &who);
	assert_int_equal(who, 's');
	assert_true(f.n[3] > 0);
	assert_int_equal(auth_step(&c, f.m[3], f.n[3], buf, sizeof buf, &f.n[4]), AUTH_EREFUSED);
	assert_string_equal(auth_why(&c), "auth: server refused: authentication failed");
	assert_null(auth_user_key(&s));
	assert_string_equal(auth_user(&s), "");
	return r;
}

static void test_wrong_user_key(void **state)
{
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX];

	(void)state;
	assert_int_equal(refused_user("alice", &bob), AUTH_EUSERKEY);
	fp(bob.pk, p);
	snprintf(want, sizeof want, "auth: key %s is not authorized for user alice", p);
	assert_string_equal(auth_why(&s), want);
}

static void test_unknown_user(void **state)
{
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX];

	(void)state;
	assert_int_equal(refused_user("mallory", &alice), AUTH_EUNKNOWNUSER);
	fp(alice.pk, p);
	snprintf(want, sizeof want, "auth: unknown user mallory (key %s)", p);
	assert_string_equal(auth_why(&s), want);
}

static void test_unknown_host_key(void **state)
{
	struct auth_server_config sc = server_cfg(&host);
	struct auth_client_config cc = client_cfg("alice", &alice);
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX], who;

	(void)state;
	kh_unknown = 1;
	assert_int_equal(auth_server_init(&s, &sc), 0);
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(handshake(&c, &s, &f, &who), AUTH_EHOSTUNKNOWN);
	assert_int_equal(who, 'c');
	assert_int_equal(f.n[2], 0);	/* nothing about the user was sent */
	fp(host.pk, p);
	snprintf(want, sizeof want, "auth: unknown host key %s (not in known hosts)", p);
	assert_string_equal(auth_why(&c), want);
	/* sticky */
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], buf, sizeof buf, &f.n[2]), AUTH_EHOSTUNKNOWN);
	assert_int_equal(f.n[2], 0);
}

static void test_host_key_mismatch(void **state)
{
	/* A stand-in server with a key of its own: its signature is good,
	 * but known hosts has another key for this host. */
	struct auth_server_config sc = server_cfg(&other_host);
	struct auth_client_config cc = client_cfg("alice", &alice);
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX], who;

	(void)state;
	assert_int_equal(auth_server_init(&s, &sc), 0);
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(handshake(&c, &s, &f, &who), AUTH_EHOSTMISMATCH);
	assert_int_equal(who, 'c');
	fp(other_host.pk, p);
	snprintf(want, sizeof want,
	         "auth: host key %s does not match known hosts (another machine answers for this host)", p);
	assert_string_equal(auth_why(&c), want);
}

/* A stand-in server that shows the real host key but cannot sign with it. */
static void test_host_key_without_its_secret(void **state)
{
	struct keypair fake = host;
	struct auth_server_config sc;
	struct auth_client_config cc = client_cfg("alice", &alice);
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX], who;

	(void)state;
	memcpy(fake.sk, other_host.sk, 64);
	sc = server_cfg(&fake);
	assert_int_equal(auth_server_init(&s, &sc), 0);
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(handshake(&c, &s, &f, &who), AUTH_EHOSTSIG);
	fp(host.pk, p);
	snprintf(want, sizeof want, "auth: bad signature from host key %s", p);
	assert_string_equal(auth_why(&c), want);
}

static void start(struct auth *cl, struct auth *sv, struct flight *fl)
{
	struct auth_server_config sc = server_cfg(&host);
	struct auth_client_config cc = client_cfg("alice", &alice);

	assert_int_equal(auth_server_init(sv, &sc), 0);
	assert_int_equal(auth_client_init(cl, &cc), 0);
	assert_int_equal(auth_step(cl, 0, 0, fl->m[0], AUTH_MSG_MAX, &fl->n[0]), AUTH_CONTINUE);
	assert_int_equal(auth_step(sv, fl->m[0], fl->n[0], fl->m[1], AUTH_MSG_MAX, &fl->n[1]),
	                 AUTH_CONTINUE);
}

static void test_replayed_client_proof(void **state)
{
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX], who;

	(void)state;
	start(&c, &s, &f);
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], f.m[2], AUTH_MSG_MAX, &f.n[2]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&s, f.m[2], f.n[2], f.m[3], AUTH_MSG_MAX, &f.n[3]), AUTH_DONE);
	/* session 2: the attacker replays session 1's proof */
	start(&c2, &s2, &f2);
	assert_int_equal(auth_step(&s2, f.m[2], f.n[2], buf, sizeof buf, &f2.n[3]), AUTH_EUSERSIG);
	fp(alice.pk, p);
	snprintf(want, sizeof want, "auth: bad signature from user alice (key %s)", p);
	assert_string_equal(auth_why(&s2), want);
	(void)who;
}

static void test_replayed_token(void **state)
{
	static uint8_t tok[CT_WIRE_MAX];
	struct auth_server_config sc = server_cfg(&host);
	size_t n = mint(tok, CT_R_READ);
	char who;

	(void)state;
	assert_int_equal(auth_server_init(&s, &sc), 0);
	token_client(&c, tok, n);
	assert_int_equal(handshake(&c, &s, &f, &who), AUTH_DONE);
	/* session 2: the sealed token of session 1 does not unseal */
	assert_int_equal(auth_server_init(&s2, &sc), 0);
	token_client(&c2, tok, n);
	assert_int_equal(auth_step(&c2, 0, 0, f2.m[0], AUTH_MSG_MAX, &f2.n[0]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&s2, f2.m[0], f2.n[0], f2.m[1], AUTH_MSG_MAX, &f2.n[1]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&s2, f.m[2], f.n[2], buf, sizeof buf, &f2.n[3]), AUTH_ETOKEN);
	assert_string_equal(auth_why(&s2),
	                    "auth: token from user alice does not unseal (altered in transit)");
	assert_int_equal(token_calls, 1);	/* the verifier never saw it */
}

static void test_replayed_server_message(void **state)
{
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX];

	(void)state;
	start(&c, &s, &f);
	/* session 2's client gets session 1's signed server message */
	start(&c2, &s2, &f2);
	assert_int_equal(auth_step(&c2, f.m[1], f.n[1], buf, sizeof buf, &f2.n[2]), AUTH_EHOSTSIG);
	assert_int_equal(f2.n[2], 0);
	fp(host.pk, p);
	snprintf(want, sizeof want, "auth: bad signature from host key %s", p);
	assert_string_equal(auth_why(&c2), want);
	/* and a replayed confirmation fails its MAC */
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], f.m[2], AUTH_MSG_MAX, &f.n[2]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&s, f.m[2], f.n[2], f.m[3], AUTH_MSG_MAX, &f.n[3]), AUTH_DONE);
	assert_int_equal(auth_step(&c2, f2.m[1], f2.n[1], f2.m[2], AUTH_MSG_MAX, &f2.n[2]),
	                 AUTH_EHOSTSIG);	/* still dead: sticky */
}

static void test_replayed_confirmation(void **state)
{
	(void)state;
	start(&c, &s, &f);
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], f.m[2], AUTH_MSG_MAX, &f.n[2]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&s, f.m[2], f.n[2], f.m[3], AUTH_MSG_MAX, &f.n[3]), AUTH_DONE);
	start(&c2, &s2, &f2);
	assert_int_equal(auth_step(&c2, f2.m[1], f2.n[1], f2.m[2], AUTH_MSG_MAX, &f2.n[2]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&c2, f.m[3], f.n[3], buf, sizeof buf, &f2.n[4]), AUTH_ECONFIRM);
	assert_string_equal(auth_why(&c2),
	                    "auth: the server's key confirmation does not match (the exchange was altered)");
}

/* ---- Malformed messages ------------------------------------------------ */

/* msg cut to `cut` body bytes, with a header that agrees. */
static size_t cut_msg(const uint8_t *m, size_t cut, uint8_t *out)
{
	memcpy(out, m, 3 + cut);
	out[1] = (uint8_t)cut;
	out[2] = (uint8_t)(cut >> 8);
	return 3 + cut;
}

struct field {
	size_t end;		/* body offset where the field ends */
	const char *name;
};

static const char *field_at(const struct field *fs, size_t off)
{
	for (; fs->name; fs++)
		if (off < fs->end)
			return fs->name;
	return 0;
}

static void test_malformed_hello(void **state)
{
	static const struct field fs[] = {
		{ 12, "version" }, { 20, "method" }, { 26, "user name" },
		{ 58, "client nonce" }, { 90, "client ephemeral key" }, { 91, "ciphers" }, { 0, 0 },
	};
	struct auth_server_config sc = server_cfg(&host);
	struct auth_client_config cc = client_cfg("alice", &alice);
	uint8_t hello[AUTH_MSG_MAX], m[AUTH_MSG_MAX];
	size_t hn, n;
	char want[AUTH_WHY_MAX];

	(void)state;
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(auth_step(&c, 0, 0, hello, sizeof hello, &hn), AUTH_CONTINUE);
	assert_int_equal(hn, 3 + 91);
	for (size_t cut = 0; cut < 91; cut++) {
		assert_int_equal(auth_server_init(&s, &sc), 0);
		n = cut_msg(hello, cut, m);
		assert_int_equal(auth_step(&s, m, n, buf, sizeof buf, &n), AUTH_EMALFORMED);
		snprintf(want, sizeof want, "auth: malformed hello message: %s truncated or out of range",
		         field_at(fs, cut));
		assert_string_equal(auth_why(&s), want);
		/* the client is told why, in general terms */
		assert_true(n > 3 && buf[0] == 6);
	}
	/* one byte too many */
	assert_int_equal(auth_server_init(&s, &sc), 0);
	memcpy(m, hello, hn);
	m[hn] = 0;
	m[1]++;
	assert_int_equal(auth_step(&s, m, hn + 1, buf, sizeof buf, &n), AUTH_EMALFORMED);
	assert_string_equal(auth_why(&s), "auth: malformed hello message: 1 bytes after the last field");
	/* a header that disagrees with what came */
	assert_int_equal(auth_server_init(&s, &sc), 0);
	assert_int_equal(auth_step(&s, hello, hn - 1, buf, sizeof buf, &n), AUTH_EMALFORMED);
	assert_string_equal(auth_why(&s), "auth: hello message says 91 bytes but 90 came");
	assert_int_equal(auth_server_init(&s, &sc), 0);
	assert_int_equal(auth_step(&s, hello, 2, buf, sizeof buf, &n), AUTH_EMALFORMED);
	assert_string_equal(auth_why(&s), "auth: hello message truncated: 2 bytes");
	assert_int_equal(auth_server_init(&s, &sc), 0);
	memcpy(m, hello, hn);
	m[0] = 9;
	assert_int_equal(auth_step(&s, m, hn, buf, sizeof buf, &n), AUTH_EMALFORMED);
	assert_string_equal(auth_why(&s), "auth: expected the hello message, got type 9");
	/* a zero-length string is no string */
	assert_int_equal(auth_server_init(&s, &sc), 0);
	memcpy(m, hello, hn);
	m[3 + 12] = 0;
	assert_int_equal(auth_step(&s, m, hn, buf, sizeof buf, &n), AUTH_EMALFORMED);
	assert_string_equal(auth_why(&s), "auth: malformed hello message: method truncated or out of range");
}

/* A hello with the given version, method, user and cipher offer, written
 * by hand. */
static size_t hello_offer(uint8_t *m, const char *ver, const char *meth, const char *user,
                          unsigned offer)
{
	size_t o = 3;
	const char *strs[3] = { ver, meth, user };

	m[0] = 1;
	for (int i = 0; i < 3; i++) {
		size_t l = strlen(strs[i]);

		m[o++] = (uint8_t)l;
		memcpy(m + o, strs[i], l);
		o += l;
	}
	memset(m + o, 0x55, 32);	/* nonce */
	o += 32;
	assert_int_equal(lc_x25519_public(m + o, m + o - 32), 0);	/* a valid point */
	o += 32;
	m[o++] = (uint8_t)offer;
	m[1] = (uint8_t)(o - 3);
	m[2] = (uint8_t)((o - 3) >> 8);
	return o;
}

static size_t hello_with(uint8_t *m, const char *ver, const char *meth, const char *user)
{
	return hello_offer(m, ver, meth, user, AUTH_C_CHACHA20POLY1305);
}

static int serve_hello(const uint8_t *m, size_t n, unsigned methods)
{
	struct auth_server_config sc = server_cfg(&host);
	size_t on;

	sc.methods = methods;
	assert_int_equal(auth_server_init(&s, &sc), 0);
	return auth_step(&s, m, n, buf, sizeof buf, &on);
}

static void test_hello_fields_refused(void **state)
{
	uint8_t m[512];
	char user[40];
	size_t n;

	(void)state;
	n = hello_with(m, "lux9-auth-3", "ed25519", "alice");
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_EVERSION);
	assert_string_equal(auth_why(&s), "auth: client speaks 'lux9-auth-3', this server speaks lux9-auth-2");
	n = hello_with(m, "lux\x01", "ed25519", "alice");
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_EVERSION);
	assert_string_equal(auth_why(&s), "auth: client speaks 'lux?', this server speaks lux9-auth-2");
	/* a client of the first version: refused as a version, not as garbage */
	n = hello_with(m, "lux9-auth-1", "ed25519", "alice");
	n--;	/* it had no cipher offer */
	m[1]--;
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_EVERSION);
	assert_string_equal(auth_why(&s), "auth: client speaks 'lux9-auth-1', this server speaks lux9-auth-2");
	n = hello_with(m, AUTH_PROTOCOL, "password", "alice");
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_EMETHOD);
	assert_string_equal(auth_why(&s), "auth: unknown method 'password'");
	n = hello_with(m, AUTH_PROTOCOL, "token", "alice");
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_EMETHOD);
	assert_string_equal(auth_why(&s), "auth: method token is not allowed on this server");
	memset(user, 'a', 32);
	user[32] = 0;
	n = hello_with(m, AUTH_PROTOCOL, "ed25519", user);
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_EUSERNAME);
	assert_string_equal(auth_why(&s),
	                    "auth: bad user name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (32 bytes; 1..31 of A-Z a-z 0-9 . _ -)");
	n = hello_with(m, AUTH_PROTOCOL, "ed25519", "../root");
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_EUSERNAME);
	user[31] = 0;
	n = hello_with(m, AUTH_PROTOCOL, "ed25519", user);	/* 31 is the longest */
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_CONTINUE);
	/* an all-zero ephemeral key is a low-order point */
	n = hello_with(m, AUTH_PROTOCOL, "ed25519", "alice");
	memset(m + n - 33, 0, 32);
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_ECRYPTO);
	assert_string_equal(auth_why(&s),
	                    "auth: the peer's ephemeral key is a low-order point (no shared secret)");
}

static void test_malformed_server_proof(void **state)
{
	static const struct field fs[] = {
		{ 32, "server nonce" }, { 64, "server ephemeral key" }, { 96, "host key" },
		{ 97, "cipher" }, { 161, "host signature" }, { 0, 0 },
	};
	uint8_t m[AUTH_MSG_MAX];
	size_t n;
	char want[AUTH_WHY_MAX];

	(void)state;
	start(&c, &s, &f);
	assert_int_equal(f.n[1], 3 + 161);
	for (size_t cut = 0; cut <= 161; cut++) {
		struct auth_client_config cc = client_cfg("alice", &alice);

		assert_int_equal(auth_client_init(&c2, &cc), 0);
		assert_int_equal(auth_step(&c2, 0, 0, buf, sizeof buf, &n), AUTH_CONTINUE);
		if (cut < 161) {
			n = cut_msg(f.m[1], cut, m);
			snprintf(want, sizeof want, "auth: malformed server proof message: %s truncated or out of range",
			         field_at(fs, cut));
		} else {
			memcpy(m, f.m[1], f.n[1]);
			m[f.n[1]] = 7;
			m[1]++;
			n = f.n[1] + 1;
			snprintf(want, sizeof want, "auth: malformed server proof message: 1 bytes after the last field");
		}
		assert_int_equal(auth_step(&c2, m, n, buf, sizeof buf, &n), AUTH_EMALFORMED);
		assert_string_equal(auth_why(&c2), want);
		assert_int_equal(n, 0);
	}
	/* every byte altered: the signature or the framing catches it */
	for (size_t i = 0; i < f.n[1]; i++) {
		struct auth_client_config cc = client_cfg("alice", &alice);
		int want_err = i < 3 ? AUTH_EMALFORMED : AUTH_EHOSTSIG;

		/* the real client, replayed from its state before the proof */
		start(&c2, &s2, &f2);
		memcpy(m, f2.m[1], f2.n[1]);
		m[i] ^= 0x01;
		if (i >= 3 + 64 && i < 3 + 96)
			kh_expect = m + 3 + 64;	/* a changed host key that known hosts has */
		assert_int_equal(auth_step(&c2, m, f2.n[1], buf, sizeof buf, &n), want_err);
		kh_expect = 0;
		(void)cc;
	}
}

static void test_malformed_user_proof(void **state)
{
	static const struct field fs[] = { { 32, "user key" }, { 96, "user signature" }, { 0, 0 } };
	uint8_t m[AUTH_MSG_MAX];
	size_t n;
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX];

	(void)state;
	start(&c, &s, &f);
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], f.m[2], AUTH_MSG_MAX, &f.n[2]), AUTH_CONTINUE);
	assert_int_equal(f.n[2], 3 + 96);
	for (size_t cut = 0; cut < 96; cut++) {
		start(&c2, &s2, &f2);
		n = cut_msg(f.m[2], cut, m);
		assert_int_equal(auth_step(&s2, m, n, buf, sizeof buf, &n), AUTH_EMALFORMED);
		snprintf(want, sizeof want, "auth: malformed user proof message: %s truncated or out of range",
		         field_at(fs, cut));
		assert_string_equal(auth_why(&s2), want);
	}
	/* a bad signature, and every altered byte */
	for (size_t i = 0; i < f.n[2]; i++) {
		start(&c2, &s2, &f2);
		assert_int_equal(auth_step(&c2, f2.m[1], f2.n[1], f2.m[2], AUTH_MSG_MAX, &f2.n[2]),
		                 AUTH_CONTINUE);
		memcpy(m, f2.m[2], f2.n[2]);
		m[i] ^= 0x80;
		assert_int_equal(auth_step(&s2, m, f2.n[2], buf, sizeof buf, &n),
		                 i < 3 ? AUTH_EMALFORMED : AUTH_EUSERSIG);
		if (i >= 3 + 32) {
			fp(alice.pk, p);
			snprintf(want, sizeof want, "auth: bad signature from user alice (key %s)", p);
			assert_string_equal(auth_why(&s2), want);
		}
	}
}

static void test_malformed_token(void **state)
{
	static uint8_t tok[CT_WIRE_MAX];
	struct auth_server_config sc = server_cfg(&host);
	size_t tn = mint(tok, CT_R_READ), n;
	static uint8_t m[AUTH_MSG_MAX + 64];
	static const struct { unsigned len; size_t have; const char *why; } cases[] = {
		{ 0, 0, "auth: malformed token message: sealed token length truncated or out of range" },
		{ 16, 16, "auth: malformed token message: sealed token length truncated or out of range" },
		{ CT_WIRE_MAX + 17, CT_WIRE_MAX + 17,
		  "auth: malformed token message: sealed token length truncated or out of range" },
		{ 40, 39, "auth: malformed token message: sealed token truncated or out of range" },
		{ 40, 41, "auth: malformed token message: 1 bytes after the last field" },
	};
	char who;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(auth_server_init(&s, &sc), 0);
		token_client(&c, tok, tn);
		assert_int_equal(auth_step(&c, 0, 0, f.m[0], AUTH_MSG_MAX, &f.n[0]), AUTH_CONTINUE);
		assert_int_equal(auth_step(&s, f.m[0], f.n[0], f.m[1], AUTH_MSG_MAX, &f.n[1]), AUTH_CONTINUE);
		m[0] = 4;
		m[3] = (uint8_t)cases[i].len;
		m[4] = (uint8_t)(cases[i].len >> 8);
		memset(m + 5, 0xaa, cases[i].have);
		n = 5 + cases[i].have;
		m[1] = (uint8_t)(n - 3);
		m[2] = (uint8_t)((n - 3) >> 8);
		assert_int_equal(auth_step(&s, m, n, buf, sizeof buf, &n), AUTH_EMALFORMED);
		assert_string_equal(auth_why(&s), cases[i].why);
	}
	/* one bit of the sealed token flipped */
	assert_int_equal(auth_server_init(&s, &sc), 0);
	token_client(&c, tok, tn);
	assert_int_equal(auth_step(&c, 0, 0, f.m[0], AUTH_MSG_MAX, &f.n[0]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&s, f.m[0], f.n[0], f.m[1], AUTH_MSG_MAX, &f.n[1]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], f.m[2], AUTH_MSG_MAX, &f.n[2]), AUTH_CONTINUE);
	f.m[2][10] ^= 4;
	assert_int_equal(auth_step(&s, f.m[2], f.n[2], buf, sizeof buf, &n), AUTH_ETOKEN);
	assert_string_equal(auth_why(&s), "auth: token from user alice does not unseal (altered in transit)");
	(void)who;
}

static void test_malformed_confirmation(void **state)
{
	uint8_t m[AUTH_MSG_MAX];
	size_t n;
	char who;

	(void)state;
	start(&c, &s, &f);
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], f.m[2], AUTH_MSG_MAX, &f.n[2]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&s, f.m[2], f.n[2], f.m[3], AUTH_MSG_MAX, &f.n[3]), AUTH_DONE);
	n = cut_msg(f.m[3], 31, m);
	assert_int_equal(auth_step(&c, m, n, buf, sizeof buf, &n), AUTH_EMALFORMED);
	assert_string_equal(auth_why(&c),
	                    "auth: malformed confirmation message: confirmation MAC truncated or out of range");
	/* an altered MAC */
	start(&c, &s, &f);
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], f.m[2], AUTH_MSG_MAX, &f.n[2]), AUTH_CONTINUE);
	assert_int_equal(auth_step(&s, f.m[2], f.n[2], f.m[3], AUTH_MSG_MAX, &f.n[3]), AUTH_DONE);
	f.m[3][20] ^= 1;
	assert_int_equal(auth_step(&c, f.m[3], f.n[3], buf, sizeof buf, &n), AUTH_ECONFIRM);
	/* an error message whose reason is malformed */
	start(&c, &s, &f);
	assert_int_equal(auth_step(&c, (const uint8_t *)"\x06\x01\x00\x05", 4, buf, sizeof buf, &n),
	                 AUTH_EMALFORMED);
	assert_string_equal(auth_why(&c), "auth: malformed error message: reason truncated or out of range");
	(void)who;
}

static void test_refusal_reaches_client(void **state)
{
	uint8_t m[512];
	size_t n;

	(void)state;
	n = hello_with(m, "lux9-auth-0", "ed25519", "alice");
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_EVERSION);
	start(&c2, &s2, &f2);	/* a fresh client waiting for the server's proof */
	{
		size_t on;

		assert_int_equal(auth_step(&s, m, n, f.m[1], AUTH_MSG_MAX, &on), AUTH_EVERSION);	/* sticky */
		assert_int_equal(on, 0);
		assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_EVERSION);
	}
	/* the error message the first refusal wrote is in buf */
	assert_int_equal(buf[0], 6);
	assert_int_equal(auth_step(&c2, buf, 3 + (size_t)(buf[1] | buf[2] << 8), f.m[2], AUTH_MSG_MAX, &n),
	                 AUTH_EREFUSED);
	assert_string_equal(auth_why(&c2),
	                    "auth: server refused: protocol version not supported (this server speaks lux9-auth-2)");
}

static void test_bad_calls(void **state)
{
	struct auth_server_config sc = server_cfg(&host);
	struct auth_client_config cc = client_cfg("alice", &alice);
	size_t n;

	(void)state;
	cc.known_host = 0;
	assert_int_equal(auth_client_init(&c, &cc), AUTH_EINVAL);
	cc = client_cfg("", &alice);
	assert_int_equal(auth_client_init(&c, &cc), AUTH_EUSERNAME);
	cc = client_cfg("alice", &alice);
	cc.method = AUTH_M_TOKEN;
	assert_int_equal(auth_client_init(&c, &cc), AUTH_EINVAL);
	sc.token_ok = 0;
	assert_int_equal(auth_server_init(&s, &sc), AUTH_EINVAL);
	/* out too small: sticky, nothing written */
	cc = client_cfg("alice", &alice);
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(auth_step(&c, 0, 0, buf, 20, &n), AUTH_ESPACE);
	assert_int_equal(n, 0);
	assert_string_equal(auth_why(&c), "auth: output buffer of 20 bytes is too small (give AUTH_MSG_MAX)");
	/* the client speaks first */
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(auth_step(&c, buf, 3, buf, sizeof buf, &n), AUTH_ESTATE);
	/* records before done */
	{
		struct auth_rec t, r;

		assert_int_equal(auth_take_records(&c, &t, &r), AUTH_ESTATE);
	}
	assert_string_equal(auth_errstr(AUTH_EHOSTMISMATCH), "auth: host key does not match known hosts");
	assert_string_equal(auth_errstr(5), "auth: unknown error");
	assert_int_equal(auth_msg_len((const uint8_t *)"\x01\x05\x01", 3), 3 + 0x105);
	assert_int_equal(auth_msg_len((const uint8_t *)"\x01\x05", 2), 0);
	assert_int_equal(auth_msg_len((const uint8_t *)"\x09\x05\x01", 3), AUTH_EMALFORMED);
}

/* ---- Cipher negotiation ----------------------------------------------- */

static bool have_aes(void)
{
	return (auth_ciphers_available() & AUTH_C_AES256GCM) != 0;
}

/* A whole ed25519 handshake with these cipher configs: its result, and
 * the cipher both ends agreed on in *got (0 when it failed). */
static int negotiate(unsigned client, unsigned server, unsigned *got)
{
	struct auth_server_config sc = server_cfg(&host);
	struct auth_client_config cc = client_cfg("alice", &alice);
	char who;
	int r;

	sc.ciphers = server;
	cc.ciphers = client;
	assert_int_equal(auth_server_init(&s, &sc), 0);
	assert_int_equal(auth_client_init(&c, &cc), 0);
	r = handshake(&c, &s, &f, &who);
	*got = auth_cipher(&c);
	if (r == AUTH_DONE) {
		assert_int_equal(auth_cipher(&s), *got);
		records_pair(&c, &s);	/* and the records of that cipher work */
	}
	return r;
}

static void test_cipher_pick(void **state)
{
	unsigned got;

	(void)state;
	/* both ends with every cipher they run: AES-256-GCM where the CPU
	 * has AES-NI, else ChaCha20-Poly1305 */
	assert_int_equal(negotiate(0, 0, &got), AUTH_DONE);
	assert_int_equal(got, have_aes() ? AUTH_C_AES256GCM : AUTH_C_CHACHA20POLY1305);
	/* either end forced to ChaCha20-Poly1305 */
	assert_int_equal(negotiate(AUTH_C_CHACHA20POLY1305, 0, &got), AUTH_DONE);
	assert_int_equal(got, AUTH_C_CHACHA20POLY1305);
	assert_int_equal(negotiate(0, AUTH_C_CHACHA20POLY1305, &got), AUTH_DONE);
	assert_int_equal(got, AUTH_C_CHACHA20POLY1305);
	assert_int_equal(negotiate(AUTH_C_ALL, AUTH_C_CHACHA20POLY1305, &got), AUTH_DONE);
	assert_int_equal(got, AUTH_C_CHACHA20POLY1305);
	if (!have_aes()) {
		print_message("no AES-NI here: AES-256-GCM cases skipped\n");
		return;
	}
	/* both forced to AES-256-GCM */
	assert_int_equal(negotiate(AUTH_C_AES256GCM, AUTH_C_AES256GCM, &got), AUTH_DONE);
	assert_int_equal(got, AUTH_C_AES256GCM);
	assert_int_equal(negotiate(AUTH_C_AES256GCM, 0, &got), AUTH_DONE);
	assert_int_equal(got, AUTH_C_AES256GCM);
	/* nothing in common: the server refuses and says why */
	assert_int_equal(negotiate(AUTH_C_AES256GCM, AUTH_C_CHACHA20POLY1305, &got), AUTH_ECIPHER);
	assert_int_equal(got, 0);
	assert_string_equal(auth_why(&s),
	                    "auth: no record cipher in common (client offers 0x2, this server runs 0x1)");
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], buf, sizeof buf, &f.n[2]), AUTH_EREFUSED);
	assert_string_equal(auth_why(&c), "auth: server refused: no record cipher in common");
}

static void test_cipher_config(void **state)
{
	struct auth_server_config sc = server_cfg(&host);
	struct auth_client_config cc = client_cfg("alice", &alice);

	(void)state;
	cc.ciphers = 1u << 5;
	assert_int_equal(auth_client_init(&c, &cc), AUTH_ECIPHER);
	assert_string_equal(auth_why(&c), "auth: config asks for unknown ciphers 0x20");
	sc.ciphers = AUTH_C_ALL | 1u << 7;
	assert_int_equal(auth_server_init(&s, &sc), AUTH_ECIPHER);
	if (!have_aes()) {
		/* AES-256-GCM alone, where the CPU cannot run it */
		cc.ciphers = AUTH_C_AES256GCM;
		assert_int_equal(auth_client_init(&c, &cc), AUTH_ECIPHER);
	}
	assert_int_equal(auth_ciphers_available() & AUTH_C_CHACHA20POLY1305, AUTH_C_CHACHA20POLY1305);
	assert_string_equal(auth_cipher_name(AUTH_C_AES256GCM), lc_aead_name(LC_AES256GCM));
	assert_string_equal(auth_cipher_name(AUTH_C_CHACHA20POLY1305), lc_aead_name(LC_CHACHA20POLY1305));
	assert_string_equal(auth_cipher_name(0), "none");
	assert_string_equal(auth_cipher_name(AUTH_C_ALL), "?");
	assert_string_equal(auth_errstr(AUTH_ECIPHER), "auth: no record cipher in common");
	/* not done: no cipher yet */
	cc.ciphers = 0;
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(auth_cipher(&c), 0);
}

/* What the server reads in the hello's offer: unknown bits are a later
 * version's ciphers and ignored; nothing known is a refusal. */
static void test_cipher_offer_fields(void **state)
{
	uint8_t m[512];
	size_t n;

	(void)state;
	n = hello_offer(m, AUTH_PROTOCOL, "ed25519", "alice", 0x80 | AUTH_C_CHACHA20POLY1305);
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_CONTINUE);
	assert_int_equal(buf[3 + 96], AUTH_C_CHACHA20POLY1305);	/* the pick in the proof */
	n = hello_offer(m, AUTH_PROTOCOL, "ed25519", "alice", AUTH_C_ALL);
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_CONTINUE);
	assert_int_equal(buf[3 + 96], have_aes() ? AUTH_C_AES256GCM : AUTH_C_CHACHA20POLY1305);
	n = hello_offer(m, AUTH_PROTOCOL, "ed25519", "alice", 0);
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_ECIPHER);
	n = hello_offer(m, AUTH_PROTOCOL, "ed25519", "alice", 0xfc);
	assert_int_equal(serve_hello(m, n, AUTH_M_ED25519), AUTH_ECIPHER);
	assert_string_equal(auth_why(&s), have_aes() ?
	                    "auth: no record cipher in common (client offers 0xfc, this server runs 0x3)" :
	                    "auth: no record cipher in common (client offers 0xfc, this server runs 0x1)");
}

/* A man in the middle strikes AES-256-GCM from the offer (or, on a CPU
 * without it, changes the offer at all): the server picks from what it
 * got and signs that; the client's transcript has what it sent, so the
 * signature does not verify.  Likewise a pick altered on its way back. */
static void test_cipher_downgrade(void **state)
{
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX];
	struct auth_server_config sc = server_cfg(&host);
	struct auth_client_config cc = client_cfg("alice", &alice);
	size_t n;

	(void)state;
	fp(host.pk, p);
	snprintf(want, sizeof want, "auth: bad signature from host key %s", p);
	assert_int_equal(auth_server_init(&s, &sc), 0);
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(auth_step(&c, 0, 0, f.m[0], AUTH_MSG_MAX, &f.n[0]), AUTH_CONTINUE);
	assert_int_equal(f.m[0][f.n[0] - 1], auth_ciphers_available());	/* the offer, last */
	f.m[0][f.n[0] - 1] = have_aes() ? AUTH_C_CHACHA20POLY1305 : AUTH_C_ALL;
	assert_int_equal(auth_step(&s, f.m[0], f.n[0], f.m[1], AUTH_MSG_MAX, &f.n[1]), AUTH_CONTINUE);
	assert_int_equal(f.m[1][3 + 96], AUTH_C_CHACHA20POLY1305);	/* the server was fooled */
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], buf, sizeof buf, &n), AUTH_EHOSTSIG);
	assert_int_equal(n, 0);	/* and the client sends nothing more */
	assert_string_equal(auth_why(&c), want);

	/* the pick changed on the way back */
	start(&c, &s, &f);
	f.m[1][3 + 96] ^= AUTH_C_ALL;
	assert_int_equal(auth_step(&c, f.m[1], f.n[1], buf, sizeof buf, &n), AUTH_EHOSTSIG);
	assert_string_equal(auth_why(&c), want);
}

/* A server message signed by the real host key over the real transcript,
 * with any pick: what a server that breaks the rules would send. */
static size_t forged_proof(const uint8_t *hello, size_t hn, unsigned pick, uint8_t *m)
{
	uint8_t h[64], blob[96];
	crypto_generichash_state st;
	size_t n = 3 + 97, l = strlen(AUTH_PROTOCOL " server") + 1;

	m[0] = 2;
	m[1] = 97 + 64;
	m[2] = 0;
	memset(m + 3, 0x11, 32);			/* nonce */
	memset(blob, 0x22, 32);
	assert_int_equal(lc_x25519_public(m + 35, blob), 0);	/* ephemeral */
	memcpy(m + 67, host.pk, 32);
	m[99] = (uint8_t)pick;
	crypto_generichash_init(&st, 0, 0, 64);
	crypto_generichash_update(&st, hello, hn);
	crypto_generichash_update(&st, m, n);
	crypto_generichash_final(&st, h, 64);
	memcpy(blob, AUTH_PROTOCOL " server", l);
	memcpy(blob + l, h, 64);
	assert_int_equal(lc_ed25519_sign(m + n, blob, l + 64, host.sk), 0);
	return n + 64;
}

static void test_cipher_not_offered(void **state)
{
	struct auth_client_config cc = client_cfg("alice", &alice);
	static const unsigned picks[] = { 0, AUTH_C_AES256GCM, AUTH_C_ALL, 0x80 };
	char want[AUTH_WHY_MAX], p[AUTH_FP_MAX];
	uint8_t m[AUTH_MSG_MAX];
	size_t n;

	(void)state;
	fp(host.pk, p);
	cc.ciphers = AUTH_C_CHACHA20POLY1305;
	/* the forgery is right: an honest pick goes through */
	assert_int_equal(auth_client_init(&c, &cc), 0);
	assert_int_equal(auth_step(&c, 0, 0, f.m[0], AUTH_MSG_MAX, &f.n[0]), AUTH_CONTINUE);
	n = forged_proof(f.m[0], f.n[0], AUTH_C_CHACHA20POLY1305, m);
	assert_int_equal(auth_step(&c, m, n, buf, sizeof buf, &n), AUTH_CONTINUE);
	for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
		assert_int_equal(auth_client_init(&c, &cc), 0);
		assert_int_equal(auth_step(&c, 0, 0, f.m[0], AUTH_MSG_MAX, &f.n[0]), AUTH_CONTINUE);
		n = forged_proof(f.m[0], f.n[0], picks[i], m);
		assert_int_equal(auth_step(&c, m, n, buf, sizeof buf, &n), AUTH_ECIPHER);
		assert_int_equal(n, 0);
		snprintf(want, sizeof want, "auth: host %s picked cipher %#x; we offered 0x1", p, picks[i]);
		assert_string_equal(auth_why(&c), want);
	}
}

/* The fingerprint against libsodium called directly. */
static void test_fingerprint(void **state)
{
	uint8_t h[32];
	char want[64], got[AUTH_FP_MAX];

	(void)state;
	crypto_hash_sha256(h, host.pk, 32);
	strcpy(want, "SHA256:");
	sodium_bin2base64(want + 7, sizeof want - 7, h, 32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	assert_int_equal(auth_fingerprint(host.pk, got, sizeof got), 50);
	assert_string_equal(got, want);
	assert_int_equal(auth_fingerprint(host.pk, got, sizeof got - 1), AUTH_ESPACE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ed25519_handshake, fixture_setup),
		cmocka_unit_test_setup(test_token_handshake, fixture_setup),
		cmocka_unit_test_setup(test_token_refused, fixture_setup),
		cmocka_unit_test_setup(test_wrong_user_key, fixture_setup),
		cmocka_unit_test_setup(test_unknown_user, fixture_setup),
		cmocka_unit_test_setup(test_unknown_host_key, fixture_setup),
		cmocka_unit_test_setup(test_host_key_mismatch, fixture_setup),
		cmocka_unit_test_setup(test_host_key_without_its_secret, fixture_setup),
		cmocka_unit_test_setup(test_replayed_client_proof, fixture_setup),
		cmocka_unit_test_setup(test_replayed_token, fixture_setup),
		cmocka_unit_test_setup(test_replayed_server_message, fixture_setup),
		cmocka_unit_test_setup(test_replayed_confirmation, fixture_setup),
		cmocka_unit_test_setup(test_malformed_hello, fixture_setup),
		cmocka_unit_test_setup(test_hello_fields_refused, fixture_setup),
		cmocka_unit_test_setup(test_malformed_server_proof, fixture_setup),
		cmocka_unit_test_setup(test_malformed_user_proof, fixture_setup),
		cmocka_unit_test_setup(test_malformed_token, fixture_setup),
		cmocka_unit_test_setup(test_malformed_confirmation, fixture_setup),
		cmocka_unit_test_setup(test_refusal_reaches_client, fixture_setup),
		cmocka_unit_test_setup(test_bad_calls, fixture_setup),
		cmocka_unit_test_setup(test_cipher_pick, fixture_setup),
		cmocka_unit_test_setup(test_cipher_config, fixture_setup),
		cmocka_unit_test_setup(test_cipher_offer_fields, fixture_setup),
		cmocka_unit_test_setup(test_cipher_downgrade, fixture_setup),
		cmocka_unit_test_setup(test_cipher_not_offered, fixture_setup),
		cmocka_unit_test_setup(test_fingerprint, fixture_setup),
	};

	if (lc_init(entropy) < 0)
		return 1;
	return cmocka_run_group_tests(tests, 0, 0);
}
