/*
 * Long pure computations, fairly (core/kern/offload.c; docs/crypto.md,
 * "Fair shares").  A request that would hold the CPU for a long time
 * (Argon2id at its largest settings takes seconds) runs through
 * koffload: where the arch can, on another CPU of the host while the
 * kernel goes on serving everyone else; and in turns per user, so one
 * user's loop of them waits for its own previous one and never takes
 * more than its share of the arch's threads.
 */
#ifndef LUX_OFFLOAD_H
#define LUX_OFFLOAD_H

#include <lux/types.h>

/* One user's offloaded work at a time; users beyond OFFLOAD_USERS at
 * once wait for a free entry. */
#define OFFLOAD_PER_USER 1
#define OFFLOAD_USERS 16

/* Run fn(arg) for the current proc's user and return when it has: fn
 * touches only what arg leads to (see arch_offload).  Waits for the
 * user's turn first.  Neither wait can be interrupted (the caller may
 * hold a sleeping lock, and fn uses the caller's buffers); a kill that
 * came while waiting for the turn skips fn.  Returns 0, or E_INTR when
 * fn did not run for that kill. */
int koffload(void (*fn)(void *), void *arg);

/* Offloaded computations that ran away from the kernel's CPU, and those
 * run in place (for tests and counters). */
void koffload_counts(uint64_t *away, uint64_t *inplace);

#endif
