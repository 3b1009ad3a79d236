/*
 * A printf-style formatter: %d %i %u %x %X %o %c %s %p %%, the length
 * modifiers hh h l ll z t j, flags - 0 + space #, width and precision
 * (both may be *).  No floating point: the core has none.
 */
#ifndef LUX_FMT_H
#define LUX_FMT_H

#include <lux/types.h>

/* Like vsnprintf: returns the length the full output would have. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Format to the console. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

#endif
