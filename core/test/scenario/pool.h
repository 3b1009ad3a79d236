/*
 * A scenario's worker procs: an array of the scenario's own worker
 * structs, each with a `struct proc *` member (0 = free slot).  The pool
 * only knows where that member is, so every scenario keeps its own
 * per-worker state and shares the bookkeeping below.
 */
#ifndef LUX_SIM_POOL_H
#define LUX_SIM_POOL_H

#include <lux/proc.h>
#include <lux/types.h>

struct sim_pool {
	void *slots;
	size_t nslots, stride, proc_off;
};

/* SIM_POOL(array, type, member): the pool over `type array[]`. */
#define SIM_POOL(arr, type, member) \
	{ \
		(arr), nelem(arr), sizeof(type), offsetof(type, member) \
	}

int sim_pool_live(const struct sim_pool *p);
/* A free slot (its proc member is 0), or 0 when all are taken. */
void *sim_pool_free_slot(const struct sim_pool *p);
/* Kill a random live worker (a seeded choice), wait for it to exit and
 * clear its proc member; returns its slot, or 0 when none is live. */
void *sim_pool_kill_one(const struct sim_pool *p);

#endif
