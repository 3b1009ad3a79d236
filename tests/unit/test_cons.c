/*
 * The console line discipline (core/kern/cons.c).  Input is delivered as
 * the arch would (lux_console_input from the boot context); echo is read
 * back from the fake's console capture.  cons_read_line sleeps on a wait
 * queue, which needs a current proc, so every read happens in a proc run
 * by the core's own scheduler (fake_run_in_proc); a test that wants the
 * reader to block gives the fake an idle hook that delivers the input
 * only once the reader has gone to sleep.
 *
 * The console's state is global and end of input is final, so the tests
 * run in order and the end-of-input ones come last.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <lux/cons.h>
#include <lux/error.h>
#include <lux/proc.h>
#include <lux/upcall.h>

#include "fake_arch.h"

#define READY_SIZE 65536	/* core/kern/cons.c */
#define LINE_SIZE 1024

static void input(const char *s)
{
	lux_console_input(s, strlen(s));
}

/* ---- reading in a proc ------------------------------------------------ */

struct reads {
	size_t bufsize;		/* n given to cons_read_line */
	int count;		/* lines to read */
	long got[8];
	char buf[8][2048];
};

static void reader(void *arg)
{
	struct reads *r = arg;

	for (int i = 0; i < r->count; i++) {
		memset(r->buf[i], 0, sizeof r->buf[i]);
		r->got[i] = cons_read_line(r->buf[i], r->bufsize);
	}
}

static struct reads rd;

/* Read `count` times with an n of bufsize; fails if a read blocks forever. */
static void read_lines(int count, size_t bufsize)
{
	rd.count = count;
	rd.bufsize = bufsize;
	if (!fake_run_in_proc(reader, &rd))
		fail_msg("the reader did not finish (it slept with nothing to wake it)");
}

static void expect_read(int i, const char *want)
{
	assert_int_equal(rd.got[i], (long)strlen(want));
	assert_memory_equal(rd.buf[i], want, strlen(want));
}

/* An idle hook that types a string once, the first time the reader is
 * asleep (the scheduler found nothing to run). */
static const char *late_input;

static bool type_late(void)
{
	if (late_input == 0)
		return false;
	input(late_input);
	late_input = 0;
	return true;
}

/* ---- cooked mode (the arch delivers edited lines) --------------------- */

static void test_cooked_lines(void **state)
{
	(void)state;
	fake_console_clear();
	input("hello\nworld\n");
	assert_string_equal(fake_console_text(), "");	/* no echo when cooked */
	assert_int_equal(lux_console_room(), READY_SIZE - 12);
	read_lines(2, 100);
	expect_read(0, "hello\n");
	expect_read(1, "world\n");
	assert_int_equal(lux_console_room(), READY_SIZE);

	/* a line longer than the reader's buffer comes in pieces */
	input("abcdef\n");
	read_lines(3, 3);
	expect_read(0, "abc");
	expect_read(1, "def");
	expect_read(2, "\n");

	/* with no newline yet, what is there is returned */
	input("tail");
	read_lines(1, 100);
	expect_read(0, "tail");

	/* several deliveries of one line read as one line */
	input("sp");
	input("lit\nnext\n");
	read_lines(2, 100);
	expect_read(0, "split\n");
	expect_read(1, "next\n");
	assert_int_equal(lux_console_room(), READY_SIZE);
}

static void test_reader_sleeps(void **state)
{
	unsigned idles = fake_idle_calls;

	(void)state;
	late_input = "late\n";
	fake_idle_hook = type_late;
	read_lines(1, 100);
	expect_read(0, "late\n");
	assert_null(late_input);		/* the hook did deliver it */
	assert_true(fake_idle_calls > idles);	/* because the reader slept */
}

/* ---- raw mode (a serial line: the core echoes and edits) -------------- */

static void raw_case(const char *typed, const char *echo, const char *line)
{
	fake_console_clear();
	input(typed);
	if (strcmp(fake_console_text(), echo) != 0)
		fail_msg("typed \"%s\": echo \"%s\", want \"%s\"", typed, fake_console_text(),
		         echo);
	read_lines(1, 2048);
	expect_read(0, line);
}

static void test_raw_editing(void **state)
{
	(void)state;
	cons_init(true);
	raw_case("ab\x7f" "c\r", "ab\b \bc\n", "ac\n");		/* DEL */
	raw_case("xy\x08\x08z\r", "xy\b \b\b \bz\n", "z\n");	/* BS */
	raw_case("\x7f\x08q\r", "q\n", "q\n");			/* nothing to erase */
	raw_case("abc\x15" "d\n", "abc\b\b\b   \b\b\bd\n", "d\n");	/* ^U */
	raw_case("\x15\x15" "e\r", "e\n", "e\n");
	/* BEL means nothing, Tab asks for a completion (no completer here),
	 * a lone ESC is dropped and the CR after it is itself */
	raw_case("\x07" "a\tb\x1b\r", "ab\n", "ab\n");
	raw_case("ab\x04\r", "ab\n", "ab\n");			/* ^D mid-line, then CR */
	raw_case("\r", "\n", "\n");				/* an empty line */

	/* ^D after some text hands it over without a newline, as a terminal
	 * does; the rest of the line follows as a line of its own */
	fake_console_clear();
	input("ab\x04");
	assert_string_equal(fake_console_text(), "ab");
	read_lines(1, 100);
	expect_read(0, "ab");
	fake_console_clear();
	input("\x7f" "d\r");	/* what was handed over is not erased */
	assert_string_equal(fake_console_text(), "d\n");
	read_lines(1, 100);
	expect_read(0, "d\n");

	/* CR and LF each end a line */
	fake_console_clear();
	input("x\r\n");
	assert_string_equal(fake_console_text(), "x\n\n");
	read_lines(2, 100);
	expect_read(0, "x\n");
	expect_read(1, "\n");
}

/* A raw line is not readable until its newline: the reader sleeps. */
static void test_raw_line_waits_for_newline(void **state)
{
	(void)state;
	fake_console_clear();
	input("pend");
	input("ing");
	assert_int_equal(lux_console_room(), READY_SIZE);	/* still being edited */
	late_input = "\x7f" "g\r";
	fake_idle_hook = type_late;
	read_lines(1, 100);
	expect_read(0, "pending\n");
	assert_null(late_input);
	assert_string_equal(fake_console_text(), "pending\b \bg\n");
}

/* A line longer than the editing buffer keeps its first LINE_SIZE-1 bytes
 * and the newline; the rest is counted as dropped, and the first loss is
 * reported by the next read. */
static void test_raw_line_overflow(void **state)
{
	static char typed[1100 + 2], want[LINE_SIZE + 1];
	size_t dropped = cons_dropped();

	(void)state;
	for (size_t i = 0; i < 1100; i++)
		typed[i] = (char)('a' + i % 26);
	typed[1100] = '\r';
	memcpy(want, typed, LINE_SIZE - 1);
	want[LINE_SIZE - 1] = '\n';
	fake_console_clear();
	input(typed);
	assert_int_equal(cons_dropped() - dropped, 1100 - (LINE_SIZE - 1));
	assert_int_equal(fake_console_len(), LINE_SIZE);	/* echo of what was kept */
	assert_int_equal(dropped, 0);
	fake_console_clear();
	read_lines(1, 2048);
	expect_read(0, want);
	assert_string_equal(fake_console_text(), "cons: input buffer full, 77 bytes dropped\n");
}

/* Filling the ready ring: what fits is kept intact (the ring has wrapped
 * by now) and the rest is counted.  The console reports a loss once per
 * boot: the line overflow above already did, so this one is silent. */
static void check_lines(void *arg)
{
	char buf[128], want[128];
	int *bad = arg;

	for (int i = 0; i < READY_SIZE / 64; i++) {
		long n = cons_read_line(buf, sizeof buf);
		snprintf(want, sizeof want, "%063d\n", i);
		if (n != 64 || memcmp(buf, want, 64) != 0) {
			*bad = i + 1;
			return;
		}
	}
}

static void test_ready_overflow(void **state)
{
	static char line[65];
	size_t dropped = cons_dropped();
	int bad = 0;

	(void)state;
	cons_init(false);
	assert_int_equal(lux_console_room(), READY_SIZE);
	for (int i = 0; i < READY_SIZE / 64; i++) {
		snprintf(line, sizeof line, "%063d\n", i);
		input(line);
	}
	assert_int_equal(lux_console_room(), 0);
	assert_int_equal(cons_dropped(), dropped);
	input("overflow!\n");
	assert_int_equal(cons_dropped() - dropped, 10);
	assert_int_equal(lux_console_room(), 0);

	fake_console_clear();
	assert_true(fake_run_in_proc(check_lines, &bad));
	if (bad)
		fail_msg("line %d came back wrong", bad - 1);
	assert_int_equal(lux_console_room(), READY_SIZE);
	/* every new loss is reported once, by the reader that finds it */
	assert_string_equal(fake_console_text(), "cons: input buffer full, 10 bytes dropped\n");

	/* and the ring works normally afterwards */
	input("again\n");
	read_lines(1, 100);
	expect_read(0, "again\n");
}

/* ---- interrupt and completion (raw mode) ------------------------------ */

/* A reader that is the console's foreground proc: ^C while it sleeps in
 * cons_read_line wakes it with E_INTR, and the note stays until cleared. */
struct intr_read {
	long got, again;
	bool noted;
	char buf[64];
};

static void intr_reader(void *arg)
{
	struct intr_read *r = arg;

	cons_set_foreground(curproc()->pid);
	r->got = cons_read_line(r->buf, sizeof r->buf);
	r->noted = proc_interrupted();
	r->again = cons_read_line(r->buf, sizeof r->buf);	/* still interrupted */
	proc_clear_interrupt();
	cons_set_foreground(0);
}

static void test_ctrl_c_interrupts_reader(void **state)
{
	struct intr_read r = { 0 };

	(void)state;
	cons_init(true);
	/* with no foreground proc, ^C still drops the line being typed and
	 * what was typed ahead, as a terminal's interrupt flushes its queue */
	input("ahead\r");
	fake_console_clear();
	input("half\x03");
	assert_int_equal(lux_console_room(), READY_SIZE);
	assert_string_equal(fake_console_text(), "half^C\n");

	/* the foreground reader asleep: ^C wakes it with E_INTR */
	r = (struct intr_read){ 0 };
	late_input = "x\x03";
	fake_idle_hook = type_late;
	assert_true(fake_run_in_proc(intr_reader, &r));
	assert_null(late_input);
	assert_int_equal(r.got, E_INTR);
	assert_true(r.noted);
	assert_int_equal(r.again, E_INTR);
}

static void fake_completer(struct cons_completion *c)
{
	/* runs in the reader, after the upcall: sees the line to the cursor */
	if (c->len == 2 && memcmp(c->line, "ab", 2) == 0) {
		memcpy(c->insert, "cd ", 3);
		c->ninsert = 3;
	} else {
		memcpy(c->list, "one  two\n", 9);
		c->nlist = 9;
	}
}

static void test_completion_in_reader(void **state)
{
	(void)state;
	cons_init(true);
	cons_set_completer(fake_completer);
	fake_console_clear();
	late_input = "ab\tx\r";
	fake_idle_hook = type_late;
	read_lines(1, 100);
	/* all in one upcall: what came after the Tab waited for the
	 * completion, which the reader made before the line ended */
	expect_read(0, "abcd x\n");
	assert_string_equal(fake_console_text(), "abcd x\n");

	/* ^C while a completion is pending drops it and what waited */
	fake_console_clear();
	input("ab\tzz\x03");
	assert_string_equal(fake_console_text(), "ab^C\n");
	input("q\r");
	read_lines(1, 100);
	expect_read(0, "q\n");

	/* typed one piece at a time, the reader completes in between */
	fake_console_clear();
	input("ab\t");
	late_input = "\r";
	fake_idle_hook = type_late;
	read_lines(1, 100);
	expect_read(0, "abcd \n");
	assert_string_equal(fake_console_text(), "abcd \n");

	/* nothing to insert: the list, then the prompt and line again */
	cons_prompt("p> ");
	fake_console_clear();
	input("zz\t");
	late_input = "\r";
	fake_idle_hook = type_late;
	read_lines(1, 100);
	expect_read(0, "zz\n");
	assert_string_equal(fake_console_text(), "zz\none  two\np> zz\n");
	cons_set_completer(0);
}

/* ---- end of input: final, so last ------------------------------------ */

/* The cooked end of input (n == 0) in a child process, so the raw one
 * below still sees a console that has not ended. */
static void test_eof_cooked(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cons_init(false);
		input("rest");
		lux_console_input(0, 0);
		read_lines(3, 100);
		_exit(rd.got[0] == 4 && memcmp(rd.buf[0], "rest", 4) == 0 && rd.got[1] == 0 &&
		      rd.got[2] == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_eof_raw(void **state)
{
	(void)state;
	cons_init(true);
	fake_console_clear();
	/* a line, a text without newline handed over by ^D, then ^D at the
	 * start of a line: what a terminal's "echo hi^D^D" gives */
	input("last\rpart\x04\x04");
	assert_string_equal(fake_console_text(), "last\npart");
	read_lines(4, 100);	/* would sleep forever without the end of input */
	expect_read(0, "last\n");
	expect_read(1, "part");
	assert_int_equal(rd.got[2], 0);
	assert_int_equal(rd.got[3], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cooked_lines),
		cmocka_unit_test(test_reader_sleeps),
		cmocka_unit_test(test_raw_editing),
		cmocka_unit_test(test_raw_line_waits_for_newline),
		cmocka_unit_test(test_raw_line_overflow),
		cmocka_unit_test(test_ready_overflow),
		cmocka_unit_test(test_ctrl_c_interrupts_reader),
		cmocka_unit_test(test_completion_in_reader),
		cmocka_unit_test(test_eof_cooked),
		cmocka_unit_test(test_eof_raw),
	};

	fake_boot(64, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
