/*
 * Basic types and macros for the core.  Only the compiler's freestanding
 * headers may be included anywhere under core/.
 */
#ifndef LUX_TYPES_H
#define LUX_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define nelem(a) (sizeof(a) / sizeof((a)[0]))
#define ROUNDUP(x, a) (((x) + (a)-1) / (a) * (a))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define containerof(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))
#define USED(x) ((void)(x))

#define LUX_VERSION_STRING "0.1.0"

#endif
