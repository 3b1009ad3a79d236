/*
 * Days-to-civil conversion by eras of 400 years (146097 days), which makes
 * leap years fall out of integer arithmetic without tables.
 */
#include <lux/fmt.h>

#include "clock.h"

static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;	/* shift the epoch to 0000-03-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);	/* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;	/* March = 0 */

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void clock_format(int64_t secs, char *buf, size_t size)
{
	static const char *const wday[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	/* floored division, written so that INT64_MIN does not overflow */
	int64_t days = secs / 86400 - (secs % 86400 < 0);
	int64_t rem = secs % 86400 + (secs % 86400 < 0 ? 86400 : 0), y;
	unsigned m, d;

	civil(days, &y, &m, &d);
	ksnprintf(buf, size, "%s %s %2u %02u:%02u:%02u UTC %lld", wday[((days % 7) + 7) % 7],
	          mon[m - 1], d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
	          (unsigned)(rem % 60), (long long)y);
}
