/*
 * Simulation scenarios: workloads with injected faults that drive the
 * kernel from inside, checking invariants after every step.  Run by
 * `luxsim --sim NAME --seed N [--steps K]` instead of the shell; every
 * random choice comes from the core's seeded generator, so a failure is
 * replayed exactly by the same command.  See docs/simulation.md.
 */
#ifndef LUX_SCENARIO_H
#define LUX_SCENARIO_H

#include <lux/types.h>

/* Test-only breakage (luxsim --break-invariant): proves the checker. */
enum {
	SIM_BREAK_LEAK_PAGE = 1,	/* forget a page */
	SIM_BREAK_LEAK_PROC = 2,	/* start a proc nobody accounts for */
	SIM_BREAK_SKIP_UNLOCK = 4,	/* drop a lock's bookkeeping */
	SIM_BREAK_LEAK_CONN = 8,	/* net, hostile: forget to say a connection closed */
	SIM_BREAK_LOSE_FLUSHED = 16,	/* blk: the device loses a flushed write, unlogged */
};

/* Exit status of a scenario whose invariant broke. */
#define SIM_FAILED_STATUS 3

struct sim_ctx {
	uint64_t step, steps;
	uint32_t breakflags;
	char why[160];		/* set by a check that failed */
};

struct scenario {
	const char *name;
	const char *help;
	uint64_t default_steps;
	/* 0 when every invariant held; else ctx->why says which broke */
	int (*run)(struct sim_ctx *ctx);
};

/* Every simulation scenario (the `sim` console command): *n of them. */
const struct scenario *sim_scenarios(size_t *n);
/* Scenario "pebbles" (core/test/scenario/pebbles.c). */
int sim_pebbles_run(struct sim_ctx *ctx);
/* Scenario "borrow" (core/test/scenario/borrow.c). */
int sim_borrow_run(struct sim_ctx *ctx);
/* Scenario "net" (core/test/scenario/net.c). */
int sim_net_run(struct sim_ctx *ctx);
/* Scenario "hostile" (core/test/scenario/net.c, core/test/scenario/hostile.c). */
int sim_hostile_run(struct sim_ctx *ctx);
/* Scenario "blk" (core/test/scenario/blk.c, blkdev.c). */
int sim_blk_run(struct sim_ctx *ctx);
/* Scenario "store" (core/test/scenario/store.c, blkdev.c). */
int sim_store_run(struct sim_ctx *ctx);
/* Run scenario `name` and halt with its status; never returns. */
_Noreturn void sim_main(const char *name, uint64_t steps, uint32_t breakflags, uint64_t seed);

#endif
