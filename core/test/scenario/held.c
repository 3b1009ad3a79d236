/*
 * What the scenarios check the kernel gives back: every page accounted
 * for at each step, and at the end of a run no object, proc or budget
 * left behind (the block and store scenarios), with the counts in the
 * sentence.
 */
#include <lux/dev.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/page.h>
#include <lux/pebble.h>
#include <lux/proc.h>

#include "held.h"

size_t scen_pages_accounted(void)
{
	struct kalloc_stats ks;

	kalloc_stats(&ks);
	return page_free_count() + ks.slab_pages + ks.large_pages + proc_stack_pages() +
	       ramfs_pages();
}

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
