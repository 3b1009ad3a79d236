/*
 * luxsim --serve: the machine as a service (arch contract v10).
 *
 * Signals.  SIGTERM (what systemd, docker stop and kill send) and SIGINT
 * (Ctrl-C in a foreground run) are caught with uv_signal_t, so they are
 * delivered as libuv callbacks like every other event, inside arch_idle
 * or arch_poll, never in the middle of the core: the callback makes the
 * lux_halt_request upcall and the core halts in order (core/kern/serve.c).
 * A second signal changes nothing: the core's drain is bounded, and a
 * manager that will not wait sends SIGKILL.  Only a service run catches
 * them; the interactive shell keeps the default actions.
 *
 * Readiness.  A service manager that set NOTIFY_SOCKET (systemd's
 * Type=notify, and those that copy its protocol) learns from one
 * datagram each: "READY=1" once the core serves (arch_serving), and
 * "STOPPING=1" when a halt begins (the signal, or any other halt).  The
 * protocol is sd_notify(3)'s: the variable names an AF_UNIX datagram
 * socket, a path, or with '@' first a name in the abstract namespace.
 * It is a few lines, so there is no libsystemd.  A notification that
 * cannot be sent is logged and the run goes on: the manager's own timeout
 * then reports it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/upcall.h>

#include "hostcalls.h"
#include "internal.h"

static struct {
	int on;			/* a service run */
	int stopping;		/* STOPPING=1 sent (or due) */
	uv_signal_t term, intr;
} serve;

/* A line on the log (the console, timestamped in a service run). */
static void say(const char *msg)
{
	arch_console_write(msg, strlen(msg));
}

/* One datagram to $NOTIFY_SOCKET, if there is one. */
static void notify(const char *state)
{
	const char *where = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	char msg[300];
	int fd;

	if (where == NULL || *where == 0)
		return;	/* no service manager asked */
	len = strlen(where);
	if ((where[0] != '/' && where[0] != '@') || len >= sizeof sun.sun_path) {
		snprintf(msg, sizeof msg,
		         "luxsim: NOTIFY_SOCKET '%.200s' is not a socket path or "
		         "@name (of fewer than %zu bytes): %s not sent\n",
		         where, sizeof sun.sun_path, state);
		say(msg);
		return;
	}
	memcpy(sun.sun_path, where, len);
	if (where[0] == '@')
		sun.sun_path[0] = 0;	/* abstract: the name is the bytes after the NUL */
	fd = hostcalls.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    hostcalls.sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun,
	                     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		snprintf(msg, sizeof msg,
		         "luxsim: cannot tell the service manager %s at %.200s: %s\n", state, where,
		         strerror(errno));
		say(msg);
	}
	if (fd >= 0)
		hostcalls.close(fd);
}

static void on_signal(uv_signal_t *h, int signum)
{
	char msg[80];

	(void)h;
	snprintf(msg, sizeof msg, "luxsim: %s: halting\n",
	         signum == SIGTERM ? "SIGTERM" : "SIGINT");
	say(msg);
	if (!serve.stopping) {
		serve.stopping = 1;
		notify("STOPPING=1");
	}
	hosted_upcall_begin();
	lux_halt_request();
	hosted_upcall_end();
}

void hosted_serve_init(uv_loop_t *loop)
{
	serve.on = 1;
	uv_signal_init(loop, &serve.term);
	uv_signal_init(loop, &serve.intr);
	if (uv_signal_start(&serve.term, on_signal, SIGTERM) != 0 ||
	    uv_signal_start(&serve.intr, on_signal, SIGINT) != 0) {
		hosted_warn("luxsim: cannot catch SIGTERM and SIGINT: --serve could not halt "
		            "in order\n");
		hostcalls.exit(71);
	}
}

void arch_serving(void)
{
	if (serve.on)
		notify("READY=1");
}

void hosted_serve_halting(void)
{
	if (serve.on && !serve.stopping) {
		serve.stopping = 1;
		notify("STOPPING=1");
	}
}
