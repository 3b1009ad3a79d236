/*
 * The kernel shell: a line is a list of commands separated by ';', each a
 * list of words with an optional '>' or '>>' redirection; a command ended
 * by '&' instead of ';' runs in the background as a proc of its own.
 * Words may be quoted with '...' or "..." (no expansions inside either);
 * '#' starts a comment.  Commands are built-ins.
 */
#ifndef LUX_SHELL_H
#define LUX_SHELL_H

#include <lux/types.h>

#define SH_LINEMAX 1024
#define SH_MAXARGS 32
#define SH_MAXCMDS 16

struct sh_cmd {
	int argc;
	char *argv[SH_MAXARGS + 1];
	const char *redir;	/* file for '>' or '>>', or 0 */
	bool append;		/* '>>' */
	bool background;	/* ended by '&': runs as a proc of its own */
};

struct sh_line {
	char words[SH_LINEMAX * 2];	/* the words, each 0-terminated */
	struct sh_cmd cmds[SH_MAXCMDS];
	int ncmds;
};

/* Split line into commands.  Returns 0, or -1 with *err a message. */
int sh_parse(const char *line, struct sh_line *out, const char **err);

struct sh {
	int outfd;		/* where a command's output goes; -1: console */
	int status;		/* status of the last command */
	bool wfailed;		/* a write of the running command's output failed:
				 * it fails too, whatever it returns */
};

/* Output of the running command (honours redirection). */
void sh_printf(struct sh *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sh_write(struct sh *sh, const void *buf, size_t n);
/* Error messages always go to the console. */
void sh_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct sh_builtin {
	const char *name;
	const char *usage;
	const char *help;
	int (*fn)(struct sh *sh, int argc, char **argv);
};

const struct sh_builtin *sh_builtins(size_t *n);
/* bind, mount, unmount (ns_builtins.c) */
int sh_nscmd(struct sh *sh, int argc, char **argv);
const struct sh_builtin *sh_find(const char *name);

/* Tab completion for the console (complete.c): built-in names for the
 * first word of a command, paths in the namespace for the others. */
struct cons_completion;
void sh_complete(struct cons_completion *c);

/* Run one line; returns the status of its last command. */
int sh_run_line(struct sh *sh, const char *line);
/* The shell proc's entry: commands (may be 0) then the console. */
void sh_main(const char *commands, bool prompt);

#endif
