/*
 * The fake arch the unit tests link the core against: the whole of
 * <lux/arch.h>, with every side effect recorded for the tests to assert on.
 *
 *  - Console output lands in a capture buffer (fake_console_text()).
 *  - Time stands still until a test moves it (fake_time_ns).
 *  - arch_timer_arm() calls are logged (fake_timer_arms, fake_timer_deadline).
 *  - The irq flag is a plain word, so a test can check that every core call
 *    leaves upcalls the way it found them (fake_irq_disabled()).
 *  - Contexts are real: arch-hosted's switch_x86_64.S does the switch
 *    (fake_context.c says why not its context.c), so procs run on their
 *    own stacks under the core's own scheduler (fake_run_in_proc()).
 *  - arch_halt() longjmps back to EXPECT_PANIC, which runs the statement in
 *    a forked child (see fake_arch.c for why) and asserts on the status and
 *    the panic message.
 */
#ifndef LUX_TESTS_FAKE_ARCH_H
#define LUX_TESTS_FAKE_ARCH_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lux/arch.h>

/* ---- Console ---------------------------------------------------------- */

#define FAKE_CONSOLE_SIZE (256u * 1024)

/* Everything written since the last clear, NUL-terminated (writes beyond
 * FAKE_CONSOLE_SIZE are counted in fake_console_lost, not kept). */
const char *fake_console_text(void);
size_t fake_console_len(void);
void fake_console_clear(void);
extern size_t fake_console_lost;

/* ---- Time and the one-shot timer -------------------------------------- */

extern uint64_t fake_time_ns;		/* what arch_time_ns() returns */
extern int64_t fake_wallclock_ns;	/* what arch_wallclock_ns() returns */
extern uint64_t fake_timer_deadline;	/* last value given to arch_timer_arm */
extern unsigned fake_timer_arms;	/* number of arch_timer_arm calls */

/* Deliver the timer upcall as an arch would: with upcalls disabled. */
void fake_timer_fire(void);

/* ---- Upcalls (irq flag) ----------------------------------------------- */

unsigned long fake_irq_disabled(void);

/* ---- Memory ----------------------------------------------------------- */

/* A page-aligned block of host memory that stays allocated for the life of
 * the process (the core owns it once it is in page_init). */
void *fake_mem(size_t bytes);

/* page_init with one fresh region of `pages` pages and cons_init(raw).
 * Returns the number of free pages page_init reported. */
size_t fake_boot(size_t pages, bool raw);

/* ---- Procs ------------------------------------------------------------ */

/* Called by arch_idle() when nothing is runnable: deliver an event (input,
 * a timer) and return true, or return false to end the scheduler run.
 * Reset to 0 by fake_run_in_proc when it returns. */
extern bool (*fake_idle_hook)(void);
extern unsigned fake_idle_calls;

/* Run fn(arg) in a new detached proc and drive the core's scheduler
 * (sched_idle_loop) until nothing is runnable and the idle hook has
 * nothing more to deliver.  Returns true when the proc ran to its end and
 * was reaped. */
bool fake_run_in_proc(void (*fn)(void *), void *arg);


/* ---- Namespaces ------------------------------------------------------- */

struct dev;

/* Give the current proc a fresh ramfs root and fd table (asserting). */
void fake_namespace(void);
/* Make directory path and mount a new attach of dev on it (asserting). */
void fake_mount(const struct dev *dev, const char *path);

/* ---- Dialed connections (arch v4): a scripted peer -------------------- */

/* arch_conn_dial(addr) asks fake_dial_hook: 0 accepts (the connection is
 * up at the next idle, with lux_dial_connected(id, 0)), a negative lux
 * error fails it then (lux_dial_connected(id, err)).  Without a hook every
 * dial fails with E_UNREACH.  Ids count up from 100 and are never reused. */
extern int (*fake_dial_hook)(const char *addr);
/* Every arch_conn_send on a dialed connection lands here, whole. */
extern void (*fake_send_hook)(int conn, const void *buf, size_t n);
/* Queue bytes for the core (lux_dial_received at the next idle, in
 * LUX_CONN_CHUNK pieces) or a hang-up (lux_dial_closed). */
void fake_peer_send(int conn, const void *buf, size_t n);
void fake_peer_hangup(int conn);
/* arch_conn_close and arch_conn_dial calls seen, for assertions. */
extern unsigned fake_dials, fake_closes;

/* ---- Offloaded work (arch v9) ------------------------------------------ */

/* arch_offload asks the hook when one is set (0: taken, the test calls
 * lux_offload_done(cookie) later, with upcalls off); without one it
 * answers E_NOTSUP and the core runs the work in place. */
extern int (*fake_offload_hook)(void (*fn)(void *), void *arg, void *cookie);

/* ---- Block devices (arch v12) ------------------------------------------ */

/* Device 0 exists when fake_blk_sectors is nonzero (its medium is made,
 * zeroed, at the first arch_blk_info after a change of size) and takes
 * fake_blk_inflight requests at once.  Requests wait until the test
 * ends them: fake_blk_finish_one() ends the oldest (from an idle hook:
 * upcalls are off there), failing it with fake_blk_fail_next if that is
 * set (once).  fake_blk_most_pending: the most ever pending at once. */
#define FAKE_BLK_SECTOR 512u
extern uint64_t fake_blk_sectors;
extern uint32_t fake_blk_inflight;
extern int fake_blk_fail_next;
extern unsigned fake_blk_submits, fake_blk_most_pending;
size_t fake_blk_pending(void);
bool fake_blk_finish_one(void);
uint8_t *fake_blk_medium(void);

/* ---- Halt and panic --------------------------------------------------- */

#define FAKE_NO_PANIC 200	/* child exit status: the statement returned */

extern jmp_buf fake_halt_env;
extern bool fake_halt_armed;
extern int fake_halt_status;

pid_t fake_panic_fork(void);
_Noreturn void fake_panic_child_exit(int status);
void fake_panic_check(pid_t pid, const char *stmt, const char *substr,
                      const char *file, int line);

/*
 * Run stmt; it must end in lux_panic() with a message containing substr.
 * lux_panic() keeps a "panicking" flag that is never reset (a kernel never
 * comes back from a panic), and a panic leaves the state it found (irq
 * flag off, a half-done free) as it was: so each panic happens in a
 * forked child, whose arch_halt() longjmps back here and reports the
 * status and console text to the parent through a pipe.
 */
#define EXPECT_PANIC(stmt, substr)                                             \
	do {                                                                   \
		pid_t pid_ = fake_panic_fork();                                \
		if (pid_ == 0) {                                               \
			if (setjmp(fake_halt_env) == 0) {                      \
				fake_halt_armed = true;                        \
				stmt;                                          \
				fake_panic_child_exit(FAKE_NO_PANIC);          \
			}                                                      \
			fake_panic_child_exit(fake_halt_status);               \
		}                                                              \
		fake_panic_check(pid_, #stmt, (substr), __FILE__, __LINE__);   \
	} while (0)

#endif
