/*
 * Writes the seed corpus of the 9P server fuzzer into a directory: a few
 * short sessions in both dialects, encoded by the codec's own p9_encode,
 * each behind the mode byte session.h describes.  Usage: gen_seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lux/9p.h>

#include "session.h"

static uint8_t seed[FUZZ_MAXINPUT];
static size_t len;
static enum p9_dialect dialect;
static uint16_t tag;

static void start(uint8_t mode)
{
	seed[0] = mode;
	len = 1;
	dialect = (mode & 3) == 1 ? P9_2000L : P9_2000;
	tag = 1;
}

static void put(struct p9_msg *m)
{
	int n;

	if (m->type != P9_TVERSION)
		m->tag = tag++;
	n = p9_encode(m, seed + len, sizeof seed - len, m->type == P9_TVERSION ? P9_NONE : dialect);
	if (n < 0) {
		fprintf(stderr, "gen_seeds: %s: %s\n", p9_type_name(m->type), p9_strerror(n));
		exit(1);
	}
	len += (size_t)n;
}

static void walk(uint32_t fid, uint32_t newfid, const char *a, const char *b)
{
	struct p9_msg m = { .type = P9_TWALK };

	m.u.twalk.fid = fid;
	m.u.twalk.newfid = newfid;
	if (a)
		m.u.twalk.wname[m.u.twalk.nwname++] = p9_str_c(a);
	if (b)
		m.u.twalk.wname[m.u.twalk.nwname++] = p9_str_c(b);
	put(&m);
}

static void fidmsg(uint8_t type, uint32_t fid)
{
	struct p9_msg m = { .type = type };

	m.u.tfid.fid = fid;
	put(&m);
}

static void io(uint8_t type, uint32_t fid, uint64_t off, uint32_t count, const char *data)
{
	struct p9_msg m = { .type = type };

	if (type == P9_TWRITE) {
		m.u.twrite.fid = fid;
		m.u.twrite.offset = off;
		m.u.twrite.count = (uint32_t)strlen(data);
		m.u.twrite.data = (const uint8_t *)data;
	} else {
		m.u.tread.fid = fid;
		m.u.tread.offset = off;
		m.u.tread.count = count;
	}
	put(&m);
}

static void open_(uint32_t fid, uint32_t mode)
{
	struct p9_msg m = { .type = dialect == P9_2000L ? P9_TLOPEN : P9_TOPEN };

	if (dialect == P9_2000L) {
		m.u.tlopen.fid = fid;
		m.u.tlopen.flags = mode;
	} else {
		m.u.topen.fid = fid;
		m.u.topen.mode = (uint8_t)mode;
	}
	put(&m);
}

static void version(const char *v, uint32_t msize)
{
	struct p9_msg m = { .type = P9_TVERSION, .tag = P9_NOTAG };

	m.u.version.msize = msize;
	m.u.version.version = p9_str_c(v);
	put(&m);
}

static int save(const char *dir, const char *name)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (!fp || fwrite(seed, 1, len, fp) != len) {
		perror(path);
		if (fp)
			fclose(fp);
		return 1;
	}
	return fclose(fp) != 0;
}

/* 9P2000: read a file, create one, write, stat, truncate, remove. */
static void plan9(uint8_t mode)
{
	struct p9_msg m = { .type = P9_TCREATE };

	start(mode);
	walk(0, 1, "a", "file");
	open_(1, OREAD);
	io(P9_TREAD, 1, 0, 64, 0);
	fidmsg(P9_TSTAT, 1);
	fidmsg(P9_TCLUNK, 1);
	walk(0, 2, "tmp", 0);
	m.u.tcreate.fid = 2;
	m.u.tcreate.name = p9_str_c("new");
	m.u.tcreate.perm = 0644;
	m.u.tcreate.mode = ORDWR;
	put(&m);
	io(P9_TWRITE, 2, 0, 0, "some bytes");
	io(P9_TREAD, 2, 0, 100, 0);
	m = (struct p9_msg){ .type = P9_TWSTAT };
	m.u.twstat.fid = 2;
	memset(&m.u.twstat.stat, 0xff, sizeof m.u.twstat.stat);
	m.u.twstat.stat.length = 0;
	m.u.twstat.stat.name = m.u.twstat.stat.uid = p9_str_c("");
	m.u.twstat.stat.gid = m.u.twstat.stat.muid = p9_str_c("");
	put(&m);
	fidmsg(P9_TREMOVE, 2);
	walk(0, 3, 0, 0);
	open_(3, OREAD);
	io(P9_TREAD, 3, 0, 2000, 0);	/* the root as stat entries */
	walk(0, 4, "..", "a");
	fidmsg(P9_TCLUNK, 4);
	fidmsg(P9_TCLUNK, 4);	/* unknown fid the second time */
}

/* 9P2000.L: getattr, readdir, mkdir, lcreate, setattr, unlinkat, statfs. */
static void linux_(uint8_t mode)
{
	struct p9_msg m = { .type = P9_TGETATTR };

	start(mode);
	m.u.tgetattr.fid = 0;
	m.u.tgetattr.request_mask = P9_GETATTR_BASIC;
	put(&m);
	walk(0, 1, 0, 0);
	open_(1, 0);
	io(P9_TREADDIR, 1, 0, 1000, 0);
	io(P9_TREADDIR, 1, 3, 1000, 0);
	m = (struct p9_msg){ .type = P9_TMKDIR };
	m.u.tmkdir.dfid = 0;
	m.u.tmkdir.name = p9_str_c("d");
	m.u.tmkdir.mode = 0755;
	put(&m);
	walk(0, 2, "d", 0);
	m = (struct p9_msg){ .type = P9_TLCREATE };
	m.u.tlcreate.fid = 2;
	m.u.tlcreate.name = p9_str_c("f");
	m.u.tlcreate.flags = 2;
	m.u.tlcreate.mode = 0644;
	put(&m);
	io(P9_TWRITE, 2, 5, 0, "hello");
	m = (struct p9_msg){ .type = P9_TSETATTR };
	m.u.tsetattr.fid = 2;
	m.u.tsetattr.valid = P9_SETATTR_SIZE;
	m.u.tsetattr.size = 0;
	put(&m);
	m = (struct p9_msg){ .type = P9_TFSYNC };
	m.u.tfsync.fid = 2;
	put(&m);
	m = (struct p9_msg){ .type = P9_TLINK };	/* a second name, /g */
	m.u.tlink.dfid = 0;
	m.u.tlink.fid = 2;
	m.u.tlink.name = p9_str_c("g");
	put(&m);
	fidmsg(P9_TCLUNK, 2);
	walk(0, 3, "d", 0);
	m = (struct p9_msg){ .type = P9_TUNLINKAT };
	m.u.tunlinkat.dirfid = 3;
	m.u.tunlinkat.name = p9_str_c("f");
	put(&m);
	m.u.tunlinkat.dirfid = 0;
	m.u.tunlinkat.name = p9_str_c("g");	/* the file's last name */
	put(&m);
	m.u.tunlinkat.name = p9_str_c("d");
	m.u.tunlinkat.flags = P9_AT_REMOVEDIR;
	put(&m);
	fidmsg(P9_TSTATFS, 0);
	fidmsg(P9_TREADLINK, 0);	/* not supported: an error */
}

/* The devices: write to /dev/cons, hash through /secure/crypto. */
static void devices(uint8_t mode)
{
	start(mode);
	walk(0, 1, "dev", "cons");
	open_(1, OWRITE);
	io(P9_TWRITE, 1, 0, 0, "hi\n");
	io(P9_TREAD, 1, 0, 10, 0);
	walk(0, 2, "secure", "crypto");
	walk(2, 3, "hash", "sha256");
	open_(3, ORDWR);
	io(P9_TWRITE, 3, 0, 0, "data\n");
	io(P9_TREAD, 3, 0, 100, 0);
	walk(0, 4, "dev", 0);
	open_(4, OREAD);
	io(P9_TREAD, 4, 0, 1000, 0);
}

/* Pipelined requests with a Tflush and a reused tag. */
static void pipelined(uint8_t mode)
{
	struct p9_msg m = { .type = P9_TFLUSH };

	start(mode);
	walk(0, 1, "big", 0);
	open_(1, OREAD);
	for (int i = 0; i < 5; i++)
		io(P9_TREAD, 1, (uint64_t)i * 2000, 2000, 0);
	m.u.tflush.oldtag = (uint16_t)(tag - 1);
	put(&m);
	tag = 3;
	io(P9_TREAD, 1, 8000, 4000, 0);
}

/* No preamble: the peer's own versions, a refused one, then a message
 * larger than msize (the server says why and closes). */
static void versions(void)
{
	struct p9_msg m = { .type = P9_TATTACH };

	start(3);
	version("9P2000.u", 4096);	/* answered with "unknown" */
	version("9P2000", 100);		/* below the minimum msize */
	version("9P2000", 300);
	m.u.tattach.fid = 7;
	m.u.tattach.afid = P9_NOFID;
	m.u.tattach.uname = p9_str_c("glenda");
	m.u.tattach.aname = p9_str_c("/a");
	put(&m);
	io(P9_TREAD, 7, 0, 1000, 0);	/* clipped to msize - 24 */
	seed[len++] = 0x00, seed[len++] = 0x10, seed[len++] = 0x00, seed[len++] = 0x00;
	seed[len++] = P9_TREAD, seed[len++] = 9, seed[len++] = 0;
}

int main(int argc, char **argv)
{
	int bad = 0, files = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	mkdir(argv[1], 0777);
#define SEED(call, name) (call, bad |= save(argv[1], name), files++)
	SEED(plan9(0x00), "9P2000-session");
	SEED(plan9(0x00 | 4 << 2), "9P2000-session-3-byte-chunks");
	SEED(plan9(0x20 | 0x40), "9P2000-session-slow-reader-hangup");
	SEED(linux_(0x01), "9P2000.L-session");
	SEED(linux_(0x01 | 1 << 2 | 0x20), "9P2000.L-session-1-byte-chunks-slow-reader");
	SEED(devices(0x00), "9P2000-devices");
	SEED(devices(0x01), "9P2000.L-devices");
	SEED(pipelined(0x00 | 0x20), "9P2000-pipelined-flush");
	SEED(pipelined(0x01 | 0x40), "9P2000.L-pipelined-hangup");
	SEED(versions(), "versions-then-oversize");
	if (!bad)
		printf("gen_seeds: %d seeds in %s\n", files, argv[1]);
	return bad;
}
