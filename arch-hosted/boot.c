/*
 * hosted_boot: give the core a block of this process's memory as its
 * RAM, describe the console, and call lux_main.  arch_halt ends the
 * process with the core's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/error.h>
#include <lux/upcall.h>

#include "hosted.h"
#include "hostcalls.h"
#include "internal.h"

static uv_loop_t loop;

uv_loop_t *hosted_loop(void)
{
	return &loop;
}

_Noreturn void arch_halt(int status)
{
	hosted_serve_halting();	/* the manager hears of it before the sockets go */
	hosted_tty_restore();	/* the person's terminal as it was */
	hosted_conn_cleanup();
	fflush(NULL);
	hostcalls.exit(status);
	abort();	/* only if a test replaced exit with something that returns */
}

/* The kernel's memory: one anonymous mapping of --mem bytes. */
static struct lux_memregion region;

/* /dev/memmap on hosted (contract v16): only the kernel's memory.  The
 * rest of the address space is the Linux process's (its text, libc,
 * libuv, the secrets libsodium keeps between guard pages), which the
 * host lays out and /proc/PID/maps shows. */
int arch_memrange(int i, struct arch_memrange *r)
{
	if (i != 0 || region.len == 0)
		return E_NOENT;
	r->base = region.base;
	r->len = region.len;
	r->what = "ram (the kernel's, an anonymous mapping of the host's)";
	r->prot = ARCH_MEM_R | ARCH_MEM_W;
	return 0;
}

_Noreturn void hosted_boot(const struct hosted_config *cfg)
{
	static struct lux_boot boot;
	static char detail[96];
	void *mem;

	if (cfg->serve)
		hosted_console_log();	/* before anything is printed */
	hosted_process_setup(cfg->quiet);
	mem = hostcalls.mmap(0, cfg->mem_bytes, PROT_READ | PROT_WRITE,
	                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		hosted_warn("luxsim: cannot map %zu MiB for the kernel's memory\n",
		            cfg->mem_bytes >> 20);
		hostcalls.exit(71);
	}
	if (uv_loop_init(&loop) != 0) {
		hosted_warn("luxsim: cannot start the libuv loop\n");
		hostcalls.exit(71);
	}
	hosted_timer_init(&loop);
	if (cfg->serve)
		hosted_serve_init(&loop);
	if (cfg->deterministic)
		hosted_sim_init(cfg->seed);
	region.base = (uintptr_t)mem;
	region.len = cfg->mem_bytes;
	snprintf(detail, sizeof detail, "on Linux, libuv %s", uv_version_string());
	boot.version = LUX_ARCH_VERSION;
	/* a service has no one at its terminal: no prompts */
	boot.caps = (hostcalls.isatty(0) && !cfg->serve ? LUX_CAP_CONSOLE_TTY : 0) |
	            (cfg->deterministic ? LUX_CAP_DETERMINISTIC : LUX_CAP_ENTROPY);
	/* a person at a terminal gets the core's line discipline: editing,
	 * history, completion, and ^C that interrupts a command (tty.c) */
	if (!cfg->serve && cfg->commands == NULL && cfg->scenario == NULL &&
	    hosted_tty_raw(&loop, &boot.console_intr)) {
		boot.caps |= LUX_CAP_CONSOLE_RAW;
		hosted_console_tty(&loop);
	}
	boot.arch_name = "hosted";
	boot.arch_detail = detail;
	boot.entropy_source = cfg->deterministic ? "the simulation seed" : "getrandom";
	boot.regions = &region;
	boot.nregions = 1;
	boot.commands = cfg->commands;
	boot.quiet = cfg->quiet;
	boot.scenario = cfg->scenario;
	boot.steps = cfg->steps;
	boot.breakflags = cfg->breakflags;
	boot.seed = cfg->seed;
	boot.hostowner_uid = (int64_t)getuid();	/* who started us is eve */
	boot.serve = cfg->serve;
	boot.ninep_handshake_ms = cfg->ninep_handshake_ms;
	boot.ninep_partial_ms = cfg->ninep_partial_ms;
	boot.ninep_report_ms = cfg->ninep_report_ms;
	boot.ninep_maxconn = cfg->ninep_maxconn;
	/* a deterministic run takes input only from stdin: no sockets; its
	 * scenario may play peers instead (arch_conn_simulate) */
	hosted_state_load(cfg, &boot);	/* the host key, the users file */
	/* a store that cannot be opened is said on stderr and left alone:
	 * the machine boots without it, never refuses to */
	if (cfg->store && !cfg->deterministic &&
	    hosted_blk_open(cfg->store, cfg->store_create_bytes) == 0 && cfg->store_key)
		hosted_store_key(cfg->store_key, &boot);
	if (!cfg->deterministic && !cfg->no_listen && (boot.listening = hosted_conn_listen(cfg)))
		boot.caps |= LUX_CAP_CONN;
	if (cfg->serve && boot.listening == NULL) {
		/* a service that serves nothing would look up to its manager */
		hosted_warn("luxsim: --serve: no address could be listened on (see above)\n");
		hostcalls.exit(69);	/* EX_UNAVAILABLE */
	}
	if (cfg->deterministic && cfg->scenario)
		boot.caps |= LUX_CAP_CONN;
	lux_main(&boot);
}
