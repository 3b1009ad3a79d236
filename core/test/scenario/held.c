/*
 * The end-of-run leak check the block and store scenarios share: a
 * scenario that leaves an object, a proc or a budget behind fails, with
 * the counts in its sentence.
 */
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/pebble.h>
#include <lux/proc.h>

#include "held.h"

void scen_held_now(struct scen_held *h)
{
	struct kalloc_stats ks;

	kalloc_stats(&ks);
	h->objects = ks.live_objects;
	h->procs = proc_count();
	h->budgets = budget_count();
}

int scen_held_back(struct sim_ctx *ctx, const struct scen_held *h)
{
	struct scen_held now;

	scen_held_now(&now);
	if (now.objects == h->objects && now.procs == h->procs && now.budgets == h->budgets)
		return 0;
	ksnprintf(ctx->why, sizeof ctx->why,
	          "after the end: %zu objects (started with %zu), %zu procs (%zu), "
	          "%zu budgets (%zu)",
	          now.objects, h->objects, now.procs, h->procs, now.budgets, h->budgets);
	return -1;
}
