/* The default host calls (see hostcalls.h). */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "hostcalls.h"

struct hostcalls hostcalls = {
	.write = write,
	.getrandom = getrandom,
	.clock_gettime = clock_gettime,
	.mmap = mmap,
	.isatty = isatty,
	.exit = exit,
	.mkdir = mkdir,
	.stat = stat,
	.socket = socket,
	.connect = connect,
	.close = close,
	.bind = bind,
	.fcntl = fcntl,
	.unlink = unlink,
	.getsockopt = getsockopt,
	.open = open,
	.read = read,
	.chown = chown,
	.chmod = chmod,
	.sigaction = sigaction,
	.sendto = sendto,
	.getrlimit = (int (*)(int, struct rlimit *))getrlimit,
	.setrlimit = (int (*)(int, const struct rlimit *))setrlimit,
	.fstat = fstat,
	.ftruncate = ftruncate,
	.flock = flock,
	.timerfd_create = timerfd_create,
	.timerfd_settime = timerfd_settime,
	.tcgetattr = tcgetattr,
	.tcsetattr = tcsetattr,
	.tcgetpgrp = tcgetpgrp,
};
