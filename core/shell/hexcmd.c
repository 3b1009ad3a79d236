/*
 * hex and unhex: arbitrary bytes through a text shell.  echo writes words,
 * cat prints what it reads; neither carries a NUL, a newline inside a
 * message, or a byte the console would expand.  The crypto files take and
 * give binary (AEAD plaintext and ciphertext, messages to sign), so the
 * known-answer suite (tests/kat) and people need these two:
 *
 *   unhex [-r COUNT] HEX ...   write the bytes the hex spells (the words
 *                              joined), COUNT times (default 1)
 *   hex [-c COUNT] FILE ...    print each file's bytes (at most COUNT of
 *                              each) as lower-case hex and a newline
 *
 * `unhex 616263 > /secure/crypto/hash/sha256` hashes "abc";
 * `unhex -r 1000000 61 > ...` writes a million 'a' without a million-byte
 * command line.  `hex -c 32 /secure/crypto/random` prints 32 random bytes:
 * that file is a stream with no end, so -c is how a shell takes a part.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/sysfile.h>

#include "shell.h"
#include "hexcmd.h"

enum { CHUNK = 4096 };	/* bytes per write or read */

/* Decode the words into buf (at most cap bytes); the byte count, or -1
 * with a message printed.  The words are one run of digits (a byte may
 * straddle two), joined in digits (2 * cap + 1 bytes) for kunhex. */
static long unhex_words(int argc, char **argv, uint8_t *buf, size_t cap, char *digits)
{
	size_t n = 0, at = 0, len;
	long r;
	int i;

	for (i = 0; i < argc; i++, n += len) {
		if ((len = kstrlen(argv[i])) > 2 * cap + 1 - n) {
			sh_errorf("unhex: more than %zu bytes\n", cap);
			return -1;
		}
		kmemcpy(digits + n, argv[i], len);
	}
	r = kunhex(digits, n, buf, cap, &at);
	if (r == KHEX_DIGIT) {
		for (i = 0; at >= kstrlen(argv[i]); i++)	/* the word holding it */
			at -= kstrlen(argv[i]);
		sh_errorf("unhex: '%c' in %s is not a hex digit\n", argv[i][at], argv[i]);
	} else if (r == KHEX_ODD) {
		sh_errorf("unhex: an odd number of hex digits\n");
	} else if (r == KHEX_TOOLONG) {
		sh_errorf("unhex: more than %zu bytes\n", cap);
	}
	return r < 0 ? -1 : r;
}

/* Write n bytes to the command's output; 0, or 1 with the error printed
 * (the file's own error string: "aead: ...", "no space left"). */
static int out(struct sh *sh, const char *name, const uint8_t *p, size_t n)
{
	long r;

	if (sh->outfd < 0) {
		sh_write(sh, p, n);
		return 0;
	}
	while (n > 0) {
		r = sys_write(sh->outfd, p, n);
		if (r <= 0) {
			sh_errorf("%s: write: %s\n", name,
			          r < 0 ? proc_errstr((int)r) : "wrote nothing");
			return 1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int sh_unhex(struct sh *sh, int argc, char **argv)
{
	long long count = 1;
	uint8_t *one, *buf;
	char *digits;
	long n;
	size_t per, fill, left;
	int a = 1, status = 0;

	if (argc > 2 && kstrcmp(argv[1], "-r") == 0) {
		if (kstrtoll(argv[2], &count) < 0 || count < 1) {
			sh_errorf("unhex: -r wants a count of at least 1, not %s\n", argv[2]);
			return 2;
		}
		a = 3;
	}
	if (a >= argc) {
		sh_errorf("usage: unhex [-r count] hex ...\n");
		return 2;
	}
	/* a shell line is at most SH_LINEMAX bytes, so the words decode to
	 * fewer than SH_LINEMAX / 2 */
	one = kmalloc(SH_LINEMAX / 2);
	buf = kmalloc(CHUNK);
	digits = kmalloc(SH_LINEMAX + 1);
	if (one == 0 || buf == 0 || digits == 0) {
		kfree(one);
		kfree(buf);
		kfree(digits);
		sh_errorf("unhex: %s\n", lux_errstr(E_NOMEM));
		return 1;
	}
	n = unhex_words(argc - a, argv + a, one, SH_LINEMAX / 2, digits);
	if (n <= 0) {
		status = n < 0;
		goto done;
	}
	if (count == 1) {
		status = out(sh, "unhex", one, (size_t)n);
		goto done;
	}
	/* Repeat: fill a chunk with whole copies, write it as often as it
	 * fits, then the rest. */
	per = CHUNK / (size_t)n;
	fill = 0;
	for (size_t i = 0; i < per; i++, fill += (size_t)n)
		kmemcpy(buf + fill, one, (size_t)n);
	for (left = (size_t)count; left > 0 && status == 0;) {
		size_t k = left < per ? left : per;
		status = out(sh, "unhex", buf, k * (size_t)n);
		left -= k;
		if (preempt_point() < 0)
			status = PROC_KILLED;
	}
done:
	kfree(digits);
	kfree(buf);
	kfree(one);
	return status;
}

/* Print the file's first max bytes (all of them: max < 0) as hex. */
static int hex_one(struct sh *sh, const char *path, long long max, uint8_t *buf, char *text)
{
	int fd = sys_open(path, OREAD);
	long n = 0;

	if (fd < 0) {
		sh_errorf("hex: %s: %s\n", path, proc_errstr(fd));
		return 1;
	}
	while (max != 0) {
		size_t want = max > 0 && max < CHUNK / 2 ? (size_t)max : CHUNK / 2;
		if ((n = sys_read(fd, buf, want)) <= 0)
			break;
		khex(text, buf, (size_t)n);
		sh_write(sh, text, (size_t)n * 2);
		if (max > 0)
			max -= n;
		if (preempt_point() < 0) {	/* killed: an endless file ends here */
			sys_close(fd);
			return PROC_KILLED;
		}
	}
	if (n < 0) {
		/* the file's own words, before close can replace them */
		sh_errorf("hex: %s: %s\n", path, proc_errstr((int)n));
		sys_close(fd);
		return 1;
	}
	sys_close(fd);
	sh_write(sh, "\n", 1);
	return 0;
}

int sh_hex(struct sh *sh, int argc, char **argv)
{
	uint8_t *buf;
	char *text;
	int status = 0;

	long long max = -1;
	int a = 1;

	if (argc > 1 && kstrcmp(argv[1], "-c") == 0) {
		if (argc < 3 || kstrtoll(argv[2], &max) < 0 || max < 0) {
			sh_errorf("hex: -c wants a byte count of 0 or more, not %s\n",
			          argc < 3 ? "nothing" : argv[2]);
			return 2;
		}
		a = 3;
	}
	if (a >= argc) {
		sh_errorf("usage: hex [-c count] file ...\n");
		return 2;
	}
	buf = kmalloc(CHUNK / 2);
	text = kmalloc(CHUNK + 1);
	if (buf == 0 || text == 0) {
		kfree(buf);
		kfree(text);
		sh_errorf("hex: %s\n", lux_errstr(E_NOMEM));
		return 1;
	}
	for (int i = a; i < argc; i++) {
		int r = hex_one(sh, argv[i], max, buf, text);
		if (r == PROC_KILLED) {
			status = r;
			break;
		}
		status |= r;
	}
	kfree(text);
	kfree(buf);
	return status;
}
