/* Calendar conversion for `date`: proleptic Gregorian, UTC. */
#ifndef LUX_SHELL_CLOCK_H
#define LUX_SHELL_CLOCK_H

#include <lux/types.h>

/* "Mon Nov 23 19:26:29 UTC 2026" for seconds since the epoch. */
void clock_format(int64_t secs, char *buf, size_t size);

#endif
