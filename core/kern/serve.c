/*
 * A machine run as a service (lux_boot.serve): no shell and no console
 * input.  init builds the namespace and starts the 9P server as always,
 * then waits here for the host to ask for a halt (lux_halt_request:
 * hosted's SIGTERM or SIGINT).  The halt is orderly: the 9P server stops
 * taking requests and answers the ones in flight (ninep_drain), so no
 * client is left mid-request, and only then does the machine halt, with
 * status 0, which is a clean stop to a service manager.
 *
 * Files live in RAM (ramfs): there is nothing of theirs to write back, so
 * the answers are all a halt has to finish.
 */
#include <lux/cons.h>
#include <lux/kern.h>
#include <lux/storesync.h>
#include <lux/ninep.h>
#include <lux/proc.h>
#include <lux/upcall.h>

/* How long answers in flight may take before the halt goes on without
 * them: long enough for any request of a healthy client (a 64 KiB write
 * of a file, a pipe read a peer is about to feed), short enough to stay
 * inside a service manager's stop timeout (systemd's default is 90 s). */
#define SERVE_DRAIN_MS 5000

static bool halt_asked;
static struct waitq haltq = WAITQ_INIT(haltq);

/* An upcall: record and wake.  A shell run gets it as end of input, and
 * the command it is running is interrupted, so the halt does not wait
 * for a `burn 60000` to finish. */
void lux_halt_request(void)
{
	halt_asked = true;
	wakeup(&haltq);
	cons_hangup();
}

static bool asked(void *arg)
{
	USED(arg);
	return halt_asked;
}

_Noreturn void serve_until_halt(void)
{
	int busy;

	arch_serving();
	sleep_on_unint(&haltq, asked, 0);
	kprintf("halt: asked by the host; answering the 9P requests in flight\n");
	busy = ninep_drain(SERVE_DRAIN_MS);
	if (busy > 0)
		kprintf("halt: %d connection%s still busy after %d ms; halting without them\n",
		        busy, busy == 1 ? "" : "s", SERVE_DRAIN_MS);
	storesync_halt();	/* the root tree to the store, if there is one */
	kprintf("halt: done\n");
	lux_halt(0);
}
