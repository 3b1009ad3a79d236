/*
 * The process's own settings, made once at start before any socket
 * exists: what a host process must get right so that one peer's
 * behaviour never ends the whole kernel.
 *
 * SIGPIPE: a write to a socket whose peer reset it raises SIGPIPE, whose
 * default action ends the process: the shell, its RAM tree and every
 * other client with it.  libuv writes with write(2)/writev(2), where no
 * MSG_NOSIGNAL can be passed, so the signal is ignored process-wide and
 * the write fails with EPIPE instead; conn.c then closes that connection
 * only.  (The console's stdout is the same: a reader that went away is
 * an ordinary write error there, see console.c.)
 *
 * RLIMIT_NOFILE: every connection, listening socket and dial is a file
 * descriptor; the soft limit (often 1024) is raised to the hard one, and
 * a limit below HOSTED_NOFILE_WANT is reported with the connections it
 * allows (conntab.c's bound), since past those every new client is
 * refused.  --quiet keeps it unless that bound is below HOSTED_CONN_FEW:
 * a script that runs a few commands does not care about a thousand
 * connections, but one that serves clients cares about a handful.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "conntab.h"
#include "hostcalls.h"
#include "internal.h"

#define HOSTED_NOFILE_WANT 4096
#define HOSTED_CONN_FEW 256

void hosted_process_setup(int quiet)
{
	struct sigaction sa;
	struct rlimit rl;
	int max;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (hostcalls.sigaction(SIGPIPE, &sa, NULL) != 0)
		hosted_warn("luxsim: warning: cannot ignore SIGPIPE (%s): a client that hangs "
		            "up mid-reply may end luxsim\n",
		            strerror(errno));
	if (hostcalls.getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		hosted_warn("luxsim: warning: cannot read the open files limit (%s)\n",
		            strerror(errno));
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (hostcalls.setrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = was;	/* keep what we have; the check below says */
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= HOSTED_NOFILE_WANT)
		return;
	max = conntab_bound_for((unsigned long long)rl.rlim_cur);
	if (!quiet || max < HOSTED_CONN_FEW)
		hosted_warn("luxsim: only %llu file descriptors (ulimit -n; hard limit %llu); at "
		            "most ~%d connections: raise it with 'ulimit -Hn' as root\n",
		            (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, max);
}
