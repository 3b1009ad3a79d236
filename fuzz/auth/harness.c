/*
 * Fuzz harness for the authentication engine (core/auth).
 *
 * The first byte picks a target (fuzz_auth.h): a server or a client
 * engine at each stage of the handshake (the earlier stages played by a
 * real peer in memory), or a record opener.  The rest of the input is cut
 * into handshake messages by their own length headers (what does not
 * frame goes as one message) or, for records, offered to the opener as a
 * stream that grows a byte at a time.  Crashes and sanitizer reports are
 * the findings; besides, the harness abort()s when a promise breaks:
 * an error must be sticky (the next call returns it again and writes
 * nothing), nothing may be written or consumed past a buffer, and an
 * opener must never report more payload than it was given room for.
 *
 * Built by afl-clang-fast this is an AFL++ persistent-mode harness; built
 * by a normal compiler it replays files: harness FILE|DIR...
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lux/auth.h>
#include <lux/captoken.h>
#include <lux/crypto.h>

#include "fuzz_auth.h"

static struct auth cl, sv;
static uint8_t msg[AUTH_MSG_MAX], scratch[AUTH_MSG_MAX];
static uint8_t host_pk[32], host_sk[64], user_pk[32], user_sk[64];
static uint8_t token[CT_WIRE_MAX];
static size_t token_len;
static uint8_t plain[AUTH_OPEN_BUF];

static int entropy(void *buf, size_t n)
{
	memset(buf, 0x42, n);	/* deterministic: the same input runs the same way */
	return 0;
}

static int known_host(void *arg, const uint8_t pk[32])
{
	(void)arg;
	return memcmp(pk, host_pk, 32) == 0 ? AUTH_HOST_KNOWN : AUTH_HOST_MISMATCH;
}

static int user_key(void *arg, const char *user, const uint8_t pk[32])
{
	(void)arg;
	if (strcmp(user, "glenda") != 0)
		return AUTH_USER_UNKNOWN;
	return memcmp(pk, user_pk, 32) == 0 ? AUTH_USER_OK : AUTH_USER_KEY_REFUSED;
}

static int token_ok(void *arg, const char *user, const uint8_t *tok, size_t n, struct ct_grant *g)
{
	struct ct_request req = { 1, CT_R_READ, "/", 0, 0 };

	(void)arg;
	(void)user;
	return captoken_verify(tok, n, &req, g);
}

static void setup(void)
{
	uint8_t seed[32];
	struct ct_cap cap;

	if (lc_init(entropy) < 0)
		abort();
	memset(seed, 1, sizeof seed);
	lc_ed25519_seed_keypair(host_pk, host_sk, seed);
	memset(seed, 2, sizeof seed);
	lc_ed25519_seed_keypair(user_pk, user_sk, seed);
	captoken_init_key(seed);
	if (captoken_mint(1, CT_R_READ, &cap, token, sizeof token, &token_len) != CT_OK)
		abort();
}

static void server_init(void)
{
	struct auth_server_config c = {
		.host_pk = host_pk, .host_sk = host_sk, .methods = AUTH_M_ED25519 | AUTH_M_TOKEN,
		.user_key = user_key, .token_ok = token_ok,
	};

	if (auth_server_init(&sv, &c) != 0)
		abort();
}

static void client_init(enum auth_method m)
{
	struct auth_client_config c = {
		.method = m, .user = "glenda", .user_pk = user_pk, .user_sk = user_sk,
		.token = token, .token_len = token_len, .known_host = known_host,
	};

	if (auth_client_init(&cl, &c) != 0)
		abort();
}

/* One step, and the engine's promises about it. */
static int step(struct auth *a, const uint8_t *in, size_t n)
{
	size_t out = 0, again = 1;
	int r = auth_step(a, in, n, msg, sizeof msg, &out), r2;

	if (out > sizeof msg || (r > AUTH_CONTINUE) || r <= AUTH_ENERR)
		abort();
	if (r < 0) {
		if (auth_why(a)[0] == 0)
			abort();	/* every failure says why */
		r2 = auth_step(a, in, n, scratch, sizeof scratch, &again);
		if (r2 != r || again != 0)
			abort();	/* sticky, and silent the second time */
	}
	return r;
}

/* A real peer's step, which must succeed. */
static size_t real(struct auth *a, const uint8_t *in, size_t n, uint8_t *out, int want)
{
	size_t on;

	if (auth_step(a, in, n, out, AUTH_MSG_MAX, &on) != want)
		abort();
	return on;
}

/* Feed the input as messages framed by their headers until the engine
 * stops. */
static void feed(struct auth *a, const uint8_t *p, size_t n)
{
	do {
		long len = auth_msg_len(p, n);
		size_t take = len > 0 && (size_t)len <= n ? (size_t)len : n;

		if (step(a, p, take) != AUTH_CONTINUE)
			return;
		p += take;
		n -= take;
	} while (n > 0);
}

static void records(const uint8_t *p, size_t n, unsigned cipher)
{
	struct auth_rec rx;
	size_t pos = 0, used, got;
	int r = 0;

	memset(&rx, 0, sizeof rx);
	memset(rx.key, FA_REC_KEY_BYTE, sizeof rx.key);
	rx.keyed = true;
	rx.cipher = (uint8_t)cipher;
	/* the stream as TCP might deliver it: one more byte each time */
	for (size_t end = 1; end <= n; end++) {
		r = auth_open(&rx, p + pos, end - pos, plain, sizeof plain, &used, &got);
		if (used > end - pos || got > sizeof plain)
			abort();
		pos += used;
		if (r < 0) {
			size_t u2 = 9, g2 = 9;

			if (auth_open(&rx, p + pos, n - pos, plain, sizeof plain, &u2, &g2) != r ||
			    u2 != 0 || g2 != 0 || auth_open_eof(&rx) != r || auth_rec_why(&rx)[0] == 0)
				abort();
			return;
		}
	}
	r = auth_open_eof(&rx);
	if (r != 0 && (r != AUTH_ETRUNCATED || auth_open_eof(&rx) != r))
		abort();
}

static void one(const uint8_t *buf, size_t len)
{
	uint8_t m1[AUTH_MSG_MAX], m2[AUTH_MSG_MAX], m3[AUTH_MSG_MAX];
	size_t n1, n2, n3;

	if (len == 0)
		return;
	switch (buf[0] % FA_NMODES) {
	case FA_SERVER_HELLO:
		server_init();
		feed(&sv, buf + 1, len - 1);
		break;
	case FA_CLIENT_PROOF:
		client_init(AUTH_M_ED25519);
		real(&cl, 0, 0, m1, AUTH_CONTINUE);
		feed(&cl, buf + 1, len - 1);
		break;
	case FA_SERVER_USER:
	case FA_SERVER_TOKEN:
		client_init(buf[0] % FA_NMODES == FA_SERVER_USER ? AUTH_M_ED25519 : AUTH_M_TOKEN);
		server_init();
		n1 = real(&cl, 0, 0, m1, AUTH_CONTINUE);
		real(&sv, m1, n1, m2, AUTH_CONTINUE);
		feed(&sv, buf + 1, len - 1);
		break;
	case FA_CLIENT_CONFIRM:
		client_init(AUTH_M_ED25519);
		server_init();
		n1 = real(&cl, 0, 0, m1, AUTH_CONTINUE);
		n2 = real(&sv, m1, n1, m2, AUTH_CONTINUE);
		n3 = real(&cl, m2, n2, m3, AUTH_CONTINUE);
		(void)n3;
		feed(&cl, buf + 1, len - 1);
		break;
	default:
		records(buf + 1, len - 1, FA_REC_CIPHER(buf[0] % FA_NMODES));
		break;
	}
	auth_wipe(&cl);
	auth_wipe(&sv);
}

/* Run one input from an exact-size heap copy. */
static void run(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	memcpy(copy, data, len);
	one(copy, len);
	free(copy);
}

#ifdef __AFL_FUZZ_TESTCASE_LEN

__AFL_FUZZ_INIT();

int main(void)
{
	unsigned char *buf;

	setup();
#ifdef __AFL_HAVE_MANUAL_CONTROL
	__AFL_INIT();
#endif
	buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(10000))
		run(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
	return 0;
}

#else

static int replay_file(const char *path)
{
	static uint8_t data[4 * AUTH_REC_MAX];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(data, 1, sizeof data, f);
	fclose(f);
	run(data, n);
	return 0;
}

static int replay(const char *path)
{
	struct stat sb;
	DIR *dir;
	struct dirent *e;
	char sub[4096];
	int bad = 0;

	if (stat(path, &sb) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(sb.st_mode))
		return replay_file(path);
	dir = opendir(path);
	if (!dir) {
		perror(path);
		return 1;
	}
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		bad |= replay(sub);
	}
	closedir(dir);
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...  (replays inputs through the auth engine)\n", argv[0]);
		return 2;
	}
	setup();
	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i]);
	return bad;
}

#endif
