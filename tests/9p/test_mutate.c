/*
 * A deterministic mutation loop (fixed-seed xorshift): valid messages of
 * every type, mutated 200 000 times, decoded as T and R in every dialect
 * from exact-size heap copies.  Decoding must never crash or read out of
 * bounds (ASan/UBSan), and every message it accepts must re-encode to the
 * identical bytes: the codec has one canonical form and no field it
 * ignores.
 */
#include "check.h"
#include "samples.h"

#define ITERATIONS 200000
#define MAXMSG 4096

struct base {
	uint8_t *p;
	size_t n;
};

static struct base corpus[1024];
static size_t ncorpus;

static void build_corpus(void)
{
	static struct p9_vals vals;
	static uint8_t wire[16384];

	for (size_t i = 0; i < p9_nsamples; i++)
		for (unsigned k = 2; k < 8; k++) {
			size_t n;

			p9_sample_vals(&p9_samples[i], k, &vals);
			n = p9_sample_wire(&p9_samples[i], &vals, wire, sizeof wire);
			if (n > MAXMSG - 8 || ncorpus == sizeof corpus / sizeof corpus[0])
				continue;
			corpus[ncorpus].p = dup_exact(wire, n);
			corpus[ncorpus++].n = n;
		}
}

static const uint16_t interesting[] = { 0, 1, 7, 16, 17, 0x7f, 0x80, 0xff, 0x100, 0x7fff,
	0xfffe, 0xffff };

static size_t mutate(uint8_t *b, size_t n, uint64_t *rng)
{
	int rounds = 1 + (int)(p9_xorshift(rng) % 4);

	while (rounds--) {
		uint64_t r = p9_xorshift(rng);
		size_t at = n ? (size_t)(r >> 8) % n : 0;

		switch (r % 7) {
		case 0:		/* flip a bit */
			if (n)
				b[at] ^= (uint8_t)(1u << ((r >> 40) % 8));
			break;
		case 1:		/* a random byte */
			if (n)
				b[at] = (uint8_t)(r >> 48);
			break;
		case 2:		/* an interesting 16-bit value (counts, lengths) */
			if (n >= 2) {
				at = at % (n - 1);
				put_le(b + at, interesting[(r >> 40) % (sizeof interesting / 2)], 2);
			}
			break;
		case 3:		/* delete a byte */
			if (n) {
				memmove(b + at, b + at + 1, n - at - 1);
				n--;
			}
			break;
		case 4:		/* insert a byte */
			if (n < MAXMSG) {
				memmove(b + at + 1, b + at, n - at);
				b[at] = (uint8_t)(r >> 32);
				n++;
			}
			break;
		case 5:		/* another type */
			if (n > 4)
				b[4] = (uint8_t)(r >> 24);
			break;
		case 6:		/* cut */
			n = at;
			break;
		}
	}
	/* mostly keep the framing right, so the body checks are reached */
	if (n >= 4 && p9_xorshift(rng) % 4)
		put_le(b, n, 4);
	return n;
}

static void mutations_never_crash_and_stay_canonical(void **state)
{
	static uint8_t b[MAXMSG], enc[MAXMSG];
	uint64_t rng = 0x1d872b41c4f7a3e9ull;
	unsigned long accepted = 0, decodes = 0;

	(void)state;
	build_corpus();
	assert_true(ncorpus > 300);
	for (unsigned long i = 0; i < ITERATIONS; i++) {
		const struct base *base = &corpus[p9_xorshift(&rng) % ncorpus];
		size_t n;
		uint8_t *q;

		memcpy(b, base->p, base->n);
		n = mutate(b, base->n, &rng);
		q = dup_exact(b, n);
		for (int d = 0; d < P9_NDIALECT; d++)
			for (int side = P9_TMSG; side <= P9_RMSG; side++) {
				struct p9_msg m;
				int r = p9_decode(q, n, P9_MSIZE_MAX, (enum p9_dialect)d,
					(enum p9_side)side, &m);

				decodes++;
				assert_true(r == 0 || (r <= P9_E_ARG && r > P9_E_LAST));
				if (r)
					continue;
				accepted++;
				r = p9_encode(&m, enc, sizeof enc, (enum p9_dialect)d);
				if (r != (int)n || memcmp(enc, q, n) != 0)
					fail_msg("iteration %lu: %s accepted in %s but re-encodes to %d bytes, not %zu",
						i, p9_type_name(m.type), p9_dialect_name((enum p9_dialect)d), r, n);
			}
		free(q);
	}
	print_message("%d mutations, %lu decodes, %lu accepted and re-encoded identically\n",
		ITERATIONS, decodes, accepted);
	assert_true(accepted > ITERATIONS / 50);
	for (size_t i = 0; i < ncorpus; i++)
		free(corpus[i].p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mutations_never_crash_and_stay_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
