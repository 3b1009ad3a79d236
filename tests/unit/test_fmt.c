/*
 * The core's formatter (core/lib/fmt.c), checked against the host's
 * snprintf: for every format in the tables both get the same arguments
 * and must produce the same bytes and the same return value.  The few
 * places where the core deliberately differs (null %s and %p, unknown
 * conversions) are checked on their own.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include <lux/fmt.h>

#include "fake_arch.h"

/*
 * No format attribute on purpose: the tables include flag combinations
 * that the compiler's format checker warns about (a '+' on %u, '#' on %x
 * with precision 0) but which C defines, and the core must match.  So the
 * arguments' types are checked by hand: each is cast to what its
 * conversion reads.
 */
static void same_at(int line, size_t size, const char *fmt, ...)
{
	char host[512], core[512];
	va_list ap, aq;
	int hn, kn;

	memset(host, 0x5a, sizeof host);
	memset(core, 0x5a, sizeof core);
	va_start(ap, fmt);
	va_copy(aq, ap);
	hn = vsnprintf(size ? host : 0, size, fmt, ap);
	kn = kvsnprintf(size ? core : 0, size, fmt, aq);
	va_end(aq);
	va_end(ap);
	if (hn != kn) {
		print_error("format \"%s\" size %zu: returned %d, host %d (\"%s\" vs \"%s\")\n",
		            fmt, size, kn, hn, size ? core : "", size ? host : "");
		_fail(__FILE__, line);
	}
	/* the written bytes, terminator included, and nothing beyond */
	if (size && memcmp(host, core, sizeof host) != 0) {
		print_error("format \"%s\" size %zu: \"%s\", host \"%s\"\n", fmt, size, core,
		            host);
		_fail(__FILE__, line);
	}
}

#define SAME(...) same_at(__LINE__, 512, __VA_ARGS__)
#define SAME_SIZE(size, ...) same_at(__LINE__, (size), __VA_ARGS__)

static void test_integers(void **state)
{
	(void)state;
	SAME("%d", 0);
	SAME("%d", 42);
	SAME("%d", -42);
	SAME("%i", 123);
	SAME("%i", -123);
	SAME("%d", INT_MAX);
	SAME("%d", INT_MIN);
	SAME("%u", 0u);
	SAME("%u", UINT_MAX);
	SAME("%x", 0xdeadbeefu);
	SAME("%X", 0xdeadbeefu);
	SAME("%x", (unsigned)-1);
	SAME("%o", 0777u);
	SAME("%o", 0u);
	SAME("%o", UINT_MAX);
	SAME("%d%d%d", 1, -2, 3);
	SAME("a=%d, b=%u, c=%x", -1, 2u, 255u);
}

static void test_flags(void **state)
{
	(void)state;
	SAME("%+d", 5);
	SAME("%+d", -5);
	SAME("%+d", 0);
	SAME("% d", 5);
	SAME("% d", -5);
	SAME("% d", 0);
	SAME("%+ d", 5);	/* '+' wins over ' ' */
	SAME("% +d", 5);
	SAME("%-5d|", 42);
	SAME("%-5d|", -42);
	SAME("%05d", 42);
	SAME("%05d", -42);
	SAME("%-05d|", 42);	/* '-' wins over '0' */
	SAME("%+05d", 42);
	SAME("% 05d", 42);
	SAME("%+u", 5u);	/* sign flags mean nothing for unsigned */
	SAME("% u", 5u);
	SAME("%+x", 5u);
	SAME("%#x", 255u);
	SAME("%#X", 255u);
	SAME("%#o", 8u);
	SAME("%#08x", 255u);
	SAME("%#-8x|", 255u);
	SAME("%#8X", 255u);
	SAME("%#.8x", 0x1234u);
	SAME("%#010o", 8u);
	SAME("%#5o", 8u);
	SAME("%#o", 0777u);
	SAME("%#lx", 0xabcdefUL);
}

/* '#' where the value or precision already supplies what it asks for:
 * C prints no 0x for a zero, and a zero from %#o only once. */
static void test_alt_edges(void **state)
{
	(void)state;
	SAME("%#x", 0u);
	SAME("%#X", 0u);
	SAME("%#8x|", 0u);
	SAME("%#08x", 0u);
	SAME("%#.0x|", 0u);
	SAME("%#.3x", 0u);
	SAME("%#o", 0u);
	SAME("%#5o|", 0u);
	SAME("%#.0o", 0u);
	SAME("%#.3o", 0u);
	SAME("%#.3o", 8u);	/* "010": the precision's zero is the leading one */
	SAME("%#.2o", 8u);	/* "010": '#' raises the precision */
	SAME("%#.5o", 8u);
	SAME("%#08o", 8u);
	SAME("%#llo", 0ULL);
}

static void test_width_precision(void **state)
{
	(void)state;
	SAME("%8d|", 42);
	SAME("%-8d|", 42);
	SAME("%1d", 12345);	/* width never truncates */
	SAME("%.5d", 42);
	SAME("%.5d", -42);
	SAME("%.3d", 12345);
	SAME("%8.5d|", -42);
	SAME("%-8.5d|", -42);
	SAME("%08.5d|", -42);	/* a precision turns '0' off */
	SAME("%+.3d", 7);
	SAME("%.0d|", 0);	/* zero with precision 0 prints nothing */
	SAME("%5.0d|", 0);
	SAME("%-5.0d|", 0);
	SAME("%+.0d|", 0);
	SAME("% .0d|", 0);
	SAME("%.0u|", 0u);
	SAME("%.0x|", 0u);
	SAME("%.0o|", 0u);
	SAME("%.1d", 0);
	SAME("%.0d", 7);
	SAME("%.d|", 0);	/* "." alone is precision 0 */
	SAME("%12.10x|", 0xabcu);
	SAME("%20d|", INT_MIN);
	SAME("%-20d|", INT_MIN);
	SAME("%020d", INT_MIN);
}

static void test_star(void **state)
{
	(void)state;
	SAME("%*d|", 6, 42);
	SAME("%*d|", -6, 42);	/* negative width: left-justify */
	SAME("%-*d|", 6, 42);
	SAME("%0*d", 6, -42);
	SAME("%.*d", 4, 42);
	SAME("%.*d", -1, 42);	/* negative precision: as if none */
	SAME("%0.*d|", -1, 42);
	SAME("%*.*d|", 8, 4, -42);
	SAME("%*.*x|", -8, 3, 0xau);
	SAME("%*s|", 5, "ab");
	SAME("%.*s|", 2, "abcdef");
	SAME("%.*s|", -1, "abc");
	SAME("%*c|", 3, 'x');
	SAME("%*d|", 0, 5);
	SAME("%.*d|", 0, 0);
}

static void test_length_modifiers(void **state)
{
	(void)state;
	SAME("%hhd", 200);		/* converted to signed char: -56 */
	SAME("%hhd", -129);
	SAME("%hhi", 255);
	SAME("%hhu", 300u);
	SAME("%hhx", 0x1ffu);
	SAME("%hho", 0777u);
	SAME("%hd", 40000);
	SAME("%hi", -32769);
	SAME("%hu", 70000u);
	SAME("%hx", 0x12345u);
	SAME("%ld", LONG_MIN);
	SAME("%ld", LONG_MAX);
	SAME("%li", -1L);
	SAME("%lu", ULONG_MAX);
	SAME("%lx", ULONG_MAX);
	SAME("%lo", ULONG_MAX);
	SAME("%lld", LLONG_MIN);
	SAME("%lld", LLONG_MAX);
	SAME("%lli", -5LL);
	SAME("%llu", ULLONG_MAX);
	SAME("%llx", ULLONG_MAX);
	SAME("%llX", 0xfedcba9876543210ULL);
	SAME("%llo", ULLONG_MAX);
	SAME("%30lld|", LLONG_MIN);
	SAME("%+.25lld|", LLONG_MIN);
	SAME("%zu", SIZE_MAX);
	SAME("%zx", (size_t)0xabc);
	SAME("%zd", (ssize_t)-5);
	SAME("%zd", (ssize_t)SSIZE_MAX);
	SAME("%td", (ptrdiff_t)-7);
	SAME("%td", (ptrdiff_t)PTRDIFF_MIN);
	SAME("%tx", (ptrdiff_t)255);
	SAME("%jd", INTMAX_MIN);
	SAME("%jd", INTMAX_MAX);
	SAME("%ju", UINTMAX_MAX);
	SAME("%jx", (uintmax_t)0x123456789abcULL);
	SAME("%hhd %hd %d %ld %lld %zu %td %jd", 1, 2, 3, 4L, 5LL, (size_t)6, (ptrdiff_t)7,
	     (intmax_t)8);
}

static void test_strings_chars(void **state)
{
	const char unterminated[3] = { 'a', 'b', 'c' };

	(void)state;
	SAME("%s", "hello");
	SAME("%s|", "");
	SAME("%10s|", "hello");
	SAME("%-10s|", "hello");
	SAME("%.3s|", "hello");
	SAME("%10.3s|", "hello");
	SAME("%-10.3s|", "hello");
	SAME("%.0s|", "hello");
	SAME("%5s|", "");
	SAME("%2s|", "hello");
	SAME("%.3s|", unterminated);	/* no read past the precision */
	SAME("%.10s|", "abc");
	SAME("%c", 'a');
	SAME("%5c|", 'a');
	SAME("%-5c|", 'a');
	SAME("%c", 256 + 'b');		/* converted to unsigned char */
	SAME("a%cb", 0);		/* a NUL in the middle counts */
	SAME("%%");
	SAME("a%%b");
	SAME("%d%%", 50);
	SAME("%s=%d (%c) %x%%", "n", -3, 'q', 0xffu);
}

static void test_pointers(void **state)
{
	int x;

	(void)state;
	SAME("%p", (void *)0x1234);
	SAME("%p", (void *)&x);
	SAME("%20p|", (void *)0xabc);
	SAME("%-20p|", (void *)0xabc);
	SAME("%p", (void *)UINTPTR_MAX);
}

/* Where the core chooses its own spelling (C leaves these undefined or
 * implementation-defined). */
static int kfmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_core_spellings(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(kfmt(buf, sizeof buf, "%s", (char *)0), 5);
	assert_string_equal(buf, "<nil>");
	assert_int_equal(kfmt(buf, sizeof buf, "[%7s]", (char *)0), 9);
	assert_string_equal(buf, "[  <nil>]");
	assert_int_equal(kfmt(buf, sizeof buf, "%p", (void *)0), 3);
	assert_string_equal(buf, "0x0");
	/* an unknown conversion is shown, not guessed at */
	assert_int_equal(kfmt(buf, sizeof buf, "a%yb"), 4);
	assert_string_equal(buf, "a%yb");
	assert_int_equal(kfmt(buf, sizeof buf, "%5q|"), 3);
	assert_string_equal(buf, "%q|");
	/* a lone '%' at the end stops the output */
	assert_int_equal(kfmt(buf, sizeof buf, "abc%"), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(kfmt(buf, sizeof buf, "abc%-08.3l"), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(kfmt(buf, sizeof buf, "%s", ""), 0);
	assert_string_equal(buf, "");
}

static void test_truncation(void **state)
{
	static const char *const fmt = "%s=%5d|%-3x";
	const int full = 14;	/* "name=  -42|ff " */
	char buf[32];

	(void)state;
	/* every size from 0 to past the end, against the host */
	for (size_t size = 0; size <= (size_t)full + 2; size++)
		SAME_SIZE(size, fmt, "name", -42, 0xffu);

	/* size 0: nothing written, not even a terminator; a null buf is fine */
	memset(buf, 'X', sizeof buf);
	assert_int_equal(ksnprintf(buf, 0, "%d", 12345), 5);
	assert_int_equal(buf[0], 'X');
	assert_int_equal(ksnprintf(0, 0, "%s%d", "abc", 12345), 8);

	/* size 1: only the terminator */
	assert_int_equal(ksnprintf(buf, 1, "%d", 12345), 5);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 'X');

	/* exact fit, and one short */
	memset(buf, 'X', sizeof buf);
	assert_int_equal(ksnprintf(buf, 6, "%d", 12345), 5);
	assert_string_equal(buf, "12345");
	memset(buf, 'X', sizeof buf);
	assert_int_equal(ksnprintf(buf, 5, "%d", 12345), 5);
	assert_string_equal(buf, "1234");
	assert_int_equal(buf[5], 'X');

	/* a long padding is counted in full */
	assert_int_equal(ksnprintf(buf, sizeof buf, "%200d", 1), 200);
	assert_int_equal(strlen(buf), sizeof buf - 1);
}

static void test_kprintf_console(void **state)
{
	char big[700];

	(void)state;
	fake_console_clear();
	assert_int_equal(kprintf("x=%d %s\n", 7, "ok"), 7);
	assert_string_equal(fake_console_text(), "x=7 ok\n");

	/* kprintf formats into 512 bytes: longer output is cut and marked */
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	fake_console_clear();
	assert_int_equal(kprintf("%s", big), (int)sizeof big - 1);
	assert_int_equal(fake_console_len(), 511 + 9);
	assert_memory_equal(fake_console_text(), big, 511);
	assert_string_equal(fake_console_text() + 511, "...[cut]\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_alt_edges),
		cmocka_unit_test(test_width_precision),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_length_modifiers),
		cmocka_unit_test(test_strings_chars),
		cmocka_unit_test(test_pointers),
		cmocka_unit_test(test_core_spellings),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_kprintf_console),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
