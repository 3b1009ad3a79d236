/*
 * arch-hosted: the arch contract on Linux and libuv.  sim/ (luxsim's
 * command line) fills a hosted_config and calls hosted_boot().
 */
#ifndef LUX_HOSTED_H
#define LUX_HOSTED_H

#include <stddef.h>

#define HOSTED_MAXLISTEN 8	/* --listen addresses */
#define HOSTED_ADDRMAX 200	/* bytes in one */

struct hosted_config {
	size_t mem_bytes;	/* RAM handed to the core */
	const char *commands;	/* -c script, or NULL */
	int quiet;		/* no banner or self-check lines */
	int deterministic;	/* --seed given: virtual time, seeded entropy */
	unsigned long long seed;
	const char *scenario;	/* --sim NAME, or NULL */
	unsigned long long steps;	/* --steps K (0: the scenario's default) */
	unsigned breakflags;	/* test-only --break-invariant */
	const char *listen[HOSTED_MAXLISTEN];	/* --listen: "unix!PATH", "tcp!HOST!PORT" */
	int nlisten;		/* 0: the default addresses */
	int listen_noauth[HOSTED_MAXLISTEN];	/* --listen-noauth: its peers are
					 * trusted without authentication */
	int no_listen;		/* serve no connections */
	int serve;		/* --serve: a service, no shell (serve.c); never
				 * with commands, a scenario or a seed */
	/* the 9P server's edge timeouts (--9p-*-ms); 0: the core's defaults */
	unsigned ninep_handshake_ms, ninep_partial_ms, ninep_report_ms;
	unsigned ninep_maxconn;	/* --9p-max-conns; 0: the core's bound */
	const char *state_dir;	/* --state-dir, or 0: $XDG_STATE_HOME/lux9 */
	/* --store PATH: the file that is block device 0, or 0; made
	 * store_create_bytes long when missing (--store-size) */
	const char *store;
	unsigned long long store_create_bytes;
	const char *store_key;	/* --store-key FILE: the store's passphrase, or 0 */
	const char *socket_group;	/* --socket-group: unix sockets (and their
					 * directory) open to this Linux group, or 0 */
};

/* Is addr a listen address hosted_boot can use?  0, or -1 with a reason
 * in err (for the command line's message). */
int hosted_listen_check(const char *addr, char *err, size_t errcap);

/* Boot the core in this process.  Does not return: the core's halt
 * ends the process with its status. */
_Noreturn void hosted_boot(const struct hosted_config *cfg);

#endif
