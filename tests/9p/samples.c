/* The independent message descriptions of samples.h. */
#include "samples.h"

#include <string.h>

#define ALL (P9_SPEAK(P9_NONE) | P9_SPEAK(P9_2000) | P9_SPEAK(P9_2000L))
#define BOTH (P9_SPEAK(P9_2000) | P9_SPEAK(P9_2000L))
#define P9 P9_SPEAK(P9_2000)
#define DOTL P9_SPEAK(P9_2000L)

#define N(i) (v[i].n)
#define S(i) (v[i].s)
#define Q(i) (v[i].q)

static void f_version(struct p9_msg *m, const struct p9_val *v)
{
	m->u.version.msize = (uint32_t)N(0);
	m->u.version.version = S(1);
}

static void f_tauth(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tauth.afid = (uint32_t)N(0);
	m->u.tauth.uname = S(1);
	m->u.tauth.aname = S(2);
}

static void f_tauth_l(struct p9_msg *m, const struct p9_val *v)
{
	f_tauth(m, v);
	m->u.tauth.n_uname = (uint32_t)N(3);
}

static void f_tattach(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tattach.fid = (uint32_t)N(0);
	m->u.tattach.afid = (uint32_t)N(1);
	m->u.tattach.uname = S(2);
	m->u.tattach.aname = S(3);
}

static void f_tattach_l(struct p9_msg *m, const struct p9_val *v)
{
	f_tattach(m, v);
	m->u.tattach.n_uname = (uint32_t)N(4);
}

static void f_rqid(struct p9_msg *m, const struct p9_val *v) { m->u.rqid.qid = Q(0); }
static void f_rerror(struct p9_msg *m, const struct p9_val *v) { m->u.rerror.ename = S(0); }
static void f_rlerror(struct p9_msg *m, const struct p9_val *v) { m->u.rlerror.ecode = (uint32_t)N(0); }
static void f_tflush(struct p9_msg *m, const struct p9_val *v) { m->u.tflush.oldtag = (uint16_t)N(0); }
static void f_none(struct p9_msg *m, const struct p9_val *v) { (void)m, (void)v; }

static void f_twalk(struct p9_msg *m, const struct p9_val *v)
{
	m->u.twalk.fid = (uint32_t)N(0);
	m->u.twalk.newfid = (uint32_t)N(1);
	m->u.twalk.nwname = (uint16_t)v[2].cnt;
	memcpy(m->u.twalk.wname, v[2].names, sizeof v[2].names);
}

static void f_rwalk(struct p9_msg *m, const struct p9_val *v)
{
	m->u.rwalk.nwqid = (uint16_t)v[0].cnt;
	memcpy(m->u.rwalk.wqid, v[0].qids, sizeof v[0].qids);
}

static void f_topen(struct p9_msg *m, const struct p9_val *v)
{
	m->u.topen.fid = (uint32_t)N(0);
	m->u.topen.mode = (uint8_t)N(1);
}

static void f_ropen(struct p9_msg *m, const struct p9_val *v)
{
	m->u.ropen.qid = Q(0);
	m->u.ropen.iounit = (uint32_t)N(1);
}

static void f_tcreate(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tcreate.fid = (uint32_t)N(0);
	m->u.tcreate.name = S(1);
	m->u.tcreate.perm = (uint32_t)N(2);
	m->u.tcreate.mode = (uint8_t)N(3);
}

static void f_tread(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tread.fid = (uint32_t)N(0);
	m->u.tread.offset = N(1);
	m->u.tread.count = (uint32_t)N(2);
}

static void f_rread(struct p9_msg *m, const struct p9_val *v)
{
	m->u.rread.count = v[0].dlen;
	m->u.rread.data = v[0].data;
}

static void f_twrite(struct p9_msg *m, const struct p9_val *v)
{
	m->u.twrite.fid = (uint32_t)N(0);
	m->u.twrite.offset = N(1);
	m->u.twrite.count = v[2].dlen;
	m->u.twrite.data = v[2].data;
}

static void f_rwrite(struct p9_msg *m, const struct p9_val *v) { m->u.rwrite.count = (uint32_t)N(0); }
static void f_tfid(struct p9_msg *m, const struct p9_val *v) { m->u.tfid.fid = (uint32_t)N(0); }
static void f_rstat(struct p9_msg *m, const struct p9_val *v) { m->u.rstat.stat = v[0].st; }

static void f_twstat(struct p9_msg *m, const struct p9_val *v)
{
	m->u.twstat.fid = (uint32_t)N(0);
	m->u.twstat.stat = v[1].st;
}

static void f_rstatfs(struct p9_msg *m, const struct p9_val *v)
{
	m->u.rstatfs.type = (uint32_t)N(0);
	m->u.rstatfs.bsize = (uint32_t)N(1);
	m->u.rstatfs.blocks = N(2);
	m->u.rstatfs.bfree = N(3);
	m->u.rstatfs.bavail = N(4);
	m->u.rstatfs.files = N(5);
	m->u.rstatfs.ffree = N(6);
	m->u.rstatfs.fsid = N(7);
	m->u.rstatfs.namelen = (uint32_t)N(8);
}

static void f_tlopen(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tlopen.fid = (uint32_t)N(0);
	m->u.tlopen.flags = (uint32_t)N(1);
}

static void f_tlcreate(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tlcreate.fid = (uint32_t)N(0);
	m->u.tlcreate.name = S(1);
	m->u.tlcreate.flags = (uint32_t)N(2);
	m->u.tlcreate.mode = (uint32_t)N(3);
	m->u.tlcreate.gid = (uint32_t)N(4);
}

static void f_tsymlink(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tsymlink.fid = (uint32_t)N(0);
	m->u.tsymlink.name = S(1);
	m->u.tsymlink.symtgt = S(2);
	m->u.tsymlink.gid = (uint32_t)N(3);
}

static void f_tmknod(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tmknod.dfid = (uint32_t)N(0);
	m->u.tmknod.name = S(1);
	m->u.tmknod.mode = (uint32_t)N(2);
	m->u.tmknod.major = (uint32_t)N(3);
	m->u.tmknod.minor = (uint32_t)N(4);
	m->u.tmknod.gid = (uint32_t)N(5);
}

static void f_trename(struct p9_msg *m, const struct p9_val *v)
{
	m->u.trename.fid = (uint32_t)N(0);
	m->u.trename.dfid = (uint32_t)N(1);
	m->u.trename.name = S(2);
}

static void f_rreadlink(struct p9_msg *m, const struct p9_val *v) { m->u.rreadlink.target = S(0); }

static void f_tgetattr(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tgetattr.fid = (uint32_t)N(0);
	m->u.tgetattr.request_mask = N(1);
}

static void f_rgetattr(struct p9_msg *m, const struct p9_val *v)
{
	m->u.rgetattr.valid = N(0);
	m->u.rgetattr.qid = Q(1);
	m->u.rgetattr.mode = (uint32_t)N(2);
	m->u.rgetattr.uid = (uint32_t)N(3);
	m->u.rgetattr.gid = (uint32_t)N(4);
	m->u.rgetattr.nlink = N(5);
	m->u.rgetattr.rdev = N(6);
	m->u.rgetattr.size = N(7);
	m->u.rgetattr.blksize = N(8);
	m->u.rgetattr.blocks = N(9);
	m->u.rgetattr.atime_sec = N(10);
	m->u.rgetattr.atime_nsec = N(11);
	m->u.rgetattr.mtime_sec = N(12);
	m->u.rgetattr.mtime_nsec = N(13);
	m->u.rgetattr.ctime_sec = N(14);
	m->u.rgetattr.ctime_nsec = N(15);
	m->u.rgetattr.btime_sec = N(16);
	m->u.rgetattr.btime_nsec = N(17);
	m->u.rgetattr.gen = N(18);
	m->u.rgetattr.data_version = N(19);
}

static void f_tsetattr(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tsetattr.fid = (uint32_t)N(0);
	m->u.tsetattr.valid = (uint32_t)N(1);
	m->u.tsetattr.mode = (uint32_t)N(2);
	m->u.tsetattr.uid = (uint32_t)N(3);
	m->u.tsetattr.gid = (uint32_t)N(4);
	m->u.tsetattr.size = N(5);
	m->u.tsetattr.atime_sec = N(6);
	m->u.tsetattr.atime_nsec = N(7);
	m->u.tsetattr.mtime_sec = N(8);
	m->u.tsetattr.mtime_nsec = N(9);
}

static void f_txattrwalk(struct p9_msg *m, const struct p9_val *v)
{
	m->u.txattrwalk.fid = (uint32_t)N(0);
	m->u.txattrwalk.newfid = (uint32_t)N(1);
	m->u.txattrwalk.name = S(2);
}

static void f_rxattrwalk(struct p9_msg *m, const struct p9_val *v) { m->u.rxattrwalk.size = N(0); }

static void f_txattrcreate(struct p9_msg *m, const struct p9_val *v)
{
	m->u.txattrcreate.fid = (uint32_t)N(0);
	m->u.txattrcreate.name = S(1);
	m->u.txattrcreate.attr_size = N(2);
	m->u.txattrcreate.flags = (uint32_t)N(3);
}

static void f_tfsync(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tfsync.fid = (uint32_t)N(0);
	m->u.tfsync.datasync = (uint32_t)N(1);
}

static void f_tlock(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tlock.fid = (uint32_t)N(0);
	m->u.tlock.type = (uint8_t)N(1);
	m->u.tlock.flags = (uint32_t)N(2);
	m->u.tlock.start = N(3);
	m->u.tlock.length = N(4);
	m->u.tlock.proc_id = (uint32_t)N(5);
	m->u.tlock.client_id = S(6);
}

static void f_rlock(struct p9_msg *m, const struct p9_val *v) { m->u.rlock.status = (uint8_t)N(0); }

static void f_tgetlock(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tgetlock.fid = (uint32_t)N(0);
	m->u.tgetlock.type = (uint8_t)N(1);
	m->u.tgetlock.start = N(2);
	m->u.tgetlock.length = N(3);
	m->u.tgetlock.proc_id = (uint32_t)N(4);
	m->u.tgetlock.client_id = S(5);
}

static void f_rgetlock(struct p9_msg *m, const struct p9_val *v)
{
	m->u.rgetlock.type = (uint8_t)N(0);
	m->u.rgetlock.start = N(1);
	m->u.rgetlock.length = N(2);
	m->u.rgetlock.proc_id = (uint32_t)N(3);
	m->u.rgetlock.client_id = S(4);
}

static void f_tlink(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tlink.dfid = (uint32_t)N(0);
	m->u.tlink.fid = (uint32_t)N(1);
	m->u.tlink.name = S(2);
}

static void f_tmkdir(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tmkdir.dfid = (uint32_t)N(0);
	m->u.tmkdir.name = S(1);
	m->u.tmkdir.mode = (uint32_t)N(2);
	m->u.tmkdir.gid = (uint32_t)N(3);
}

static void f_trenameat(struct p9_msg *m, const struct p9_val *v)
{
	m->u.trenameat.olddirfid = (uint32_t)N(0);
	m->u.trenameat.oldname = S(1);
	m->u.trenameat.newdirfid = (uint32_t)N(2);
	m->u.trenameat.newname = S(3);
}

static void f_tunlinkat(struct p9_msg *m, const struct p9_val *v)
{
	m->u.tunlinkat.dirfid = (uint32_t)N(0);
	m->u.tunlinkat.name = S(1);
	m->u.tunlinkat.flags = (uint32_t)N(2);
}

const struct p9_sample p9_samples[] = {
	/* intro(5) and section 5: 9P2000, and what .L keeps of it */
	{ P9_TVERSION, ALL, "4s", f_version },
	{ P9_RVERSION, ALL, "4s", f_version },
	{ P9_TAUTH, P9, "4ss", f_tauth },
	{ P9_TAUTH, DOTL, "4ss4", f_tauth_l },
	{ P9_RAUTH, BOTH, "Q", f_rqid },
	{ P9_TATTACH, P9, "44ss", f_tattach },
	{ P9_TATTACH, DOTL, "44ss4", f_tattach_l },
	{ P9_RATTACH, BOTH, "Q", f_rqid },
	{ P9_RERROR, P9_SPEAK(P9_NONE) | P9, "s", f_rerror },
	{ P9_RLERROR, P9_SPEAK(P9_NONE) | DOTL, "4", f_rlerror },
	{ P9_TFLUSH, BOTH, "2", f_tflush },
	{ P9_RFLUSH, BOTH, "", f_none },
	{ P9_TWALK, BOTH, "44W", f_twalk },
	{ P9_RWALK, BOTH, "R", f_rwalk },
	{ P9_TOPEN, P9, "41", f_topen },
	{ P9_ROPEN, P9, "Q4", f_ropen },
	{ P9_TCREATE, P9, "4s41", f_tcreate },
	{ P9_RCREATE, P9, "Q4", f_ropen },
	{ P9_TREAD, BOTH, "484", f_tread },
	{ P9_RREAD, BOTH, "D", f_rread },
	{ P9_TWRITE, BOTH, "48D", f_twrite },
	{ P9_RWRITE, BOTH, "4", f_rwrite },
	{ P9_TCLUNK, BOTH, "4", f_tfid },
	{ P9_RCLUNK, BOTH, "", f_none },
	{ P9_TREMOVE, BOTH, "4", f_tfid },
	{ P9_RREMOVE, BOTH, "", f_none },
	{ P9_TSTAT, P9, "4", f_tfid },
	{ P9_RSTAT, P9, "S", f_rstat },
	{ P9_TWSTAT, P9, "4S", f_twstat },
	{ P9_RWSTAT, P9, "", f_none },
	/* diod protocol.md: 9P2000.L */
	{ P9_TSTATFS, DOTL, "4", f_tfid },
	{ P9_RSTATFS, DOTL, "448888884", f_rstatfs },
	{ P9_TLOPEN, DOTL, "44", f_tlopen },
	{ P9_RLOPEN, DOTL, "Q4", f_ropen },
	{ P9_TLCREATE, DOTL, "4s444", f_tlcreate },
	{ P9_RLCREATE, DOTL, "Q4", f_ropen },
	{ P9_TSYMLINK, DOTL, "4ss4", f_tsymlink },
	{ P9_RSYMLINK, DOTL, "Q", f_rqid },
	{ P9_TMKNOD, DOTL, "4s4444", f_tmknod },
	{ P9_RMKNOD, DOTL, "Q", f_rqid },
	{ P9_TRENAME, DOTL, "44s", f_trename },
	{ P9_RRENAME, DOTL, "", f_none },
	{ P9_TREADLINK, DOTL, "4", f_tfid },
	{ P9_RREADLINK, DOTL, "s", f_rreadlink },
	{ P9_TGETATTR, DOTL, "48", f_tgetattr },
	{ P9_RGETATTR, DOTL, "8Q444888888888888888", f_rgetattr },
	{ P9_TSETATTR, DOTL, "4444488888", f_tsetattr },
	{ P9_RSETATTR, DOTL, "", f_none },
	{ P9_TXATTRWALK, DOTL, "44s", f_txattrwalk },
	{ P9_RXATTRWALK, DOTL, "8", f_rxattrwalk },
	{ P9_TXATTRCREATE, DOTL, "4s84", f_txattrcreate },
	{ P9_RXATTRCREATE, DOTL, "", f_none },
	{ P9_TREADDIR, DOTL, "484", f_tread },
	{ P9_RREADDIR, DOTL, "D", f_rread },
	{ P9_TFSYNC, DOTL, "44", f_tfsync },
	{ P9_RFSYNC, DOTL, "", f_none },
	{ P9_TLOCK, DOTL, "414884s", f_tlock },
	{ P9_RLOCK, DOTL, "1", f_rlock },
	{ P9_TGETLOCK, DOTL, "41884s", f_tgetlock },
	{ P9_RGETLOCK, DOTL, "1884s", f_rgetlock },
	{ P9_TLINK, DOTL, "44s", f_tlink },
	{ P9_RLINK, DOTL, "", f_none },
	{ P9_TMKDIR, DOTL, "4s44", f_tmkdir },
	{ P9_RMKDIR, DOTL, "Q", f_rqid },
	{ P9_TRENAMEAT, DOTL, "4s4s", f_trenameat },
	{ P9_RRENAMEAT, DOTL, "", f_none },
	{ P9_TUNLINKAT, DOTL, "4s4", f_tunlinkat },
	{ P9_RUNLINKAT, DOTL, "", f_none },
};
const size_t p9_nsamples = sizeof p9_samples / sizeof p9_samples[0];

uint64_t p9_xorshift(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* ---- Values ---- */

struct gen {
	unsigned k;
	uint64_t rng;
	char *pool, *pool_end;
};

static uint64_t rnd(struct gen *g)
{
	return p9_xorshift(&g->rng);
}

static uint64_t num(struct gen *g, int bytes)
{
	uint64_t v = g->k == 0 ? 0 : g->k == 1 ? ~0ull : rnd(g);

	return bytes == 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

static struct p9_str str(struct gen *g)
{
	size_t n = g->k == 0 ? 0 : g->k == 1 ? 100 : rnd(g) % 12;
	struct p9_str s = { g->pool, n };

	if (g->pool + n > g->pool_end)
		n = s.len = 0;
	for (size_t i = 0; i < n; i++)
		g->pool[i] = (char)('a' + rnd(g) % 26);
	g->pool += n;
	return s;
}

static struct qid qid(struct gen *g)
{
	struct qid q = { num(g, 8), (uint32_t)num(g, 4), (uint8_t)num(g, 1) };

	return q;
}

void p9_sample_vals(const struct p9_sample *s, unsigned k, struct p9_vals *out)
{
	struct gen g = { k, 0x9e3779b97f4a7c15ull ^ ((uint64_t)s->type << 40) ^ k, 0, 0 };
	const char *c;
	int i = 0;

	memset(out, 0, sizeof *out);
	g.pool = out->pool;
	g.pool_end = out->pool + sizeof out->pool;
	if (s->type == P9_TVERSION || s->type == P9_RVERSION)
		out->tag = P9_NOTAG;
	else if ((s->type == P9_RERROR || s->type == P9_RLERROR) && k % 3 == 2)
		out->tag = P9_NOTAG;
	else
		out->tag = (uint16_t)(k == 1 ? P9_NOTAG - 1 : rnd(&g) % P9_NOTAG);
	for (c = s->spec; *c; c++, i++) {
		struct p9_val *v = &out->v[i];

		switch (*c) {
		case '1': case '2': case '4': case '8':
			v->n = num(&g, *c - '0');
			break;
		case 's':
			v->s = str(&g);
			break;
		case 'Q':
			v->q = qid(&g);
			break;
		case 'W':
		case 'R':
			v->cnt = k % (P9_MAXWELEM + 1);
			for (unsigned j = 0; j < v->cnt; j++) {
				if (*c == 'W')
					v->names[j] = str(&g);
				else
					v->qids[j] = qid(&g);
			}
			break;
		case 'D':
			v->dlen = (uint32_t)(k == 0 ? 0 : k == 1 ? sizeof out->data : rnd(&g) % 64);
			for (uint32_t j = 0; j < v->dlen; j++)
				out->data[j] = (uint8_t)rnd(&g);
			v->data = out->data;
			break;
		case 'S':
			v->st.type = (uint16_t)num(&g, 2);
			v->st.dev = (uint32_t)num(&g, 4);
			v->st.qid = qid(&g);
			v->st.mode = (uint32_t)num(&g, 4);
			v->st.atime = (uint32_t)num(&g, 4);
			v->st.mtime = (uint32_t)num(&g, 4);
			v->st.length = num(&g, 8);
			v->st.name = str(&g);
			v->st.uid = str(&g);
			v->st.gid = str(&g);
			v->st.muid = str(&g);
			break;
		}
	}
}

/* ---- The independent encoder ---- */

struct out {
	uint8_t *buf;
	size_t n, cap;
};

static void le(struct out *o, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++, o->n++)
		if (o->n < o->cap)
			o->buf[o->n] = (uint8_t)(v >> (8 * i));
}

static void raw(struct out *o, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++, o->n++)
		if (o->n < o->cap)
			o->buf[o->n] = ((const uint8_t *)p)[i];
}

static void wstr(struct out *o, struct p9_str s)
{
	le(o, s.len, 2);
	raw(o, s.s, s.len);
}

static void wqid(struct out *o, struct qid q)
{
	le(o, q.type, 1);
	le(o, q.vers, 4);
	le(o, q.path, 8);
}

size_t p9_sample_wire(const struct p9_sample *s, const struct p9_vals *vals,
	uint8_t *buf, size_t cap)
{
	struct out o = { buf, 0, cap };
	const struct p9_val *v = vals->v;
	const char *c;

	le(&o, 0, 4);
	le(&o, s->type, 1);
	le(&o, vals->tag, 2);
	for (c = s->spec; *c; c++, v++) {
		switch (*c) {
		case '1': case '2': case '4': case '8':
			le(&o, v->n, *c - '0');
			break;
		case 's':
			wstr(&o, v->s);
			break;
		case 'Q':
			wqid(&o, v->q);
			break;
		case 'W':
		case 'R':
			le(&o, v->cnt, 2);
			for (unsigned j = 0; j < v->cnt; j++) {
				if (*c == 'W')
					wstr(&o, v->names[j]);
				else
					wqid(&o, v->qids[j]);
			}
			break;
		case 'D':
			le(&o, v->dlen, 4);
			raw(&o, v->data, v->dlen);
			break;
		case 'S': {
			/* stat(5): size[2] counts what follows it; the message's n[2]
			 * counts the entry with its size field. */
			size_t strs = v->st.name.len + v->st.uid.len + v->st.gid.len + v->st.muid.len;
			size_t entry = 2 + 2 + 4 + 13 + 4 + 4 + 4 + 8 + 4 * 2 + strs;

			le(&o, entry, 2);
			le(&o, entry - 2, 2);
			le(&o, v->st.type, 2);
			le(&o, v->st.dev, 4);
			wqid(&o, v->st.qid);
			le(&o, v->st.mode, 4);
			le(&o, v->st.atime, 4);
			le(&o, v->st.mtime, 4);
			le(&o, v->st.length, 8);
			wstr(&o, v->st.name);
			wstr(&o, v->st.uid);
			wstr(&o, v->st.gid);
			wstr(&o, v->st.muid);
			break;
		}
		}
	}
	if (o.n <= cap && cap >= 4) {
		buf[0] = (uint8_t)o.n;
		buf[1] = (uint8_t)(o.n >> 8);
		buf[2] = (uint8_t)(o.n >> 16);
		buf[3] = (uint8_t)(o.n >> 24);
	}
	return o.n;
}

void p9_sample_msg(const struct p9_sample *s, const struct p9_vals *vals, struct p9_msg *m)
{
	memset(m, 0, sizeof *m);
	m->type = s->type;
	m->tag = vals->tag;
	s->fill(m, vals->v);
}
