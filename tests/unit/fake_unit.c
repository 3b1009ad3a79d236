/*
 * The unit tests' CMocka helpers over the fake machine
 * (tests/fakearch/fake_machine.c): EXPECT_PANIC's fork-and-check, and a
 * namespace for the proc a test runs in.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <lux/dev.h>
#include <lux/ns.h>
#include <lux/proc.h>
#include <lux/sysfile.h>

#include "fake_arch.h"

/* ---- EXPECT_PANIC plumbing -------------------------------------------- */

static int panic_pipe[2] = { -1, -1 };

pid_t fake_panic_fork(void)
{
	pid_t pid;

	if (pipe(panic_pipe) < 0) {
		perror("fake_panic_fork: pipe");
		abort();
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fake_panic_fork: fork");
		abort();
	}
	if (pid == 0) {
		close(panic_pipe[0]);
		fake_console_clear();
	} else {
		close(panic_pipe[1]);
	}
	return pid;
}

/* In the child: send the console text, then exit with the halt status.
 * _exit: no atexit handlers (LeakSanitizer, cmocka) in the child. */
_Noreturn void fake_panic_child_exit(int status)
{
	const char *p = fake_console_text();
	size_t n = fake_console_len();

	while (n > 0) {
		ssize_t w = write(panic_pipe[1], p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	_exit(status);
}

void fake_panic_check(pid_t pid, const char *stmt, const char *substr, const char *file,
                      int line)
{
	static char text[FAKE_CONSOLE_SIZE + 1];
	size_t len = 0;
	ssize_t r;
	int wstatus;

	while (len < FAKE_CONSOLE_SIZE &&
	       ((r = read(panic_pipe[0], text + len, FAKE_CONSOLE_SIZE - len)) > 0 ||
	        (r < 0 && errno == EINTR)))
		if (r > 0)
			len += (size_t)r;
	text[len] = 0;
	close(panic_pipe[0]);
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR) {
			print_error("waitpid: %s\n", strerror(errno));
			_fail(file, line);
		}
	if (!WIFEXITED(wstatus)) {
		print_error("%s: the child died of signal %d instead of panicking\n", stmt,
		            WTERMSIG(wstatus));
		_fail(file, line);
	}
	if (WEXITSTATUS(wstatus) == FAKE_NO_PANIC) {
		print_error("%s: returned without a panic; console:\n%s\n", stmt, text);
		_fail(file, line);
	}
	if (WEXITSTATUS(wstatus) != 99) {	/* LUX_PANIC_STATUS */
		print_error("%s: halted with status %d, want 99 (a sanitizer report?); "
		            "console:\n%s\n", stmt, WEXITSTATUS(wstatus), text);
		_fail(file, line);
	}
	if (strstr(text, "panic: ") == 0 || strstr(text, substr) == 0) {
		print_error("%s: panic message lacks \"%s\"; console:\n%s\n", stmt, substr, text);
		_fail(file, line);
	}
}

/* ---- Namespaces -------------------------------------------------------- */

void fake_namespace(void)
{
	struct proc *p = curproc();
	struct chan *root;

	assert_non_null(p);
	assert_int_equal(dev_attach(&ramfs_dev, "", &root), 0);
	p->ns = ns_new(root);
	p->fds = fdtab_new();
	assert_non_null(p->ns);
	assert_non_null(p->fds);
}

void fake_mount(const struct dev *dev, const char *path)
{
	struct chan *c;
	int fd = sys_create(path, OREAD, DMDIR | 0777);

	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);
	if (dev == 0)
		return;	/* just the directory */
	assert_int_equal(dev_attach(dev, "", &c), 0);
	assert_int_equal(ns_mount(curproc()->ns, path, c), 0);
	chan_put(c);
}
