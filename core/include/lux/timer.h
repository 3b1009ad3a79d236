/*
 * Kernel timers on top of the arch's one-shot timer: a deadline-ordered
 * list, the earliest deadline armed in the arch.  Callbacks run from the
 * timer upcall with upcalls disabled, so they only record and wake.
 */
#ifndef LUX_TIMER_H
#define LUX_TIMER_H

#include <lux/list.h>
#include <lux/types.h>

struct ktimer {
	uint64_t deadline;	/* arch_time_ns() value */
	void (*fn)(void *arg);
	void *arg;
	struct list link;
	bool armed;
};

/* Arm t to call fn(arg) at deadline (arch_time_ns), replacing an earlier
 * arming; cancel: disarm it if armed (never waits for a running fn). */
void ktimer_start(struct ktimer *t, uint64_t deadline, void (*fn)(void *), void *arg);
void ktimer_cancel(struct ktimer *t);
/* Put the current proc to sleep for at least ns nanoseconds.  0, or
 * E_INTR if the proc was killed first. */
int tsleep_ns(uint64_t ns);

#endif
