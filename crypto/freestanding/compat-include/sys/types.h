/* Freestanding stand-in: randombytes.h and crypto_onetimeauth_poly1305.h
 * include <sys/types.h> but use only size_t from it.  See README. */
#ifndef LUX_COMPAT_SYS_TYPES_H
#define LUX_COMPAT_SYS_TYPES_H
#include <stddef.h>
#include <stdint.h>
#endif
