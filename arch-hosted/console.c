/*
 * Console on the process's stdin and stdout.
 *
 * Output is a blocking write to fd 1: ordering with the core's other
 * output is exact, and a kernel that cannot print has nothing better to
 * do.  Input is read with uv_fs_read on fd 0, which works the same for a
 * terminal, a pipe, a file or /dev/null; a read is only issued while the
 * core has room for it (lux_console_room), so input is never dropped.
 * A person's terminal is put in raw mode (tty.c) and the core edits; it is
 * then read differently: a read of a terminal in libuv's thread pool
 * blocks until a key is pressed, and exit() waits for that thread, so a
 * halt by signal would hang.  A terminal is watched with uv_poll_t
 * instead and read on the loop's thread only once it is readable, which
 * in raw mode (VMIN 1) returns what is there at once.
 *
 * In a service run (--serve) the console is the service's log instead:
 * stdin is never read (it may be /dev/null, or a terminal that is not
 * ours), and output goes to stderr with a UTC timestamp at the start of
 * every line, which is what a log file or `docker logs` needs (journald
 * adds its own, and keeps ours as text).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/upcall.h>

#include "hostcalls.h"
#include "internal.h"

#define READ_MAX 65536

static struct {
	uv_fs_t req;
	char buf[READ_MAX];
	int inflight;
	int eof;
	int tty;		/* a raw terminal: polled, not read in the pool */
	int polling;
	uv_poll_t poll;
} in;

static struct {
	int on;			/* a service run: the console is a log */
	int midline;		/* the last byte written was not a newline */
} logging;

static void put(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = hostcalls.write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			hostcalls.exit(74);	/* the output is gone: nothing to tell */
		buf += w;
		n -= (size_t)w;
	}
}

/* "2026-12-07T20:15:03.042Z ": when, to the millisecond, in UTC. */
static void stamp(void)
{
	struct timespec ts;
	struct tm tm;
	char s[40];
	size_t n;

	if (hostcalls.clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL) {
		put(2, "-- ", 3);	/* no clock: the line still goes out */
		return;
	}
	n = strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(s + n, sizeof s - n, ".%03ldZ ", ts.tv_nsec / 1000000);
	put(2, s, n);
}

void arch_console_write(const char *buf, size_t n)
{
	if (!logging.on) {
		put(1, buf, n);
		return;
	}
	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t len = nl ? (size_t)(nl - buf) + 1 : n;
		if (!logging.midline)
			stamp();
		put(2, buf, len);
		logging.midline = nl == NULL;
		buf += len;
		n -= len;
	}
}

void hosted_console_log(void)
{
	logging.on = 1;
}

void hosted_warn(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (!logging.on) {
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		return;
	}
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof msg)
		n = sizeof msg - 1;	/* cut, not lost */
	if (n > 0)
		arch_console_write(msg, (size_t)n);
}

static void deliver(ssize_t n)
{
	if (n < 0) {
		char msg[160];
		int len = snprintf(msg, sizeof msg,
		                   "luxsim: reading stdin: %s; treating it as end of input\n",
		                   uv_strerror((int)n));
		arch_console_write(msg, (size_t)len);
		n = 0;
	}
	if (n == 0)
		in.eof = 1;
	hosted_upcall_begin();
	lux_console_input(in.buf, (size_t)n);
	hosted_upcall_end();
}

static void on_read(uv_fs_t *req)
{
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	in.inflight = 0;
	deliver(n);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	size_t room = lux_console_room();
	ssize_t n;

	(void)events;
	if (room == 0 || status < 0) {
		uv_poll_stop(h);	/* hosted_console_poll starts it again */
		in.polling = 0;
		if (status < 0)
			deliver(status);
		return;
	}
	n = hostcalls.read(0, in.buf, room < READ_MAX ? room : READ_MAX);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		uv_poll_stop(h);
		in.polling = 0;
	}
	deliver(n < 0 ? uv_translate_sys_error(errno) : n);
}

void hosted_console_tty(uv_loop_t *loop)
{
	int flags = hostcalls.fcntl(0, F_GETFL);

	if (flags < 0 || uv_poll_init(loop, &in.poll, 0) != 0)
		return;	/* the thread pool's read then, as for a pipe */
	/* uv_poll_init made the terminal non-blocking, and the terminal is
	 * one open file with stdout and with the shell that started us: a
	 * full output buffer would fail our writes (EAGAIN), and the shell
	 * would inherit the flag.  Polling needs no O_NONBLOCK: we read only
	 * when there is something to read. */
	hostcalls.fcntl(0, F_SETFL, flags);
	in.tty = 1;
}

void hosted_console_poll(uv_loop_t *loop)
{
	size_t room;
	uv_buf_t b;

	if (in.inflight || in.eof || logging.on)
		return;	/* a service's stdin is not its own: never read */
	room = lux_console_room();
	if (room == 0)
		return;	/* the core drains its buffer before we read more */
	if (in.tty) {
		if (!in.polling && uv_poll_start(&in.poll, UV_READABLE, on_readable) == 0)
			in.polling = 1;
		return;
	}
	b = uv_buf_init(in.buf, room < READ_MAX ? (unsigned)room : READ_MAX);
	if (uv_fs_read(loop, &in.req, 0, &b, 1, -1, on_read) == 0)
		in.inflight = 1;
	else
		in.eof = 1;
}

int hosted_console_busy(void)
{
	return in.inflight;
}
