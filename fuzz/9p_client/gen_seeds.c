/*
 * Writes the seed corpus for the 9P client fuzzer (harness.c says the
 * input format) into a directory: realistic sessions whose replies are
 * encoded by the codec's own p9_encode, answering the requests the
 * header puts in flight -- a version and an attach, a walk and a getattr,
 * a directory listing, a read, errors, and replies out of order.
 * Usage: gen_seeds DIR
 */
#include <stdio.h>
#include <string.h>

#include <lux/9p.h>

static uint8_t buf[65536];
static size_t len;

static void start(uint8_t nreq, const uint8_t *kinds, uint8_t chunk)
{
	len = 0;
	buf[len++] = nreq;
	memcpy(buf + len, kinds, nreq & 0x7f);
	len += nreq & 0x7f;
	buf[len++] = chunk;
}

static void add(struct p9_msg *m, enum p9_dialect d)
{
	int n = p9_encode(m, buf + len, sizeof buf - len, d);

	if (n < 0) {
		fprintf(stderr, "gen_seeds: %s: %s\n", p9_type_name(m->type), p9_strerror(n));
		return;
	}
	len += (size_t)n;
}

static int save(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == 0 || fwrite(buf, 1, len, f) != len) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

/* Indexes into harness.c's kinds[]. */
enum { K_ATTACH, K_WALK1, K_WALK16, K_WALK0, K_LOPEN, K_LCREATE, K_MKDIR, K_READ100,
	K_READ, K_WRITE, K_READDIR, K_GETATTR, K_CLUNK, K_REMOVE, K_FLUSH };

int main(int argc, char **argv)
{
	struct qid dq = { .path = 1, .type = QTDIR }, fq = { .path = 2, .type = QTFILE };
	uint8_t data[512];
	size_t n = 0;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	{	/* version and attach */
		uint8_t k[] = { K_ATTACH };
		struct p9_msg v = { .type = P9_RVERSION, .tag = P9_NOTAG,
		                    .u.version = { 8216, p9_str_c("9P2000.L") } };
		struct p9_msg a = { .type = P9_RATTACH, .tag = 0, .u.rqid.qid = dq };
		start(0x80 | 1, k, 255);
		add(&v, P9_NONE);
		add(&a, P9_2000L);
		bad |= save(argv[1], "version-attach");
	}
	{	/* walk, getattr, open and read, in a 3-byte-chunked stream */
		uint8_t k[] = { K_WALK16, K_GETATTR, K_LOPEN, K_READ100, K_CLUNK };
		struct p9_msg w = { .type = P9_RWALK, .tag = 0, .u.rwalk = { 2, { dq, fq } } };
		struct p9_msg g = { .type = P9_RGETATTR, .tag = 1 };
		struct p9_msg o = { .type = P9_RLOPEN, .tag = 2, .u.ropen = { fq, 0 } };
		struct p9_msg r = { .type = P9_RREAD, .tag = 3,
		                    .u.rread = { 12, (const uint8_t *)"hello world\n" } };
		struct p9_msg c = { .type = P9_RCLUNK, .tag = 4 };
		g.u.rgetattr.valid = P9_GETATTR_BASIC;
		g.u.rgetattr.qid = fq;
		g.u.rgetattr.mode = 0100644;
		g.u.rgetattr.size = 12;
		start(5, k, 2);
		add(&w, P9_2000L);
		add(&g, P9_2000L);
		add(&o, P9_2000L);
		add(&r, P9_2000L);
		add(&c, P9_2000L);
		bad |= save(argv[1], "walk-getattr-read");
	}
	{	/* a directory listing answered after the other request */
		static const char *const names[] = { ".", "..", "a", "sub" };
		uint8_t k[] = { K_WALK1, K_READDIR };
		struct p9_msg w = { .type = P9_RWALK, .tag = 0, .u.rwalk = { 1, { dq } } };
		struct p9_msg r = { .type = P9_RREADDIR, .tag = 1 };
		for (int i = 0; i < 4; i++) {
			struct p9_dirent de = { i == 3 ? dq : fq, (uint64_t)i + 1, 0, p9_str_c(names[i]) };
			n += (size_t)p9_dirent_encode(&de, data + n, sizeof data - n);
		}
		r.u.rread.count = (uint32_t)n;
		r.u.rread.data = data;
		start(2, k, 64);
		add(&r, P9_2000L);
		add(&w, P9_2000L);
		bad |= save(argv[1], "readdir-out-of-order");
	}
	{	/* errors: Rlerror for each, and a write's count */
		uint8_t k[] = { K_LCREATE, K_MKDIR, K_REMOVE, K_WRITE, K_FLUSH };
		struct p9_msg e0 = { .type = P9_RLERROR, .tag = 0, .u.rlerror.ecode = 17 };
		struct p9_msg e1 = { .type = P9_RLERROR, .tag = 1, .u.rlerror.ecode = 122 };
		struct p9_msg e2 = { .type = P9_RLERROR, .tag = 2, .u.rlerror.ecode = 116 };
		struct p9_msg w = { .type = P9_RWRITE, .tag = 3, .u.rwrite.count = 5 };
		struct p9_msg f = { .type = P9_RFLUSH, .tag = 4 };
		start(5, k, 16);
		add(&e0, P9_2000L);
		add(&e1, P9_2000L);
		add(&e2, P9_2000L);
		add(&w, P9_2000L);
		add(&f, P9_2000L);
		bad |= save(argv[1], "errors");
	}
	{	/* a hostile one: a reply for a tag nobody has */
		uint8_t k[] = { K_WALK0 };
		struct p9_msg c = { .type = P9_RCLUNK, .tag = 9 };
		start(1, k, 255);
		add(&c, P9_2000L);
		bad |= save(argv[1], "unknown-tag");
	}
	return bad;
}
