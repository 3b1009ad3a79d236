/* 9P strings (length-counted, not NUL-terminated) meet C strings. */
#include <lux/9p.h>
#include <lux/string.h>

struct p9_str p9_str_c(const char *s)
{
	struct p9_str r = { s, s ? kstrlen(s) : 0 };

	return r;
}

bool p9_str_eq(struct p9_str a, const char *s)
{
	size_t n = s ? kstrlen(s) : 0;

	return a.len == n && (n == 0 || kmemcmp(a.s, s, n) == 0);
}
