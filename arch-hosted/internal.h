/* Shared between the files of arch-hosted; not part of any contract. */
#ifndef LUX_HOSTED_INTERNAL_H
#define LUX_HOSTED_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

uv_loop_t *hosted_loop(void);

/* Bracket every upcall into the core: upcalls run "with interrupts off". */
void hosted_upcall_begin(void);
void hosted_upcall_end(void);
/* The end of an upcall delivered outside uv_run: the loop is not stopped. */
void hosted_upcall_end_direct(void);
/* A new context starts with upcalls enabled (see arch_ctx_init). */
void hosted_irq_enable(void);

void hosted_console_poll(uv_loop_t *loop);
int hosted_console_busy(void);
void hosted_timer_init(uv_loop_t *loop);
/* The kernel's one-shot (time.c).  poll: from arch_poll with the time it
 * read, delivers a deadline that has passed.  idle: from arch_idle before
 * it waits; delivers a passed deadline (returns 1: do not wait) or
 * programs the host timer for the wait (returns 0). */
void hosted_timer_poll(uint64_t now);
int hosted_timer_idle(void);

/* A service run (serve.c): catch SIGTERM and SIGINT as halt requests;
 * halting sends STOPPING=1 to the service manager if nothing has. */
void hosted_serve_init(uv_loop_t *loop);
void hosted_serve_halting(void);
/* The console as a service's log (console.c): stderr, a UTC timestamp
 * at the start of each line; stdin is never read. */
void hosted_console_log(void);
/* tty.c: the terminal in raw mode for the core's line discipline. */
int hosted_tty_raw(uv_loop_t *loop, unsigned char *intr);
void hosted_tty_restore(void);
void hosted_console_tty(uv_loop_t *loop);	/* console.c: read the raw terminal by polling */
/* luxsim's own messages (a listen address refused, the state directory,
 * the process's limits): on stderr, and in a service run on its log like
 * the console's lines, timestamped.  printf's format. */
void hosted_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* SIGPIPE ignored, RLIMIT_NOFILE raised (procsetup.c): once, at start. */
void hosted_process_setup(int quiet);

/* A connection's handle: a unix socket or TCP (conn.c, refuse.c). */
union hosted_stream {
	uv_handle_t handle;
	uv_stream_t stream;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

/* refuse.c: a connection past the connection table's bound is accepted
 * from server, answered in 9P and closed (-1: no memory to take it off
 * the queue at all); nofd counts one that libuv's accept already had to
 * drop (err: EMFILE or ENFILE).  Both are reported on stderr,
 * rate-limited. */
int hosted_refuse(uv_stream_t *server, int is_unix);
void hosted_refuse_nofd(int err);

/* Connections (conn.c): listen as cfg says; returns the addresses for
 * the banner, or NULL when none listens.  cleanup removes socket files. */
struct hosted_config;
const char *hosted_conn_listen(const struct hosted_config *cfg);
/* state.c: the host key and the users file from the state directory into
 * boot (nothing in a deterministic run). */
struct lux_boot;
void hosted_state_load(const struct hosted_config *cfg, struct lux_boot *boot);
void hosted_conn_cleanup(void);

/* Deterministic mode (luxsim --seed): see deterministic.c. */
extern int hosted_deterministic;

/* blk.c: make the file at path block device 0 (luxsim --store), creating
 * it create_bytes long when it does not exist.  0, or -1 after saying why
 * on stderr: the machine then boots without a store. */
int hosted_blk_open(const char *path, unsigned long long create_bytes);
/* storekey.c: read --store-key FILE into boot->store_key, or say on
 * stderr why not (the store is then not opened). */
void hosted_store_key(const char *path, struct lux_boot *boot);
void hosted_sim_init(unsigned long long seed);
uint64_t hosted_sim_now(void);
void hosted_sim_arm(uint64_t deadline);
void hosted_sim_poll(void);
void hosted_sim_idle(void);
int hosted_sim_entropy(void *buf, size_t n);

#endif
