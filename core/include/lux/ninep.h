/*
 * The 9P server as the rest of the kernel sees it: started by init,
 * drained at a service run's halt, its counters for the shell.  Its
 * internals are core/9p/srv/9psrv.h, for the server's own files (and the
 * tests and fuzzers that test them from inside).
 */
#ifndef LUX_NINEP_H
#define LUX_NINEP_H

#include <lux/types.h>

/* Start serving the current proc's namespace on the arch's connections
 * (does nothing when the arch has no LUX_CAP_CONN).  Called once, by init. */
void ninep_start(void);
/* When serving: make NINEP_CTL_PATH in the current proc's namespace and
 * mount the server's own files there (what aname "ctl" attaches).  The
 * namespace's builder calls it (init does); failing only loses the files,
 * with a console line. */
void ninep_mount_ctl(void);
/* The machine is halting (a service run, core/kern/serve.c): refuse new
 * connections, stop reading the served ones, and wait at most ms for
 * every request already read to be answered and its reply handed to the
 * arch.  Returns how many connections still owed an answer at the end (0:
 * nobody is left mid-request).  From a proc; no server: 0 at once. */
int ninep_drain(uint32_t ms);
/* The counters (docs/9p.md, "Counters"): a line per connection, the
 * first NINEP_STATUS_LINES of them, one per peer, and the totals of all.
 * Returns the full length, as ksnprintf does. */
#define NINEP_STATUS_LINES 256
size_t ninep_status(char *buf, size_t size);

#endif
