/* Freestanding stand-in: libsodium's public headers include <stdlib.h> but
 * use only size_t/NULL from it.  No functions on purpose.  See README. */
#ifndef LUX_COMPAT_STDLIB_H
#define LUX_COMPAT_STDLIB_H
#include <stddef.h>
#endif
