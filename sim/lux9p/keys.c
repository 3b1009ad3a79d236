/* Key files and known hosts for lux9p (see keys.h). */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lux/string.h>

int hex_decode32(const char *s, size_t n, uint8_t out[KEY_BYTES])
{
	uint8_t b[KEY_BYTES];

	if (n != KEY_HEX)
		return -1;
	for (size_t i = 0; i < KEY_BYTES; i++) {
		int hi = khexval(s[2 * i]), lo = khexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, b, KEY_BYTES);
	memset(b, 0, sizeof b);	/* it may be a seed */
	return 0;
}

void hex_encode32(const uint8_t in[KEY_BYTES], char out[KEY_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < KEY_BYTES; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[KEY_HEX] = 0;
}

int key_parse(const char *text, size_t n, uint8_t seed[KEY_BYTES], char *why, size_t cap)
{
	size_t len = n;

	/* One final newline, or CRLF, is part of a line; nothing more. */
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (memchr(text, '\n', len) || memchr(text, '\0', len)) {
		snprintf(why, cap, "expected one line of %d hex digits, found more than one line",
		         KEY_HEX);
		return -1;
	}
	if (len != KEY_HEX) {
		snprintf(why, cap, "expected one line of %d hex digits, found %zu characters",
		         KEY_HEX, len);
		return -1;
	}
	if (hex_decode32(text, len, seed) < 0) {
		snprintf(why, cap, "expected one line of %d hex digits, found other characters",
		         KEY_HEX);
		return -1;
	}
	return 0;
}

int key_load(const char *path, uint8_t seed[KEY_BYTES], char *err, size_t cap)
{
	char text[KEY_FILE_MAX + 1], why[128];
	struct stat st;
	ssize_t got;
	size_t n = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(err, cap, "key %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, cap, "key %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, cap,
		         "key %s: permissions %04o are too open: others may read or change the key "
		         "(chmod 600 %s)",
		         path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	/* Bounded: a key file is one short line; a big one is not ours. */
	while (n < sizeof text) {
		got = read(fd, text + n, sizeof text - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, cap, "key %s: %s", path, strerror(errno));
			close(fd);
			memset(text, 0, sizeof text);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n > KEY_FILE_MAX) {
		snprintf(err, cap,
		         "key %s: not a key file (longer than %d bytes; expected one line "
		         "of %d hex digits)",
		         path, KEY_FILE_MAX, KEY_HEX);
		memset(text, 0, sizeof text);
		return -1;
	}
	r = key_parse(text, n, seed, why, sizeof why);
	memset(text, 0, sizeof text);
	if (r < 0)
		snprintf(err, cap, "key %s: not a key file: %s", path, why);
	return r;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line (without its newline): 1 with the address and key fields,
 * 0 for a blank or comment line, -1 when malformed. */
static int kh_line(const char *p, size_t n, const char **addr, size_t *alen, uint8_t key[KEY_BYTES])
{
	const char *end = p + n, *hex;

	while (p < end && is_space(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	*addr = p;
	while (p < end && !is_space(*p))
		p++;
	*alen = (size_t)(p - *addr);
	while (p < end && is_space(*p))
		p++;
	hex = p;
	while (p < end && !is_space(*p))
		p++;
	if (hex_decode32(hex, (size_t)(p - hex), key) < 0)
		return -1;
	while (p < end && is_space(*p))
		p++;
	return p == end ? 1 : -1;
}

void kh_lookup(const char *text, size_t n, const char *addr, const uint8_t pk[KEY_BYTES],
               struct kh_result *r)
{
	const char *p = text, *end = text + n;
	size_t want = strlen(addr);
	unsigned lineno = 0;

	memset(r, 0, sizeof *r);
	r->status = KH_UNKNOWN;
	while (n > 0 && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *a = NULL;
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), alen = 0;
		uint8_t key[KEY_BYTES];
		int k;

		lineno++;
		k = kh_line(p, len, &a, &alen, key);
		p += len + (nl ? 1 : 0);
		if (k < 0 || (k > 0 && memchr(a, '\0', alen))) {
			if (!r->bad_line)
				r->bad_line = lineno;
			r->nbad++;
			continue;
		}
		if (k == 0 || alen != want || memcmp(a, addr, want) != 0)
			continue;
		if (memcmp(key, pk, KEY_BYTES) == 0) {
			r->status = KH_KNOWN;
			r->line = lineno;
			return;
		}
		if (r->status == KH_UNKNOWN) {
			r->status = KH_MISMATCH;
			r->line = lineno;
			memcpy(r->expected, key, KEY_BYTES);
		}
	}
}

int kh_format(const char *addr, const uint8_t pk[KEY_BYTES], char *out, size_t cap)
{
	char hex[KEY_HEX + 1];
	int n;

	if (!*addr || *addr == '#' || strpbrk(addr, " \t\r\n"))
		return -1;
	hex_encode32(pk, hex);
	n = snprintf(out, cap, "%s %s\n", addr, hex);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int config_dir(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	int n;

	if (xdg && xdg[0] == '/') {
		n = snprintf(out, cap, "%s/lux9", xdg);
	} else {
		if ((!home || !*home) && (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		if (!home || !*home)
			return -1;
		n = snprintf(out, cap, "%s/.config/lux9", home);
	}
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}
