/*
 * What a scenario must give back: the kernel's live objects, procs and
 * budgets counted before it starts and compared after its end.
 */
#ifndef LUX_SCENARIO_HELD_H
#define LUX_SCENARIO_HELD_H

#include <lux/scenario.h>
#include <lux/types.h>

struct scen_held {
	size_t objects, procs, budgets;
};

/* Every page the kernel's allocators account for: free, slab, large
 * blocks, proc stacks and file data.  A scenario adds what it holds
 * itself and checks the sum against page_total(). */
size_t scen_pages_accounted(void);
/* The counts now (before the scenario starts). */
void scen_held_now(struct scen_held *h);
/* 0 when the counts are back to h's; else -1 with ctx->why saying which
 * are not. */
int scen_held_back(struct sim_ctx *ctx, const struct scen_held *h);

#endif
