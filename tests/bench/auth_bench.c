/*
 * bench-auth: the record layer and the handshake (core/auth), each in one
 * run against a named baseline measured in the same run:
 *
 *  - record seal + open of 64 KiB, against one bare lc_aead_encrypt +
 *    lc_aead_decrypt of the same 64 KiB with the same cipher, for each
 *    record cipher this CPU runs (ChaCha20-Poly1305 IETF; AES-256-GCM
 *    with AES-NI): the ratio is what framing, the sequence nonce, the
 *    type byte and the plaintext copy into the record cost.  The in-place row seals a
 *    payload the caller built at out + AUTH_REC_HDR (no copy).
 *  - a whole ed25519 handshake, both ends in memory, against its crypto
 *    floor: 2 X25519 key generations, 2 X25519, 2 Ed25519 signatures and
 *    2 verifications, called directly.
 *
 * The core's sources are compiled in as is, -O2, no sanitizers; the
 * spinlock captoken.c takes is lux9p's one-thread lock (sim/lux9p/nokernel.c).
 *
 * usage: bench-auth [--quick]   (--quick: tiny counts, for bench-smoke)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <lux/auth.h>
#include <lux/crypto.h>

#include "bench.h"

#define REPS 9
#define PAYLOAD 65536


static int entropy(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

static void die(const char *msg)
{
	fprintf(stderr, "bench-auth: %s\n", msg);
	exit(1);
}

static uint8_t pt[PAYLOAD], ct[PAYLOAD + 64], back[AUTH_OPEN_BUF], rec[AUTH_REC_MAX];
static uint8_t key[32], nonce[12];
static struct auth_rec tx, rx;
static unsigned cipher;		/* AUTH_C_* under test */

static double run_aead(uint64_t n)
{
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < n; i++) {
		nonce[4] = (uint8_t)i;
		enum lc_aead_alg alg = cipher == AUTH_C_AES256GCM ? LC_AES256GCM : LC_CHACHA20POLY1305;

		if (lc_aead_encrypt(alg, ct, pt, PAYLOAD, 0, 0, nonce, key) ||
		    lc_aead_decrypt(alg, back, ct, PAYLOAD + 16, 0, 0, nonce, key))
			die("aead failed");
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double records(uint64_t n, int in_place)
{
	uint64_t t0 = now_ns();
	size_t used, got;

	for (uint64_t i = 0; i < n; i++) {
		long r = in_place ? auth_seal(&tx, rec + AUTH_REC_HDR, PAYLOAD, rec, sizeof rec)
		                  : auth_seal(&tx, pt, PAYLOAD, rec, sizeof rec);

		if (r != (long)AUTH_REC_SEALED(PAYLOAD) ||
		    auth_open(&rx, rec, (size_t)r, back, sizeof back, &used, &got) != 0 || got != PAYLOAD)
			die("record round trip failed");
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double run_rec(uint64_t n) { return records(n, 0); }
static double run_rec_inplace(uint64_t n) { return records(n, 1); }

/* ---- Handshake ---------------------------------------------------------- */

static uint8_t hpk[32], hsk[64], upk[32], usk[64];

static int known(void *arg, const uint8_t pk[32]) { (void)arg; return memcmp(pk, hpk, 32) ? AUTH_HOST_MISMATCH : AUTH_HOST_KNOWN; }
static int authorized(void *arg, const char *user, const uint8_t pk[32])
{
	(void)arg;
	(void)user;
	return memcmp(pk, upk, 32) ? AUTH_USER_KEY_REFUSED : AUTH_USER_OK;
}

static double run_handshake(uint64_t n)
{
	static struct auth c, s;
	static uint8_t m[4][AUTH_MSG_MAX];
	size_t l[5];
	struct auth_server_config sc = { .host_pk = hpk, .host_sk = hsk, .methods = AUTH_M_ED25519,
	                                 .user_key = authorized };
	struct auth_client_config cc = { .method = AUTH_M_ED25519, .user = "glenda", .user_pk = upk,
	                                 .user_sk = usk, .known_host = known };
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < n; i++) {
		if (auth_client_init(&c, &cc) || auth_server_init(&s, &sc) ||
		    auth_step(&c, 0, 0, m[0], AUTH_MSG_MAX, &l[0]) != AUTH_CONTINUE ||
		    auth_step(&s, m[0], l[0], m[1], AUTH_MSG_MAX, &l[1]) != AUTH_CONTINUE ||
		    auth_step(&c, m[1], l[1], m[2], AUTH_MSG_MAX, &l[2]) != AUTH_CONTINUE ||
		    auth_step(&s, m[2], l[2], m[3], AUTH_MSG_MAX, &l[3]) != AUTH_DONE ||
		    auth_step(&c, m[3], l[3], m[0], AUTH_MSG_MAX, &l[4]) != AUTH_DONE)
			die("handshake failed");
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double run_floor(uint64_t n)
{
	uint8_t a[32], b[32], pa[32], pb[32], q[32], sig[64], msg[83] = { 1 };
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < n; i++) {
		lc_random(a, 32);
		lc_random(b, 32);
		if (lc_x25519_public(pa, a) || lc_x25519_public(pb, b) || lc_x25519(q, a, pb) ||
		    lc_x25519(q, b, pa) || lc_ed25519_sign(sig, msg, sizeof msg, hsk) ||
		    lc_ed25519_verify(sig, msg, sizeof msg, hpk) ||
		    lc_ed25519_sign(sig, msg, sizeof msg, usk) ||
		    lc_ed25519_verify(sig, msg, sizeof msg, upk))
			die("floor failed");
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double median(double (*run)(uint64_t), uint64_t n)
{
	double v[REPS];

	run(n / 4 + 1);
	for (int i = 0; i < REPS; i++)
		v[i] = run(n);
	qsort(v, REPS, sizeof v[0], cmp_double);
	return v[REPS / 2];
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	uint64_t nrec = quick ? 4 : 400, nhs = quick ? 2 : 300;
	uint8_t seed[32];
	double hs, fl;
	static const unsigned ciphers[] = { AUTH_C_CHACHA20POLY1305, AUTH_C_AES256GCM };

	if (lc_init(entropy) < 0)
		die("lc_init failed");
	lc_random(key, sizeof key);
	lc_random(pt, sizeof pt);
	memset(seed, 1, 32);
	lc_ed25519_seed_keypair(hpk, hsk, seed);
	memset(seed, 2, 32);
	lc_ed25519_seed_keypair(upk, usk, seed);

	printf("bench-auth: medians of %d runs; sizeof(struct auth) = %zu bytes\n", REPS, sizeof(struct auth));
	printf("%-48s %12s %10s %8s\n", "operation", "us/op", "MB/s", "ratio");
	for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++) {
		double base, r, ri;
		char what[64];

		cipher = ciphers[i];
		if (!(auth_ciphers_available() & cipher)) {
			printf("%s: not on this CPU\n", auth_cipher_name(cipher));
			continue;
		}
		memset(&tx, 0, sizeof tx);
		memset(&rx, 0, sizeof rx);
		memcpy(tx.key, key, 32);
		memcpy(rx.key, key, 32);
		tx.keyed = rx.keyed = true;
		tx.cipher = rx.cipher = (uint8_t)cipher;
		base = median(run_aead, nrec);
		r = median(run_rec, nrec);
		ri = median(run_rec_inplace, nrec);
		snprintf(what, sizeof what, "baseline: %s encrypt+decrypt 64 KiB", auth_cipher_name(cipher));
		printf("%-48s %12.1f %10.0f %8s\n", what, base / 1e3, 2.0 * PAYLOAD / base * 1e3, "1.00");
		printf("%-48s %12.1f %10.0f %8.2f\n", "auth_seal + auth_open, 64 KiB record", r / 1e3,
		       2.0 * PAYLOAD / r * 1e3, r / base);
		printf("%-48s %12.1f %10.0f %8.2f\n", "  the same, sealed in place", ri / 1e3,
		       2.0 * PAYLOAD / ri * 1e3, ri / base);
	}
	fl = median(run_floor, nhs);
	hs = median(run_handshake, nhs);
	printf("%-48s %12.1f %10s %8s\n", "baseline: 2 x25519 keygen+dh, 2 sign, 2 verify", fl / 1e3, "-", "1.00");
	printf("%-48s %12.1f %10s %8.2f\n", "ed25519 handshake, both ends", hs / 1e3, "-", hs / fl);
	return 0;
}
