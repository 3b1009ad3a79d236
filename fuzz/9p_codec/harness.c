/*
 * Fuzz harness for the 9P codec (core/9p).
 *
 * Each input is decoded as a T- and as an R-message in every dialect
 * (before negotiation, 9P2000, 9P2000.L), and walked as 9P2000 directory
 * data and as .L readdir data.  Whatever is accepted must re-encode to the
 * identical bytes -- the codec's canonical-form promise -- or the harness
 * abort()s so AFL records a crash.  Inputs are copied to an exact-size
 * heap buffer first, so under ASan a one-byte over-read is a crash too.
 *
 * Built by afl-clang-fast (which defines __AFL_FUZZ_TESTCASE_LEN) this is
 * an AFL++ persistent-mode harness; built by a normal compiler it is a
 * replay driver: harness FILE|DIR...  runs every file given (a directory:
 * every file in it) and exits non-zero on the first mismatch.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lux/9p.h>

static uint8_t enc[P9_MSIZE_MAX + 64];

static void mismatch(const char *what, int n, size_t len)
{
	fprintf(stderr, "9p fuzz: %s accepted but re-encodes to %d bytes, not %zu (or other bytes)\n",
		what, n, len);
	abort();
}

static void entries(const uint8_t *buf, size_t len)
{
	struct p9_iter it;
	struct p9_stat st;
	struct p9_dirent de;
	const uint8_t *at;
	int r, n;

	p9_iter_init(&it, buf, len);
	for (at = it.p; (r = p9_stat_next(&it, &st)) == 1; at = it.p) {
		n = p9_stat_encode(&st, enc, sizeof enc);
		if (n != it.p - at || memcmp(enc, at, (size_t)n) != 0)
			mismatch("stat entry", n, (size_t)(it.p - at));
	}
	if (r < 0 && p9_stat_next(&it, &st) != r)
		abort();	/* the iterator's error must be sticky */
	p9_iter_init(&it, buf, len);
	for (at = it.p; (r = p9_dirent_next(&it, &de)) == 1; at = it.p) {
		n = p9_dirent_encode(&de, enc, sizeof enc);
		if (n != it.p - at || memcmp(enc, at, (size_t)n) != 0)
			mismatch("dirent", n, (size_t)(it.p - at));
	}
}

static void one(const uint8_t *buf, size_t len)
{
	char why[256];

	for (int d = 0; d < P9_NDIALECT; d++)
		for (int side = P9_TMSG; side <= P9_RMSG; side++) {
			struct p9_msg m;
			struct p9_version v;
			int r = p9_decode(buf, len, P9_MSIZE_MAX, (enum p9_dialect)d,
				(enum p9_side)side, &m);
			int n;

			if (r < 0) {
				if (r <= P9_E_LAST || r > P9_E_ARG)
					abort();	/* an error outside the codec's range */
				p9_explain(why, sizeof why, r, &m);
				continue;
			}
			n = p9_encode(&m, enc, sizeof enc, (enum p9_dialect)d);
			if (n != (int)len || memcmp(enc, buf, len) != 0)
				mismatch(p9_type_name(m.type), n, len);
			if (m.type == P9_TVERSION)
				p9_version_pick(m.u.version.version.s, m.u.version.version.len,
					m.u.version.msize, 65536, P9_SPEAK(P9_2000) | P9_SPEAK(P9_2000L), &v);
			if (m.type == P9_RREAD || m.type == P9_RREADDIR)
				entries(m.u.rread.data, m.u.rread.count);
		}
	entries(buf, len);
}

/* Run one input from an exact-size heap copy. */
static void run(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	memcpy(copy, data, len);
	one(copy, len);
	free(copy);
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
	while (__AFL_LOOP(10000))
		run(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
	return 0;
}

#else

static int replay_file(const char *path)
{
	static uint8_t data[P9_MSIZE_MAX + 1];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(data, 1, sizeof data, f);
	fclose(f);
	run(data, n);
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
	dir = opendir(path);
	if (!dir) {
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
		fprintf(stderr, "usage: %s FILE|DIR...  (replays 9P inputs through the codec)\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i]);
	return bad;
}

#endif
