/*
 * String and memory routines for the core (see <lux/string.h> for why
 * they carry a k prefix).  The string functions are simple loops; the
 * three memory ones hand the work to the arch's memcpy/memmove/memset
 * (libc's on hosted, the libc shim on metal: the compiler emits calls to
 * them for struct copies anyway).  They used to be byte loops too, which
 * the 9P bench found to be more than half of luxsim's CPU time moving
 * 64 KiB reads and writes (zeroing and copying a byte at a time).
 */
#include <lux/error.h>
#include <lux/string.h>

void *kmemcpy(void *dst, const void *src, size_t n)
{
	return __builtin_memcpy(dst, src, n);
}

void *kmemmove(void *dst, const void *src, size_t n)
{
	return __builtin_memmove(dst, src, n);
}

void *kmemset(void *dst, int c, size_t n)
{
	return __builtin_memset(dst, c, n);
}

int kmemcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

void *kmemchr(const void *p, int c, size_t n)
{
	const unsigned char *s = p;

	for (; n; n--, s++)
		if (*s == (unsigned char)c)
			return (void *)s;
	return 0;
}

size_t kstrlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t kstrnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int kstrcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int kstrncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (*a == 0)
			break;
	}
	return 0;
}

char *kstrchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == 0)
			return 0;
	}
}

char *kstrrchr(const char *s, int c)
{
	const char *last = 0;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == 0)
			return (char *)last;
	}
}

size_t kstrlcpy(char *dst, const char *src, size_t size)
{
	size_t len = kstrlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		kmemcpy(dst, src, n);
		dst[n] = 0;
	}
	return len;
}

size_t kstrlcat(char *dst, const char *src, size_t size)
{
	size_t d = kstrnlen(dst, size);

	if (d == size)
		return size + kstrlen(src);
	return d + kstrlcpy(dst + d, src, size - d);
}

int kstrtoll(const char *s, long long *out)
{
	unsigned long long v = 0, limit;
	unsigned base = 10;
	int neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == 0)
		return -1;
	limit = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (d >= base || v > (limit - d) / base)
			return -1;	/* not a digit, or overflow */
		v = v * base + d;
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

void khex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = 0;
}

int khexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long kunhex(const char *s, size_t n, uint8_t *out, size_t cap, size_t *at)
{
	for (size_t i = 0; i < n; i++) {
		if (khexval(s[i]) < 0) {
			if (at)
				*at = i;
			return KHEX_DIGIT;
		}
	}
	if (n % 2)
		return KHEX_ODD;
	if (n / 2 > cap)
		return KHEX_TOOLONG;
	for (size_t i = 0; i < n; i += 2)
		out[i / 2] = (uint8_t)(khexval(s[i]) << 4 | khexval(s[i + 1]));
	return (long)(n / 2);
}

int kforlines(const char *text, size_t len, char *line, size_t max,
              int (*fn)(char *line, void *arg), void *arg)
{
	size_t at = 0;
	int err;

	while (at < len) {
		size_t e = at;
		while (e < len && text[e] != '\n')
			e++;
		if (e - at >= max)
			return E_NAMETOOLONG;
		if (kmemchr(text + at, 0, e - at))
			return E_SYNTAX;
		kmemcpy(line, text + at, e - at);
		line[e - at] = 0;
		at = e + 1;
		if ((err = fn(line, arg)) < 0)
			return err;
	}
	return 0;
}

int kwords(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 0)
			return n;
		if (n == max)
			return -1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = 0;
	}
}
