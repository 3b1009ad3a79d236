/*
 * bench-captoken: nanoseconds per capability-token verification, in one
 * run, against the named baseline: one raw libsodium keyed BLAKE2b-256
 * (crypto_generichash with a 32-byte key, what lc_mac is) over the same
 * 19-byte id a root token MACs.  Also shown, for the choice of MAC: one
 * raw crypto_auth_hmacsha256 of the same bytes.
 *
 * A verification is: decode (bounds checks), the MAC chain (1 + ncaveats
 * MACs), a constant-time compare, the generation check under the lock and
 * the caveat checks.  So the floor is (1 + ncaveats) baseline MACs; the
 * ratio column says how close to that floor it runs.  The core's sources
 * (captoken.c, captoken_codec.c, lib/string.c) are compiled in as is, -O2,
 * no sanitizers; the spinlock is a stand-in that only marks (one thread).
 *
 * usage: bench-captoken [--quick]   (--quick: tiny counts, for bench-smoke)
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <sodium.h>

#include <lux/captoken.h>
#include <lux/crypto.h>
#include <lux/lock.h>

#include "bench.h"

#define MAXREPS 16

/* ---- What captoken.c needs from the rest of the core ------------------ */

void spin_lock_at(struct spinlock *l, const char *file, int line)
{
	(void)file;
	(void)line;
	l->locked = 1;
}

void spin_unlock(struct spinlock *l)
{
	l->locked = 0;
}

static int entropy(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

static void die(const char *msg)
{
	fprintf(stderr, "bench-captoken: %s\n", msg);
	exit(1);
}

/* ---- The measured operations ------------------------------------------ */

static uint8_t key[32], id[CT_ID_BYTES], out[32];
static uint8_t tok0[CT_WIRE_MAX], tok4[CT_WIRE_MAX], tok32[CT_WIRE_MAX], bad4[CT_WIRE_MAX],
               bad4first[CT_WIRE_MAX];
static size_t n0, n4, n32;
static struct ct_request req = {77, CT_R_READ, "/usr/glenda/lib", 10, 1};
static volatile int sink;

static double run_blake2b(uint64_t n)
{
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < n; i++) {
		id[0] = (uint8_t)i;	/* a new message each time */
		crypto_generichash(out, 32, id, sizeof id, key, 32);
		sink += out[0];
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double run_hmac(uint64_t n)
{
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < n; i++) {
		id[0] = (uint8_t)i;
		crypto_auth_hmacsha256(out, id, sizeof id, key);
		sink += out[0];
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double run_verify(const uint8_t *t, size_t len, int want, uint64_t n)
{
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < n; i++)
		if (captoken_verify(t, len, &req, 0) != want)
			die("verification gave the wrong answer");
	return (double)(now_ns() - t0) / (double)n;
}

static double run_v0(uint64_t n) { return run_verify(tok0, n0, CT_OK, n); }
static double run_v4(uint64_t n) { return run_verify(tok4, n4, CT_OK, n); }
static double run_v32(uint64_t n) { return run_verify(tok32, n32, CT_OK, n); }
static double run_bad4(uint64_t n) { return run_verify(bad4, n4, CT_EFORGED, n); }
static double run_bad4first(uint64_t n) { return run_verify(bad4first, n4, CT_EFORGED, n); }

/* n <= 200 (the free slots): mint n, then time revoking them all. */
static double run_revoke(uint64_t n)
{
	static struct ct_cap c[200];
	uint8_t t[CT_WIRE_MAX];
	size_t len;
	uint64_t t0;

	for (uint64_t i = 0; i < n; i++)
		if (captoken_mint(1, CT_R_READ, &c[i], t, sizeof t, &len) != CT_OK)
			die("mint failed");
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++)
		if (captoken_revoke(c[i]) != CT_OK)
			die("revoke failed");
	return (double)(now_ns() - t0) / (double)n;
}

/* ---- Table ------------------------------------------------------------ */

struct result {
	const char *name;
	int reps;
	double median, min, floor;	/* floor: MACs in it, in baselines */
};

static struct result measure(const char *name, double (*run)(uint64_t), uint64_t n, int reps,
                             double floor)
{
	double v[MAXREPS];
	struct result r = {name, reps, 0, 0, floor};

	run(n / 4 + 1);	/* warm up */
	for (int i = 0; i < reps; i++)
		v[i] = run(n);
	qsort(v, (size_t)reps, sizeof v[0], cmp_double);
	r.min = v[0];
	r.median = reps % 2 ? v[reps / 2] : (v[reps / 2 - 1] + v[reps / 2]) / 2;
	return r;
}

static void row(const struct result *r, const struct result *base)
{
	char fl[32] = "";

	if (r->floor > 0)
		snprintf(fl, sizeof fl, "%5.2f of %2.0f", r->median / base->median, r->floor);
	else
		snprintf(fl, sizeof fl, "%5.2f", r->median / base->median);
	printf("%-34s %4d %9.1f %9.1f   %s\n", r->name, r->reps, r->median, r->min, fl);
}

static void attenuate(uint8_t *t, size_t *n, enum ct_caveat_kind k, const void *v, size_t vl)
{
	if (captoken_attenuate(t, *n, k, v, vl, t, CT_WIRE_MAX, n) != CT_OK)
		die("attenuate failed");
}

int main(int argc, char **argv)
{
	uint64_t n = 200000;
	int reps = 7, quick = 0;
	struct ct_cap cap;
	struct result rs[8];
	uint8_t rights[4] = {CT_R_READ | CT_R_WRITE, 0, 0, 0}, big[8];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else {
			fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
			return 2;
		}
	}
	if (quick) {
		n = 500;
		reps = 3;
	}
	if (lc_init(entropy) < 0 || captoken_init() != CT_OK)
		die("crypto init failed");
	randombytes_buf(key, sizeof key);
	randombytes_buf(id, sizeof id);

	if (captoken_mint(77, CT_R_ALL, &cap, tok0, sizeof tok0, &n0) != CT_OK)
		die("mint failed");
	memcpy(tok4, tok0, n0);
	n4 = n0;
	memset(big, 0xff, sizeof big);
	attenuate(tok4, &n4, CT_CAV_RIGHTS, rights, 4);
	attenuate(tok4, &n4, CT_CAV_PATH, "/usr/glenda", 11);
	attenuate(tok4, &n4, CT_CAV_EXPIRY, big, 8);
	attenuate(tok4, &n4, CT_CAV_BUDGET, big, 8);
	memcpy(tok32, tok4, n4);
	n32 = n4;
	while (n32 < CT_WIRE_MAX && tok32[CT_ID_BYTES] < CT_MAX_CAVEATS)
		attenuate(tok32, &n32, CT_CAV_RIGHTS, rights, 4);
	memcpy(bad4, tok4, n4);
	bad4[n4 - 1] ^= 1;
	memcpy(bad4first, tok4, n4);
	bad4first[n4 - 32] ^= 1;

	rs[0] = measure("raw keyed BLAKE2b-256, 19 B (base)", run_blake2b, n, reps, 0);
	rs[1] = measure("raw HMAC-SHA256, 19 B", run_hmac, n, reps, 0);
	rs[2] = measure("verify, no caveats", run_v0, n, reps, 1);
	rs[3] = measure("verify, 4 caveats", run_v4, n, reps, 5);
	/* A forged tag costs the same whichever byte differs: the chain runs
	 * in full and the compare is constant-time.  Measured here, side by
	 * side, rather than asserted in a unit test (timing is the bench's). */
	rs[4] = measure("verify, 4 caveats, forged byte 31", run_bad4, n, reps, 5);
	rs[5] = measure("verify, 4 caveats, forged byte 0", run_bad4first, n, reps, 5);
	rs[6] = measure("verify, 32 caveats", run_v32, n / 4 + 1, reps, 33);
	rs[7] = measure("revoke (generation bump)", run_revoke, quick ? 100 : 200, reps, 0);

	printf("capability token verification (ns per op; median and min over reps)%s\n",
	       quick ? "  [--quick: counts too small to judge]" : "");
	printf("MAC: lc_mac = keyed BLAKE2b-256 (%s); token sizes %zu, %zu, %zu bytes\n",
	       lc_version(), n0, n4, n32);
	printf("%-34s %4s %9s %9s   %s\n", "operation", "reps", "median", "min",
	       "x base (of floor)");
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
		row(&rs[i], &rs[0]);
	return 0;
}
