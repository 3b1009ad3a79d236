/*
 * Fuzz harness for the 9P client's reply side (core/9p/mnt/mnt_reply.c): the
 * code every byte a mounted server sends goes through before the client
 * believes it.
 *
 * An input is a client's state and what the server sends:
 *   byte 0        how many requests are in flight (0..16) and whether a
 *                 Tversion (NOTAG) is too (bit 7)
 *   bytes 1..k    each request's type (an index into `kinds`); request i
 *                 has tag i, as the client hands them out
 *   byte k+1      how the arch chops the stream (chunk sizes 1..256)
 *   the rest      the bytes from the server
 * The stream goes through mnt_take (framing and demultiplexing by tag,
 * exactly as lux_dial_received calls it) chunk by chunk, until the end or
 * until mnt_take says the stream is broken; then every request that got a
 * reply is checked with mnt_reply_check and its contents turned into the
 * core's types as mnt_dev.c does (Rgetattr, Rreaddir entries, Rlerror
 * errnos).  Any invariant broken (a buffer overrun is one under ASan, a
 * result outside its range, an Rwalk with more qids than names accepted)
 * is an abort().  Buffers are exact-size heap copies.
 *
 * Built by afl-clang-fast this is an AFL++ persistent-mode harness; built
 * by a normal compiler it replays FILE|DIR... (fuzz/9p_codec's harness
 * says the same).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lux/error.h>
#include "9p/mnt/mntsess.h"

#define MSIZE (8192u + P9_IOHDRSZ)

/* What the client may have in flight, with the reply room it gives each
 * (mnt_dev.c: MNT_SMALL, or count + P9_IOHDRSZ for reads). */
static const struct kind {
	uint8_t ttype;
	uint16_t nwname;	/* Twalk only */
	size_t rcap;
} kinds[] = {
	{ P9_TATTACH, 0, MNT_SMALL }, { P9_TWALK, 1, MNT_SMALL }, { P9_TWALK, 16, MNT_SMALL },
	{ P9_TWALK, 0, MNT_SMALL }, { P9_TLOPEN, 0, MNT_SMALL }, { P9_TLCREATE, 0, MNT_SMALL },
	{ P9_TMKDIR, 0, MNT_SMALL }, { P9_TREAD, 0, 100 + P9_IOHDRSZ },
	{ P9_TREAD, 0, MSIZE }, { P9_TWRITE, 0, MNT_SMALL }, { P9_TREADDIR, 0, MSIZE },
	{ P9_TGETATTR, 0, MNT_SMALL }, { P9_TCLUNK, 0, MNT_SMALL }, { P9_TREMOVE, 0, MNT_SMALL },
	{ P9_TFLUSH, 0, MNT_SMALL },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static void check_contents(const struct kind *k, struct p9_msg *r)
{
	struct lux_dir d;
	struct p9_iter it;
	struct p9_dirent de;
	int n;

	switch (r->type) {
	case P9_RGETATTR:
		mnt_dir_of_attr(r, "name", &d);
		if (strcmp(d.name, "name") != 0 || ((d.mode & DMDIR) != 0) != ((d.qid.type & QTDIR) != 0))
			abort();
		break;
	case P9_RREADDIR:
		p9_iter_init(&it, r->u.rread.data, r->u.rread.count);
		while ((n = p9_dirent_next(&it, &de)) == 1) {
			if (mnt_dir_of_dirent(&de, &d) == 0 &&
			    (strlen(d.name) != de.name.len || strlen(d.name) >= LUX_NAMEMAX ||
			     strchr(d.name, '/') || d.name[0] == 0))
				abort();	/* a name the namespace must never see */
		}
		if (n < 0 && p9_dirent_next(&it, &de) != n)
			abort();	/* errors are sticky */
		break;
	case P9_RWALK:
		if (r->u.rwalk.nwqid > k->nwname)
			abort();
		break;
	case P9_RREAD:
		if ((size_t)r->u.rread.count + 11 > k->rcap)
			abort();	/* mnt_take let through more than the room */
		break;
	default:
		break;
	}
}

static void check(const struct kind *k, struct mnt_rpc *rpc)
{
	struct p9_msg r;
	char why[256];
	int e;

	if (!rpc->done || rpc->err != 0)
		return;
	if (rpc->rlen > rpc->rcap)
		abort();
	e = mnt_reply_check(rpc->rbuf, rpc->rlen, MSIZE, k->ttype, rpc->tag, k->nwname, &r);
	if (e == 1) {
		int err = r.type == P9_RLERROR ? mnt_errno(r.u.rlerror.ecode) : E_IO;
		if (err >= 0 || err <= E_LAST)
			abort();
	} else if (e == 0) {
		if (r.tag != rpc->tag || r.type != k->ttype + 1)
			abort();
		check_contents(k, &r);
	} else if (e <= P9_E_LAST || e > P9_E_ARG) {
		abort();
	} else {
		p9_explain(why, sizeof why, e, &r);
	}
}

static void run(const uint8_t *data, size_t len)
{
	struct mnt_rpc rpcs[MNT_MAXTAG], vrpc, *tags[MNT_MAXTAG] = { 0 };
	const struct kind *kind[MNT_MAXTAG];
	static const struct kind vkind = { P9_TVERSION, 0, MNT_SMALL };
	struct mnt_bad bad;
	/* static: a fresh 128 KiB heap block per run costs ASan more than
	 * the rest of the run; an overrun still meets the global's redzone */
	static uint8_t in[MNT_INBUF];
	size_t k, inlen = 0, chunk, off;
	bool version;
	int r = 0;

	if (len < 2)
		return;
	k = (data[0] & 0x7f) % (MNT_MAXTAG + 1);
	version = data[0] & 0x80;
	if (len < k + 2)
		return;
	for (size_t i = 0; i < k; i++) {
		kind[i] = &kinds[data[1 + i] % NKINDS];
		rpcs[i] = (struct mnt_rpc){ .tag = (uint16_t)i, .ttype = kind[i]->ttype,
		                            .rbuf = malloc(kind[i]->rcap), .rcap = kind[i]->rcap };
		tags[i] = &rpcs[i];
	}
	vrpc = (struct mnt_rpc){ .tag = P9_NOTAG, .ttype = P9_TVERSION,
	                         .rbuf = malloc(MNT_SMALL), .rcap = MNT_SMALL };
	chunk = (size_t)data[k + 1] + 1;
	for (off = k + 2; off < len && r == 0; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (n > MNT_INBUF - inlen)
			abort();	/* mnt_take keeps at most one partial reply */
		memcpy(in + inlen, data + off, n);
		inlen += n;
		r = mnt_take(in, &inlen, MSIZE, tags, MNT_MAXTAG, version ? &vrpc : 0, &bad);
		if (r != 0 && r != P9_E_SHORT && r != P9_E_MSIZE && r != P9_E_TAG && r != P9_E_COUNT)
			abort();
		if (r == 0 && inlen >= MSIZE)
			abort();	/* a whole reply left undelivered */
	}
	for (size_t i = 0; i < k; i++) {
		check(kind[i], &rpcs[i]);
		free(rpcs[i].rbuf);
	}
	check(&vkind, &vrpc);
	free(vrpc.rbuf);
}

#ifdef __AFL_FUZZ_TESTCASE_LEN

__AFL_FUZZ_INIT();

int main(void)
{
	unsigned char *buf;

#ifdef __AFL_HAVE_MANUAL_CONTROL
	__AFL_INIT();
#endif
	buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(10000)) {
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
		uint8_t *copy = malloc(len ? len : 1);
		if (!copy)
			abort();
		memcpy(copy, buf, len);
		run(copy, len);
		free(copy);
	}
	return 0;
}

#else

static int replay_file(const char *path)
{
	static uint8_t data[4 * MNT_INBUF];
	FILE *f = fopen(path, "rb");
	uint8_t *copy;
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(data, 1, sizeof data, f);
	fclose(f);
	if ((copy = malloc(n ? n : 1)) == 0)
		abort();
	memcpy(copy, data, n);
	run(copy, n);
	free(copy);
	return 0;
}

static int replay(const char *path)
{
	struct stat sb;
	DIR *dir;
	struct dirent *e;
	char sub[4096];
	int bad = 0;

	if (stat(path, &sb) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(sb.st_mode))
		return replay_file(path);
	if ((dir = opendir(path)) == 0) {
		perror(path);
		return 1;
	}
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		bad |= replay(sub);
	}
	closedir(dir);
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...  (replays server streams through the 9P "
		        "client's reply side)\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i]);
	return bad;
}

#endif
