/*
 * Writes the seed corpus for the 9P codec fuzzer into a directory: one
 * message of every type and layout the codec knows (68), encoded
 * by p9_encode from the structs the tests fill by name (tests/9p/
 * samples.c), plus a directory Rread of stat entries, an Rreaddir of
 * dirents and Linux's Tversion: 71 files.  Usage: gen_seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "samples.h"

static uint8_t buf[65536];

static int save(const char *dir, const char *name, const uint8_t *p, int n)
{
	char path[4096];
	FILE *f;

	if (n < 0) {
		fprintf(stderr, "gen_seeds: %s: %s\n", name, p9_strerror(n));
		return 1;
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		if (f)
			fclose(f);
		return 1;
	}
	return fclose(f) != 0;
}

/* One Rread of three stat entries, one Rreaddir of three dirents, the
 * Tversion Linux sends. */
static int directories(const char *dir)
{
	static const char *const names[] = { "bin", "lib", "tmp" };
	uint8_t data[1024];
	struct p9_msg m = { .type = P9_RREAD, .tag = 1 };
	size_t n = 0;
	int bad = 0;

	for (int i = 0; i < 3; i++) {
		struct p9_stat st = { .qid = { .path = (uint64_t)i + 1, .type = QTDIR },
			.mode = DMDIR | 0775, .name = p9_str_c(names[i]),
			.uid = p9_str_c("glenda"), .gid = p9_str_c("sys"), .muid = p9_str_c("glenda") };

		n += (size_t)p9_stat_encode(&st, data + n, sizeof data - n);
	}
	m.u.rread.count = (uint32_t)n;
	m.u.rread.data = data;
	bad |= save(dir, "Rread-dir-9P2000", buf, p9_encode(&m, buf, sizeof buf, P9_2000));
	n = 0;
	for (int i = 0; i < 3; i++) {
		struct p9_dirent de = { .qid = { .path = (uint64_t)i + 1, .type = QTDIR },
			.offset = (uint64_t)i + 1, .type = 4, .name = p9_str_c(names[i]) };

		n += (size_t)p9_dirent_encode(&de, data + n, sizeof data - n);
	}
	m.type = P9_RREADDIR;
	m.u.rread.count = (uint32_t)n;
	bad |= save(dir, "Rreaddir-dirents-9P2000.L", buf, p9_encode(&m, buf, sizeof buf, P9_2000L));
	/* what Linux sends first */
	m = (struct p9_msg){ .type = P9_TVERSION, .tag = P9_NOTAG };
	m.u.version.msize = 65560;
	m.u.version.version = p9_str_c("9P2000.L");
	bad |= save(dir, "Tversion-linux", buf, p9_encode(&m, buf, sizeof buf, P9_NONE));
	return bad;
}

int main(int argc, char **argv)
{
	static struct p9_vals vals;
	int bad = 0, files = 3;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	mkdir(argv[1], 0777);
	for (size_t i = 0; i < p9_nsamples; i++) {
		const struct p9_sample *s = &p9_samples[i];
		/* Tauth and Tattach have a layout per dialect: one seed each */
		enum p9_dialect d = s->speak & P9_SPEAK(P9_2000L) ? P9_2000L : P9_2000;
		struct p9_msg m;
		char name[64];

		p9_sample_vals(s, 3, &vals);
		p9_sample_msg(s, &vals, &m);
		snprintf(name, sizeof name, "%s-%s", p9_type_name(s->type), p9_dialect_name(d));
		bad |= save(argv[1], name, buf, p9_encode(&m, buf, sizeof buf, d));
		files++;
	}
	bad |= directories(argv[1]);
	if (!bad)
		printf("gen_seeds: %d seeds in %s\n", files, argv[1]);
	return bad;
}
