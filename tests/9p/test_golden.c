/*
 * Golden bytes written by hand from the protocol documents (intro(5),
 * stat(5), diod's protocol.md), not from the encoder: each is checked
 * both ways, decode to the named fields and encode to the same bytes.
 * L2/L4/L8 spell little-endian integers.
 */
#include "check.h"

#define L2(x) (uint8_t)((x) & 0xff), (uint8_t)(((x) >> 8) & 0xff)
#define L4(x) L2((x) & 0xffff), L2(((x) >> 16) & 0xffff)
#define L8(x) L4((x) & 0xffffffffull), L4(((x) >> 32) & 0xffffffffull)

static struct p9_str S(const char *s)
{
	return p9_str_c(s);
}

/* Both directions for one message. */
static void both_ways(const uint8_t *gold, size_t n, enum p9_dialect d,
	const struct p9_msg *want)
{
	uint8_t *exact = dup_exact(gold, n), enc[512];
	struct p9_msg got;

	assert_int_equal(p9_decode(exact, n, 8192, d, side_of(gold[4]), &got), 0);
	check_msg(want, &got, d);
	assert_int_equal(p9_encode(want, enc, sizeof enc, d), (int)n);
	assert_memory_equal(enc, gold, n);
	free(exact);
}

static void tversion_9p2000L_8192(void **state)
{
	static const uint8_t gold[] = {
		L4(21), 100, L2(0xffff),
		L4(8192), L2(8), '9', 'P', '2', '0', '0', '0', '.', 'L',
	};
	struct p9_msg m = { .type = P9_TVERSION, .tag = P9_NOTAG };

	(void)state;
	m.u.version.msize = 8192;
	m.u.version.version = S("9P2000.L");
	both_ways(gold, sizeof gold, P9_NONE, &m);
	both_ways(gold, sizeof gold, P9_2000, &m);
	both_ways(gold, sizeof gold, P9_2000L, &m);
}

static void twalk_two_names(void **state)
{
	static const uint8_t gold[] = {
		L4(27), 110, L2(1),
		L4(0x10), L4(0x11), L2(2),
		L2(3), 'u', 's', 'r',
		L2(3), 'b', 'i', 'n',
	};
	struct p9_msg m = { .type = P9_TWALK, .tag = 1 };

	(void)state;
	m.u.twalk.fid = 0x10;
	m.u.twalk.newfid = 0x11;
	m.u.twalk.nwname = 2;
	m.u.twalk.wname[0] = S("usr");
	m.u.twalk.wname[1] = S("bin");
	both_ways(gold, sizeof gold, P9_2000, &m);
	both_ways(gold, sizeof gold, P9_2000L, &m);
}

static void rwalk_one_qid(void **state)
{
	static const uint8_t gold[] = {
		L4(22), 111, L2(1), L2(1),
		0x80, L4(7), L8(0x2c1facull),
	};
	struct p9_msg m = { .type = P9_RWALK, .tag = 1 };

	(void)state;
	m.u.rwalk.nwqid = 1;
	m.u.rwalk.wqid[0] = (struct qid){ .type = QTDIR, .vers = 7, .path = 0x2c1fac };
	both_ways(gold, sizeof gold, P9_2000L, &m);
}

static void rread_hello(void **state)
{
	static const uint8_t gold[] = {
		L4(16), 117, L2(1), L4(5), 'h', 'e', 'l', 'l', 'o',
	};
	struct p9_msg m = { .type = P9_RREAD, .tag = 1 };

	(void)state;
	m.u.rread.count = 5;
	m.u.rread.data = (const uint8_t *)"hello";
	both_ways(gold, sizeof gold, P9_2000, &m);
	both_ways(gold, sizeof gold, P9_2000L, &m);
}

static void rgetattr(void **state)
{
	/* 7 + valid 8 + qid 13 + mode uid gid 12 + 15 * 8 = 160 */
	static const uint8_t gold[] = {
		L4(160), 25, L2(1),
		L8(0x7ffull),				/* valid */
		0x80, L4(0), L8(0x2c1facull),		/* qid */
		L4(040755), L4(500), L4(501),		/* mode uid gid */
		L8(56ull), L8(0ull), L8(4096ull),	/* nlink rdev size */
		L8(4096ull), L8(8ull),			/* blksize blocks */
		L8(1296858638ull), L8(1ull),		/* atime */
		L8(1296857107ull), L8(2ull),		/* mtime */
		L8(1296961624ull), L8(3ull),		/* ctime */
		L8(0ull), L8(0ull), L8(0ull), L8(0ull),	/* btime gen data_version */
	};
	struct p9_msg m = { .type = P9_RGETATTR, .tag = 1 };

	(void)state;
	assert_int_equal(sizeof gold, 160);
	m.u.rgetattr.valid = P9_GETATTR_BASIC;
	m.u.rgetattr.qid = (struct qid){ .type = QTDIR, .vers = 0, .path = 0x2c1fac };
	m.u.rgetattr.mode = 040755;
	m.u.rgetattr.uid = 500;
	m.u.rgetattr.gid = 501;
	m.u.rgetattr.nlink = 56;
	m.u.rgetattr.size = 4096;
	m.u.rgetattr.blksize = 4096;
	m.u.rgetattr.blocks = 8;
	m.u.rgetattr.atime_sec = 1296858638;
	m.u.rgetattr.atime_nsec = 1;
	m.u.rgetattr.mtime_sec = 1296857107;
	m.u.rgetattr.mtime_nsec = 2;
	m.u.rgetattr.ctime_sec = 1296961624;
	m.u.rgetattr.ctime_nsec = 3;
	both_ways(gold, sizeof gold, P9_2000L, &m);
}

static void rlerror_enoent(void **state)
{
	static const uint8_t gold[] = { L4(11), 7, L2(1), L4(2) };
	struct p9_msg m = { .type = P9_RLERROR, .tag = 1 };

	(void)state;
	m.u.rlerror.ecode = 2;
	both_ways(gold, sizeof gold, P9_2000L, &m);
	both_ways(gold, sizeof gold, P9_NONE, &m);
}

static void rerror_9p2000(void **state)
{
	static const uint8_t gold[] = {
		L4(21), 107, L2(3), L2(12),
		'f', 'i', 'l', 'e', ' ', 'n', 'o', 't', ' ', 'f', 'o', 'u',
	};
	struct p9_msg m = { .type = P9_RERROR, .tag = 3 };

	(void)state;
	m.u.rerror.ename = (struct p9_str){ "file not fou", 12 };
	both_ways(gold, sizeof gold, P9_2000, &m);
}

static void rstat_9p2000(void **state)
{
	/* stat(5): entry = 49 + 1 + 6 + 3 + 6 = 65 bytes, its size field 63;
	 * the Rstat's n[2] counts the whole entry: 65.  7 + 2 + 65 = 74. */
	static const uint8_t gold[] = {
		L4(74), 125, L2(1),
		L2(65),				/* n */
		L2(63),				/* size */
		L2(0), L4(0),			/* type dev */
		0x00, L4(1), L8(0x42ull),	/* qid */
		L4(0644), L4(0x5f000000), L4(0x5f000001), L8(5ull),
		L2(1), 'f',
		L2(6), 'g', 'l', 'e', 'n', 'd', 'a',
		L2(3), 's', 'y', 's',
		L2(6), 'g', 'l', 'e', 'n', 'd', 'a',
	};
	struct p9_msg m = { .type = P9_RSTAT, .tag = 1 };
	struct p9_stat *st = &m.u.rstat.stat;
	struct p9_stat one;

	(void)state;
	st->qid = (struct qid){ .type = QTFILE, .vers = 1, .path = 0x42 };
	st->mode = 0644;
	st->atime = 0x5f000000;
	st->mtime = 0x5f000001;
	st->length = 5;
	st->name = S("f");
	st->uid = S("glenda");
	st->gid = S("sys");
	st->muid = S("glenda");
	both_ways(gold, sizeof gold, P9_2000, &m);
	assert_int_equal(p9_stat_len(st), 65);
	/* the entry alone, as in a directory read */
	assert_int_equal(p9_stat_decode(gold + 9, sizeof gold - 9, &one), 65);
	check_fields(p9_stat_fields, st, &one);
}

static void tattach_dotl_nonuname(void **state)
{
	/* diod's sample session: fid 0 afid -1 uname 'root' aname '/tmp/9'
	 * n_uname P9_NONUNAME.  7 + 4 + 4 + 6 + 8 + 4 = 33. */
	static const uint8_t gold[] = {
		L4(33), 104, L2(1), L4(0), L4(0xffffffffu),
		L2(4), 'r', 'o', 'o', 't', L2(6), '/', 't', 'm', 'p', '/', '9',
		L4(0xffffffffu),
	};
	struct p9_msg m = { .type = P9_TATTACH, .tag = 1 };

	(void)state;
	m.u.tattach.afid = P9_NOFID;
	m.u.tattach.uname = S("root");
	m.u.tattach.aname = S("/tmp/9");
	m.u.tattach.n_uname = P9_NONUNAME;
	both_ways(gold, sizeof gold, P9_2000L, &m);
	/* 9P2000 has no n_uname: 4 bytes too many */
	struct p9_msg out;
	assert_int_equal(p9_decode(gold, sizeof gold, 8192, P9_2000, P9_TMSG, &out), P9_E_TRAILING);
}

static void tlcreate_and_rreaddir(void **state)
{
	/* diod: TLCREATE fid 2 name 'foo' flags 0x8241 mode 0100644 gid 500 */
	static const uint8_t tl[] = {
		L4(28), 14, L2(1), L4(2), L2(3), 'f', 'o', 'o',
		L4(0x8241), L4(0100644), L4(500),
	};
	/* an Rreaddir of one dirent: qid[13] offset[8] type[1] name[s] */
	static const uint8_t rd[] = {
		L4(7 + 4 + 26), 41, L2(1), L4(26),
		0x80, L4(0), L8(0x2c1facull), L8(1ull), 4, L2(2), '.', '.',
	};
	struct p9_msg m = { .type = P9_TLCREATE, .tag = 1 };
	struct p9_msg r = { .type = P9_RREADDIR, .tag = 1 };
	struct p9_iter it;
	struct p9_dirent de;

	(void)state;
	m.u.tlcreate.fid = 2;
	m.u.tlcreate.name = S("foo");
	m.u.tlcreate.flags = 0x8241;
	m.u.tlcreate.mode = 0100644;
	m.u.tlcreate.gid = 500;
	both_ways(tl, sizeof tl, P9_2000L, &m);
	r.u.rread.count = 26;
	r.u.rread.data = rd + 11;
	both_ways(rd, sizeof rd, P9_2000L, &r);
	p9_iter_init(&it, rd + 11, 26);
	assert_int_equal(p9_dirent_next(&it, &de), 1);
	assert_int_equal(de.qid.type, QTDIR);
	assert_int_equal(de.qid.path, 0x2c1fac);
	assert_int_equal(de.offset, 1);
	assert_int_equal(de.type, 4);
	assert_true(p9_str_eq(de.name, ".."));
	assert_int_equal(p9_dirent_next(&it, &de), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tversion_9p2000L_8192),
		cmocka_unit_test(twalk_two_names),
		cmocka_unit_test(rwalk_one_qid),
		cmocka_unit_test(rread_hello),
		cmocka_unit_test(rgetattr),
		cmocka_unit_test(rlerror_enoent),
		cmocka_unit_test(rerror_9p2000),
		cmocka_unit_test(rstat_9p2000),
		cmocka_unit_test(tattach_dotl_nonuname),
		cmocka_unit_test(tlcreate_and_rreaddir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
