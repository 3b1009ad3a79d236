/*
 * The scenario runner (see <lux/scenario.h>): find the scenario, run it, and
 * say how to replay a failure.
 */
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/scenario.h>
#include <lux/string.h>

_Noreturn void sim_main(const char *name, uint64_t steps, uint32_t breakflags, uint64_t seed)
{
	size_t n;
	const struct scenario *s = sim_scenarios(&n), *found = 0;
	struct sim_ctx ctx = { .breakflags = breakflags };
	int r;

	for (size_t i = 0; i < n; i++)
		if (kstrcmp(s[i].name, name) == 0)
			found = &s[i];
	if (found == 0) {
		if (kstrcmp(name, "list") != 0)
			kprintf("sim: no scenario '%s'\n", name);
		kprintf("scenarios:\n");
		for (size_t i = 0; i < n; i++)
			kprintf("  %-10s %s (default %llu steps)\n", s[i].name, s[i].help,
			        (unsigned long long)s[i].default_steps);
		lux_halt(kstrcmp(name, "list") == 0 ? 0 : 64);
	}
	ctx.steps = steps ? steps : found->default_steps;
	r = found->run(&ctx);
	if (r == 0) {
		kprintf("sim %s: seed %llu: %llu steps, every invariant held\n", name,
		        (unsigned long long)seed, (unsigned long long)ctx.steps);
		lux_halt(0);
	}
	kprintf("sim %s: seed %llu: invariant broken at step %llu of %llu: %s\n", name,
	        (unsigned long long)seed, (unsigned long long)ctx.step,
	        (unsigned long long)ctx.steps, ctx.why);
	kprintf("sim %s: replay with: luxsim --sim %s --seed %llu --steps %llu%s\n", name, name,
	        (unsigned long long)seed, (unsigned long long)ctx.steps,
	        breakflags ? " (plus the same --break-invariant)" : "");
	lux_halt(SIM_FAILED_STATUS);
}
