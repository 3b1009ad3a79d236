/*
 * luxsim's terminal (arch contract v12): when a person runs the shell on
 * a terminal, the terminal goes into raw mode and the core's line
 * discipline does the rest (echo, editing, history, completion, ^C), the
 * same code as on the serial line.  Raw here means no ICANON (bytes as
 * typed, no line editing by Linux), no ECHO (the core echoes), no ISIG
 * (^C is a byte the core turns into an interrupt of the shell's command,
 * not a SIGINT that ends the whole kernel and its RAM tree), no IEXTEN
 * (^V ^O reach the core) and no IXON (^S ^Q are not flow control).
 * Output processing stays on: the core writes "\n", the terminal needs
 * "\r\n".
 *
 * Only when stdin and stdout are both the terminal and we are its
 * foreground process group: with a pipe or a file nothing changes, byte
 * for byte; with stdout redirected the person would not see the echo;
 * and a background luxsim would be stopped by SIGTTOU for trying.
 *
 * Whatever ends the process gives the terminal back: arch_halt, exit
 * (atexit), SIGTERM, SIGINT and SIGHUP (caught with uv_signal_t and
 * turned into lux_halt_request: the shell's command is interrupted, it
 * sees the end of input and halts with 0, as at Ctrl-D), and the fatal
 * signals, whose handler restores the terminal and then lets the
 * previous handler (the default, or AddressSanitizer's report) run.
 * SIGKILL is the one exit nothing can catch: `stty sane` then.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#include <lux/upcall.h>

#include "hostcalls.h"
#include "internal.h"

/* A fault re-runs its instruction when the handler returns, into the
 * previous handler now; a signal someone sent (kill -SEGV too) would
 * not, so it is raised again. */
static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT };
#define NFATAL (sizeof fatal / sizeof fatal[0])

static struct {
	volatile sig_atomic_t raw;	/* the terminal is ours to give back */
	struct termios saved;
	struct sigaction old[NFATAL];
	uv_signal_t term, intr, hup;
} tty;

/* Async-signal-safe: tcsetattr is. */
void hosted_tty_restore(void)
{
	if (!tty.raw)
		return;
	tty.raw = 0;
	hostcalls.tcsetattr(0, TCSANOW, &tty.saved);
}

static void restore_at_exit(void)
{
	hosted_tty_restore();
}

static void on_fatal(int sig, siginfo_t *info, void *ctx)
{
	size_t i;

	(void)ctx;
	hosted_tty_restore();
	for (i = 0; i < NFATAL && fatal[i] != sig; i++)
		;
	if (i < NFATAL)
		hostcalls.sigaction(sig, &tty.old[i], NULL);
	if (info == NULL || info->si_code <= 0 || sig == SIGABRT || sig == SIGQUIT)
		raise(sig);	/* sent, not a fault of ours */
}

static void on_hangup(uv_signal_t *h, int signum)
{
	(void)h;
	(void)signum;
	hosted_upcall_begin();
	lux_halt_request();
	hosted_upcall_end();
}

/* The terminal's raw mode, if this run may have it: 1 and *intr (the
 * terminal's own interrupt byte, 0 when it is ^C or none), else 0. */
int hosted_tty_raw(uv_loop_t *loop, unsigned char *intr)
{
	struct termios t;
	struct sigaction sa;

	*intr = 0;
	if (!hostcalls.isatty(0) || !hostcalls.isatty(1) || hostcalls.tcgetpgrp(0) != getpgrp() ||
	    hostcalls.tcgetattr(0, &tty.saved) != 0)
		return 0;	/* not a person's terminal, or not ours now: cooked */
	t = tty.saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | IGNCR);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	atexit(restore_at_exit);	/* before the change: no window without it */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFATAL; i++)
		hostcalls.sigaction(fatal[i], &sa, &tty.old[i]);
	uv_signal_init(loop, &tty.term);
	uv_signal_init(loop, &tty.intr);
	uv_signal_init(loop, &tty.hup);
	if (uv_signal_start(&tty.term, on_hangup, SIGTERM) != 0 ||
	    uv_signal_start(&tty.intr, on_hangup, SIGINT) != 0 ||
	    uv_signal_start(&tty.hup, on_hangup, SIGHUP) != 0) {
		hosted_warn("luxsim: cannot catch SIGTERM, SIGINT and SIGHUP: the terminal "
		            "stays in line mode (no editing; Ctrl-C ends luxsim)\n");
		uv_signal_stop(&tty.term);	/* their default actions again */
		uv_signal_stop(&tty.intr);
		uv_signal_stop(&tty.hup);
		return 0;
	}
	tty.raw = 1;
	if (hostcalls.tcsetattr(0, TCSANOW, &t) != 0) {
		tty.raw = 0;
		return 0;
	}
	if (tty.saved.c_cc[VINTR] != 0x03 && tty.saved.c_cc[VINTR] != _POSIX_VDISABLE)
		*intr = tty.saved.c_cc[VINTR];
	return 1;
}
