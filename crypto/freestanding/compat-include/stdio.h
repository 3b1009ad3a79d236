/* Freestanding stand-in: crypto_onetimeauth_poly1305.h includes <stdio.h>
 * but uses nothing from it.  No functions on purpose.  See README. */
#ifndef LUX_COMPAT_STDIO_H
#define LUX_COMPAT_STDIO_H
#include <stddef.h>
#endif
