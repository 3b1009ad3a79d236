/*
 * Console on the process's stdin and stdout.
 *
 * Output is a blocking write to fd 1: ordering with the core's other
 * output is exact, and a kernel that cannot print has nothing better to
 * do.  Input is read with uv_fs_read on fd 0, which works the same for a
 * terminal, a pipe, a file or /dev/null; a read is only issued while the
 * core has room for it (lux_console_room), so input is never dropped.
 * A terminal stays in canonical mode: Linux edits the line, the core gets
 * whole lines (no LUX_CAP_CONSOLE_RAW).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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
} in;

void arch_console_write(const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = hostcalls.write(1, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			hostcalls.exit(74);	/* stdout is gone: nothing to tell */
		buf += w;
		n -= (size_t)w;
	}
}

static void on_read(uv_fs_t *req)
{
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	in.inflight = 0;
	if (n < 0) {
		char msg[160];
		int len = snprintf(msg, sizeof msg, "luxsim: reading stdin: %s; treating it as end of input\n",
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

void hosted_console_poll(uv_loop_t *loop)
{
	size_t room;
	uv_buf_t b;

	if (in.inflight || in.eof)
		return;
	room = lux_console_room();
	if (room == 0)
		return;	/* the core drains its buffer before we read more */
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
