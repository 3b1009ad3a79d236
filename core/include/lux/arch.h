/*
 * The arch contract: everything the portable core needs from the machine
 * it runs on, and nothing more.  Two arches implement it: arch-hosted (a
 * Linux process on libuv, `luxsim`) and arch-x86_64 (bare metal under UEFI).
 *
 * Rules, in the spirit of NetBSD's rumpuser.h:
 *  - Do not include any headers here but the compiler's freestanding ones.
 *  - No host types cross this line: opaque words, int error returns.
 *  - Any change to a signature or a meaning bumps LUX_ARCH_VERSION; the arch
 *    passes the version it was built against in lux_boot.version and the
 *    core refuses to run on a mismatch.
 *  - The core never asks which arch it runs on.  A difference in behaviour
 *    is a capability bit (LUX_CAP_*) or a function here.
 *
 * The calls in the other direction (boot, console input, timer expiry,
 * connections, block completions) are in <lux/upcall.h>.
 */
#ifndef LUX_ARCH_H
#define LUX_ARCH_H

#include <stddef.h>
#include <stdint.h>

/* 2: arch_poll, arch_ctx_destroy, the stack in arch_ctx, arch_idle called
 *    with upcalls disabled, lux_preempt and lux_console_room upcalls.
 * 3: connections implemented (9P server): arch_conn_pause, LUX_CONN_CHUNK,
 *    arch_conn_send bounded and returning the bytes queued, lux_conn_sent,
 *    LUX_CAP_CONN, lux_boot.listening.
 * 4: outgoing connections (the 9P client): arch_conn_dial, and the
 *    lux_dial_* upcalls that deliver a dialed connection's events apart
 *    from the server's lux_conn_*; send, close and pause take dialed ids.
 *    And arch_conn_simulate (a simulation scenario plays the peers).
 * 5: who is at the other end: lux_conn_opened takes a struct lux_peer
 *    (transport and, for a local socket, the peer's uid from the host
 *    kernel); lux_boot.hostowner_uid names the host owner.
 * 6: lux_boot.ninep_*_ms: the 9P server's connection-edge timeouts as the
 *    host's command line set them (0: the core's defaults); a send to a
 *    peer that is gone succeeds and is dropped, its close follows.
 * 7: what the host keeps for the kernel until the store exists:
 *    lux_boot.hostkey_seed (the host's Ed25519 identity) and where it is
 *    kept, and lux_boot.users (user-table commands to run at boot).
 * 8: lux_conn_room: the arch asks how much an accepted connection's next
 *    read may deliver (0 pauses it), so the core need not keep a whole
 *    chunk of room for every idle connection.
 * 9: arch_offload and lux_offload_done: long pure computations (Argon2id)
 *    may run away from the kernel's CPU.
 * 10: a machine run as a service: lux_boot.serve (no shell; serve until
 *    the host asks for a halt), lux_halt_request (the host's ask: hosted
 *    turns SIGTERM and SIGINT into it) and arch_serving (the core says it
 *    is ready, so a hosted arch can tell its service manager); and
 *    lux_boot.ninep_maxconn (a bound on the 9P server's connections,
 *    which otherwise follow memory).
 * 11: arch_conn_sim.dial: a simulation scenario may play dialed
 *    connections too (a mount of the machine's own export in a --seed
 *    run); without it a deterministic run dials nothing, as before.
 * 12: block devices implemented: arch_blk_info (geometry, how many
 *    requests may be in flight), arch_blk_submit in whole sectors with
 *    an op (read, write, flush) in place of a write flag and a byte
 *    offset, and lux_blk_done's errors and ordering promises stated.
 * 13: LUX_CAP_CONSOLE_RAW from hosted too (a terminal it put in raw mode),
 *    and on a raw console ^C interrupts the shell's command instead of
 *    being a byte; lux_boot.console_intr, a second interrupt byte (the
 *    host terminal's); lux_halt_request interrupts the shell's command
 *    as well as ending its input.
 * 14: guarded memory: LUX_CAP_GUARDED (the arch unmaps page 0 and a guard
 *    page at the low end of every stack given to arch_ctx_init, which the
 *    stack's owner must then not touch, and enforces W^X), and
 *    lux_stack_owner, so a fault in a guard page names its proc.
 * 15: arch_pci_dev, the PCI functions the arch found at boot (metal;
 *    hosted has none).
 * 16: arch_memrange, the address space as the arch laid it out (what each
 *    range is and how it is mapped), for /dev/memmap.
 * 17: lux_boot.store_key and store_keylen: the store's passphrase, which
 *    the core wipes once it has copied it. */
#define LUX_ARCH_VERSION 17

/* ---- Console ---------------------------------------------------------- */

/* Write n bytes to the console.  May block; never fails silently (an arch
 * that cannot write has nowhere to report it, so it halts). */
void arch_console_write(const char *buf, size_t n);

/* ---- Time ------------------------------------------------------------- */

/* Monotonic nanoseconds since boot.  Never goes backwards. */
uint64_t arch_time_ns(void);

/* Wall-clock time as nanoseconds since 1970-01-01 UTC, or -1 when the arch
 * has no idea (no RTC, no firmware time). */
int64_t arch_wallclock_ns(void);

/* Arm the one-shot timer for an absolute deadline on the arch_time_ns()
 * clock.  Re-arming replaces the previous deadline; 0 disarms.  When the
 * deadline passes the arch calls lux_timer_expired() exactly once, with
 * upcalls disabled (see arch_irq_save). */
void arch_timer_arm(uint64_t deadline_ns);

/* ---- Interrupts and idle ---------------------------------------------- */

/* Upcalls (interrupts on metal, loop callbacks on hosted) are disabled by
 * save and restored to the saved state by restore.  Nests. */
typedef unsigned long arch_irqstate;
arch_irqstate arch_irq_save(void);
void arch_irq_restore(arch_irqstate s);

/* Wait until something may have happened (an upcall was delivered or is
 * pending).  Called from the core's idle loop only, with upcalls
 * disabled: the arch enables them and waits atomically (sti; hlt), so an
 * upcall arriving after the core found nothing to do cannot be slept
 * through, and returns with them disabled again. */
void arch_idle(void);

/* Deliver pending upcalls without waiting.  The core calls it at every
 * preemption point, so it must be cheap: metal, whose interrupts arrive by
 * themselves, does nothing; hosted runs its event loop at most once a
 * millisecond (and under a simulation seed advances virtual time). */
void arch_poll(void);

/* ---- Contexts --------------------------------------------------------- */

/* A context is its saved stack pointer.  Everything else an arch
 * needs (callee-saved registers, the SSE control word, the x87 control
 * word) is pushed on the context's own stack by arch_ctx_switch.  Caller-
 * saved registers, including the XMM registers, are the compiler's to save
 * around the call; interrupt entry on metal saves the full FPU/SSE state. */
typedef struct arch_ctx {
	void *sp;
	/* The stack given to arch_ctx_init, kept for the arch's tools (the
	 * hosted ASan build tells the sanitizer about stack switches; metal
	 * unmaps its lowest page as a guard, LUX_CAP_GUARDED, until
	 * arch_ctx_destroy).  0 for a context the arch started
	 * itself (the boot context).  The switch only needs sp. */
	void *stack;
	size_t stack_size;
} arch_ctx;

/* Prepare ctx to run entry(arg) on the given stack when first switched to.
 * The arch's start-up code enables upcalls before calling entry (the
 * switch into a new context happens with them disabled, and the core has
 * no saved state to restore there).  entry must never return: the core's
 * proc trampoline ends the proc; an arch halts with a panic if it does. */
void arch_ctx_init(arch_ctx *ctx, void *stack, size_t stack_size, void (*entry)(void *), void *arg);

/* Save the current context into from and resume to. */
void arch_ctx_switch(arch_ctx *from, arch_ctx *to);

/* The core is done with ctx for good (its proc exited and will never be
 * switched to again); called before the stack is freed, so the arch can
 * release what it attached to it (sanitizer state, guard pages). */
void arch_ctx_destroy(arch_ctx *ctx);

/* ---- Entropy ---------------------------------------------------------- */

/* Fill buf with n bytes from the best entropy source the arch has.
 * Returns 0, or -1 when no source answered (the core then says so loudly).
 * Which source it is, and whether it is a real one, is in lux_boot. */
int arch_entropy(void *buf, size_t n);

/* ---- Offloaded work (v9) ---------------------------------------------- */

/* Run fn(arg) away from the CPU the kernel runs on, when the arch can
 * (hosted: a thread of libuv's pool), and call lux_offload_done(cookie)
 * as an upcall once it has returned.  fn is a pure computation: it
 * touches only the memory arg leads to, which the kernel leaves alone
 * until done, and calls nothing of the kernel's.  Returns 0 (done will
 * follow), or E_NOTSUP when the arch cannot (metal today, a deterministic
 * run): the caller runs fn itself.  Callable from procs only. */
int arch_offload(void (*fn)(void *), void *arg, void *cookie);

/* ---- Halt ------------------------------------------------------------- */

/* Stop the machine with a status: luxsim exits with it; QEMU exits through
 * isa-debug-exit so the front door can recover it. */
_Noreturn void arch_halt(int status);

/* ---- Serving (v10) ---------------------------------------------------- */

/* The machine is up: the self-check passed, the namespace is built and
 * the 9P server takes connections.  Called once, by a machine booted with
 * lux_boot.serve, from a proc.  An arch with a service manager tells it
 * (hosted: sd_notify's READY=1 to $NOTIFY_SOCKET); others do nothing.
 * Connections accepted before this are served too: it is a promise to
 * the host's supervisor, not a gate. */
void arch_serving(void);

/* ---- Byte-stream connections (implemented in v3, for 9P) ------------- */

/* A connection is a small integer the arch hands to lux_conn_opened(); the
 * arch reuses it only after lux_conn_closed() for it has returned.
 * Flow control is the core's: one lux_conn_received() delivers at most
 * LUX_CONN_CHUNK bytes, and for an accepted connection at most what
 * lux_conn_room() said just before (v8); the core takes them all.  A
 * connection the core has no room for is paused, and the arch then stops
 * reading it (the peer's kernel buffers, then the peer, wait).  Nothing is
 * dropped and a slow connection never holds up another.  (Dialed
 * connections are not asked: their chunks must always fit.)
 * All three calls may be made from procs and from upcalls. */
#define LUX_CONN_CHUNK 65536u

/* Send queues all n bytes or fails with a negative value; it never sends a
 * part.  It returns how many bytes now wait to be sent (0 when the peer
 * took everything at once); lux_conn_sent() reports that number again
 * each time it shrinks, so the core can stop producing while a peer does
 * not read.  It fails on a closed or unknown connection, and when more
 * than LUX_CONN_SENDMAX bytes would wait: the machine never holds more.
 * A send to a peer that is gone (reset, hung up) succeeds and is dropped
 * (v6): the arch closes the connection and lux_conn_closed() follows, so
 * a hostile peer's hang-up is an ordinary close, never an error of the
 * machine's. */
#define LUX_CONN_SENDMAX (4u << 20)
long arch_conn_send(int conn, const void *buf, size_t n);
/* Close is final: bytes already queued by send are still sent, nothing
 * more is delivered, and lux_conn_closed() follows once. */
void arch_conn_close(int conn);
/* paused != 0: stop delivering lux_conn_received() for conn until called
 * again with 0.  Idempotent. */
void arch_conn_pause(int conn, int paused);

/* Outgoing connections (v4, for the 9P client).  Dial addr ("unix!PATH"
 * or "tcp!HOST!PORT", HOST numeric or localhost) and return its id at
 * once, or a negative lux error (E_INVAL: a malformed address; E_MFILE:
 * no free id; E_NOCONN: this machine makes no connections).  The id is
 * in the same space as accepted ones, but its events go to the lux_dial_*
 * upcalls, never to lux_conn_*: lux_dial_connected(id, 0) when it is up,
 * or lux_dial_connected(id, err < 0) when it failed, after which the id
 * is already free and nothing else follows.  Once up, arch_conn_send,
 * arch_conn_close and arch_conn_pause work on it exactly as on an
 * accepted connection, with the same LUX_CONN_CHUNK, LUX_CONN_SENDMAX and
 * close rules (lux_dial_received, lux_dial_sent, lux_dial_closed).
 * arch_conn_close before lux_dial_connected abandons the dial: it ends in
 * lux_dial_connected(id, E_INTR).  Callable from procs only.  A
 * deterministic run dials nothing (E_NOCONN) unless a simulation
 * scenario plays the dialed connections too (arch_conn_sim.dial, v11). */
int arch_conn_dial(const char *addr);

/* Simulated peers (v4).  In a deterministic run a simulation scenario
 * (core/test/scenario/net.c) plays both the peers and the arch's side of their
 * connections: it opens and feeds them through the lux_conn_* upcalls as
 * an arch does, and after arch_conn_simulate(sim) arch_conn_send, _close
 * and _pause go to sim, so what is sent, when it drains and when one drops
 * all come from the seed.  The arch then delivers no connections of its
 * own.  Returns 0, or -1 where the arch cannot: a run that is not
 * deterministic, or metal.  arch_conn_simulate(0) hands the calls back. */
struct arch_conn_sim {
	long (*send)(int conn, const void *buf, size_t n);
	void (*close)(int conn);
	void (*pause)(int conn, int paused);
	/* v11: arch_conn_dial comes here (0: E_NOCONN).  The scenario then
	 * delivers that id's lux_dial_* upcalls, by the rules above, and its
	 * send, close and pause come to the three calls above. */
	int (*dial)(const char *addr);
};
int arch_conn_simulate(const struct arch_conn_sim *sim);

/* ---- Block devices (implemented in v12, for the store) -------------- */

/* A block device is a small integer from 0 that the arch hands out at
 * boot (hosted: luxsim --store PATH is device 0, a plain file).  The core
 * moves whole sectors, asynchronously: a submit starts a request, and
 * lux_blk_done(cookie, err) ends it, once, as an upcall.  The core keeps
 * at most `inflight` requests of a device at the arch at once, so an arch
 * never queues without bound.  Callable from procs only. */
struct arch_blk_info {
	uint64_t sectors;	/* the device's size */
	uint32_t sector_size;	/* bytes: a power of two, 512 to 4096 */
	uint32_t inflight;	/* requests the arch takes at once, >= 1 */
	const char *name;	/* for messages and status ("/var/lux/store");
				 * lives as long as the machine */
	int created;		/* the arch made the device at this boot
				 * (hosted: the file did not exist) */
};

/* Describe device dev: 0, E_NOENT (the arch has no device dev) or
 * E_NOTSUP (the arch has no block devices at all: metal until virtio-blk
 * lands; a deterministic run, whose scenarios simulate theirs). */
int arch_blk_info(int dev, struct arch_blk_info *info);

enum {
	ARCH_BLK_READ = 0,
	ARCH_BLK_WRITE = 1,
	/* Everything whose lux_blk_done came before the flush was submitted
	 * is on stable storage when the flush's lux_blk_done reports 0.
	 * Writes still in flight when it was submitted may or may not be. */
	ARCH_BLK_FLUSH = 2,
};

/* The most sectors one read or write may move. */
#define ARCH_BLK_MAXSECT 128u

/* Start op on nsect sectors from `sector` (both 0 for a flush), into or
 * out of buf, which the core leaves alone until lux_blk_done.  Returns 0
 * and lux_blk_done(cookie, err) follows exactly once, never from inside
 * this call; or a negative error and nothing follows: E_INVAL (an unknown
 * op, nsect 0 or above ARCH_BLK_MAXSECT, sectors beyond the end), E_NOENT,
 * E_NOTSUP as for arch_blk_info, E_MFILE (`inflight` requests already at
 * the arch: a core bug), E_NOMEM.  Requests in flight together may finish
 * in any order, and two writes of one sector in flight together may land
 * in either order: the core waits for one before it sends the other.  A
 * done's err is 0, E_IO (the host failed the transfer; the arch says why
 * on its console) or E_NOSPC (the host ran out of space under a sparse
 * file). */
int arch_blk_submit(int dev, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie);

/* ---- PCI (v15) ---------------------------------------------------------- */

/* One of a function's base address registers, as the firmware set it. */
struct arch_pci_bar {
	uint64_t addr;		/* 0: the device has no such BAR */
	uint64_t size;		/* bytes it decodes */
	uint8_t io;		/* 1: I/O ports, 0: memory */
	uint8_t prefetch;	/* memory: prefetchable */
};

#define ARCH_PCI_MAXCAPS 16

/* One PCI function, as its configuration space describes it. */
struct arch_pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass, progif, revision;
	uint8_t header;		/* header type, without the multi-function bit */
	uint8_t irq_line;	/* the legacy line the firmware assigned; 0xff: none */
	struct arch_pci_bar bar[6];	/* header type 0 only; a 64-bit BAR takes two */
	uint8_t ncaps;		/* capability IDs in list order (0x11 MSI-X, 0x09 vendor: */
	uint8_t caps[ARCH_PCI_MAXCAPS];	/* virtio's config structures) */
};

/* The i-th PCI function the arch found at boot (bus, device, function
 * order): 0 and *d, or E_NOENT past the last.  An arch without PCI
 * (hosted) answers E_NOENT for every i.  Callable from procs. */
int arch_pci_dev(int i, struct arch_pci_dev *d);

/* ---- The memory map (v16) ---------------------------------------------- */

#define ARCH_MEM_R 1
#define ARCH_MEM_W 2
#define ARCH_MEM_X 4

/* One range of the address space: what it is ("kernel text", "ram
 * reclaimed from boot services", ...: a static string) and how it is
 * mapped (ARCH_MEM_* bits; 0: not mapped, a fault).  Ranges whose
 * mapping differs page by page (a proc's stack and its guard page) are
 * not listed one by one. */
struct arch_memrange {
	uint64_t base, len;
	const char *what;
	unsigned prot;
};

/* The i-th range, in address order: 0 and *r, or E_NOENT past the last.
 * Callable from procs; the layout is fixed once lux_main runs. */
int arch_memrange(int i, struct arch_memrange *r);

#endif
