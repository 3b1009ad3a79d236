/*
 * The memory map as the core shows it: /dev/memmap lists the ranges the
 * arch laid out (arch_memrange; core/fs/memmap.c), one line each, then
 * the total of each kind and whether W^X holds over what was listed.
 */
#ifndef LUX_MEMMAP_H
#define LUX_MEMMAP_H

#include <lux/arch.h>

/* One range as a line of /dev/memmap into out (cap bytes): its length,
 * which may exceed cap (the text is then cut). */
size_t memmap_format(const struct arch_memrange *r, char *out, size_t cap);
/* Read /dev/memmap: every range, the totals, the W^X line; or "no memory
 * map" where the arch lists none. */
long memmap_read(void *buf, size_t n, uint64_t off);

#endif
