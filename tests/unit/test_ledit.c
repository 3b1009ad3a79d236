/*
 * The console's line editor (core/kern/ledit.c), driven byte by byte: the
 * events it returns, the line it delivers and the echo it writes.  The
 * echo is also replayed on a model terminal (a row of cells and a cursor
 * that BS moves left), which must end showing the prompt and the line
 * with the cursor where the editor says it is: the check that the
 * redrawing and the buffer never drift apart, whatever the keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lux/ledit.h>

/* ---- a model terminal ------------------------------------------------- */

#define COLS 4096

static struct {
	char echo[1 << 20];	/* what was written, raw */
	size_t n;
	char cell[COLS];	/* the row the line is on */
	size_t col, width;	/* cursor, and how far the row was written */
} term;

static void term_clear(void)
{
	memset(&term, 0, sizeof term);
	memset(term.cell, ' ', sizeof term.cell);
}

static void echo(void *arg, const char *buf, size_t n)
{
	(void)arg;
	assert_true(term.n + n < sizeof term.echo);
	memcpy(term.echo + term.n, buf, n);
	term.n += n;
	term.echo[term.n] = 0;
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (c == '\b') {
			assert_true(term.col > 0);	/* never backs up past the row's start */
			term.col--;
		} else if (c == '\n') {
			memset(term.cell, ' ', sizeof term.cell);	/* a new row */
			term.col = term.width = 0;
		} else {
			assert_true(term.col < COLS);
			term.cell[term.col++] = c;
			if (term.col > term.width)
				term.width = term.col;
		}
	}
}

/* The row shows exactly prompt + line, blanks after, cursor at prompt + cur. */
static void check_screen(struct ledit *e, const char *prompt)
{
	size_t p = strlen(prompt);

	assert_true(e->len < LEDIT_MAX);
	assert_true(e->cur <= e->len);
	assert_memory_equal(term.cell, prompt, p);
	assert_memory_equal(term.cell + p, e->buf, e->len);
	for (size_t i = p + e->len; i < term.width; i++)
		assert_int_equal(term.cell[i], ' ');
	assert_int_equal(term.col, p + e->cur);
}

static struct ledit ed;
static const char *shown = "";	/* the prompt the model row starts with */

static void setup_editor(void)
{
	ledit_init(&ed, echo, 0);
	term_clear();
	shown = "";
}

/* Type s (no line end in it): every byte must be taken with LEDIT_NONE
 * and leave the screen right. */
static void type(const char *s)
{
	for (; *s; s++) {
		assert_int_equal(ledit_byte(&ed, (unsigned char)*s), LEDIT_NONE);
		check_screen(&ed, shown);
	}
}

/* Type s then CR: the line delivered must be want + "\n". */
static void line(const char *s, const char *want)
{
	const char *got;
	size_t n;

	type(s);
	assert_int_equal(ledit_byte(&ed, '\r'), LEDIT_LINE);
	got = ledit_take(&ed, &n);
	assert_int_equal(n, strlen(want) + 1);
	assert_memory_equal(got, want, n - 1);
	assert_int_equal(got[n - 1], '\n');
	term_clear();
}

/* ---- tests ------------------------------------------------------------ */

static void test_plain_and_erase(void **state)
{
	(void)state;
	setup_editor();
	type("hello");
	assert_string_equal(term.echo, "hello");
	line("", "hello");
	line("ab\x7f" "c", "ac");	/* DEL erases: what terminals send for Backspace */
	line("ab\b\bq", "q");	/* BS too */
	line("\x7f\x7fz", "z");	/* nothing to erase */
	line("", "");	/* an empty line is a line */
}

static void test_motion(void **state)
{
	(void)state;
	setup_editor();
	line("ac\x1b[Db", "abc");		/* left, insert in the middle */
	line("bc\x01" "a", "abc");		/* ^A */
	line("ab\x01\x05" "c", "abc");		/* ^A then ^E */
	line("bc\x1b[Ha\x1b[Fd", "abcd");	/* Home, End (xterm) */
	line("bc\x1b[1~a\x1b[4~d", "abcd");	/* Home, End (vt220) */
	line("bc\x1bOHa\x1bOFd", "abcd");	/* Home, End (SS3) */
	line("ac\x02" "b\x06" "d", "abcd");	/* ^B, ^F */
	line("abxc\x1b[D\x1b[D\x1b[3~", "abc");	/* Delete under the cursor */
	line("a\x1b[C\x1b[C\x1b[C" "b", "ab");	/* right stops at the end */
	line("a\x1b[D\x1b[D\x1b[D" "b", "ba");	/* left stops at the start */
}

static void test_kills(void **state)
{
	(void)state;
	setup_editor();
	line("one two three\x17", "one two ");		/* ^W: the word before */
	line("one two  \x17" "x", "one x");		/* blanks then the word */
	line("one two\x1b[D\x1b[D\x17", "one wo");	/* ^W mid-word */
	line("abc def\x1b[D\x1b[D\x1b[D\x0b", "abc ");	/* ^K: to the end */
	line("abc def\x1b[D\x1b[D\x1b[D\x15", "def");	/* ^U: to the start */
	line("\x17\x15\x0bq", "q");			/* on an empty line: nothing */
}

static void test_history(void **state)
{
	(void)state;
	setup_editor();
	line("first", "first");
	line("second", "second");
	line("\x1b[A", "second");			/* up: the newest */
	line("\x1b[A\x1b[A", "first");			/* the repeat was not added */
	/* the history is now first, second, first */
	line("\x1b[A\x1b[A\x1b[A\x1b[A\x1b[A", "first");	/* past the oldest: stays */
	line("new\x1b[A\x1b[B", "new");			/* down gives back the new line */
	line("\x10\x10\x0e", "new");			/* ^P ^P ^N */
	line("\x1b[B\x1b[B", "");			/* down on the new line: nothing */
	line("\x1b[Ax\x1b[A", "first");		/* an edited recall is left */

	/* LEDIT_HIST lines are kept, the oldest go */
	for (int i = 0; i < LEDIT_HIST + 5; i++) {
		char s[16];
		snprintf(s, sizeof s, "l%d", i);
		line(s, s);
	}
	for (int i = 0; i < LEDIT_HIST + 3; i++)
		type("\x1b[A");
	assert_int_equal(ed.len, 2);
	assert_memory_equal(ed.buf, "l5", 2);
}

static void test_events(void **state)
{
	const char *got;
	size_t n;

	(void)state;
	setup_editor();
	assert_int_equal(ledit_byte(&ed, 0x04), LEDIT_EOF);	/* ^D, empty line */
	type("ab");
	assert_int_equal(ledit_byte(&ed, 0x04), LEDIT_HANDOVER);
	got = ledit_take(&ed, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(got, "ab", 2);
	assert_int_equal(ed.len, 0);

	term_clear();
	type("abc");
	assert_int_equal(ledit_byte(&ed, '\t'), LEDIT_TAB);	/* the caller completes */
	assert_int_equal(ed.len, 3);
	assert_int_equal(ledit_byte(&ed, 0x03), LEDIT_INTR);	/* ^C */
	assert_string_equal(term.echo, "abc^C\n");
	assert_int_equal(ed.len, 0);				/* the line is gone */

	/* intr2: the host terminal's own interrupt byte, here DEL */
	ed.intr2 = 0x7f;
	type("x");
	assert_int_equal(ledit_byte(&ed, 0x7f), LEDIT_INTR);
	ed.intr2 = 0;
	term_clear();
	type("x");
	assert_int_equal(ledit_byte(&ed, '\n'), LEDIT_LINE);	/* LF as CR */
	got = ledit_take(&ed, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(got, "x\n", 2);
}

static void test_insert_and_redraw(void **state)
{
	uint64_t gen;

	(void)state;
	setup_editor();
	ledit_set_prompt(&ed, "lux% ");
	echo(0, "lux% ", 5);
	shown = "lux% ";
	type("cat /tm x");
	type("\x1b[D\x1b[D");
	gen = ed.gen;
	ledit_insert(&ed, "p/", 2);
	assert_true(ed.gen != gen);	/* a completion computed before is stale now */
	check_screen(&ed, "lux% ");
	echo(0, "\nlist\n", 6);		/* a completion's list */
	ledit_redraw(&ed);
	check_screen(&ed, "lux% ");
	assert_memory_equal(ed.buf, "cat /tmp/ x", 11);
	assert_int_equal(ed.cur, 9);
}

/* A line full to LEDIT_MAX-1: what does not fit is counted, the newline
 * always has room. */
static void test_full_line(void **state)
{
	static char big[LEDIT_MAX + 100];
	const char *got;
	size_t n;

	(void)state;
	setup_editor();
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	type(big);
	assert_int_equal(ed.len, LEDIT_MAX - 1);
	assert_int_equal(ed.dropped, sizeof big - 1 - (LEDIT_MAX - 1));
	ledit_insert(&ed, "zz", 2);
	assert_int_equal(ed.dropped, sizeof big + 1 - (LEDIT_MAX - 1));
	assert_int_equal(ledit_byte(&ed, '\r'), LEDIT_LINE);
	got = ledit_take(&ed, &n);
	assert_int_equal(n, LEDIT_MAX);
	assert_int_equal(got[n - 1], '\n');
}

/* Escape sequences: the ones we know act, the rest vanish whole, and a
 * control byte inside one ends it and is itself. */
static void test_escapes(void **state)
{
	(void)state;
	setup_editor();
	line("a\x1b[15~b", "ab");		/* F5: ignored */
	line("a\x1b[1;5Cb", "ab");		/* ctrl-right: ignored */
	line("a\x1b[99999999999999999999~b", "ab");	/* huge parameter: unknown */
	line("a\x1b[99999999999999999999Db", "ba");	/* an arrow's parameter is moot */
	line("a\x1b[<0;3;4Mb", "ab");		/* a mouse report */
	line("a\x1bxb", "axb");			/* ESC then a plain byte: the byte */
	line("ab\x1b[\x7f" "c", "ac");		/* DEL ends the sequence, erases */
	line("ab\x1bO\x01" "c", "cab");		/* ^A ends an SS3 and moves */
	type("a\x1b[");				/* CR inside a sequence is a CR */
	assert_int_equal(ledit_byte(&ed, '\r'), LEDIT_LINE);
	assert_non_null(ledit_take(&ed, &(size_t){ 0 }));
}

/* Any bytes at all: no crash, the invariants hold after every one, and
 * the screen model agrees with the buffer. */
static void test_random_bytes(void **state)
{
	const char *got;
	size_t n;

	(void)state;
	setup_editor();
	srand(7);
	for (int i = 0; i < 300000; i++) {
		unsigned char c = (unsigned char)rand();
		switch (ledit_byte(&ed, c)) {
		case LEDIT_LINE:
		case LEDIT_HANDOVER:
			got = ledit_take(&ed, &n);
			assert_true(n < LEDIT_MAX + 1);
			assert_non_null(got);
			term_clear();
			break;
		case LEDIT_INTR:
		case LEDIT_EOF:
			term_clear();
			break;
		case LEDIT_TAB:
			if (i % 3 == 0)
				ledit_insert(&ed, "completion", 10);
			break;
		case LEDIT_NONE:
			break;
		}
		if (term.n > sizeof term.echo / 2) {	/* keep the log small; the row stays */
			term.n = 0;
			term.echo[0] = 0;
		}
		check_screen(&ed, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_erase),
		cmocka_unit_test(test_motion),
		cmocka_unit_test(test_kills),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_insert_and_redraw),
		cmocka_unit_test(test_full_line),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
