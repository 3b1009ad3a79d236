/*
 * The core's entry points for the arch: the other half of the arch
 * contract (<lux/arch.h>), versioned with it.  An arch calls lux_main()
 * once, then delivers events through the rest.  Upcalls other than
 * lux_main() run with upcalls disabled and must not block: they record
 * the event and wake whoever waits for it.
 */
#ifndef LUX_UPCALL_H
#define LUX_UPCALL_H

#include <stddef.h>
#include <stdint.h>

/* Capabilities an arch reports in lux_boot.caps. */
enum {
	/* Console input is raw bytes from a person's keyboard (a serial
	 * line, a terminal hosted put in raw mode): the core echoes and
	 * edits lines, and ^C interrupts the shell's command (v13).  Without
	 * it input arrives as it is (a pipe, a file) and is not edited. */
	LUX_CAP_CONSOLE_RAW = 1u << 0,
	/* arch_entropy() is backed by a real source (getrandom, RDSEED,
	 * RDRAND, EFI_RNG_PROTOCOL).  Without it the core warns loudly. */
	LUX_CAP_ENTROPY = 1u << 1,
	/* A person types at the console (hosted stdin is a terminal): the
	 * shell prints prompts.  A raw console always gets them. */
	LUX_CAP_CONSOLE_TTY = 1u << 2,
	/* Deterministic simulation (hosted --seed): time is virtual, entropy
	 * comes from the seed; the core prints its trace hash at halt and
	 * jitters time slices from its seeded generator. */
	LUX_CAP_DETERMINISTIC = 1u << 3,
	/* The arch delivers connections (lux_conn_opened): hosted listening
	 * on a socket.  Without it the core starts no server. */
	LUX_CAP_CONN = 1u << 4,
	/* (v14) Faults are caught, not silent: page 0 is unmapped, every
	 * stack given to arch_ctx_init has an unmapped guard page at its low
	 * end, read-only and non-executable memory are enforced, and a fault
	 * ends in a readable panic (x86_64 with its own page tables).  The
	 * ktests that fault on purpose refuse to run without it. */
	LUX_CAP_GUARDED = 1u << 5,
};

/* One run of usable RAM the core may own. */
struct lux_memregion {
	uintptr_t base;		/* page-aligned */
	size_t len;		/* a multiple of the page size */
};

struct lux_boot {
	uint32_t version;		/* LUX_ARCH_VERSION the arch was built with */
	uint32_t caps;			/* LUX_CAP_* */
	const char *arch_name;		/* "hosted", "x86_64" */
	const char *arch_detail;	/* one line for the banner */
	const char *entropy_source;	/* "getrandom", "RDSEED", ... */
	const struct lux_memregion *regions;
	size_t nregions;
	const char *commands;		/* "cmd; cmd" to run then halt, or 0 */
	int quiet;			/* nonzero: no banner, no self-check lines */
	const char *scenario;		/* simulation scenario to run instead of
					 * the shell, or 0 (see core/test/scenario) */
	uint64_t steps;			/* scenario steps (0: its default) */
	uint32_t breakflags;		/* test-only: invariants a scenario breaks
					 * on purpose, to prove the checker */
	uint64_t seed;			/* the simulation seed (deterministic runs),
					 * quoted in replay instructions */
	const char *listening;		/* where connections come from, for the
					 * banner ("unix!/path tcp!127.0.0.1!5640"),
					 * or 0 */
	int64_t hostowner_uid;		/* v5: the host's id for the host owner
					 * (hosted: the uid that started luxsim),
					 * or -1 when the host has none (metal) */
	/* v6: the 9P server's connection-edge timeouts in ms (core/9p/srv/9psrv.h
	 * NINEP_HANDSHAKE_MS, NINEP_PARTIAL_MS, NINEP_REPORT_MS); 0 keeps the
	 * default.  Tests shorten them. */
	uint32_t ninep_handshake_ms;
	uint32_t ninep_partial_ms;
	uint32_t ninep_report_ms;
	/* v7: kept by the host until the store exists (docs/security.md) */
	const uint8_t *hostkey_seed;	/* 32 bytes: the host's Ed25519 key, or 0
					 * (made at boot, ephemeral) */
	const char *hostkey_where;	/* where it is kept, for the banner */
	const char *users;		/* /adm/users commands to run at boot
					 * (uname, authkey lines), or 0 */
	/* v10: connections the 9P server holds at most; 0: as many as memory
	 * allows within NINEP_MAXCONN (core/9p/srv/9psrv.h) */
	uint32_t ninep_maxconn;
	/* v10: nonzero: run as a service.  No shell and no console input;
	 * serve 9P until lux_halt_request, then finish the requests in flight
	 * and halt with 0.  The arch never sets it with commands or a
	 * scenario. */
	int serve;
	/* v13: a second byte that interrupts, besides ^C, on a raw console:
	 * the host terminal's own interrupt character when the person set
	 * one (`stty intr ^?`, Plan 9's DEL), or 0 */
	uint8_t console_intr;
	/* v17: the store's passphrase (hosted: luxsim --store-key FILE), or 0.
	 * With it the core opens device 0 as its store (making one on a blank
	 * drive); the core copies the bytes and then wipes them here. */
	uint8_t *store_key;
	size_t store_keylen;
};

/* Boot the core.  Never returns: the machine ends in arch_halt(). */
_Noreturn void lux_main(const struct lux_boot *boot);

/* Console input: n bytes arrived.  n == 0 means end of input (EOF on
 * hosted stdin), after which the shell halts. */
void lux_console_input(const char *buf, size_t n);

/* Bytes of console input the core can take now: a hosted arch stops
 * reading its input while this is small, so nothing is dropped. */
size_t lux_console_room(void);

/* The host asks the machine to stop (v10; hosted: SIGTERM or SIGINT in a
 * service run, and since v13 SIGTERM, SIGINT or SIGHUP at a raw terminal).
 * A serving machine (lux_boot.serve) stops taking 9P requests, answers
 * those in flight, and halts with status 0; a shell takes it as the end
 * of console input, and its running command is interrupted.  Repeats
 * are harmless. */
void lux_halt_request(void);

/* The one-shot timer armed with arch_timer_arm() has expired. */
void lux_timer_expired(void);

/* Called by an arch where it may switch procs after an upcall: metal at
 * the end of every interrupt that interrupted a proc (the proc is then
 * preempted if its slice ran out and something else should run).  Runs
 * with upcalls disabled; returns when the interrupted proc runs again. */
void lux_preempt(void);

/* (v14) The proc whose stack, as given to arch_ctx_init, holds addr: its
 * pid, with its name and the stack's base in *name and *stack; -1 if no
 * proc's does.  For the arch's fault report ("stack overflow in proc N"
 * when addr is a guard page), with upcalls disabled and the kernel
 * possibly broken: it only reads the proc list, takes no lock. */
int lux_stack_owner(uintptr_t addr, const char **name, uintptr_t *stack);

/* Who connected (v5).  Only what the host's kernel vouches for is here:
 * a local socket's peer uid (SO_PEERCRED) is a fact, a network address is
 * not an identity (docs/security.md). */
enum lux_transport {
	LUX_PEER_LOCAL = 1,	/* a unix socket: uid is the peer's, or -1 */
	LUX_PEER_NET = 2,	/* TCP: nobody until it authenticates */
	LUX_PEER_NET_NOAUTH = 3,	/* TCP on a listener the operator opened
				 * without authentication, by name: its
				 * peers are trusted like the host owner */
};
struct lux_peer {
	const char *addr;	/* for messages: "tcp!1.2.3.4!5678", "unix!/path" */
	int transport;		/* LUX_PEER_* */
	int64_t uid;		/* LUX_PEER_LOCAL: the host uid, else -1 */
};

/* Connections (see arch_conn_send in <lux/arch.h>): a peer connected
 * (the core may close it at once; peer is only valid during the call),
 * sent bytes, or is gone (once per connection, whoever closed it).
 * Before each read of an accepted connection the arch asks how many bytes
 * the core will take (v8): lux_conn_received then delivers at most that
 * many (and never more than LUX_CONN_CHUNK).  A room of 0 pauses the
 * connection exactly as arch_conn_pause(conn, 1) would; the core resumes
 * it with arch_conn_pause(conn, 0) when it has made room. */
void lux_conn_opened(int conn, const struct lux_peer *peer);
size_t lux_conn_room(int conn);
void lux_conn_received(int conn, const void *buf, size_t n);
void lux_conn_closed(int conn);
/* Some of conn's queued sends went out: `queued` bytes still wait. */
void lux_conn_sent(int conn, size_t queued);

/* Dialed connections (arch_conn_dial): the same events, apart from the
 * server's.  connected comes once: err 0 and the connection is up, or a
 * negative lux error (E_UNREACH: refused, no such socket or host; E_INTR:
 * closed before it was up) and the id is already free.  After an err 0,
 * received/sent/closed follow the lux_conn_* rules. */
void lux_dial_connected(int conn, int err);
void lux_dial_received(int conn, const void *buf, size_t n);
void lux_dial_closed(int conn);
void lux_dial_sent(int conn, size_t queued);

/* Work given to arch_offload() has returned. */
void lux_offload_done(void *cookie);

/* A request started with arch_blk_submit() ended: err 0, or E_IO or
 * E_NOSPC (see arch_blk_submit).  Once per request, in any order. */
void lux_blk_done(void *cookie, int err);

/* Report a fatal arch-level fault (CPU exception on metal, a fatal signal
 * on hosted) with a preformatted description; prints and halts. */
_Noreturn void lux_panic(const char *fmt, ...);

#endif
