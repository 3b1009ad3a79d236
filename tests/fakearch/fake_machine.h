/*
 * The fake machine the core runs on in the unit tests and the 9P server
 * fuzzer: the whole of <lux/arch.h>, with every side effect recorded for
 * the tests to assert on, and hooks where a harness plays the world.
 *
 *  - Console output lands in a capture buffer (fake_console_text()).
 *  - Time stands still until a test moves it (fake_time_ns), or, with
 *    fake_clock_runs (the fuzzer), 10 us pass at each preemption point and
 *    time jumps to the armed deadline when every proc sleeps.
 *  - arch_timer_arm() calls are logged (fake_timer_arms, fake_timer_deadline).
 *  - The irq flag is a plain word, so a test can check that every core call
 *    leaves upcalls the way it found them (fake_irq_disabled()).
 *  - Contexts are real: arch-hosted's context.c and switch_x86_64.S do the
 *    switch, so procs run on their own stacks under the core's own
 *    scheduler (fake_run_in_proc()).
 *  - arch_halt() longjmps back to an armed fake_halt_env (the unit tests'
 *    EXPECT_PANIC, tests/unit/fake_arch.h), else prints the console and
 *    aborts (a crash, for the fuzzer).
 */
#ifndef LUX_TESTS_FAKE_MACHINE_H
#define LUX_TESTS_FAKE_MACHINE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
extern int64_t fake_wallclock_ns;	/* what arch_wallclock_ns() returns (-1:
					 * unknown), plus fake_time_ns when the
					 * clock runs */
extern bool fake_clock_runs;		/* time moves by itself (see above) */
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
/* Negative: every arch_conn_dial fails at once with it (the fuzzer's
 * E_NOCONN: its session is the only peer). */
extern int fake_dial_now;

/* ---- Served connections ------------------------------------------------ */

/* A connection the harness opened with lux_conn_opened (not a dialed
 * one): arch_conn_send, arch_conn_close and arch_conn_pause on it go to
 * these (without them: -1, nothing, nothing). */
extern long (*fake_conn_send_hook)(int conn, const void *buf, size_t n);
extern void (*fake_conn_close_hook)(int conn);
extern void (*fake_conn_pause_hook)(int conn, int paused);

/* ---- Entropy ------------------------------------------------------------ */

/* arch_entropy asks the hook when one is set; without one, byte i of
 * every request is i * 131 + 7 (deterministic: tests only). */
extern int (*fake_entropy_hook)(void *buf, size_t n);

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

/* ---- Halt ------------------------------------------------------------ */

/* arch_halt longjmps to fake_halt_env when fake_halt_armed (once), with
 * the status in fake_halt_status. */
extern jmp_buf fake_halt_env;
extern bool fake_halt_armed;
extern int fake_halt_status;

#endif
