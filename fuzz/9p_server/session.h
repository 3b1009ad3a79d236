/*
 * One fuzz input = one 9P connection to the real server, driven through
 * the upcalls an arch uses (lux_conn_opened/received/sent/closed), with
 * every reply checked and every resource counted (see session.c).
 *
 * Input layout: a mode byte, then the bytes the peer sends.
 *   bits 0-1  preamble the harness sends first:
 *             0 Tversion "9P2000" + Tattach fid 0,
 *             1 Tversion "9P2000.L" + Tattach fid 0,
 *             2 Tversion "9P2000" only, 3 nothing
 *   bits 2-4  delivery chunk: whole, 1, 2, 3, 7, 13, 100, 4096 bytes
 *   bit 5     slow reader: replies wait in the "arch" until the next step
 *             (lux_conn_sent reports them draining)
 *   bit 6     hang up right after the last chunk, with requests in flight
 * The preamble's messages use tags 0xFFFF (version) and 0xFFF0 (attach);
 * msize 8192.
 */
#ifndef LUX_FUZZ_9P_SERVER_SESSION_H
#define LUX_FUZZ_9P_SERVER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <lux/pebble.h>

/* The largest input the harness looks at (the rest is ignored). */
#define FUZZ_MAXINPUT (64u << 10)

/* Where inputs come from: 1 and the next input, or 0 when there is none
 * (the process then exits 0). */
typedef int (*fuzz_next_fn)(const uint8_t **data, size_t *len);

/* Boot the kernel once, then run every input; never returns. */
_Noreturn void fuzz_run(fuzz_next_fn next);

/* The driver's step, called from arch_idle with every proc asleep. */
void fuzz_session_step(void);

/* The arch's connection calls land here (the fake machine's hooks,
 * installed by kernel.c). */
long fuzz_conn_send(int conn, const void *buf, size_t n);
void fuzz_conn_close(int conn);
void fuzz_conn_pause(int conn, int paused);

/* kernel.c: the kernel under the fuzzer. */
/* Say what broke (stderr, and FUZZ_FAIL_LOG=FILE since AFL hides stderr)
 * and abort: an AFL crash. */
_Noreturn void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern uint64_t fuzz_inputs;	/* inputs begun by this process */
/* Boot the core in this process: memory, console, crypto. */
void fuzz_boot(void);
/* What the kernel holds between inputs. */
struct fuzz_held {
	size_t objects, bytes, large_pages, procs, budgets;
	uint64_t root_held[PB_NKINDS];
};
void fuzz_count_held(struct fuzz_held *h);
/* Abort unless the kernel holds what it held at base. */
void fuzz_check_held(const struct fuzz_held *base);
/* From a proc: the served namespace, built once, put back per input. */
void fuzz_build_namespace(void);
void fuzz_reset_namespace(void);

#endif
