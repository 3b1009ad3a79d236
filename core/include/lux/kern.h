/*
 * What every part of the core uses: the arch contract, printing, panic,
 * assertions.
 */
#ifndef LUX_KERN_H
#define LUX_KERN_H

#include <lux/arch.h>
#include <lux/fmt.h>
#include <lux/types.h>
#include <lux/upcall.h>

/* Print a message with the caller's context and halt with status 99. */
#define panic(...) lux_panic(__VA_ARGS__)

/* An invariant: if it fails the kernel's state is wrong, not the input. */
#define kassert(cond) \
	((cond) ? (void)0 : lux_panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__))

/* Status the machine halts with after a panic. */
#define LUX_PANIC_STATUS 99

/* The boot information the arch passed to lux_main. */
extern const struct lux_boot *lux_bootinfo;

#endif
