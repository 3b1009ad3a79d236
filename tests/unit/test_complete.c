/*
 * The shell's Tab completion (core/shell/complete.c) in a proc with a
 * namespace: built-in names where a command starts, paths elsewhere, what
 * is inserted for one match, for several, and the list when they share
 * nothing more (cut with "..." when it is full).  Expected names come
 * from the built-in table and the files the test makes, not from a copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ns_harness.h"
#include "shell.h"

static struct cons_completion comp;

static void complete(const char *line)
{
	memset(&comp, 0, sizeof comp);
	comp.len = strlen(line);
	memcpy(comp.line, line, comp.len);
	sh_complete(&comp);
	assert_true(comp.ninsert <= sizeof comp.insert);
	assert_true(comp.nlist <= sizeof comp.list);
}

static void want_insert(const char *line, const char *insert)
{
	complete(line);
	if (comp.ninsert != strlen(insert) || memcmp(comp.insert, insert, comp.ninsert) != 0)
		fail_msg("\"%s\": inserted \"%.*s\", want \"%s\"", line, (int)comp.ninsert,
		         comp.insert, insert);
	assert_int_equal(comp.nlist, 0);
}

static void want_list(const char *line, const char *list)
{
	complete(line);
	assert_int_equal(comp.ninsert, 0);
	if (comp.nlist != strlen(list) || memcmp(comp.list, list, comp.nlist) != 0)
		fail_msg("\"%s\": listed \"%.*s\", want \"%s\"", line, (int)comp.nlist, comp.list,
		         list);
}

static void want_nothing(const char *line)
{
	complete(line);
	assert_int_equal(comp.ninsert, 0);
	assert_int_equal(comp.nlist, 0);
}

NS_TEST(test_builtins)
{
	size_t n, matches = 0;
	const struct sh_builtin *b = sh_builtins(&n);
	char list[512] = "";

	want_insert("hal", "t ");
	want_insert("echo x; hal", "t ");	/* a command after ; */
	want_insert("sleep 9 & hal", "t ");	/* and after & */
	want_insert("  hal", "t ");
	want_nothing("zzz");
	/* "b": every built-in that starts with it, in table order */
	for (size_t i = 0; i < n; i++)
		if (b[i].name[0] == 'b') {
			if (matches++)
				strcat(list, "  ");
			strcat(list, b[i].name);
		}
	strcat(list, "\n");
	assert_true(matches >= 2);	/* bind, burn: the case needs several */
	want_list("b", list);
	/* not the first word: a path, and "hal" is not one */
	want_nothing("echo hal");
}

NS_TEST(test_paths)
{
	int fd = sys_create("/tmp/alps", OREAD, DMDIR | 0755);

	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);
	put_file("/tmp/alpha", "a");
	put_file("/tmp/beta", "b");
	want_insert("cat /tmp/b", "eta ");	/* one file: a space after it */
	want_insert("cat /tmp/alps", "/");	/* one directory: a slash */
	want_insert("cat /tmp/al", "p");	/* two: what they share */
	complete("cat /tmp/alp");	/* in the directory's order */
	assert_int_equal(comp.ninsert, 0);
	if (!(comp.nlist == 13 && (memcmp(comp.list, "alpha  alps/\n", 13) == 0 ||
	                           memcmp(comp.list, "alps/  alpha\n", 13) == 0)))
		fail_msg("listed \"%.*s\"", (int)comp.nlist, comp.list);
	want_insert("ls /tm", "p/");
	want_insert("echo x >/tmp/be", "ta ");	/* after a redirection */
	want_insert("echo x >> /tmp/be", "ta ");
	want_nothing("cat tmp/b");		/* relative: paths are absolute */
	want_nothing("cat /nowhere/x");
	want_nothing("cat /tmp/beta/x");	/* not a directory */
	want_nothing("cat /tmp/zz");
	assert_int_equal(sys_remove("/tmp/alpha"), 0);
	assert_int_equal(sys_remove("/tmp/beta"), 0);
	assert_int_equal(sys_remove("/tmp/alps"), 0);
}

/* More names than the list holds: it ends in "  ..." and a newline, and
 * never past its buffer. */
NS_TEST(test_long_list)
{
	char path[96];
	int made = 0;

	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "/tmp/x%02d-%s", i,
		         "a-name-long-enough-that-forty-overflow-the-list-buffer-x");
		put_file(path, "");
		made++;
	}
	complete("cat /tmp/x");
	assert_int_equal(comp.ninsert, 0);
	assert_true(comp.nlist > 5);
	assert_memory_equal(comp.list + comp.nlist - 6, "  ...\n", 6);
	for (int i = 0; i < made; i++) {
		snprintf(path, sizeof path, "/tmp/x%02d-%s", i,
		         "a-name-long-enough-that-forty-overflow-the-list-buffer-x");
		assert_int_equal(sys_remove(path), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_long_list),
	};

	fake_boot(2048, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
