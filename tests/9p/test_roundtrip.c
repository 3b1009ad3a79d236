/*
 * Every message type of both dialects, many value sets each: the struct
 * filled by member name encodes to exactly the bytes built from the spec
 * string (samples.c), those bytes decode back to equal fields with strings
 * and data pointing into the buffer, the decoded struct re-encodes to the
 * same bytes, and the message is refused by the dialects it is not in.
 */
#include "check.h"
#include "samples.h"

#define NVARIANT 40
#define BUFSZ 16384

static unsigned checked;

static bool inside(const void *p, const uint8_t *buf, size_t n)
{
	return (const uint8_t *)p >= buf && (const uint8_t *)p <= buf + n;
}

/* Zero-copy: every string and data pointer of a decoded message points
 * into the message. */
static void check_inside(const struct p9_field *f, const void *m, const uint8_t *buf, size_t n)
{
	for (; f->kind != P9F_END; f++) {
		const char *p = (const char *)m + f->off, *p2 = (const char *)m + f->off2;
		const struct p9_str *s = (const struct p9_str *)p;

		if (f->kind == P9F_STR && s->len)
			assert_true(inside(s->s, buf, n) && inside(s->s + s->len, buf, n));
		if (f->kind == P9F_DATA && *(const uint32_t *)p)
			assert_true(inside(*(const uint8_t *const *)p2, buf, n));
		if (f->kind == P9F_WNAMES)
			for (unsigned i = 0; i < *(const uint16_t *)p; i++)
				if (((const struct p9_str *)p2)[i].len)
					assert_true(inside(((const struct p9_str *)p2)[i].s, buf, n));
		if (f->kind == P9F_STAT)
			check_inside(p9_stat_fields, p, buf, n);
	}
}

static bool type_has_dialect(uint8_t type, enum p9_dialect d)
{
	for (size_t i = 0; i < p9_nsamples; i++)
		if (p9_samples[i].type == type && (p9_samples[i].speak & P9_SPEAK(d)))
			return true;
	return false;
}

static void one(const struct p9_sample *s, enum p9_dialect d, unsigned k)
{
	static struct p9_vals vals;
	static uint8_t wire[BUFSZ], enc[BUFSZ], again[BUFSZ];
	struct p9_msg m, out;
	size_t n;
	uint8_t *exact;
	int r;

	p9_sample_vals(s, k, &vals);
	n = p9_sample_wire(s, &vals, wire, sizeof wire);
	assert_true(n <= sizeof wire);
	p9_sample_msg(s, &vals, &m);

	/* by name -> bytes */
	r = p9_encode(&m, enc, sizeof enc, d);
	if (r != (int)n || memcmp(enc, wire, n) != 0)
		fail_msg("%s in %s variant %u: encoder disagrees with the spec \"%s\" (%d vs %zu bytes)",
			p9_type_name(s->type), p9_dialect_name(d), k, s->spec, r, n);

	/* bytes -> fields, from an exact-size copy */
	exact = dup_exact(wire, n);
	r = p9_decode(exact, n, P9_MSIZE_MAX, d, side_of(s->type), &out);
	if (r != 0) {
		char why[160];

		p9_explain(why, sizeof why, r, &out);
		fail_msg("%s in %s variant %u: decode: %s", p9_type_name(s->type),
			p9_dialect_name(d), k, why);
	}
	check_msg(&m, &out, d);
	check_inside(p9_layout(s->type, d), &out, exact, n);

	/* canonical: decoded -> the same bytes; exact cap fits, one less does not */
	assert_int_equal(p9_encode(&out, again, n, d), (int)n);
	assert_memory_equal(again, wire, n);
	assert_int_equal(p9_encode(&out, again, n - 1, d), P9_E_NOSPACE);

	/* the other dialects refuse it */
	for (int e = 0; e < P9_NDIALECT; e++) {
		if (s->speak & P9_SPEAK(e))
			continue;
		r = p9_decode(exact, n, P9_MSIZE_MAX, (enum p9_dialect)e, side_of(s->type), &out);
		if (type_has_dialect(s->type, (enum p9_dialect)e))
			assert_true(r < 0);	/* Tauth/Tattach: the n_uname field differs */
		else
			assert_int_equal(r, e == P9_NONE ? P9_E_NOVERSION : P9_E_DIALECT);
		r = p9_encode(&m, enc, sizeof enc, (enum p9_dialect)e);
		if (!type_has_dialect(s->type, (enum p9_dialect)e))
			assert_int_equal(r, e == P9_NONE ? P9_E_NOVERSION : P9_E_DIALECT);
	}
	free(exact);
	checked++;
}

static void every_type_both_dialects(void **state)
{
	(void)state;
	checked = 0;
	for (size_t i = 0; i < p9_nsamples; i++)
		for (int d = 0; d < P9_NDIALECT; d++)
			if (p9_samples[i].speak & P9_SPEAK(d))
				for (unsigned k = 0; k < NVARIANT; k++)
					one(&p9_samples[i], (enum p9_dialect)d, k);
	print_message("%u message/dialect/value combinations round-tripped\n", checked);
	assert_int_equal(checked, 88 * NVARIANT);	/* 88 type/dialect pairs */
}

/* The samples and the codec agree on which types each dialect has: the
 * policy in <lux/9p.h>, written out once more in samples.c. */
static void dialect_sets_match(void **state)
{
	unsigned n[P9_NDIALECT] = { 0 };

	(void)state;
	for (unsigned t = 0; t < 256; t++)
		for (int d = 0; d < P9_NDIALECT; d++) {
			bool codec = p9_layout(t, (enum p9_dialect)d) != 0;

			if (codec != type_has_dialect((uint8_t)t, (enum p9_dialect)d))
				fail_msg("type %u (%s) in %s: codec says %d", t, p9_type_name(t),
					p9_dialect_name((enum p9_dialect)d), codec);
			n[d] += codec;
		}
	assert_int_equal(n[P9_NONE], 4);	/* Tversion Rversion Rerror Rlerror */
	assert_int_equal(n[P9_2000], 27);	/* 13 T + 14 R (Rerror; Terror is illegal) */
	assert_int_equal(n[P9_2000L], 57);
	assert_null(p9_layout(P9_TOPEN, P9_2000L));
	assert_null(p9_layout(P9_RERROR, P9_2000L));
	assert_null(p9_layout(P9_TLOPEN, P9_2000));
	assert_null(p9_layout(106, P9_2000));	/* Terror */
	assert_null(p9_layout(6, P9_2000L));	/* Tlerror */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_type_both_dialects),
		cmocka_unit_test(dialect_sets_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
