/*
 * The boot self-check: allocator, context switch, timer, entropy and
 * crypto known-answer tests, run on every boot on every arch.  Each line
 * prints what was computed, so a hosted run and a metal run can be
 * compared line by line.
 */
#ifndef LUX_SELFCHECK_H
#define LUX_SELFCHECK_H

#include <lux/types.h>

/* Run every check; print lines unless quiet (failures always print).
 * Returns the number of failed checks. */
int selfcheck_run(bool quiet);

#endif
