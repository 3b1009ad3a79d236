/*
 * Writes the seed corpus for the auth fuzzer into a directory: every
 * handshake message of a real exchange of each method, prefixed with the
 * mode byte of the engine that reads it (fuzz_auth.h; one exchange with
 * the client offering ChaCha20-Poly1305 only), a server's error message,
 * and record streams of each cipher sealed under the harness's record key.
 * Usage: gen_seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <lux/auth.h>
#include <lux/captoken.h>
#include <lux/crypto.h>

#include "fuzz_auth.h"

static const char *dir;
static int files, bad;
static uint8_t host_pk[32], host_sk[64], user_pk[32], user_sk[64];

static int entropy(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

static int known_host(void *arg, const uint8_t pk[32])
{
	(void)arg;
	(void)pk;
	return AUTH_HOST_KNOWN;
}

static int user_key(void *arg, const char *user, const uint8_t pk[32])
{
	(void)arg;
	(void)user;
	(void)pk;
	return AUTH_USER_OK;
}

static int token_ok(void *arg, const char *user, const uint8_t *tok, size_t n, struct ct_grant *g)
{
	(void)arg;
	(void)user;
	(void)tok;
	(void)n;
	memset(g, 0, sizeof *g);
	return CT_OK;
}

/* mode byte, then the parts, as one file */
static void save(const char *name, int mode, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	char path[4096];
	uint8_t m = (uint8_t)mode;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&m, 1, 1, f) != 1 || fwrite(a, 1, an, f) != an ||
	    (bn && fwrite(b, 1, bn, f) != bn)) {
		perror(path);
		bad = 1;
	} else {
		files++;
	}
	if (f && fclose(f) != 0)
		bad = 1;
}

static void exchange(enum auth_method method, unsigned ciphers, const char *tag)
{
	static struct auth c, s;
	static uint8_t m[4][AUTH_MSG_MAX], tok[CT_WIRE_MAX];
	size_t n[5], tn;
	struct ct_cap cap;
	struct auth_server_config sc = {
		.host_pk = host_pk, .host_sk = host_sk, .methods = AUTH_M_ED25519 | AUTH_M_TOKEN,
		.user_key = user_key, .token_ok = token_ok,
	};
	struct auth_client_config cc = {
		.method = method, .user = "glenda", .user_pk = user_pk, .user_sk = user_sk,
		.known_host = known_host, .ciphers = ciphers,
	};
	char name[64];
	uint8_t last[8];

	if (captoken_mint(1, CT_R_READ, &cap, tok, sizeof tok, &tn) != CT_OK ||
	    captoken_restrict_u64(tok, tn, CT_CAV_EXPIRY, 1000, tok, sizeof tok, &tn) != CT_OK)
		exit(1);
	cc.token = tok;
	cc.token_len = tn;
	if (auth_client_init(&c, &cc) || auth_server_init(&s, &sc) ||
	    auth_step(&c, 0, 0, m[0], AUTH_MSG_MAX, &n[0]) != AUTH_CONTINUE ||
	    auth_step(&s, m[0], n[0], m[1], AUTH_MSG_MAX, &n[1]) != AUTH_CONTINUE ||
	    auth_step(&c, m[1], n[1], m[2], AUTH_MSG_MAX, &n[2]) != AUTH_CONTINUE ||
	    auth_step(&s, m[2], n[2], m[3], AUTH_MSG_MAX, &n[3]) != AUTH_DONE ||
	    auth_step(&c, m[3], n[3], last, sizeof last, &n[4]) != AUTH_DONE) {
		fprintf(stderr, "gen_seeds: %s handshake failed: %s / %s\n", tag, auth_why(&c), auth_why(&s));
		exit(1);
	}
	snprintf(name, sizeof name, "hello-%s", tag);
	save(name, FA_SERVER_HELLO, m[0], n[0], 0, 0);
	snprintf(name, sizeof name, "hello-then-proof-%s", tag);
	save(name, FA_SERVER_HELLO, m[0], n[0], m[2], n[2]);
	snprintf(name, sizeof name, "server-proof-%s", tag);
	save(name, FA_CLIENT_PROOF, m[1], n[1], 0, 0);
	snprintf(name, sizeof name, "user-proof-%s", tag);
	save(name, method == AUTH_M_TOKEN ? FA_SERVER_TOKEN : FA_SERVER_USER, m[2], n[2], 0, 0);
	snprintf(name, sizeof name, "confirm-%s", tag);
	save(name, FA_CLIENT_CONFIRM, m[3], n[3], 0, 0);
}

static void refusal(void)
{
	static struct auth s;
	uint8_t out[AUTH_MSG_MAX];
	static const uint8_t hello[] = "\x01\x05\x00\x03lux";
	struct auth_server_config sc = {
		.host_pk = host_pk, .host_sk = host_sk, .methods = AUTH_M_ED25519,
		.user_key = user_key,
	};
	size_t n;

	if (auth_server_init(&s, &sc) || auth_step(&s, hello, 7, out, sizeof out, &n) >= 0 || n == 0)
		exit(1);
	save("error-to-client-proof", FA_CLIENT_PROOF, out, n, 0, 0);
	save("error-to-client-confirm", FA_CLIENT_CONFIRM, out, n, 0, 0);
}

static void records(int mode, const char *tag)
{
	static uint8_t stream[8192], pt[1024];
	struct auth_rec tx;
	size_t len = 0;
	static const size_t sizes[] = { 0, 1, 24, 1024 };
	char name[64];

	memset(&tx, 0, sizeof tx);
	memset(tx.key, FA_REC_KEY_BYTE, sizeof tx.key);
	tx.keyed = true;
	tx.cipher = (uint8_t)FA_REC_CIPHER(mode);
	memset(pt, 'x', sizeof pt);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		len += (size_t)auth_seal(&tx, pt, sizes[i], stream + len, sizeof stream - len);
	snprintf(name, sizeof name, "records-open%s", tag);
	save(name, mode, stream, len, 0, 0);
	len += (size_t)auth_seal_close(&tx, stream + len, sizeof stream - len);
	snprintf(name, sizeof name, "records-closed%s", tag);
	save(name, mode, stream, len, 0, 0);
}

int main(int argc, char **argv)
{
	uint8_t seed[32];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	mkdir(dir, 0777);
	if (lc_init(entropy) < 0)
		return 1;
	memset(seed, 1, sizeof seed);
	lc_ed25519_seed_keypair(host_pk, host_sk, seed);
	memset(seed, 2, sizeof seed);
	lc_ed25519_seed_keypair(user_pk, user_sk, seed);
	captoken_init_key(seed);
	exchange(AUTH_M_ED25519, 0, "ed25519");
	exchange(AUTH_M_TOKEN, 0, "token");
	exchange(AUTH_M_ED25519, AUTH_C_CHACHA20POLY1305, "ed25519-chacha20poly1305");
	refusal();
	records(FA_RECORDS, "");
	records(FA_RECORDS_AES, "-aes256gcm");
	if (!bad)
		printf("gen_seeds: %d seeds in %s\n", files, dir);
	return bad;
}
