/* The core's string and memory routines (core/lib/string.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <lux/string.h>

static void test_memcpy_memset(void **state)
{
	unsigned char src[64], dst[64];

	(void)state;
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (unsigned char)(i * 7 + 1);
	memset(dst, 0xee, sizeof dst);
	assert_ptr_equal(kmemcpy(dst + 1, src, 10), dst + 1);
	assert_memory_equal(dst + 1, src, 10);
	assert_int_equal(dst[0], 0xee);		/* nothing outside [dst+1, dst+11) */
	assert_int_equal(dst[11], 0xee);
	assert_ptr_equal(kmemcpy(dst, src, 0), dst);
	assert_int_equal(dst[0], 0xee);

	assert_ptr_equal(kmemset(dst, 0x1ab, 5), dst);	/* c is converted to unsigned char */
	for (int i = 0; i < 5; i++)
		assert_int_equal(dst[i], 0xab);
	assert_int_equal(dst[5], src[4]);
	kmemset(dst, 0, 0);
	assert_int_equal(dst[0], 0xab);
}

static void test_memmove_overlap(void **state)
{
	char buf[32];

	(void)state;
	/* forward overlap: dst above src, must copy from the end */
	memcpy(buf, "0123456789", 11);
	assert_ptr_equal(kmemmove(buf + 2, buf, 8), buf + 2);
	assert_memory_equal(buf, "0101234567", 10);

	/* backward overlap: dst below src */
	memcpy(buf, "0123456789", 11);
	assert_ptr_equal(kmemmove(buf, buf + 3, 7), buf);
	assert_memory_equal(buf, "3456789789", 10);

	/* same place and zero length are no-ops */
	memcpy(buf, "abcdef", 7);
	kmemmove(buf, buf, 6);
	kmemmove(buf + 1, buf, 0);
	assert_string_equal(buf, "abcdef");

	/* disjoint */
	kmemmove(buf + 10, buf, 7);
	assert_string_equal(buf + 10, "abcdef");

	/* overlap by one byte each way */
	memcpy(buf, "abcdef", 7);
	kmemmove(buf + 1, buf, 5);
	assert_memory_equal(buf, "aabcde", 6);
	memcpy(buf, "abcdef", 7);
	kmemmove(buf, buf + 1, 5);
	assert_memory_equal(buf, "bcdeff", 6);
}

static void test_memcmp_memchr(void **state)
{
	const unsigned char a[] = { 1, 2, 3, 0x80 }, b[] = { 1, 2, 3, 0x7f };

	(void)state;
	assert_int_equal(kmemcmp(a, a, 4), 0);
	assert_int_equal(kmemcmp(a, b, 3), 0);
	assert_int_equal(kmemcmp(a, b, 4), 1);		/* bytes compare unsigned */
	assert_int_equal(kmemcmp(b, a, 4), -1);
	assert_int_equal(kmemcmp(a, b, 0), 0);
	assert_int_equal(kmemcmp("abc", "abd", 3), -1);

	assert_ptr_equal(kmemchr(a, 3, 4), a + 2);
	assert_ptr_equal(kmemchr(a, 0x80, 4), a + 3);
	assert_ptr_equal(kmemchr(a, 0x180, 4), a + 3);	/* c is taken as unsigned char */
	assert_null(kmemchr(a, 0x80, 3));		/* never past n */
	assert_null(kmemchr(a, 9, 4));
	assert_null(kmemchr(a, 1, 0));
	{
		const char nul[] = { 'a', 0, 'b' };
		assert_ptr_equal(kmemchr(nul, 0, sizeof nul), nul + 1);
	}
}

static void test_strlen_strnlen(void **state)
{
	char unterminated[4] = { 'a', 'b', 'c', 'd' };

	(void)state;
	assert_int_equal(kstrlen(""), 0);
	assert_int_equal(kstrlen("hello"), 5);
	assert_int_equal(kstrnlen("hello", 10), 5);
	assert_int_equal(kstrnlen("hello", 5), 5);
	assert_int_equal(kstrnlen("hello", 3), 3);
	assert_int_equal(kstrnlen("hello", 0), 0);
	/* never reads past max (ASan would catch the overread) */
	assert_int_equal(kstrnlen(unterminated, sizeof unterminated), 4);
}

static void test_strcmp_strncmp(void **state)
{
	(void)state;
	assert_int_equal(kstrcmp("", ""), 0);
	assert_int_equal(kstrcmp("abc", "abc"), 0);
	assert_true(kstrcmp("abc", "abd") < 0);
	assert_true(kstrcmp("abd", "abc") > 0);
	assert_true(kstrcmp("ab", "abc") < 0);		/* a prefix sorts first */
	assert_true(kstrcmp("abc", "ab") > 0);
	assert_true(kstrcmp("\xff", "a") > 0);		/* unsigned, like strcmp */
	assert_true(kstrcmp("a", "\xff") < 0);

	assert_int_equal(kstrncmp("abcdef", "abcxyz", 3), 0);
	assert_true(kstrncmp("abcdef", "abcxyz", 4) < 0);
	assert_int_equal(kstrncmp("abc", "xyz", 0), 0);
	assert_int_equal(kstrncmp("abc", "abc", 100), 0);	/* stops at the terminator */
	assert_true(kstrncmp("ab", "abc", 3) < 0);
	assert_true(kstrncmp("\x80", "\x7f", 1) > 0);
}

static void test_strchr_strrchr(void **state)
{
	const char *s = "a/b/c";

	(void)state;
	assert_ptr_equal(kstrchr(s, '/'), s + 1);
	assert_ptr_equal(kstrrchr(s, '/'), s + 3);
	assert_ptr_equal(kstrchr(s, 'a'), s);
	assert_ptr_equal(kstrrchr(s, 'a'), s);
	assert_null(kstrchr(s, 'x'));
	assert_null(kstrrchr(s, 'x'));
	assert_ptr_equal(kstrchr(s, 0), s + 5);		/* the terminator is found */
	assert_ptr_equal(kstrrchr(s, 0), s + 5);
	assert_null(kstrchr("", 'a'));
	assert_null(kstrrchr("", 'a'));
	assert_ptr_equal(kstrchr(s, 0x100 + 'b'), s + 2);	/* c converted to char */
}

static void test_strlcpy(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'X', sizeof buf);
	assert_int_equal(kstrlcpy(buf, "abc", sizeof buf), 3);
	assert_string_equal(buf, "abc");

	/* truncation: size-1 bytes and a terminator, return strlen(src) */
	memset(buf, 'X', sizeof buf);
	assert_int_equal(kstrlcpy(buf, "0123456789", sizeof buf), 10);
	assert_string_equal(buf, "0123456");

	/* exactly fits */
	assert_int_equal(kstrlcpy(buf, "0123456", sizeof buf), 7);
	assert_string_equal(buf, "0123456");

	/* size 1: only the terminator */
	memset(buf, 'X', sizeof buf);
	assert_int_equal(kstrlcpy(buf, "abc", 1), 3);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 'X');

	/* size 0: nothing written at all */
	memset(buf, 'X', sizeof buf);
	assert_int_equal(kstrlcpy(buf, "abc", 0), 3);
	assert_int_equal(buf[0], 'X');
	assert_int_equal(kstrlcpy(0, "abc", 0), 3);	/* dst is never touched */

	assert_int_equal(kstrlcpy(buf, "", sizeof buf), 0);
	assert_string_equal(buf, "");
}

static void test_strlcat(void **state)
{
	char buf[8];

	(void)state;
	strcpy(buf, "ab");
	assert_int_equal(kstrlcat(buf, "cd", sizeof buf), 4);
	assert_string_equal(buf, "abcd");

	/* truncation: the return is the length it tried to make */
	assert_int_equal(kstrlcat(buf, "efghij", sizeof buf), 10);
	assert_string_equal(buf, "abcdefg");

	/* already full */
	assert_int_equal(kstrlcat(buf, "xyz", sizeof buf), 10);
	assert_string_equal(buf, "abcdefg");

	/* size smaller than the existing string: dst untouched, size + strlen(src) */
	strcpy(buf, "abcdef");
	assert_int_equal(kstrlcat(buf, "xy", 3), 3 + 2);
	assert_string_equal(buf, "abcdef");

	/* size 0 and 1 */
	strcpy(buf, "");
	assert_int_equal(kstrlcat(buf, "xyz", 0), 3);
	assert_string_equal(buf, "");
	assert_int_equal(kstrlcat(buf, "xyz", 1), 3);
	assert_string_equal(buf, "");
	strcpy(buf, "a");
	assert_int_equal(kstrlcat(buf, "xyz", 1), 1 + 3);
	assert_string_equal(buf, "a");

	/* unterminated within size: never read or written past size */
	memset(buf, 'X', sizeof buf);
	assert_int_equal(kstrlcat(buf, "q", 4), 4 + 1);
	assert_int_equal(buf[3], 'X');
}

static void ok_ll(const char *s, long long want)
{
	long long v = 12345;

	if (kstrtoll(s, &v) != 0)
		fail_msg("kstrtoll(\"%s\") rejected, want %lld", s, want);
	if (v != want)
		fail_msg("kstrtoll(\"%s\") = %lld, want %lld", s, v, want);
}

static void bad_ll(const char *s)
{
	long long v = 12345;

	if (kstrtoll(s, &v) != -1)
		fail_msg("kstrtoll(\"%s\") accepted as %lld, want -1", s, v);
	if (v != 12345)
		fail_msg("kstrtoll(\"%s\") wrote *out on failure", s);
}

static void test_strtoll(void **state)
{
	(void)state;
	ok_ll("0", 0);
	ok_ll("7", 7);
	ok_ll("007", 7);	/* decimal: no octal */
	ok_ll("-0", 0);
	ok_ll("+42", 42);
	ok_ll("-42", -42);
	ok_ll("0x1f", 31);
	ok_ll("0X1F", 31);
	ok_ll("0xAbC", 0xabc);
	ok_ll("-0x10", -16);
	ok_ll("+0x10", 16);
	ok_ll("0x0", 0);
	ok_ll("9223372036854775807", INT64_MAX);
	ok_ll("-9223372036854775808", INT64_MIN);
	ok_ll("0x7fffffffffffffff", INT64_MAX);
	ok_ll("-0x8000000000000000", INT64_MIN);
	ok_ll("-9223372036854775807", -INT64_MAX);

	bad_ll("");
	bad_ll("-");
	bad_ll("+");
	bad_ll("0x");
	bad_ll("-0x");
	bad_ll(" 1");
	bad_ll("1 ");
	bad_ll("12a");
	bad_ll("a");
	bad_ll("--1");
	bad_ll("+-1");
	bad_ll("0xg");
	bad_ll("0x1g");
	bad_ll("0x-1");
	bad_ll("1.5");
	/* overflow by one, both signs and both bases */
	bad_ll("9223372036854775808");
	bad_ll("-9223372036854775809");
	bad_ll("0x8000000000000000");
	bad_ll("-0x8000000000000001");
	bad_ll("99999999999999999999999");
	bad_ll("0x10000000000000000");
	bad_ll("18446744073709551616");	/* 2^64: would wrap to 0 if unchecked */
}

static void test_hex(void **state)
{
	const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof in + 1];

	(void)state;
	memset(out, 'X', sizeof out);
	khex(out, in, sizeof in);
	assert_string_equal(out, "00017f80abff");
	khex(out, in, 0);
	assert_string_equal(out, "");
}

/* kunhex against khex: every byte value round-trips, in either case. */
static void test_unhex_roundtrip(void **state)
{
	uint8_t in[256], back[256];
	char text[2 * sizeof in + 1];

	(void)state;
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)i;
	khex(text, in, sizeof in);
	assert_int_equal(kunhex(text, 2 * sizeof in, back, sizeof back, 0), (long)sizeof in);
	assert_memory_equal(back, in, sizeof in);
	for (size_t i = 0; text[i]; i++)
		if (text[i] >= 'a' && text[i] <= 'f')
			text[i] = (char)(text[i] - 'a' + 'A');
	memset(back, 0, sizeof back);
	assert_int_equal(kunhex(text, 2 * sizeof in, back, sizeof back, 0), (long)sizeof in);
	assert_memory_equal(back, in, sizeof in);
	assert_int_equal(kunhex(text, 0, back, sizeof back, 0), 0);
}

/* Each refusal says which, in the documented order, and writes nothing. */
static void test_unhex_refusals(void **state)
{
	uint8_t out[4], before[4];
	size_t at = 99;

	(void)state;
	memset(out, 0x5a, sizeof out);
	memcpy(before, out, sizeof out);
	assert_int_equal(kunhex("0g", 2, out, sizeof out, &at), KHEX_DIGIT);
	assert_int_equal(at, 1);		/* the low digit of the first byte */
	assert_int_equal(kunhex("00 1", 4, out, sizeof out, &at), KHEX_DIGIT);
	assert_int_equal(at, 2);		/* the first of two, a blank */
	assert_int_equal(kunhex("x", 1, out, sizeof out, 0), KHEX_DIGIT);	/* before odd */
	assert_int_equal(kunhex("abc", 3, out, sizeof out, 0), KHEX_ODD);
	assert_int_equal(kunhex("0011223344", 10, out, sizeof out, 0), KHEX_TOOLONG);
	assert_memory_equal(out, before, sizeof out);
	/* n bounds the read: digits past it are not looked at */
	assert_int_equal(kunhex("ab!!", 2, out, 1, 0), 1);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[1], 0x5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy_memset),
		cmocka_unit_test(test_memmove_overlap),
		cmocka_unit_test(test_memcmp_memchr),
		cmocka_unit_test(test_strlen_strnlen),
		cmocka_unit_test(test_strcmp_strncmp),
		cmocka_unit_test(test_strchr_strrchr),
		cmocka_unit_test(test_strlcpy),
		cmocka_unit_test(test_strlcat),
		cmocka_unit_test(test_strtoll),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_unhex_roundtrip),
		cmocka_unit_test(test_unhex_refusals),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
