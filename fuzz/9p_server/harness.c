/*
 * Fuzz harness for the 9P server (core/9p/srv*.c): each input is one
 * connection's worth of bytes, served by the real server over a fresh
 * namespace (session.h says how an input is read, session.c what is
 * checked).  Any violation abort()s, so AFL records it.
 *
 * Built by afl-clang-fast (which defines __AFL_FUZZ_TESTCASE_LEN) this is
 * an AFL++ persistent-mode harness: the kernel boots once and every input
 * of the loop runs in the same process.  Built by a normal compiler it is
 * a replay driver: harness FILE|DIR...  runs every file given (a
 * directory: every file in it, sorted) and exits 0 when all passed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"

#ifdef __AFL_FUZZ_TESTCASE_LEN

__AFL_FUZZ_INIT();

/* Called from inside the kernel's idle loop, once per input. */
static int next_afl(const uint8_t **data, size_t *len)
{
	static int started;

	if (!started) {
		started = 1;
#ifdef __AFL_HAVE_MANUAL_CONTROL
		__AFL_INIT();	/* the fork server starts after the boot */
#endif
	}
	if (!__AFL_LOOP(10000))
		return 0;
	*data = __AFL_FUZZ_TESTCASE_BUF;
	*len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
	return 1;
}

int main(void)
{
	fuzz_run(next_afl);
}

#else

static char **files;
static size_t nfiles, at;
static uint8_t buf[FUZZ_MAXINPUT];

static int add(const char *path)
{
	struct stat sb;
	struct dirent **list;
	int n;

	if (stat(path, &sb) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		files = realloc(files, (nfiles + 1) * sizeof *files);
		if (files == NULL || (files[nfiles] = strdup(path)) == NULL) {
			perror("replay");
			exit(2);
		}
		nfiles++;
		return 0;
	}
	if ((n = scandir(path, &list, NULL, alphasort)) < 0) {
		perror(path);
		return 1;
	}
	int bad = 0;
	for (int i = 0; i < n; i++) {
		char sub[4096];
		if (list[i]->d_name[0] != '.') {
			snprintf(sub, sizeof sub, "%s/%s", path, list[i]->d_name);
			bad |= add(sub);
		}
		free(list[i]);
	}
	free(list);
	return bad;
}

static int next_file(const uint8_t **data, size_t *len)
{
	FILE *fp;

	if (at == nfiles) {
		printf("9p server fuzz: %zu inputs replayed, every check held\n", nfiles);
		return 0;
	}
	if ((fp = fopen(files[at], "rb")) == NULL) {
		perror(files[at]);
		exit(1);
	}
	*len = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	*data = buf;
	fprintf(stderr, "%s\n", files[at]);	/* which one, should it abort */
	at++;
	return 1;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...  (replays inputs through the 9P server)\n",
		        argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		bad |= add(argv[i]);
	if (bad)
		return 1;
	fuzz_run(next_file);
}

#endif
