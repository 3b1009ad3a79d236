/* Worker pools for simulation scenarios (see pool.h). */
#include <lux/rand.h>

#include "pool.h"

static struct proc **slot_proc(const struct sim_pool *p, size_t i)
{
	return (struct proc **)((char *)p->slots + i * p->stride + p->proc_off);
}

int sim_pool_live(const struct sim_pool *p)
{
	int n = 0;

	for (size_t i = 0; i < p->nslots; i++)
		n += *slot_proc(p, i) != 0;
	return n;
}

void *sim_pool_free_slot(const struct sim_pool *p)
{
	for (size_t i = 0; i < p->nslots; i++)
		if (*slot_proc(p, i) == 0)
			return (char *)p->slots + i * p->stride;
	return 0;
}

void *sim_pool_kill_one(const struct sim_pool *p)
{
	int live = sim_pool_live(p);
	uint64_t k;

	if (live == 0)
		return 0;
	k = krand_below((uint64_t)live);
	for (size_t i = 0; i < p->nslots; i++) {
		struct proc **pp = slot_proc(p, i);
		if (*pp && k-- == 0) {
			proc_kill((*pp)->pid);
			proc_join(*pp);
			*pp = 0;
			return (char *)p->slots + i * p->stride;
		}
	}
	return 0;
}
