/*
 * Helpers shared by the 9P tests: a field-by-field comparison of two
 * messages (walking the codec's layout table; the samples' by-name
 * fill functions and spec strings are what check the table itself) and
 * exact-size heap copies, so ASan flags a read one byte past a message.
 */
#ifndef LUX_TESTS_9P_CHECK_H
#define LUX_TESTS_9P_CHECK_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lux/9p.h>

static inline void check_str(struct p9_str a, struct p9_str b)
{
	assert_int_equal(a.len, b.len);
	if (a.len)
		assert_memory_equal(a.s, b.s, a.len);
}

static inline void check_qid(const struct qid *a, const struct qid *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->vers, b->vers);
	assert_int_equal(a->path, b->path);
}

static inline void check_fields(const struct p9_field *f, const void *a, const void *b)
{
	for (; f->kind != P9F_END; f++) {
		const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
		const char *qa = (const char *)a + f->off2, *qb = (const char *)b + f->off2;
		unsigned n;

		switch (f->kind) {
		case P9F_U8: assert_int_equal(*(const uint8_t *)pa, *(const uint8_t *)pb); break;
		case P9F_U16: assert_int_equal(*(const uint16_t *)pa, *(const uint16_t *)pb); break;
		case P9F_U32: assert_int_equal(*(const uint32_t *)pa, *(const uint32_t *)pb); break;
		case P9F_U64: assert_int_equal(*(const uint64_t *)pa, *(const uint64_t *)pb); break;
		case P9F_STR:
			check_str(*(const struct p9_str *)pa, *(const struct p9_str *)pb);
			break;
		case P9F_QID:
			check_qid((const struct qid *)pa, (const struct qid *)pb);
			break;
		case P9F_WNAMES:
		case P9F_WQIDS:
			n = *(const uint16_t *)pa;
			assert_int_equal(n, *(const uint16_t *)pb);
			for (unsigned i = 0; i < n; i++) {
				if (f->kind == P9F_WNAMES)
					check_str(((const struct p9_str *)qa)[i], ((const struct p9_str *)qb)[i]);
				else
					check_qid((const struct qid *)qa + i, (const struct qid *)qb + i);
			}
			break;
		case P9F_DATA:
			n = *(const uint32_t *)pa;
			assert_int_equal(n, *(const uint32_t *)pb);
			if (n)
				assert_memory_equal(*(const uint8_t *const *)qa, *(const uint8_t *const *)qb, n);
			break;
		case P9F_STAT:
			check_fields(p9_stat_fields, pa, pb);
			break;
		}
	}
}

static inline void check_msg(const struct p9_msg *a, const struct p9_msg *b, enum p9_dialect d)
{
	const struct p9_field *f = p9_layout(a->type, d);

	assert_int_equal(a->type, b->type);
	assert_int_equal(a->tag, b->tag);
	assert_non_null(f);
	check_fields(f, a, b);
}

/* An exact-size heap copy: one byte past it is a redzone. */
static inline uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

static inline enum p9_side side_of(unsigned type)
{
	return (type & 1) ? P9_RMSG : P9_TMSG;
}

static inline void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
