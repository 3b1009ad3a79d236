/*
 * The console: output straight to the arch, input through a line
 * discipline.  On a raw console (a serial line, a terminal luxsim put in
 * raw mode) the core echoes and edits with <lux/ledit.h>: the cursor keys,
 * Home/End, ^A ^E ^U ^W ^K, history, Tab completion (a completer the
 * shell gives), ^C to interrupt the foreground proc, and ^D as a terminal
 * has it: at the start of a line it is end of input, after some text it
 * hands that text over without a newline.  On a cooked one (a pipe, a
 * file) bytes arrive as they are, ^C included.
 */
#ifndef LUX_CONS_H
#define LUX_CONS_H

#include <lux/types.h>

/* Start the console (raw: the arch passes keys unedited, so the line
 * editor runs here), and write n bytes of output to it, whole. */
void cons_init(bool raw);
void cons_write(const char *buf, size_t n);
/* Read at most one line (up to n bytes, newline included); sleeps until a
 * line or end of input is there.  Returns 0 at end of input, E_INTR if
 * the proc was killed while waiting. */
long cons_read_line(char *buf, size_t n);
/* Print the prompt; a raw console reprints it when a completion listed
 * its candidates. */
void cons_prompt(const char *prompt);
/* The proc a ^C interrupts (proc_interrupt), 0 for none: the shell names
 * itself, since its built-ins run in its own proc. */
void cons_set_foreground(int pid);
/* A second interrupt byte besides ^C (0: none): the host terminal's
 * intr character when it is not ^C (`stty intr ^?` makes DEL one). */
void cons_set_intr2(unsigned char c);
/* The host hung up (lux_halt_request): end of input, and the foreground
 * proc is interrupted so the shell gets to see it. */
void cons_hangup(void);

/* Tab completion.  The completer gets the line up to the cursor and
 * fills in either bytes to insert at the cursor (a unique match, or the
 * prefix all matches share) or a list to show (the matches, one line).
 * It runs in the reading proc and may sleep; what it found is dropped if
 * the line changed meanwhile. */
struct cons_completion {
	char line[1024];	/* in: the line up to the cursor */
	size_t len;
	char insert[256];	/* out */
	size_t ninsert;
	char list[2048];	/* out: ends in a newline */
	size_t nlist;
};
typedef void (*cons_completer)(struct cons_completion *c);
void cons_set_completer(cons_completer fn);

/* Bytes of input dropped because the buffer was full (reported once). */
size_t cons_dropped(void);

#endif
