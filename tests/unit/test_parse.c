/* The shell's parser, sh_parse (core/shell/parse.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shell.h"

static struct sh_line line;	/* ~6 KB: not on the stack */

static void parse_ok(const char *s)
{
	const char *err = "untouched";

	if (sh_parse(s, &line, &err) != 0)
		fail_msg("sh_parse(\"%s\") failed: %s", s, err);
}

static void parse_err(const char *s, const char *want)
{
	const char *err = 0;

	if (sh_parse(s, &line, &err) != -1)
		fail_msg("sh_parse(\"%.60s\") succeeded, want error \"%s\"", s, want);
	assert_non_null(err);
	assert_string_equal(err, want);
}

/* Command i has exactly the words given (a null-terminated list). */
static void expect_words(int i, const char *const *want)
{
	const struct sh_cmd *c;
	int n = 0;

	assert_true(i < line.ncmds);
	c = &line.cmds[i];
	while (want[n])
		n++;
	assert_int_equal(c->argc, n);
	for (int k = 0; k < n; k++)
		assert_string_equal(c->argv[k], want[k]);
	assert_null(c->argv[n]);
}

#define WORDS(...) ((const char *const[]){ __VA_ARGS__, 0 })

static void test_words(void **state)
{
	(void)state;
	parse_ok("echo hello world");
	assert_int_equal(line.ncmds, 1);
	expect_words(0, WORDS("echo", "hello", "world"));
	assert_null(line.cmds[0].redir);
	assert_false(line.cmds[0].append);

	parse_ok("  \tls\t -l   /tmp  \r\n");	/* blanks of every kind separate */
	expect_words(0, WORDS("ls", "-l", "/tmp"));

	parse_ok("x");
	expect_words(0, WORDS("x"));
}

static void test_quotes(void **state)
{
	(void)state;
	parse_ok("echo 'a b'  \"c  d\"");
	expect_words(0, WORDS("echo", "a b", "c  d"));

	/* no expansions, and the other quote is an ordinary character */
	parse_ok("echo '\"x\"' \"it's\" '#;>|&<'");
	expect_words(0, WORDS("echo", "\"x\"", "it's", "#;>|&<"));

	/* quotes join with the letters around them into one word */
	parse_ok("echo a'b c'd\"e\"f");
	expect_words(0, WORDS("echo", "ab cdef"));

	/* an empty quoted word is still a word */
	parse_ok("echo '' \"\"");
	expect_words(0, WORDS("echo", "", ""));
}

static void test_commands(void **state)
{
	(void)state;
	parse_ok("a 1; b 2 ;c");
	assert_int_equal(line.ncmds, 3);
	expect_words(0, WORDS("a", "1"));
	expect_words(1, WORDS("b", "2"));
	expect_words(2, WORDS("c"));

	/* empty commands between separators are dropped */
	parse_ok(";; a ;  ; b;");
	assert_int_equal(line.ncmds, 2);
	expect_words(0, WORDS("a"));
	expect_words(1, WORDS("b"));

	/* a word stops at ';' with no blank before it */
	parse_ok("a;b");
	assert_int_equal(line.ncmds, 2);
}

static void test_redirection(void **state)
{
	(void)state;
	parse_ok("echo hi > /tmp/out");
	expect_words(0, WORDS("echo", "hi"));
	assert_string_equal(line.cmds[0].redir, "/tmp/out");
	assert_false(line.cmds[0].append);

	parse_ok("echo hi >>/tmp/log");
	expect_words(0, WORDS("echo", "hi"));
	assert_string_equal(line.cmds[0].redir, "/tmp/log");
	assert_true(line.cmds[0].append);

	/* the redirection may come anywhere among the words */
	parse_ok("echo >'/tmp/a b' x y");
	expect_words(0, WORDS("echo", "x", "y"));
	assert_string_equal(line.cmds[0].redir, "/tmp/a b");

	/* each command has its own */
	parse_ok("a > f1; b; c >> f2");
	assert_int_equal(line.ncmds, 3);
	assert_string_equal(line.cmds[0].redir, "f1");
	assert_false(line.cmds[0].append);
	assert_null(line.cmds[1].redir);
	assert_string_equal(line.cmds[2].redir, "f2");
	assert_true(line.cmds[2].append);
}

static void test_comments_and_empty(void **state)
{
	(void)state;
	parse_ok("");
	assert_int_equal(line.ncmds, 0);
	parse_ok("   \t ");
	assert_int_equal(line.ncmds, 0);
	parse_ok("# all comment; echo no");
	assert_int_equal(line.ncmds, 0);
	parse_ok(";");
	assert_int_equal(line.ncmds, 0);

	/* a comment runs to the end of the line, ';' included */
	parse_ok("echo yes # echo no; echo never");
	assert_int_equal(line.ncmds, 1);
	expect_words(0, WORDS("echo", "yes"));
	parse_ok("echo a#b");
	expect_words(0, WORDS("echo", "a"));
	parse_ok("echo '#not a comment'");
	expect_words(0, WORDS("echo", "#not a comment"));
	parse_ok("echo x > f # note");
	assert_string_equal(line.cmds[0].redir, "f");
}

static void test_errors(void **state)
{
	(void)state;
	parse_err("echo 'abc", "unterminated quote");
	parse_err("echo \"abc", "unterminated quote");
	parse_err("echo \"abc'", "unterminated quote");
	parse_err("echo >", "missing file name after '>'");
	parse_err("echo >>   ", "missing file name after '>'");
	parse_err("echo > ; ls", "missing file name after '>'");
	parse_err("echo > # c", "missing file name after '>'");
	parse_err("echo >> > f", "missing file name after '>'");
	parse_err("echo > a > b", "more than one redirection");
	parse_err("echo > a >> b", "more than one redirection");
	parse_err("> f", "redirection without a command");
	parse_err("& echo", "'&' without a command");
	parse_err("echo a && echo b", "'&&' is not supported");
	parse_err("ls | wc", "pipes '|' are not supported");
	parse_err("cat < f", "input redirection '<' is not supported");
	/* an error in a later command fails the whole line */
	parse_err("echo ok; echo 'bad", "unterminated quote");
	/* quoted, the same characters are fine */
	parse_ok("echo '&' \"|\" '<'");
	expect_words(0, WORDS("echo", "&", "|", "<"));
}

static void test_background(void **state)
{
	(void)state;
	/* '&' ends a command like ';' and sends it to the background; "&;"
	 * reads as "&" */
	parse_ok("burn 50 &; burn 60 & echo x > /tmp/f &");
	assert_int_equal(line.ncmds, 3);
	expect_words(0, WORDS("burn", "50"));
	expect_words(1, WORDS("burn", "60"));
	expect_words(2, WORDS("echo", "x"));
	assert_true(line.cmds[0].background);
	assert_true(line.cmds[1].background);
	assert_true(line.cmds[2].background);
	assert_string_equal(line.cmds[2].redir, "/tmp/f");
	parse_ok("sleep 5; echo y");
	assert_false(line.cmds[0].background);
	assert_false(line.cmds[1].background);
}

static void test_limits(void **state)
{
	char buf[SH_LINEMAX + 64];
	size_t n = 0;

	(void)state;
	/* SH_MAXARGS words fit; one more does not */
	for (int i = 0; i < SH_MAXARGS; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "w%d ", i);
	parse_ok(buf);
	assert_int_equal(line.cmds[0].argc, SH_MAXARGS);
	assert_string_equal(line.cmds[0].argv[SH_MAXARGS - 1], "w31");
	assert_null(line.cmds[0].argv[SH_MAXARGS]);
	snprintf(buf + n, sizeof buf - n, "one-more");
	parse_err(buf, "too many words");

	/* SH_MAXCMDS commands fit; one more does not */
	n = 0;
	for (int i = 0; i < SH_MAXCMDS; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "c%d;", i);
	parse_ok(buf);
	assert_int_equal(line.ncmds, SH_MAXCMDS);
	expect_words(SH_MAXCMDS - 1, WORDS("c15"));
	snprintf(buf + n, sizeof buf - n, "c16");
	parse_err(buf, "too many commands on one line");

	/* SH_LINEMAX bytes fit (one long quoted word); one more does not */
	memset(buf, 'x', SH_LINEMAX);
	buf[0] = '\'';
	buf[SH_LINEMAX - 1] = '\'';
	buf[SH_LINEMAX] = 0;
	parse_ok(buf);
	assert_int_equal(strlen(line.cmds[0].argv[0]), SH_LINEMAX - 2);
	memset(buf, 'x', SH_LINEMAX + 1);
	buf[SH_LINEMAX + 1] = 0;
	parse_err(buf, "line too long");

	/* the longest line, as one-letter commands: the command limit comes first */
	for (int i = 0; i < SH_LINEMAX; i += 2) {
		buf[i] = 'a';
		buf[i + 1] = ';';
	}
	buf[SH_LINEMAX] = 0;
	parse_err(buf, "too many commands on one line");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_redirection),
		cmocka_unit_test(test_comments_and_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_background),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
