/*
 * Every class of malformed input is refused with its own error, and never
 * read past: messages are decoded from exact-size heap copies, so ASan
 * turns a one-byte over-read into a failure.  The encoder refuses what
 * the decoder would, and never writes past its cap.
 */
#include "check.h"
#include "samples.h"

#define MSZ P9_MSIZE_MAX

/* Decode an exact-size copy; return the error (0 if accepted). */
static int dec(const uint8_t *p, size_t n, uint32_t msize, enum p9_dialect d, enum p9_side side,
	struct p9_msg *out)
{
	uint8_t *q = dup_exact(p, n);
	int r = p9_decode(q, n, msize, d, side, out);

	free(q);
	return r;
}

static void expect(const uint8_t *p, size_t n, enum p9_dialect d, enum p9_side side, int want,
	const char *explained)
{
	struct p9_msg m;
	char why[200];
	int r = dec(p, n, MSZ, d, side, &m);

	p9_explain(why, sizeof why, r, &m);
	if (r != want)
		fail_msg("want %d (%s), got %d (%s)", want, p9_strerror(want), r, why);
	if (explained)
		assert_string_equal(why, explained);
}

/* Build a message: header + body, size filled in. */
static size_t msg(uint8_t *buf, uint8_t type, uint16_t tag, const uint8_t *body, size_t n)
{
	put_le(buf, 7 + n, 4);
	buf[4] = type;
	put_le(buf + 5, tag, 2);
	if (n)
		memcpy(buf + 7, body, n);
	return 7 + n;
}

static void truncated_at_every_offset(void **state)
{
	static struct p9_vals vals;
	static uint8_t wire[16384], cut[16384];
	unsigned tried = 0;

	(void)state;
	for (size_t i = 0; i < p9_nsamples; i++) {
		const struct p9_sample *s = &p9_samples[i];

		for (int d = 0; d < P9_NDIALECT; d++) {
			if (!(s->speak & P9_SPEAK(d)))
				continue;
			for (unsigned k = 1; k < 5; k++) {
				size_t n;

				p9_sample_vals(s, k, &vals);
				n = p9_sample_wire(s, &vals, wire, sizeof wire);
				for (size_t len = 0; len < n; len++, tried++) {
					struct p9_msg m;
					int r;

					/* as received: the size field no longer matches */
					r = dec(wire, len, MSZ, (enum p9_dialect)d, side_of(s->type), &m);
					assert_int_equal(r, len < 7 ? P9_E_SHORT : P9_E_SIZE);
					if (len < 7)
						continue;
					/* a consistent header over a body cut short */
					memcpy(cut, wire, len);
					put_le(cut, len, 4);
					r = dec(cut, len, MSZ, (enum p9_dialect)d, side_of(s->type), &m);
					if (r != P9_E_TRUNC && r != P9_E_STR && r != P9_E_COUNT &&
					    r != P9_E_STATSIZE)
						fail_msg("%s cut to %zu of %zu bytes: got %d", p9_type_name(s->type),
							len, n, r);
				}
			}
		}
	}
	print_message("%u truncated messages refused\n", tried);
}

static void size_field_mismatch(void **state)
{
	uint8_t b[16];
	size_t n = msg(b, P9_TCLUNK, 1, (const uint8_t[]){ 1, 0, 0, 0 }, 4);

	(void)state;
	expect(b, n, P9_2000, P9_TMSG, 0, 0);
	put_le(b, n + 1, 4);
	expect(b, n, P9_2000, P9_TMSG, P9_E_SIZE, "9p: size field says 12 bytes but 11 were received");
	put_le(b, n - 1, 4);
	expect(b, n, P9_2000, P9_TMSG, P9_E_SIZE, 0);
	put_le(b, 6, 4);
	expect(b, n, P9_2000, P9_TMSG, P9_E_SHORT,
		"9p: message of 6 bytes is shorter than the 7-byte header");
	put_le(b, 0, 4);
	expect(b, n, P9_2000, P9_TMSG, P9_E_SHORT, 0);
	expect(b, 3, P9_2000, P9_TMSG, P9_E_SHORT, 0);
	expect(b, 0, P9_2000, P9_TMSG, P9_E_SHORT, 0);
	put_le(b, 0xffffffffu, 4);
	expect(b, n, P9_2000, P9_TMSG, P9_E_SIZE, 0);
}

static void msize_exceeded(void **state)
{
	static uint8_t body[400], b[512];
	struct p9_msg m;
	size_t n;

	(void)state;
	put_le(body, 5, 4);			/* fid */
	put_le(body + 4, 0, 8);			/* offset */
	put_le(body + 12, 300 - 23, 4);		/* count */
	n = msg(b, P9_TWRITE, 1, body, 300 - 7);
	assert_int_equal(n, 300);
	assert_int_equal(dec(b, n, 300, P9_2000L, P9_TMSG, &m), 0);
	assert_int_equal(dec(b, n, 299, P9_2000L, P9_TMSG, &m), P9_E_MSIZE);
	assert_int_equal(dec(b, n, 256, P9_2000L, P9_TMSG, &m), P9_E_MSIZE);
	assert_int_equal(m.bad.got, 300);
	assert_int_equal(m.bad.limit, 256);
}

static void string_past_end(void **state)
{
	uint8_t b[64];
	uint8_t body[] = { 0, 0x20, 0, 0, 100, 0, '9', 'P', '2', '0', '0', '0' };
	size_t n = msg(b, P9_TVERSION, P9_NOTAG, body, sizeof body);

	(void)state;
	expect(b, n, P9_NONE, P9_TMSG, P9_E_STR,
		"9p: string of 100 bytes runs past end of message (6 bytes left) (byte 13 of Tversion)");
	/* one byte short */
	body[4] = 7;
	n = msg(b, P9_TVERSION, P9_NOTAG, body, sizeof body);
	expect(b, n, P9_NONE, P9_TMSG, P9_E_STR, 0);
	/* exact is fine; one byte too few is trailing */
	body[4] = 6;
	n = msg(b, P9_TVERSION, P9_NOTAG, body, sizeof body);
	expect(b, n, P9_NONE, P9_TMSG, 0, 0);
	body[4] = 5;
	n = msg(b, P9_TVERSION, P9_NOTAG, body, sizeof body);
	expect(b, n, P9_NONE, P9_TMSG, P9_E_TRAILING, 0);
	/* the length field itself cut */
	n = msg(b, P9_TVERSION, P9_NOTAG, body, 5);
	expect(b, n, P9_NONE, P9_TMSG, P9_E_TRUNC, 0);
}

static void string_with_nul(void **state)
{
	uint8_t b[64];
	const uint8_t body[] = { 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 3, 0, 'a', 0, 'b' };
	size_t n = msg(b, P9_TWALK, 1, body, sizeof body);
	struct p9_msg m = { .type = P9_TWALK, .tag = 1 };

	(void)state;
	expect(b, n, P9_2000, P9_TMSG, P9_E_STRNUL,
		"9p: string of 3 bytes has a NUL byte at index 1 (byte 20 of Twalk)");
	m.u.twalk.nwname = 1;
	m.u.twalk.wname[0] = (struct p9_str){ "a\0b", 3 };
	assert_int_equal(p9_encode(&m, b, sizeof b, P9_2000), P9_E_STRNUL);
}

static void nwname_and_nwqid_17(void **state)
{
	static uint8_t body[512], b[600];
	struct p9_msg m = { .type = P9_TWALK, .tag = 1 };
	size_t off, n;

	(void)state;
	put_le(body, 1, 4);
	put_le(body + 4, 2, 4);
	put_le(body + 8, 17, 2);
	for (off = 10; off < 10 + 17 * 3; off += 3)
		body[off] = 1, body[off + 1] = 0, body[off + 2] = 'x';
	n = msg(b, P9_TWALK, 1, body, off);
	expect(b, n, P9_2000L, P9_TMSG, P9_E_NWNAME, "9p: nwname 17 > 16 (byte 15 of Twalk)");
	/* 16 is the limit, not past it */
	put_le(body + 8, 16, 2);
	n = msg(b, P9_TWALK, 1, body, off - 3);
	expect(b, n, P9_2000L, P9_TMSG, 0, 0);

	memset(body, 0, sizeof body);
	put_le(body, 17, 2);
	n = msg(b, P9_RWALK, 1, body, 2 + 17 * 13);
	expect(b, n, P9_2000, P9_RMSG, P9_E_NWQID, "9p: nwqid 17 > 16 (byte 7 of Rwalk)");
	put_le(body, 0xffff, 2);
	expect(b, n, P9_2000, P9_RMSG, P9_E_NWQID, 0);

	/* the encoder refuses them too */
	m.u.twalk.nwname = 17;
	assert_int_equal(p9_encode(&m, b, sizeof b, P9_2000), P9_E_NWNAME);
	m.type = P9_RWALK;
	m.u.rwalk.nwqid = 17;
	assert_int_equal(p9_encode(&m, b, sizeof b, P9_2000), P9_E_NWQID);
}

static void count_mismatch(void **state)
{
	uint8_t body[64], b[80];
	size_t n;

	(void)state;
	/* Twrite fid offset count=10 but 5 bytes */
	memset(body, 'd', sizeof body);
	put_le(body, 1, 4);
	put_le(body + 4, 0, 8);
	put_le(body + 12, 10, 4);
	n = msg(b, P9_TWRITE, 1, body, 16 + 5);
	expect(b, n, P9_2000, P9_TMSG, P9_E_COUNT,
		"9p: count 10 but 5 data bytes present (byte 19 of Twrite)");
	put_le(body + 12, 3, 4);
	n = msg(b, P9_TWRITE, 1, body, 16 + 5);
	expect(b, n, P9_2000, P9_TMSG, P9_E_COUNT, 0);
	put_le(body + 12, 0xffffffffu, 4);
	n = msg(b, P9_TWRITE, 1, body, 16 + 5);
	expect(b, n, P9_2000, P9_TMSG, P9_E_COUNT, 0);
	put_le(body + 12, 5, 4);
	n = msg(b, P9_TWRITE, 1, body, 16 + 5);
	expect(b, n, P9_2000, P9_TMSG, 0, 0);

	/* Rread and Rreaddir: count 4, 6 bytes */
	put_le(body, 4, 4);
	n = msg(b, P9_RREAD, 1, body, 4 + 6);
	expect(b, n, P9_2000L, P9_RMSG, P9_E_COUNT, 0);
	n = msg(b, P9_RREADDIR, 1, body, 4 + 6);
	expect(b, n, P9_2000L, P9_RMSG, P9_E_COUNT, 0);
	n = msg(b, P9_RREAD, 1, body, 4 + 4);
	expect(b, n, P9_2000L, P9_RMSG, 0, 0);
}

static void trailing_bytes(void **state)
{
	uint8_t b[32];
	size_t n;

	(void)state;
	n = msg(b, P9_TCLUNK, 1, (const uint8_t[]){ 1, 0, 0, 0, 0xee }, 5);
	expect(b, n, P9_2000, P9_TMSG, P9_E_TRAILING,
		"9p: 1 trailing bytes after the last field (byte 11 of Tclunk)");
	n = msg(b, P9_RFLUSH, 1, (const uint8_t[]){ 0, 0 }, 2);
	expect(b, n, P9_2000, P9_RMSG, P9_E_TRAILING, 0);
	n = msg(b, P9_RLERROR, 1, (const uint8_t[]){ 2, 0, 0, 0, 0 }, 5);
	expect(b, n, P9_2000L, P9_RMSG, P9_E_TRAILING, 0);
}

static void unknown_types(void **state)
{
	unsigned unknown = 0;
	uint8_t b[8];

	(void)state;
	for (unsigned t = 0; t < 256; t++) {
		bool known = false;

		for (int d = 0; d < P9_NDIALECT; d++)
			known |= p9_layout(t, (enum p9_dialect)d) != 0;
		if (known)
			continue;
		unknown++;
		msg(b, (uint8_t)t, 1, 0, 0);
		for (int d = 0; d < P9_NDIALECT; d++) {
			expect(b, 7, (enum p9_dialect)d, P9_TMSG, P9_E_TYPE, 0);
			expect(b, 7, (enum p9_dialect)d, P9_RMSG, P9_E_TYPE, 0);
		}
	}
	assert_int_equal(unknown, 256 - 66);	/* 18 shared + 9 9P2000-only + 39 .L-only */
	msg(b, 106, 1, 0, 0);	/* Terror */
	expect(b, 7, P9_2000, P9_TMSG, P9_E_TYPE, "9p: unknown message type 106");
	msg(b, 6, 1, 0, 0);	/* Tlerror */
	expect(b, 7, P9_2000L, P9_TMSG, P9_E_TYPE, 0);
}

static void wrong_side(void **state)
{
	static struct p9_vals vals;
	static uint8_t wire[16384];

	(void)state;
	for (size_t i = 0; i < p9_nsamples; i++) {
		const struct p9_sample *s = &p9_samples[i];
		size_t n;

		p9_sample_vals(s, 3, &vals);
		n = p9_sample_wire(s, &vals, wire, sizeof wire);
		for (int d = 0; d < P9_NDIALECT; d++) {
			bool r = s->type & 1;

			expect(wire, n, (enum p9_dialect)d, r ? P9_TMSG : P9_RMSG,
				r ? P9_E_WANT_T : P9_E_WANT_R, 0);
		}
	}
	uint8_t b[16];
	msg(b, P9_RCLUNK, 1, 0, 0);
	expect(b, 7, P9_2000, P9_TMSG, P9_E_WANT_T,
		"9p: got Rclunk (type 121) where a T-message was expected");
}

static void dialect_mismatch(void **state)
{
	uint8_t b[32];
	const uint8_t fid[] = { 1, 0, 0, 0, 0, 0, 0, 0 };

	(void)state;
	msg(b, P9_TLOPEN, 1, fid, 8);
	expect(b, 15, P9_2000, P9_TMSG, P9_E_DIALECT, "9p: Tlopen is not part of 9P2000");
	expect(b, 15, P9_2000L, P9_TMSG, 0, 0);
	msg(b, P9_TOPEN, 1, fid, 5);
	expect(b, 12, P9_2000L, P9_TMSG, P9_E_DIALECT, "9p: Topen is not part of 9P2000.L");
	expect(b, 12, P9_2000, P9_TMSG, 0, 0);
	msg(b, P9_TSTAT, 1, fid, 4);
	expect(b, 11, P9_2000L, P9_TMSG, P9_E_DIALECT, 0);
	msg(b, P9_RERROR, 1, (const uint8_t[]){ 0, 0 }, 2);
	expect(b, 9, P9_2000L, P9_RMSG, P9_E_DIALECT, 0);
	msg(b, P9_RLERROR, 1, fid, 4);
	expect(b, 11, P9_2000, P9_RMSG, P9_E_DIALECT, 0);
	msg(b, P9_TATTACH, 1, 0, 0);
	expect(b, 7, P9_NONE, P9_TMSG, P9_E_NOVERSION,
		"9p: Tattach before version negotiation; only Tversion is allowed");
}

static void notag_rules(void **state)
{
	uint8_t b[32], e[32];
	const uint8_t ver[] = { 0, 0x20, 0, 0, 6, 0, '9', 'P', '2', '0', '0', '0' };
	struct p9_msg m = { .type = P9_TVERSION, .tag = 0 };

	(void)state;
	msg(b, P9_TVERSION, 0, ver, sizeof ver);
	expect(b, 19, P9_NONE, P9_TMSG, P9_E_TAG,
		"9p: tag 0: Tversion/Rversion must use NOTAG (65535) and other messages must not");
	msg(b, P9_RVERSION, 5, ver, sizeof ver);
	expect(b, 19, P9_NONE, P9_RMSG, P9_E_TAG, 0);
	msg(b, P9_TCLUNK, P9_NOTAG, ver, 4);
	expect(b, 11, P9_2000, P9_TMSG, P9_E_TAG, 0);
	msg(b, P9_RCLUNK, P9_NOTAG, 0, 0);
	expect(b, 7, P9_2000, P9_RMSG, P9_E_TAG, 0);
	/* the error answering a failed Tversion carries NOTAG */
	msg(b, P9_RLERROR, P9_NOTAG, ver, 4);
	expect(b, 11, P9_NONE, P9_RMSG, 0, 0);
	msg(b, P9_RERROR, P9_NOTAG, (const uint8_t[]){ 0, 0 }, 2);
	expect(b, 9, P9_2000, P9_RMSG, 0, 0);
	/* and the encoder agrees */
	m.u.version.version = p9_str_c("9P2000");
	assert_int_equal(p9_encode(&m, e, sizeof e, P9_NONE), P9_E_TAG);
	m.tag = P9_NOTAG;
	assert_int_equal(p9_encode(&m, e, sizeof e, P9_NONE), 19);
	m.type = P9_TCLUNK;
	assert_int_equal(p9_encode(&m, e, sizeof e, P9_2000), P9_E_TAG);
}

/* Rstat: n[2] size[2] ..., with the two disagreeing in every way. */
static void stat_sizes_disagree(void **state)
{
	uint8_t body[128], b[160];
	struct p9_msg m;
	size_t n;

	(void)state;
	/* a valid entry of four empty strings: n = 49, size = 47 */
	memset(body, 0, sizeof body);
	put_le(body, 49, 2);
	put_le(body + 2, 47, 2);
	n = msg(b, P9_RSTAT, 1, body, 2 + 49);
	expect(b, n, P9_2000, P9_RMSG, 0, 0);
	/* outer n one too many / too few: the entry does not fill it */
	put_le(b + 7, 50, 2);
	expect(b, n, P9_2000, P9_RMSG, P9_E_STATSIZE, 0);
	put_le(b + 7, 48, 2);
	expect(b, n, P9_2000, P9_RMSG, P9_E_STATSIZE, 0);
	put_le(b + 7, 49, 2);
	/* inner size too small: the last string runs past the entry */
	put_le(b + 9, 46, 2);
	expect(b, n, P9_2000, P9_RMSG, P9_E_STATSIZE, 0);
	/* inner size too large for the message */
	put_le(b + 9, 48, 2);
	expect(b, n, P9_2000, P9_RMSG, P9_E_STATSIZE, 0);
	/* both too large, with a byte of slack: fields end early inside */
	put_le(body, 50, 2);
	put_le(body + 2, 48, 2);
	n = msg(b, P9_RSTAT, 1, body, 2 + 50);
	expect(b, n, P9_2000, P9_RMSG, P9_E_STATSIZE,
		"9p: stat size 48 disagrees with the 47 bytes of the entry (byte 58 of Rstat)");
	/* a string inside claims more than the entry has */
	put_le(body, 49, 2);
	put_le(body + 2, 47, 2);
	put_le(body + 2 + 41, 200, 2);	/* name: 200 bytes, which are not there */
	n = msg(b, P9_RSTAT, 1, body, 2 + 49);
	assert_int_equal(dec(b, n, MSZ, P9_2000, P9_RMSG, &m), P9_E_STATSIZE);
	/* Twstat: same rules after the fid */
	memset(body, 0, sizeof body);
	put_le(body + 4, 49, 2);
	put_le(body + 6, 47, 2);
	n = msg(b, P9_TWSTAT, 1, body, 4 + 2 + 49);
	expect(b, n, P9_2000, P9_TMSG, 0, 0);
	put_le(b + 11, 51, 2);
	expect(b, n, P9_2000, P9_TMSG, P9_E_STATSIZE, 0);
}

static void directory_entries_cut(void **state)
{
	uint8_t dir[256];
	struct p9_stat st = { .name = { "a", 1 }, .uid = { "u", 1 } };
	struct p9_dirent de = { .name = { "x", 1 } };
	struct p9_iter it;
	int n1, n2;

	(void)state;
	n1 = p9_stat_encode(&st, dir, sizeof dir);
	assert_int_equal(n1, 51);
	n2 = p9_stat_encode(&st, dir + n1, sizeof dir - (size_t)n1);
	/* every cut of two entries: one whole entry then an error, or none */
	for (int len = 0; len <= n1 + n2; len++) {
		uint8_t *q = dup_exact(dir, (size_t)len);
		int r, whole = 0;

		p9_iter_init(&it, q, (size_t)len);
		while ((r = p9_stat_next(&it, &st)) == 1)
			whole++;
		assert_int_equal(whole, len / n1);
		/* cut inside size[2]: truncated; after it: size disagrees */
		assert_int_equal(r, len % n1 == 0 ? 0 : len % n1 < 2 ? P9_E_TRUNC : P9_E_STATSIZE);
		/* sticky */
		if (r)
			assert_int_equal(p9_stat_next(&it, &st), r);
		free(q);
	}
	n1 = p9_dirent_encode(&de, dir, sizeof dir);
	assert_int_equal(n1, 25);
	for (int len = 1; len < n1; len++) {
		uint8_t *q = dup_exact(dir, (size_t)len);

		p9_iter_init(&it, q, (size_t)len);
		assert_true(p9_dirent_next(&it, &de) < 0);
		free(q);
	}
}

static void encoder_refuses(void **state)
{
	static struct p9_vals vals;
	static uint8_t wire[16384];
	static char big[70000];
	struct p9_msg m = { .type = P9_TLCREATE, .tag = 1 };
	uint8_t *buf = malloc(sizeof big + 64);
	unsigned caps = 0;

	(void)state;
	memset(big, 'x', sizeof big);
	/* a string longer than 65535, even with room for it */
	m.u.tlcreate.name = (struct p9_str){ big, 65536 };
	assert_int_equal(p9_encode(&m, buf, sizeof big + 64, P9_2000L), P9_E_STRLONG);
	m.u.tlcreate.name = (struct p9_str){ big, 65535 };
	assert_int_equal(p9_encode(&m, buf, sizeof big + 64, P9_2000L), 7 + 4 + 2 + 65535 + 12);
	/* ... and a field error outranks running out of room */
	m.u.tlcreate.name = (struct p9_str){ big, 65536 };
	assert_int_equal(p9_encode(&m, buf, 10, P9_2000L), P9_E_STRLONG);
	/* null pointers with a length */
	m.u.tlcreate.name = (struct p9_str){ 0, 3 };
	assert_int_equal(p9_encode(&m, buf, 64, P9_2000L), P9_E_ARG);
	m = (struct p9_msg){ .type = P9_RREAD, .tag = 1 };
	m.u.rread.count = 3;
	assert_int_equal(p9_encode(&m, buf, 64, P9_2000L), P9_E_ARG);
	/* a stat whose strings fit one by one but not together */
	m = (struct p9_msg){ .type = P9_RSTAT, .tag = 1 };
	m.u.rstat.stat.name = (struct p9_str){ big, 40000 };
	m.u.rstat.stat.uid = (struct p9_str){ big, 40000 };
	assert_int_equal(p9_encode(&m, buf, sizeof big + 64, P9_2000), P9_E_STATLONG);
	assert_int_equal(p9_stat_encode(&m.u.rstat.stat, buf, sizeof big + 64), P9_E_STATLONG);
	/* unknown type; arguments */
	m.type = 106;
	assert_int_equal(p9_encode(&m, buf, 64, P9_2000), P9_E_TYPE);
	assert_int_equal(p9_encode(0, buf, 64, P9_2000), P9_E_ARG);
	assert_int_equal(p9_encode(&m, 0, 64, P9_2000), P9_E_ARG);
	assert_int_equal(p9_encode(&m, buf, 64, (enum p9_dialect)9), P9_E_ARG);
	free(buf);

	/* every sample, into exact-size buffers of every length short of it */
	for (size_t i = 0; i < p9_nsamples; i++) {
		const struct p9_sample *s = &p9_samples[i];
		int d = s->speak & P9_SPEAK(P9_2000) ? P9_2000 : s->speak & P9_SPEAK(P9_2000L) ? P9_2000L : P9_NONE;
		size_t n;

		p9_sample_vals(s, 2, &vals);
		n = p9_sample_wire(s, &vals, wire, sizeof wire);
		p9_sample_msg(s, &vals, &m);
		for (size_t cap = 0; cap < n; cap++, caps++) {
			uint8_t *q = malloc(cap ? cap : 1);

			assert_int_equal(p9_encode(&m, cap ? q : 0, cap, (enum p9_dialect)d), P9_E_NOSPACE);
			free(q);
		}
	}
	print_message("%u short buffers refused\n", caps);
}

static void bad_arguments(void **state)
{
	uint8_t b[16];
	struct p9_msg m;

	(void)state;
	msg(b, P9_TCLUNK, 1, (const uint8_t[]){ 1, 0, 0, 0 }, 4);
	assert_int_equal(p9_decode(b, 11, MSZ, P9_2000, P9_TMSG, 0), P9_E_ARG);
	assert_int_equal(p9_decode(0, 11, MSZ, P9_2000, P9_TMSG, &m), P9_E_ARG);
	assert_int_equal(p9_decode(b, 11, MSZ, (enum p9_dialect)3, P9_TMSG, &m), P9_E_ARG);
	assert_int_equal(p9_decode(b, 11, MSZ, P9_2000, (enum p9_side)2, &m), P9_E_ARG);
	assert_int_equal(p9_stat_decode(0, 0, 0), P9_E_ARG);
	assert_int_equal(p9_dirent_decode(b, 0, 0), P9_E_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(truncated_at_every_offset),
		cmocka_unit_test(size_field_mismatch),
		cmocka_unit_test(msize_exceeded),
		cmocka_unit_test(string_past_end),
		cmocka_unit_test(string_with_nul),
		cmocka_unit_test(nwname_and_nwqid_17),
		cmocka_unit_test(count_mismatch),
		cmocka_unit_test(trailing_bytes),
		cmocka_unit_test(unknown_types),
		cmocka_unit_test(wrong_side),
		cmocka_unit_test(dialect_mismatch),
		cmocka_unit_test(notag_rules),
		cmocka_unit_test(stat_sizes_disagree),
		cmocka_unit_test(directory_entries_cut),
		cmocka_unit_test(encoder_refuses),
		cmocka_unit_test(bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
