/*
 * clock_format (core/shell/clock.c): seconds since the epoch to the
 * `date` line.  Expected strings were computed independently (Python's
 * datetime for years 1..9999; the int64 extremes are the well-known
 * proleptic Gregorian values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"

static void expect_date(int64_t secs, const char *want)
{
	char buf[64];

	memset(buf, 'X', sizeof buf);
	clock_format(secs, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		fail_msg("clock_format(%lld) = \"%s\", want \"%s\"", (long long)secs, buf, want);
}

static void test_epoch_and_known_dates(void **state)
{
	(void)state;
	expect_date(0, "Thu Jan  1 00:00:00 UTC 1970");
	expect_date(86399, "Thu Jan  1 23:59:59 UTC 1970");
	expect_date(86400, "Fri Jan  2 00:00:00 UTC 1970");
	expect_date(951825600, "Tue Feb 29 12:00:00 UTC 2000");	/* 400-year leap */
	expect_date(951868800, "Wed Mar  1 00:00:00 UTC 2000");
	expect_date(1795461989, "Mon Nov 23 19:26:29 UTC 2026");
	expect_date(253402300799, "Fri Dec 31 23:59:59 UTC 9999");
}

static void test_leap_rules(void **state)
{
	(void)state;
	expect_date(13574649599, "Tue Feb 29 23:59:59 UTC 2400");	/* far leap day */
	expect_date(13574649600, "Wed Mar  1 00:00:00 UTC 2400");
	expect_date(4107542400, "Mon Mar  1 00:00:00 UTC 2100");	/* 2100: no Feb 29 */
	expect_date(4107542399, "Sun Feb 28 23:59:59 UTC 2100");
	expect_date(1709164800, "Thu Feb 29 00:00:00 UTC 2024");
}

static void test_negative(void **state)
{
	(void)state;
	expect_date(-1, "Wed Dec 31 23:59:59 UTC 1969");
	expect_date(-86400, "Wed Dec 31 00:00:00 UTC 1969");
	expect_date(-86401, "Tue Dec 30 23:59:59 UTC 1969");
	expect_date(-2203891200, "Thu Mar  1 00:00:00 UTC 1900");
	expect_date(-11670976372, "Tue Feb 29 06:07:08 UTC 1600");
	expect_date(-62135596800, "Mon Jan  1 00:00:00 UTC 1");
	expect_date(-62135596801, "Sun Dec 31 23:59:59 UTC 0");	/* year 0 = 1 BC */
}

/* The whole int64 range must format without overflow (UBSan traps on it). */
static void test_extremes(void **state)
{
	(void)state;
	expect_date(INT64_MAX, "Sun Dec  4 15:30:07 UTC 292277026596");
	expect_date(INT64_MIN, "Sun Jan 27 08:29:52 UTC -292277022657");
}

static void test_truncation(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'X', sizeof buf);
	clock_format(0, buf, sizeof buf);
	assert_string_equal(buf, "Thu Jan");
	clock_format(0, buf, 1);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch_and_known_dates),
		cmocka_unit_test(test_leap_rules),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
