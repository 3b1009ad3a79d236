/*
 * The console's line editor: what a person typing at a raw console (a
 * serial line, a terminal luxsim put in raw mode) gets, in the core so it
 * is the same on every arch.  It is a pure state machine: bytes in, echo
 * out through a callback, an event per byte.  It never sleeps and never
 * allocates, so the console runs it inside the input upcall, and the unit
 * tests drive it byte by byte.
 *
 * Keys: printable bytes insert at the cursor; CR or LF ends the line;
 * BS or DEL erases left (DEL is what terminals send for Backspace, so it
 * is not Plan 9's interrupt unless the host terminal says so: see
 * intr2); ^C (and intr2) interrupts; ^D ends input on an empty line and
 * hands a non-empty line over as it is; ^A/Home, ^E/End, ^B/left,
 * ^F/right, ^U (erase to the start), ^K (erase to the end), ^W (erase
 * the word before the cursor), up/down (history), Delete (erase under
 * the cursor), Tab (completion, which the caller does: LEDIT_TAB).
 *
 * Escape sequences (ESC [ params final, ESC O final) go through a
 * bounded state machine: unknown ones are swallowed whole, over-long
 * parameters are dropped, and a control byte inside a sequence ends it
 * and is taken as itself, so no byte sequence can wedge the editor or
 * write outside its buffers.
 *
 * The echo moves the cursor with BS and rewrites with plain bytes: no
 * terminal-specific sequences, so a dumb serial terminal works too.
 * Lines wider than the terminal wrap, and moving back across the wrap is
 * what a dumb terminal cannot do: editing then shows wrongly (the line
 * delivered is still right).
 */
#ifndef LUX_LEDIT_H
#define LUX_LEDIT_H

#include <lux/types.h>

#define LEDIT_MAX 1024 		/* bytes of a line, its newline included */
#define LEDIT_HIST 16		/* lines of history kept */
#define LEDIT_PROMPT 32

enum ledit_event {
	LEDIT_NONE,		/* the byte was taken; nothing for the caller */
	LEDIT_LINE,		/* a line ended: ledit_take it */
	LEDIT_HANDOVER,		/* ^D after some text: ledit_take it (no newline) */
	LEDIT_EOF,		/* ^D on an empty line */
	LEDIT_INTR,		/* interrupt: the line was dropped, "^C\n" echoed */
	LEDIT_TAB,		/* completion asked: the caller completes */
};

struct ledit {
	void (*echo)(void *arg, const char *buf, size_t n);
	void *arg;
	unsigned char intr2;	/* a second interrupt byte (0: only ^C) */
	char buf[LEDIT_MAX];	/* the line; room kept for its newline */
	size_t len, cur;	/* its length, and the cursor within it */
	size_t dropped;		/* bytes that did not fit */
	/* escape sequences: where in one we are, and its first parameter */
	enum { ESC_NONE, ESC_GOT, ESC_CSI, ESC_SS3 } esc;
	unsigned param;		/* clamped: a huge number is still "unknown" */
	/* history: a ring of the last lines, newest at hist[(hhead-1)%N] */
	char hist[LEDIT_HIST][LEDIT_MAX];
	size_t hlen[LEDIT_HIST];
	size_t hcount, hhead;
	size_t hback;		/* 0: editing a new line; k: showing the k-th newest */
	char saved[LEDIT_MAX];	/* the new line, while history is shown */
	size_t savedlen;
	char prompt[LEDIT_PROMPT];	/* reprinted by ledit_redraw */
	uint64_t gen;		/* changes with every edit: a completion computed
				 * for an older line is not applied */
};

/* Set up e (zeroed by the caller or not) to echo through echo(arg,...). */
void ledit_init(struct ledit *e, void (*echo)(void *, const char *, size_t), void *arg);
/* One byte of input. */
enum ledit_event ledit_byte(struct ledit *e, unsigned char c);
/* After LEDIT_LINE or LEDIT_HANDOVER: the line (*n bytes, a LINE ends in
 * '\n'), valid until the next ledit_byte; the line goes into history and
 * the editor starts a new one. */
const char *ledit_take(struct ledit *e, size_t *n);
/* Insert n bytes at the cursor, echoed (a completion); what does not fit
 * is dropped. */
void ledit_insert(struct ledit *e, const char *s, size_t n);
/* Remember the prompt (cut to LEDIT_PROMPT-1 bytes) for ledit_redraw. */
void ledit_set_prompt(struct ledit *e, const char *prompt);
/* Print the prompt and the line again with the cursor where it was
 * (after a completion listed its candidates). */
void ledit_redraw(struct ledit *e);
/* Forget the line being edited (no echo); history stays. */
void ledit_reset(struct ledit *e);

#endif
