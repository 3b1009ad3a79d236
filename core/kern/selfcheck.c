/*
 * Boot self-check (see <lux/selfcheck.h>).  The crypto vectors come from
 * the standards: FIPS 180-2 appendix B.1 (SHA-256 "abc"), RFC 7693
 * appendix A (BLAKE2b-512 "abc"), RFC 8032 section 7.1 test 1 (Ed25519).
 */
#include <lux/crypto.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/selfcheck.h>
#include <lux/string.h>
#include <lux/timer.h>

static bool quiet;
static int failures, checks;

static void result(bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void result(bool ok, const char *name, const char *fmt, ...)
{
	char detail[192];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	checks++;
	if (!ok)
		failures++;
	if (!ok || !quiet)
		kprintf("self-check: %-14s %s %s\n", name, detail, ok ? "ok" : "FAILED");
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void check_pages(void)
{
	size_t before = page_free_count();
	uint8_t *a = page_alloc(1), *b = page_alloc(16), *c = page_alloc(3);
	bool ok = a && b && c && a != b && b != c && all_bytes(a, PAGE_SIZE, 0) &&
	          all_bytes(b, 16 * PAGE_SIZE, 0);

	if (ok) {
		kmemset(b, 0xa5, 16 * PAGE_SIZE);
		ok = all_bytes(a, PAGE_SIZE, 0) && all_bytes(c, 3 * PAGE_SIZE, 0);
	}
	page_free(a, 1);
	page_free(b, 16);
	page_free(c, 3);
	ok = ok && page_free_count() == before;
	result(ok, "pages", "%zu of %zu free, alloc/free balanced", page_free_count(),
	       page_total());
}

static void check_kalloc(void)
{
	enum { N = 512 };
	static uint8_t *obj[N];
	struct kalloc_stats st0, st1;
	bool ok = true;

	kalloc_stats(&st0);
	for (int i = 0; i < N; i++) {
		size_t sz = (size_t)1 << (i % 14);	/* 1 byte .. 8 KiB */
		obj[i] = kmalloc(sz);
		if (obj[i] == 0 || ((uintptr_t)obj[i] & 15)) {
			ok = false;
			break;
		}
		kmemset(obj[i], i & 0xff, sz);
	}
	for (int i = 0; ok && i < N; i++)
		ok = all_bytes(obj[i], (size_t)1 << (i % 14), (uint8_t)(i & 0xff));
	for (int i = 0; i < N; i++)
		kfree(obj[i]);
	kalloc_stats(&st1);
	ok = ok && st1.live_objects == st0.live_objects && st1.live_bytes == st0.live_bytes;
	result(ok, "kalloc", "%d objects of 1 B..8 KiB, no overlap, no leak", N);
}

/* Two procs hand the CPU back and forth; each records its turn. */
enum { ROUNDS = 1000 };
static struct {
	uint16_t seq[2 * ROUNDS];
	int n;
} pingpong;

static void pinger(void *arg)
{
	int me = (int)(uintptr_t)arg;

	/* Strict alternation is what yield promises, not what a timer slice
	 * ending between the record and the yield gives (seen on metal under
	 * TCG on a loaded host): the check is of yield, so no preemption.
	 * check_switch turned it off before we could run: set here, a slice
	 * that ended on our way in still let the other proc record first. */
	for (int i = 0; i < ROUNDS; i++) {
		pingpong.seq[pingpong.n++] = (uint16_t)me;
		proc_yield();
	}
	curproc()->preempt_off--;
}

static void check_switch(void)
{
	uint64_t t0, t1, sw0 = sched_switches();
	struct proc *a, *b;
	bool ok = true;

	pingpong.n = 0;
	t0 = arch_time_ns();
	/* We run in init, a preemptible proc: a slice ending between the two
	 * creates let ping run and yield before pong existed, and then run
	 * twice in a row (seen under TCG on a loaded host).  So neither runs
	 * before both exist, each with preemption already off. */
	curproc()->preempt_off++;
	a = proc_create("ping", PRIO_NORMAL, pinger, (void *)0, 0);
	b = proc_create("pong", PRIO_NORMAL, pinger, (void *)1, 0);
	if (a)
		a->preempt_off++;
	if (b)
		b->preempt_off++;
	curproc()->preempt_off--;
	if (a == 0 || b == 0) {
		result(false, "switch", "could not create procs");
		return;
	}
	ok = proc_join(a) == 0 && proc_join(b) == 0;
	t1 = arch_time_ns();
	for (int i = 0; ok && i < 2 * ROUNDS; i++)
		ok = pingpong.seq[i] == (i & 1) && pingpong.n == 2 * ROUNDS;
	result(ok, "switch", "%llu switches between 2 procs, strictly alternating",
	       (unsigned long long)(sched_switches() - sw0));
	USED(t1 - t0);
}

static void check_timer(void)
{
	uint64_t want = 2000000, t0 = arch_time_ns(), got;

	tsleep_ns(want);
	got = arch_time_ns() - t0;
	result(got >= want, "timer", "one-shot %llu us, woke after >= %llu us",
	       (unsigned long long)(want / 1000),
	       (unsigned long long)(got >= want ? want / 1000 : got / 1000));
}

static void check_random(void)
{
	uint8_t a[32], b[32];

	lc_random(a, sizeof a);
	lc_random(b, sizeof b);
	result(kmemcmp(a, b, sizeof a) != 0 && !all_bytes(a, sizeof a, 0), "random",
	       "two 32-byte reads differ");
}

static int unhex(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void check_hash(enum lc_hash_alg alg, const char *name, const char *expect)
{
	uint8_t d[LC_HASH_MAX];
	char hex[2 * LC_HASH_MAX + 1];
	size_t len = lc_hash_len(alg);

	if (lc_hash(alg, "abc", 3, d) < 0) {
		result(false, name, "(\"abc\") failed to run");
		return;
	}
	khex(hex, d, len);
	result(kstrcmp(hex, expect) == 0, name, "(\"abc\") = %s", hex);
}

static void check_ed25519(void)
{
	static const char *seedhex =
	    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
	static const char *pkhex =
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
	static const char *sighex =
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
	    "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
	uint8_t seed[32], pk[32], sk[64], sig[64], want[64];
	char hex[129];
	bool ok;

	unhex(seedhex, seed, 32);
	unhex(sighex, want, 64);
	ok = lc_ed25519_seed_keypair(pk, sk, seed) == 0;
	khex(hex, pk, 32);
	ok = ok && kstrcmp(hex, pkhex) == 0;
	ok = ok && lc_ed25519_sign(sig, "", 0, sk) == 0 && kmemcmp(sig, want, 64) == 0;
	ok = ok && lc_ed25519_verify(sig, "", 0, pk) == 0;
	sig[0] ^= 1;	/* a flipped bit must not verify */
	ok = ok && lc_ed25519_verify(sig, "", 0, pk) != 0;
	sig[0] ^= 1;
	lc_wipe(sk, sizeof sk);
	khex(hex, sig, 64);
	result(ok, "ed25519", "RFC 8032 test 1 sig = %.32s... sign+verify, tamper rejected", hex);
}

int selfcheck_run(bool q)
{
	quiet = q;
	failures = checks = 0;
	check_pages();
	check_kalloc();
	check_switch();
	check_timer();
	check_random();
	check_hash(LC_SHA256, "sha256",
	           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_hash(LC_BLAKE2B512, "blake2b-512",
	           "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
	           "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
	check_ed25519();
	if (failures)
		kprintf("self-check: FAILED (%d of %d checks failed)\n", failures, checks);
	else if (!quiet)
		kprintf("self-check: passed (%d/%d)\n", checks, checks);
	return failures;
}
