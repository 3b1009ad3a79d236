/*
 * The net scenario's simulated 9P clients (see net.h, and net.c for the
 * scenario): the requests a client pipelines, encoded with the codec, and
 * the checks on every reply it reads -- it decodes in the dialect in
 * force, fits the msize, answers exactly one request in flight by tag and
 * type (never one a Tflush flushed), and a read of /a/file returns the
 * file.
 */
#include <lux/9p.h>
#include <lux/dev.h>
#include <lux/fmt.h>
#include <lux/string.h>

#include "net.h"

const char net_filetext[] = "hello from the net scenario\n";

/* ---- Requests ----------------------------------------------------------- */

static bool tag_live(struct client *c, uint16_t tag)
{
	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].tag == tag && (c->reqs[i].live || c->reqs[i].end > c->outsent))
			return true;
	return false;
}

#define put netc_put

/* Queue one request; false when the client has no room for it. */
bool netc_put(struct client *c, struct p9_msg *m, bool fileread)
{
	struct creq *q;
	int n;

	if (c->nreq == NET_MAXREQ)
		return false;
	if (m->type != P9_TVERSION) {
		do
			c->nexttag = (uint16_t)(c->nexttag % 0xFFF0u + 1);
		while (tag_live(c, c->nexttag));
		m->tag = c->nexttag;
	}
	n = p9_encode(m, c->out + c->outlen, NET_OUTMAX - c->outlen,
	              m->type == P9_TVERSION ? P9_NONE : c->want);
	if (n == P9_E_NOSPACE)
		return false;
	if (n < 0) {
		net_fail("client %d: cannot encode %s: %s", c->n, p9_type_name(m->type),
		         p9_strerror(n));
		return false;
	}
	c->outlen += (size_t)n;
	q = &c->reqs[c->nreq++];
	kmemset(q, 0, sizeof *q);
	q->tag = m->tag;
	q->type = m->type;
	q->fileread = fileread;
	q->end = c->outlen;
	if (m->type == P9_TFLUSH)
		q->oldtag = m->u.tflush.oldtag;
	net_counts.requests++;
	return true;
}

static void walk(struct client *c, uint32_t fid, uint32_t newfid, const char *a, const char *b)
{
	struct p9_msg m = { .type = P9_TWALK };

	m.u.twalk.fid = fid;
	m.u.twalk.newfid = newfid;
	if (a)
		m.u.twalk.wname[m.u.twalk.nwname++] = p9_str_c(a);
	if (b)
		m.u.twalk.wname[m.u.twalk.nwname++] = p9_str_c(b);
	put(c, &m, false);
}

void netc_walk(struct client *c, uint32_t fid, uint32_t newfid, const char *const *names)
{
	struct p9_msg m = { .type = P9_TWALK };

	m.u.twalk.fid = fid;
	m.u.twalk.newfid = newfid;
	for (; *names && m.u.twalk.nwname < 4; names++)
		m.u.twalk.wname[m.u.twalk.nwname++] = p9_str_c(*names);
	put(c, &m, false);
}

void netc_write(struct client *c, uint32_t fid, const void *data, uint32_t n)
{
	struct p9_msg m = { .type = P9_TWRITE };

	m.u.twrite.fid = fid;
	m.u.twrite.count = n;
	m.u.twrite.data = data;
	put(c, &m, false);
}

void netc_fidop(struct client *c, uint8_t type, uint32_t fid)
{
	struct p9_msg m = { .type = type };

	m.u.tfid.fid = fid;
	put(c, &m, false);
}

#define fidop netc_fidop
#define open_ netc_open

void netc_open(struct client *c, uint32_t fid, int mode)
{
	struct p9_msg m = { .type = c->want == P9_2000L ? P9_TLOPEN : P9_TOPEN };

	if (c->want == P9_2000L) {
		m.u.tlopen.fid = fid;
		m.u.tlopen.flags = (uint32_t)mode;
	} else {
		m.u.topen.fid = fid;
		m.u.topen.mode = (uint8_t)mode;
	}
	put(c, &m, false);
}

static void read_(struct client *c, uint32_t fid, uint64_t off, uint32_t count, bool fileread)
{
	struct p9_msg m = { .type = P9_TREAD };

	m.u.tread.fid = fid;
	m.u.tread.offset = off;
	m.u.tread.count = count;
	put(c, &m, fileread);
}

void netc_readreq(struct client *c, uint32_t fid, uint64_t off, uint32_t count)
{
	read_(c, fid, off, count, false);
}

static void create_write(struct client *c, uint32_t fid)
{
	char name[32];
	static const char data[] = "written by a simulated client";
	struct p9_msg m;

	ksnprintf(name, sizeof name, "c%d-f%u", c->n, fid);
	walk(c, 0, fid, "tmp", 0);
	if (c->want == P9_2000L) {
		m = (struct p9_msg){ .type = P9_TLCREATE };
		m.u.tlcreate.fid = fid;
		m.u.tlcreate.name = p9_str_c(name);
		m.u.tlcreate.flags = ORDWR;
		m.u.tlcreate.mode = 0644;
	} else {
		m = (struct p9_msg){ .type = P9_TCREATE };
		m.u.tcreate.fid = fid;
		m.u.tcreate.name = p9_str_c(name);
		m.u.tcreate.perm = 0644;
		m.u.tcreate.mode = ORDWR;
	}
	put(c, &m, false);
	m = (struct p9_msg){ .type = P9_TWRITE };
	m.u.twrite.fid = fid;
	m.u.twrite.count = sizeof data - 1;
	m.u.twrite.data = (const uint8_t *)data;
	put(c, &m, false);
	fidop(c, net_rnd(2) ? P9_TREMOVE : P9_TCLUNK, fid);
}

/* A chain of pipelined requests; each chain uses fids of its own. */
void netc_more(struct client *c)
{
	uint32_t fid = c->nextfid++;
	uint32_t iounit = c->msize - P9_IOHDRSZ;
	struct p9_msg m;

	switch (net_rnd(8)) {
	case 0:
	case 1:	/* read a file we know */
		walk(c, 0, fid, "a", "file");
		open_(c, fid, OREAD);
		read_(c, fid, 0, iounit, true);
		fidop(c, P9_TCLUNK, fid);
		break;
	case 2: create_write(c, fid); break;
	case 3:	/* stat the root */
		if (c->want == P9_2000L) {
			m = (struct p9_msg){ .type = P9_TGETATTR };
			m.u.tgetattr.fid = 0;
			m.u.tgetattr.request_mask = P9_GETATTR_BASIC;
			put(c, &m, false);
		} else {
			fidop(c, P9_TSTAT, 0);
		}
		break;
	case 4:	/* big reads: replies pile up if the client does not read */
		walk(c, 0, fid, "big", 0);
		open_(c, fid, OREAD);
		for (uint32_t off = 0; off < NET_BIGFILE; off += iounit)
			read_(c, fid, off, iounit, false);
		fidop(c, P9_TCLUNK, fid);
		break;
	case 5:	/* flush something that may still be in flight */
		if (c->nreq > 0) {
			m = (struct p9_msg){ .type = P9_TFLUSH };
			m.u.tflush.oldtag = c->reqs[net_rnd(c->nreq)].tag;
			put(c, &m, false);
		}
		break;
	case 6:	/* a directory listing */
		walk(c, 0, fid, 0, 0);
		open_(c, fid, OREAD);
		m = (struct p9_msg){ .type = c->want == P9_2000L ? P9_TREADDIR : P9_TREAD };
		m.u.tread.fid = fid;
		m.u.tread.count = iounit;
		put(c, &m, false);
		fidop(c, P9_TCLUNK, fid);
		break;
	default:	/* an unknown fid: an error, and the connection stays */
		if (net_rnd(10) == 0 && NET_OUTMAX - c->outlen >= P9_HDRSZ) {
			/* a size field below the header: the server says why
			 * (NOTAG) and closes the connection */
			static const uint8_t bad[P9_HDRSZ] = { 3, 0, 0, 0, P9_TREAD, 1, 0 };
			kmemcpy(c->out + c->outlen, bad, sizeof bad);
			c->outlen += sizeof bad;
			c->badframe = true;
			break;
		}
		fidop(c, P9_TCLUNK, 100000 + fid);
		break;
	}
}

/* ---- Replies ------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool is_error(uint8_t t)
{
	return t == P9_RERROR || t == P9_RLERROR;
}

static struct creq *match(struct client *c, const struct p9_msg *r)
{
	for (size_t i = 0; i < c->nreq; i++) {
		struct creq *q = &c->reqs[i];
		if (q->live && q->tag == r->tag && (is_error(r->type) || r->type == q->type + 1))
			return q;
	}
	return 0;
}

/* Drop answered requests from the front (their bytes are all sent). */
static void compact_reqs(struct client *c)
{
	size_t k = 0;

	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].live || c->reqs[i].end > c->outsent)
			c->reqs[k++] = c->reqs[i];
	c->nreq = k;
}

static int one_reply(struct client *c, const uint8_t *buf, size_t n)
{
	enum p9_dialect d = buf[4] == P9_RVERSION ? P9_NONE : c->d;
	struct p9_msg r;
	struct creq *q;
	char why[120];
	int err;

	if (n > c->msize)
		return net_fail("client %d: a %s of %zu bytes exceeds msize %u", c->n,
		                p9_type_name(buf[4]), n, c->msize);
	if ((err = p9_decode(buf, n, c->msize, d, P9_RMSG, &r)) < 0) {
		p9_explain(why, sizeof why, err, &r);
		return net_fail("client %d: a reply the codec rejects: %s", c->n, why);
	}
	net_counts.replies++;
	net_counts.errors += is_error(r.type);
	if ((q = match(c, &r)) == 0 && c->badframe && r.tag == P9_NOTAG && is_error(r.type)) {
		if (c->kind != CK_HONEST)
			hostc_reply(c, 0, &r);
		return 0;	/* the goodbye before the server closes */
	}
	if (q == 0) {
		for (size_t i = 0; i < c->nreq; i++)
			if (c->reqs[i].flushed && c->reqs[i].tag == r.tag)
				return net_fail("client %d: %s tag %u answers a flushed request",
				                c->n, p9_type_name(r.type), r.tag);
		return net_fail("client %d: %s tag %u answers no request in flight", c->n,
		                p9_type_name(r.type), r.tag);
	}
	q->live = false;
	if (r.type == P9_RVERSION) {
		c->d = p9_dialect_of(r.u.version.version.s, r.u.version.version.len);
		if (c->d != c->want || r.u.version.msize > c->msize)
			return net_fail("client %d: Rversion %.*s msize %u for %s msize %u", c->n,
			                (int)r.u.version.version.len, r.u.version.version.s,
			                r.u.version.msize, p9_dialect_name(c->want), c->msize);
		c->msize = r.u.version.msize;
	}
	if (q->fileread && r.type == P9_RREAD &&
	    (r.u.rread.count != sizeof net_filetext - 1 ||
	     kmemcmp(r.u.rread.data, net_filetext, sizeof net_filetext - 1) != 0))
		return net_fail("client %d: reading /a/file gave %u bytes, not the file's %zu",
		                c->n, r.u.rread.count, sizeof net_filetext - 1);
	if (q->type == P9_TFLUSH && r.type == P9_RFLUSH) {
		net_counts.flushes++;
		for (struct creq *o = c->reqs; o < q; o++)
			if (o->live && o->tag == q->oldtag) {
				o->live = false;	/* flushed: no reply may follow */
				o->flushed = true;
			}
	}
	if (c->kind != CK_HONEST)
		hostc_reply(c, q, &r);
	return 0;
}

long netc_read(struct client *c, size_t want)
{
	size_t off = 0;

	while (c->netlen - off >= 4) {
		uint32_t size = le32(c->net + off);
		if (size < P9_HDRSZ || size > c->netlen - off)
			break;	/* a send is always whole: this is a broken size */
		if (off + size > want && off > 0)
			break;
		if (one_reply(c, c->net + off, size) < 0)
			return -1;
		off += size;
	}
	if (c->netlen - off >= 4 &&
	    (le32(c->net + off) < P9_HDRSZ || le32(c->net + off) > c->netlen - off))
		return net_fail("client %d: a reply whose size field says %u with %zu bytes there",
		                c->n, le32(c->net + off), c->netlen - off);
	if (off == 0)
		return 0;
	kmemmove(c->net, c->net + off, c->netlen - off);
	c->netlen -= off;
	compact_reqs(c);
	return (long)off;
}

/* ---- The session ---------------------------------------------------------- */

void netc_hello(struct client *c)
{
	struct p9_msg m = { .type = P9_TVERSION, .tag = P9_NOTAG };

	m.u.version.msize = c->msize;
	m.u.version.version = p9_str_c(p9_dialect_name(c->want));
	put(c, &m, false);
	m = (struct p9_msg){ .type = P9_TATTACH };
	m.u.tattach.fid = 0;
	m.u.tattach.afid = P9_NOFID;
	m.u.tattach.uname = p9_str_c("");	/* as the connection is: the host owner */
	m.u.tattach.aname = p9_str_c("");
	m.u.tattach.n_uname = P9_NONUNAME;
	put(c, &m, false);
}

void netc_begin(struct client *c)
{
	static const uint32_t msizes[] = { 512, 8192, 65536 + P9_IOHDRSZ };

	c->want = net_rnd(2) ? P9_2000L : P9_2000;
	c->d = P9_NONE;
	c->msize = msizes[net_rnd(nelem(msizes))];
	c->outlen = c->outsent = c->netlen = c->nreq = 0;
	c->nexttag = 0;
	c->nextfid = 1;
	c->paused = c->server_closed = c->finishing = c->overfull = c->badframe = false;
	c->slow = net_rnd(4) == 0;
	c->finish_steps = 0;
	c->midmsg = false;
	c->phase = 0;
	c->got = 0;
	netc_hello(c);
}

void netc_sent(struct client *c, size_t n)
{
	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].end > c->outsent && c->reqs[i].end <= c->outsent + n)
			c->reqs[i].live = true;	/* whole now: it will be answered */
	c->outsent += n;
	if (c->outsent == c->outlen) {
		compact_reqs(c);
		c->outlen = c->outsent = 0;
		for (size_t i = 0; i < c->nreq; i++)
			c->reqs[i].end = 0;
	}
}

const struct creq *netc_waiting(const struct client *c)
{
	for (size_t i = 0; i < c->nreq; i++)
		if (c->reqs[i].live)
			return &c->reqs[i];
	return 0;
}

bool netc_done(const struct client *c)
{
	return netc_waiting(c) == 0 && c->outsent == c->outlen && c->netlen == 0;
}
