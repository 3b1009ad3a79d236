/*
 * The shell's loop: read a line, parse it, run each command with its
 * output redirected if asked.  Used for `luxsim -c`, piped input, and the
 * interactive console on both arches.
 */
#include <lux/cons.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/storesync.h>
#include <lux/string.h>
#include <lux/proc.h>
#include <lux/sysfile.h>

#include "shell.h"

static struct sh_line parsed;	/* one shell per kernel: keep it off the stack */

void sh_write(struct sh *sh, const void *buf, size_t n)
{
	long r;

	if (proc_interrupted())
		return;	/* ^C: a command that has not noticed yet (a cat of a
			 * long file never sleeps) prints nothing more */
	if (sh->outfd < 0) {
		cons_write(buf, n);
		return;
	}
	r = sys_write(sh->outfd, buf, n);
	if (r < 0) {
		sh->wfailed = true;
		sh_errorf("write: %s\n", proc_errstr((int)r));
	}
}

void sh_printf(struct sh *sh, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sh_write(sh, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void sh_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

static int open_redirect(const struct sh_cmd *c)
{
	int fd;

	if (c->append) {
		fd = sys_create(c->redir, OWRITE, 0664);
		if (fd >= 0)
			sys_seek_end(fd);
	} else {
		fd = sys_create(c->redir, OWRITE | OTRUNC, 0664);
	}
	return fd;
}

/* Run a built-in with its redirection, in the calling proc. */
static int run_builtin(struct sh *sh, const struct sh_builtin *b, struct sh_cmd *c)
{
	int status;

	proc_seterr(0, "%s", "");	/* errors detailed from here on are this command's */
	sh->outfd = -1;
	sh->wfailed = false;
	if (c->redir) {
		sh->outfd = open_redirect(c);
		if (sh->outfd < 0) {
			sh_errorf("%s: %s: %s\n", c->argv[0], c->redir, proc_errstr(sh->outfd));
			sh->outfd = -1;
			return 1;
		}
	}
	status = b->fn(sh, c->argc, c->argv);
	if (sh->outfd >= 0)
		sys_close(sh->outfd);
	sh->outfd = -1;
	/* "echo bind > /proc/1/ns" printed why the ctl refused it: its
	 * status says so too, so -c's exit status does */
	return status == 0 && sh->wfailed ? 1 : status;
}

/* A background command owns a copy of its words: the shell reuses its
 * line buffer for the next line while the command still runs. */
struct bgjob {
	const struct sh_builtin *b;
	struct sh_cmd cmd;
	char words[];
};

static void bg_main(void *arg)
{
	struct bgjob *job = arg;
	struct sh sh = { .outfd = -1, .status = 0 };
	int status = run_builtin(&sh, job->b, &job->cmd);

	kfree(job);
	proc_exit(status);
}

static int run_background(const struct sh_builtin *b, struct sh_cmd *c)
{
	int err;
	size_t len = 0;
	struct bgjob *job;
	char *w;

	for (int i = 0; i < c->argc; i++)
		len += kstrlen(c->argv[i]) + 1;
	if (c->redir)
		len += kstrlen(c->redir) + 1;
	job = kmalloc(sizeof *job + len);
	if (job == 0) {
		sh_errorf("%s: out of memory for a background command\n", c->argv[0]);
		return 1;
	}
	job->b = b;
	job->cmd = *c;
	w = job->words;
	for (int i = 0; i < c->argc; i++) {
		job->cmd.argv[i] = w;
		w += kstrlcpy(w, c->argv[i], len) + 1;
	}
	if (c->redir) {
		job->cmd.redir = w;
		kstrlcpy(w, c->redir, len);
	}
	if (proc_spawn(c->argv[0], PRIO_NORMAL, bg_main, job, PROC_DETACHED, 0, &err) == 0) {
		kfree(job);
		sh_errorf("%s: cannot start a background proc: %s\n", c->argv[0], proc_errstr(err));
		return 1;
	}
	return 0;
}

static int run_command(struct sh *sh, struct sh_cmd *c)
{
	const struct sh_builtin *b = sh_find(c->argv[0]);

	if (b == 0) {
		sh_errorf("%s: command not found (try 'help')\n", c->argv[0]);
		return 127;
	}
	if (c->background)
		return run_background(b, c);
	return run_builtin(sh, b, c);
}

int sh_run_line(struct sh *sh, const char *line)
{
	const char *err;

	if (sh_parse(line, &parsed, &err) < 0) {
		sh_errorf("syntax error: %s\n", err);
		return sh->status = 2;
	}
	for (int i = 0; i < parsed.ncmds; i++) {
		sh->status = run_command(sh, &parsed.cmds[i]);
		if (proc_interrupted())
			break;	/* ^C stops the whole line, as in rc */
	}
	return sh->status;
}

/* Read one line from the console into buf; 0 at end of input, E_INTR
 * when interrupted (^C: the line is gone) or killed. */
static long read_line(char *buf, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		long n = cons_read_line(buf + len, size - 1 - len);
		if (n < 0)
			return n;
		if (n == 0)	/* end of input */
			break;
		len += (size_t)n;
		if (buf[len - 1] == '\n')
			break;
	}
	buf[len] = 0;
	if (len + 1 == size && buf[len - 1] != '\n') {
		sh_errorf("line too long (more than %zu bytes): ignored\n", size - 2);
		while (cons_read_line(buf, size - 1) > 0 && !kstrchr(buf, '\n'))
			;	/* discard the rest of it */
		buf[0] = 0;
		return 1;
	}
	return (long)len;
}

void sh_main(const char *commands, bool prompt)
{
	static char line[SH_LINEMAX + 2];
	struct sh sh = { .outfd = -1, .status = 0 };
	long n;

	/* ^C interrupts this proc (proc_interrupt).  Built-ins run in it,
	 * so the note reaches whichever runs: its sleeps and preemption
	 * points return E_INTR, which each already handles for a kill, and
	 * no proc per command has to be budgeted, numbered and joined.  The
	 * host's halt request reaches it the same way (cons_hangup). */
	cons_set_foreground(curproc()->pid);
	if (commands) {
		sh_run_line(&sh, commands);
		storesync_halt();
		lux_halt(sh.status);
	}
	if (prompt)
		cons_set_completer(sh_complete);
	for (;;) {
		proc_clear_interrupt();	/* a ^C is for the command it interrupted */
		if (prompt)
			cons_prompt("lux% ");
		n = read_line(line, sizeof line);
		if (n == E_INTR && !curproc()->killed)
			continue;	/* ^C at the prompt: the line is dropped, a new prompt */
		if (n <= 0)
			break;
		sh_run_line(&sh, line);
	}
	if (prompt)
		cons_write("\n", 1);
	storesync_halt();
	lux_halt(0);	/* end of input: like a shell, stop */
}
