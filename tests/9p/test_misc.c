/*
 * Version negotiation, names, error sentences, the directory iterators
 * and the constants other code relies on.
 */
#include "check.h"

#include <lux/error.h>

#define BOTH (P9_SPEAK(P9_2000) | P9_SPEAK(P9_2000L))

static struct p9_version pick(const char *v, uint32_t msize, uint32_t max, unsigned speak, int want)
{
	struct p9_version out;

	assert_int_equal(p9_version_pick(v, strlen(v), msize, max, speak, &out), want);
	return out;
}

static void version_negotiation(void **state)
{
	struct p9_version v;

	(void)state;
	v = pick("9P2000.L", 8192, 65560, BOTH, 0);
	assert_int_equal(v.dialect, P9_2000L);
	assert_string_equal(v.version, "9P2000.L");
	assert_int_equal(v.msize, 8192);
	v = pick("9P2000", 1 << 30, 65560, BOTH, 0);
	assert_int_equal(v.dialect, P9_2000);
	assert_string_equal(v.version, "9P2000");
	assert_int_equal(v.msize, 65560);	/* the smaller */
	v = pick("9P2000", 1u << 31, 1u << 31, BOTH, 0);
	assert_int_equal(v.msize, P9_MSIZE_MAX);	/* never above the codec's max */
	/* version(5): a period-separated suffix we do not know is dropped */
	assert_int_equal(pick("9P2000.u", 8192, 8192, BOTH, 0).dialect, P9_2000);
	assert_int_equal(pick("9P2000.foo.bar", 8192, 8192, BOTH, 0).dialect, P9_2000);
	assert_int_equal(pick("9P2001", 8192, 8192, BOTH, 0).dialect, P9_2000);
	/* .L when the server does not speak it: 9P2000, as Linux accepts */
	v = pick("9P2000.L", 8192, 8192, P9_SPEAK(P9_2000), 0);
	assert_int_equal(v.dialect, P9_2000);
	assert_string_equal(v.version, "9P2000");
	/* a .L-only server has nothing for a 9P2000 client */
	v = pick("9P2000", 8192, 8192, P9_SPEAK(P9_2000L), 0);
	assert_int_equal(v.dialect, P9_NONE);
	assert_string_equal(v.version, "unknown");
	/* not 9P at all, or older */
	const char *bad[] = { "", "9P", "9P1999", "9P2000L", "9p2000", "9P20x0", "unknown",
		"9P200", "9P20000", ".L" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = pick(bad[i], 8192, 8192, BOTH, 0);
		assert_int_equal(v.dialect, P9_NONE);
		assert_string_equal(v.version, "unknown");
	}
	/* msize below the minimum: refuse (the server answers with an error) */
	pick("9P2000.L", P9_MSIZE_MIN - 1, 8192, BOTH, P9_E_MSIZE_MIN);
	assert_int_equal(pick("9P2000.L", P9_MSIZE_MIN, 8192, BOTH, 0).msize, P9_MSIZE_MIN);
	/* arguments */
	pick("9P2000", 8192, P9_MSIZE_MIN - 1, BOTH, P9_E_ARG);
	pick("9P2000", 8192, 8192, 0, P9_E_ARG);
	assert_int_equal(p9_version_pick(0, 3, 8192, 8192, BOTH, &v), P9_E_ARG);
	assert_int_equal(p9_version_pick("9P2000", 6, 8192, 8192, BOTH, 0), P9_E_ARG);
	/* the client side: exact names only */
	assert_int_equal(p9_dialect_of("9P2000.L", 8), P9_2000L);
	assert_int_equal(p9_dialect_of("9P2000", 6), P9_2000);
	assert_int_equal(p9_dialect_of("9P2000.u", 8), P9_NONE);
	assert_int_equal(p9_dialect_of("unknown", 7), P9_NONE);
	assert_int_equal(p9_dialect_of("9P2000.L", 6), P9_2000);	/* counted, not terminated */
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(p9_type_name(P9_TVERSION), "Tversion");
	assert_string_equal(p9_type_name(P9_RLERROR), "Rlerror");
	assert_string_equal(p9_type_name(P9_TXATTRCREATE), "Txattrcreate");
	assert_string_equal(p9_type_name(P9_RUNLINKAT), "Runlinkat");
	assert_string_equal(p9_type_name(106), "unknown");
	assert_string_equal(p9_type_name(1000), "unknown");
	/* every type the codec knows has a name, and no other does */
	for (unsigned t = 0; t < 256; t++) {
		bool known = false;

		for (int d = 0; d < P9_NDIALECT; d++)
			known |= p9_layout(t, (enum p9_dialect)d) != 0;
		assert_int_equal(known, strcmp(p9_type_name(t), "unknown") != 0);
		if (known)
			assert_int_equal(p9_type_name(t)[0], (t & 1) ? 'R' : 'T');
	}
	assert_string_equal(p9_dialect_name(P9_2000), "9P2000");
	assert_string_equal(p9_dialect_name(P9_2000L), "9P2000.L");
	assert_string_equal(p9_dialect_name(P9_NONE), "unknown");
}

static void error_sentences(void **state)
{
	char buf[128];
	struct p9_msg m = { .type = P9_TWALK, .bad = { 15, 17, 16 } };

	(void)state;
	for (int e = P9_E_ARG; e > P9_E_LAST; e--) {
		const char *s = p9_strerror(e);

		assert_non_null(s);
		assert_true(strncmp(s, "9p: ", 4) == 0);
		for (int f = P9_E_ARG; f > e; f--)
			assert_string_not_equal(s, p9_strerror(f));
		/* p9_explain never overflows, even into a tiny buffer */
		assert_true(p9_explain(buf, 8, e, &m) > 0);
		assert_true(strlen(buf) < 8);
	}
	assert_string_equal(p9_strerror(E_NOENT), lux_errstr(E_NOENT));
	assert_string_equal(p9_strerror(P9_E_LAST), lux_errstr(P9_E_LAST));
	p9_explain(buf, sizeof buf, P9_E_NWNAME, &m);
	assert_string_equal(buf, "9p: nwname 17 > 16 (byte 15 of Twalk)");
	p9_explain(buf, sizeof buf, P9_E_NWNAME, 0);
	assert_string_equal(buf, "9p: nwname > 16");
	p9_explain(buf, sizeof buf, E_NOENT, &m);
	assert_string_equal(buf, "file does not exist");
}

static void directory_iterators(void **state)
{
	static const char *const names[] = { "", "a", "bin", "lib", "a rather longer name" };
	uint8_t dir[1024];
	size_t n = 0;
	struct p9_iter it;
	struct p9_stat st;
	struct p9_dirent de;
	int r, i;

	(void)state;
	for (i = 0; i < 5; i++) {
		struct p9_stat s = { .qid = { .path = (uint64_t)i, .type = QTDIR }, .mode = DMDIR | 0755,
			.length = (uint64_t)i * 100, .name = p9_str_c(names[i]), .uid = p9_str_c("glenda"),
			.gid = p9_str_c("sys"), .muid = p9_str_c("") };

		r = p9_stat_encode(&s, dir + n, sizeof dir - n);
		assert_int_equal(r, (int)p9_stat_len(&s));
		n += (size_t)r;
	}
	p9_iter_init(&it, dir, n);
	for (i = 0; (r = p9_stat_next(&it, &st)) == 1; i++) {
		assert_true(p9_str_eq(st.name, names[i]));
		assert_true(p9_str_eq(st.uid, "glenda"));
		assert_int_equal(st.qid.path, i);
		assert_int_equal(st.mode, DMDIR | 0755);
		assert_int_equal(st.length, i * 100);
	}
	assert_int_equal(r, 0);
	assert_int_equal(i, 5);
	assert_int_equal(p9_stat_next(&it, &st), 0);

	n = 0;
	for (i = 0; i < 5; i++) {
		struct p9_dirent d = { .qid = { .path = (uint64_t)i }, .offset = (uint64_t)i + 1,
			.type = 8, .name = p9_str_c(names[i]) };

		r = p9_dirent_encode(&d, dir + n, sizeof dir - n);
		assert_int_equal(r, (int)p9_dirent_len(&d));
		n += (size_t)r;
	}
	p9_iter_init(&it, dir, n);
	for (i = 0; (r = p9_dirent_next(&it, &de)) == 1; i++) {
		assert_true(p9_str_eq(de.name, names[i]));
		assert_int_equal(de.offset, i + 1);
	}
	assert_int_equal(r, 0);
	assert_int_equal(i, 5);
	/* an empty directory read */
	p9_iter_init(&it, dir, 0);
	assert_int_equal(p9_dirent_next(&it, &de), 0);
	p9_iter_init(&it, 0, 0);
	assert_int_equal(p9_stat_next(&it, &st), 0);
	/* no room */
	assert_int_equal(p9_dirent_encode(&de, dir, 10), P9_E_NOSPACE);
}

static void strings_and_constants(void **state)
{
	struct p9_str s = p9_str_c("usr");

	(void)state;
	assert_int_equal(s.len, 3);
	assert_true(p9_str_eq(s, "usr"));
	assert_false(p9_str_eq(s, "us"));
	assert_false(p9_str_eq(s, "usr/"));
	assert_true(p9_str_eq(p9_str_c(0), ""));
	assert_int_equal(P9_NOTAG, 0xffff);
	assert_int_equal(P9_NOFID, 0xffffffffu);
	assert_int_equal(P9_IOHDRSZ, 24);
	assert_int_equal(QTDIR, 0x80);
	assert_int_equal(DMDIR, 0x80000000u);
	assert_int_equal(OTRUNC, 0x10);
	/* msize bounds hold the largest fixed message with room to spare */
	assert_true(P9_MSIZE_MIN >= 160 + P9_IOHDRSZ);
	assert_int_equal(P9_MSIZE_MAX, (1u << 20) + 24);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_negotiation),
		cmocka_unit_test(names),
		cmocka_unit_test(error_sentences),
		cmocka_unit_test(directory_iterators),
		cmocka_unit_test(strings_and_constants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
