/*
 * The answers of an image built without the test library (core/test:
 * ktest, cryptobench, the simulation scenarios), such as the production
 * metal image lux9.img.  The build links exactly one of this file and the
 * test library with the kernel (lux_add_core in core/CMakeLists.txt), so
 * whether an image carries test code is the build's choice, not the
 * preprocessor's (style rule 1).
 */
#include <lux/fmt.h>
#include <lux/ktest.h>
#include <lux/lockdep.h>
#include <lux/proc.h>
#include <lux/scenario.h>

/* No in-kernel tests: the shell's ktest says so (builtins.c). */
const struct ktest *ktests(size_t *n)
{
	*n = 0;
	return 0;
}

/* A boot that asks for a scenario halts with the status of an unknown
 * scenario (64, as runner.c's), saying why instead of listing none. */
_Noreturn void sim_main(const char *name, uint64_t steps, uint32_t breakflags, uint64_t seed)
{
	(void)steps;
	(void)breakflags;
	(void)seed;
	kprintf(
	    "sim: no scenario '%s': this image was built without the test library (core/test)\n",
	    name);
	lux_halt(64);
}

/* The lock-order checker stays off in a production image: it costs a
 * table walk per lock taken (core/test/lockdep_on.c turns it on). */
const bool lockdep_builtin = false;
