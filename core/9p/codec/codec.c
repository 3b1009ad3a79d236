/*
 * The 9P codec: decoding walks a cursor, encoding walks a builder, both
 * over the field lists of layout.c, so the two directions cannot drift
 * apart and every accepted message re-encodes to the same bytes.
 *
 * Both follow diod's buffer (style rule 6): the cursor and the builder carry a
 * sticky error.  After the first read that would pass the end, the cursor
 * jumps to the end, every later read yields zero and the error stays the
 * first one; the caller checks once.  Lengths are only ever compared with
 * the bytes remaining (end - p), never added to a pointer first, so no
 * length from the wire can wrap a pointer.
 */
#include <lux/9p.h>
#include <lux/string.h>

/* ---- Reading ---------------------------------------------------------- */

struct cur {
	const uint8_t *start;	/* the message, for offsets in p9_bad */
	const uint8_t *p, *end;
	int err;		/* first error, or 0 */
	struct p9_bad bad;
};

static size_t left(const struct cur *c)
{
	return (size_t)(c->end - c->p);
}

static void fail_at(struct cur *c, const uint8_t *at, int err, uint64_t got, uint64_t limit)
{
	if (c->err)
		return;
	c->err = err;
	c->bad.off = (uint32_t)(at - c->start);
	c->bad.got = got;
	c->bad.limit = limit;
	c->p = c->end;
}

/* The next n bytes, or null with err set if fewer remain. */
static const uint8_t *take(struct cur *c, size_t n, int err)
{
	const uint8_t *q = c->p;

	if (c->err)
		return 0;
	if (left(c) < n) {
		fail_at(c, q, err, n, left(c));
		return 0;
	}
	c->p += n;
	return q;
}

static uint64_t getle(struct cur *c, size_t n)
{
	const uint8_t *q = take(c, n, P9_E_TRUNC);
	uint64_t v = 0;

	if (!q)
		return 0;
	while (n--)
		v = v << 8 | q[n];
	return v;
}

static void getqid(struct cur *c, struct qid *q)
{
	q->type = (uint8_t)getle(c, 1);
	q->vers = (uint32_t)getle(c, 4);
	q->path = getle(c, 8);
}

static void getstr(struct cur *c, struct p9_str *s)
{
	size_t n = (size_t)getle(c, 2);
	const uint8_t *q = take(c, n, P9_E_STR);
	const uint8_t *nul;

	if (!q)
		return;
	nul = kmemchr(q, 0, n);
	if (nul) {
		fail_at(c, nul, P9_E_STRNUL, n, (uint64_t)(nul - q));
		return;
	}
	s->s = (const char *)q;
	s->len = n;
}

/* The count of a list (nwname, nwqid), rejected above P9_MAXWELEM. */
static unsigned getnelem(struct cur *c, int err)
{
	const uint8_t *at = c->p;
	unsigned n = (unsigned)getle(c, 2);

	if (n > P9_MAXWELEM) {
		fail_at(c, at, err, n, P9_MAXWELEM);
		return 0;
	}
	return n;
}

/* count[4] data[count], always the last field: count must be exactly the
 * bytes left, neither more (a lie) nor fewer (trailing garbage). */
static void getdata(struct cur *c, uint32_t *count, const uint8_t **data)
{
	const uint8_t *at = c->p;
	uint32_t n = (uint32_t)getle(c, 4);

	if (c->err)
		return;
	if (n != left(c)) {
		fail_at(c, at, P9_E_COUNT, n, left(c));
		return;
	}
	*count = n;
	*data = take(c, n, P9_E_COUNT);
}

static void get_fields(struct cur *c, const struct p9_field *f, void *base);

/* size[2] and the entry it covers, which must end exactly size bytes on. */
static void getstat(struct cur *c, struct p9_stat *st)
{
	const uint8_t *at = c->p;
	size_t size = (size_t)getle(c, 2);
	struct cur sub;

	if (c->err)
		return;
	if (size > left(c)) {
		fail_at(c, at, P9_E_STATSIZE, size, left(c));
		return;
	}
	sub = *c;
	sub.end = c->p + size;
	get_fields(&sub, p9_stat_fields, st);
	if (!sub.err && sub.p != sub.end)
		fail_at(&sub, sub.p, P9_E_STATSIZE, size, size - left(&sub));
	if (sub.err == P9_E_TRUNC || sub.err == P9_E_STR) {
		/* A field ran past the entry, not necessarily past the message:
		 * the entry's own size is what is wrong.  limit becomes a lower
		 * bound of the bytes the fields need. */
		uint64_t short_by = sub.bad.got - sub.bad.limit;

		sub.err = P9_E_STATSIZE;
		sub.bad.off = (uint32_t)(at - c->start);
		sub.bad.got = size;
		sub.bad.limit = size + short_by;
	}
	if (sub.err) {
		c->err = sub.err;
		c->bad = sub.bad;
		c->p = c->end;
		return;
	}
	c->p = sub.end;
}

/* Rstat/Twstat: n[2] then the entry; n counts the entry's own size[2]. */
static void getmsgstat(struct cur *c, struct p9_stat *st)
{
	const uint8_t *at = c->p;
	size_t n = (size_t)getle(c, 2);
	const uint8_t *entry = c->p;

	if (c->err)
		return;
	if (n > left(c)) {
		fail_at(c, at, P9_E_STATSIZE, n, left(c));
		return;
	}
	getstat(c, st);
	if (!c->err && (size_t)(c->p - entry) != n)
		fail_at(c, at, P9_E_STATSIZE, n, (uint64_t)(c->p - entry));
}

static void get_fields(struct cur *c, const struct p9_field *f, void *base)
{
	for (; f->kind != P9F_END; f++) {
		char *p = (char *)base + f->off;
		char *p2 = (char *)base + f->off2;
		unsigned i, n;

		switch (f->kind) {
		case P9F_U8: *(uint8_t *)p = (uint8_t)getle(c, 1); break;
		case P9F_U16: *(uint16_t *)p = (uint16_t)getle(c, 2); break;
		case P9F_U32: *(uint32_t *)p = (uint32_t)getle(c, 4); break;
		case P9F_U64: *(uint64_t *)p = getle(c, 8); break;
		case P9F_STR: getstr(c, (struct p9_str *)p); break;
		case P9F_QID: getqid(c, (struct qid *)p); break;
		case P9F_WNAMES:
			n = getnelem(c, P9_E_NWNAME);
			*(uint16_t *)p = (uint16_t)n;
			for (i = 0; i < n; i++)
				getstr(c, (struct p9_str *)p2 + i);
			break;
		case P9F_WQIDS:
			n = getnelem(c, P9_E_NWQID);
			*(uint16_t *)p = (uint16_t)n;
			for (i = 0; i < n; i++)
				getqid(c, (struct qid *)p2 + i);
			break;
		case P9F_DATA: getdata(c, (uint32_t *)p, (const uint8_t **)p2); break;
		case P9F_STAT: getmsgstat(c, (struct p9_stat *)p); break;
		}
	}
}

static void cur_init(struct cur *c, const uint8_t *buf, size_t len)
{
	kmemset(c, 0, sizeof *c);
	c->start = c->p = buf;
	c->end = buf + len;
}

/* ---- Checks shared by both directions --------------------------------- */

static bool known(unsigned type)
{
	int d;

	for (d = 0; d < P9_NDIALECT; d++)
		if (p9_layout(type, (enum p9_dialect)d))
			return true;
	return false;
}

/* side: P9_TMSG, P9_RMSG, or -1 for the encoder, which knows its side. */
static int check_type(unsigned type, enum p9_dialect d, int side)
{
	if (!known(type))
		return P9_E_TYPE;
	if (side == P9_TMSG && (type & 1))
		return P9_E_WANT_T;
	if (side == P9_RMSG && !(type & 1))
		return P9_E_WANT_R;
	if (!p9_layout(type, d))
		return d == P9_NONE ? P9_E_NOVERSION : P9_E_DIALECT;
	return 0;
}

/* version(5): version messages carry NOTAG; nothing else may, except the
 * error that answers a failed Tversion. */
static int check_tag(unsigned type, unsigned tag)
{
	if (type == P9_TVERSION || type == P9_RVERSION)
		return tag == P9_NOTAG ? 0 : P9_E_TAG;
	if (type == P9_RERROR || type == P9_RLERROR)
		return 0;
	return tag == P9_NOTAG ? P9_E_TAG : 0;
}

/* ---- Decoding --------------------------------------------------------- */

static int refuse(struct p9_msg *m, int err, uint32_t off, uint64_t got, uint64_t limit)
{
	m->bad.off = off;
	m->bad.got = got;
	m->bad.limit = limit;
	return err;
}

int p9_decode(const uint8_t *buf, size_t len, uint32_t msize, enum p9_dialect d, enum p9_side side,
              struct p9_msg *out)
{
	struct cur c;
	uint32_t size;
	int err;

	if (!out)
		return P9_E_ARG;
	kmemset(out, 0, sizeof *out);
	if (!buf || (unsigned)d >= P9_NDIALECT || (side != P9_TMSG && side != P9_RMSG))
		return refuse(out, P9_E_ARG, 0, 0, 0);
	if (len < P9_HDRSZ)
		return refuse(out, P9_E_SHORT, 0, len, P9_HDRSZ);
	cur_init(&c, buf, len);
	size = (uint32_t)getle(&c, 4);
	out->type = (uint8_t)getle(&c, 1);
	out->tag = (uint16_t)getle(&c, 2);
	if (size < P9_HDRSZ)
		return refuse(out, P9_E_SHORT, 0, size, P9_HDRSZ);
	if (size != len)
		return refuse(out, P9_E_SIZE, 0, size, len);
	if (size > msize)
		return refuse(out, P9_E_MSIZE, 0, size, msize);
	err = check_type(out->type, d, (int)side);
	if (err)
		return refuse(out, err, 4, out->type, d);
	err = check_tag(out->type, out->tag);
	if (err)
		return refuse(out, err, 5, out->tag, P9_NOTAG);

	get_fields(&c, p9_layout(out->type, d), out);
	if (!c.err && c.p != c.end)
		fail_at(&c, c.p, P9_E_TRAILING, left(&c), 0);
	if (c.err) {
		out->bad = c.bad;
		return c.err;
	}
	return 0;
}

int p9_stat_decode(const uint8_t *buf, size_t len, struct p9_stat *st)
{
	struct cur c;

	if (!buf || !st)
		return P9_E_ARG;
	kmemset(st, 0, sizeof *st);
	cur_init(&c, buf, len);
	getstat(&c, st);
	return c.err ? c.err : (int)(c.p - buf);
}

int p9_dirent_decode(const uint8_t *buf, size_t len, struct p9_dirent *de)
{
	struct cur c;

	if (!buf || !de)
		return P9_E_ARG;
	kmemset(de, 0, sizeof *de);
	cur_init(&c, buf, len);
	get_fields(&c, p9_dirent_fields, de);
	return c.err ? c.err : (int)(c.p - buf);
}

/* ---- Encoding --------------------------------------------------------- */

struct bld {
	uint8_t *buf;
	size_t cap;
	uint64_t n;		/* bytes the message needs, even past cap */
	bool over;		/* sticky: something did not fit */
	int err;		/* sticky: first field out of range */
};

static void seterr(struct bld *b, int err)
{
	if (!b->err)
		b->err = err;
}

static void put(struct bld *b, const void *src, size_t n)
{
	if (b->over || b->n > b->cap || b->cap - b->n < n)
		b->over = true;
	else if (n)
		kmemcpy(b->buf + b->n, src, n);
	b->n += n;
}

static void putle(struct bld *b, uint64_t v, size_t n)
{
	uint8_t tmp[8];
	size_t i;

	for (i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	put(b, tmp, n);
}

static void putqid(struct bld *b, const struct qid *q)
{
	putle(b, q->type, 1);
	putle(b, q->vers, 4);
	putle(b, q->path, 8);
}

static void putstr(struct bld *b, const struct p9_str *s)
{
	if (s->len > 0xFFFF) {
		seterr(b, P9_E_STRLONG);
		return;
	}
	if (s->len && !s->s) {
		seterr(b, P9_E_ARG);
		return;
	}
	if (s->len && kmemchr(s->s, 0, s->len))
		seterr(b, P9_E_STRNUL);
	putle(b, s->len, 2);
	put(b, s->s, s->len);
}

static void put_fields(struct bld *b, const struct p9_field *f, const void *base);

/* An entry of `len` bytes (p9_stat_len): size[2] = len - 2, then fields. */
static void putstat(struct bld *b, const struct p9_stat *st, size_t len)
{
	putle(b, len - 2, 2);
	put_fields(b, p9_stat_fields, st);
}

static void put_fields(struct bld *b, const struct p9_field *f, const void *base)
{
	for (; f->kind != P9F_END; f++) {
		const char *p = (const char *)base + f->off;
		const char *p2 = (const char *)base + f->off2;
		unsigned i, n;
		size_t len;

		switch (f->kind) {
		case P9F_U8: putle(b, *(const uint8_t *)p, 1); break;
		case P9F_U16: putle(b, *(const uint16_t *)p, 2); break;
		case P9F_U32: putle(b, *(const uint32_t *)p, 4); break;
		case P9F_U64: putle(b, *(const uint64_t *)p, 8); break;
		case P9F_STR: putstr(b, (const struct p9_str *)p); break;
		case P9F_QID: putqid(b, (const struct qid *)p); break;
		case P9F_WNAMES:
		case P9F_WQIDS:
			n = *(const uint16_t *)p;
			if (n > P9_MAXWELEM) {
				seterr(b, f->kind == P9F_WNAMES ? P9_E_NWNAME : P9_E_NWQID);
				break;
			}
			putle(b, n, 2);
			for (i = 0; i < n; i++) {
				if (f->kind == P9F_WNAMES)
					putstr(b, (const struct p9_str *)p2 + i);
				else
					putqid(b, (const struct qid *)p2 + i);
			}
			break;
		case P9F_DATA:
			n = *(const uint32_t *)p;
			if (n && !*(const uint8_t *const *)p2) {
				seterr(b, P9_E_ARG);
				break;
			}
			putle(b, n, 4);
			put(b, *(const uint8_t *const *)p2, n);
			break;
		case P9F_STAT:
			/* The outer n[2] counts the whole entry, size[2] included. */
			len = p9_stat_len((const struct p9_stat *)p);
			if (len > 0xFFFF) {
				seterr(b, len == SIZE_MAX ? P9_E_STRLONG : P9_E_STATLONG);
				break;
			}
			putle(b, len, 2);
			putstat(b, (const struct p9_stat *)p, len);
			break;
		}
	}
}

static void bld_init(struct bld *b, uint8_t *buf, size_t cap)
{
	kmemset(b, 0, sizeof *b);
	b->buf = buf;
	b->cap = buf ? cap : 0;
}

/* The builder's verdict: the length, or the first error (a field out of
 * range outranks running out of room: a bigger buffer would not help). */
static int bld_end(const struct bld *b)
{
	if (b->err)
		return b->err;
	if (b->over || b->n > 0x7FFFFFFF)
		return P9_E_NOSPACE;
	return (int)b->n;
}

int p9_encode(const struct p9_msg *m, uint8_t *buf, size_t cap, enum p9_dialect d)
{
	struct bld b;
	int err, n;

	if (!m || (!buf && cap) || (unsigned)d >= P9_NDIALECT)
		return P9_E_ARG;
	err = check_type(m->type, d, -1);
	if (!err)
		err = check_tag(m->type, m->tag);
	if (err)
		return err;
	bld_init(&b, buf, cap);
	putle(&b, 0, 4);	/* size, filled in below */
	putle(&b, m->type, 1);
	putle(&b, m->tag, 2);
	put_fields(&b, p9_layout(m->type, d), m);
	n = bld_end(&b);
	if (n < 0)
		return n;
	buf[0] = (uint8_t)n;
	buf[1] = (uint8_t)(n >> 8);
	buf[2] = (uint8_t)(n >> 16);
	buf[3] = (uint8_t)(n >> 24);
	return n;
}

size_t p9_stat_len(const struct p9_stat *st)
{
	if (st->name.len > 0xFFFF || st->uid.len > 0xFFFF || st->gid.len > 0xFFFF ||
	    st->muid.len > 0xFFFF)
		return SIZE_MAX;
	return P9_STATFIXLEN + st->name.len + st->uid.len + st->gid.len + st->muid.len;
}

int p9_stat_encode(const struct p9_stat *st, uint8_t *buf, size_t cap)
{
	struct bld b;
	size_t len;

	if (!st || (!buf && cap))
		return P9_E_ARG;
	len = p9_stat_len(st);
	if (len == SIZE_MAX)
		return P9_E_STRLONG;
	if (len - 2 > 0xFFFF)
		return P9_E_STATLONG;
	bld_init(&b, buf, cap);
	putstat(&b, st, len);
	return bld_end(&b);
}

size_t p9_dirent_len(const struct p9_dirent *de)
{
	if (de->name.len > 0xFFFF)
		return SIZE_MAX;
	return P9_DIRENTFIXLEN + de->name.len;
}

int p9_dirent_encode(const struct p9_dirent *de, uint8_t *buf, size_t cap)
{
	struct bld b;

	if (!de || (!buf && cap))
		return P9_E_ARG;
	bld_init(&b, buf, cap);
	put_fields(&b, p9_dirent_fields, de);
	return bld_end(&b);
}
