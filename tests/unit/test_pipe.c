/*
 * #pipe (core/fs/devpipe.c): bytes written on one end are read on the
 * other, both ways; end of file once the writing end is closed by all its
 * opens; E_PIPE to a writer whose reader is gone; readers and writers
 * that block (no bytes, full buffer) are woken by the other side or by a
 * kill (E_INTR, how the 9P server flushes a request); the buffer bound;
 * the pipe table's bound; and every pipe freed with its last chan.
 * Each test runs in a proc with a fresh namespace (ns_harness.h), which
 * also checks that the body gives back every byte it took.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ns_harness.h"

static int cmd(const char *line)
{
	char why[160];

	return ns_ctl(curproc()->ns, line, strlen(line), why, sizeof why);
}

/* A new pipe on /tmp/p, and its removal (which frees it when no fd is
 * left on it). */
static void pipe_up(void)
{
	make_dir("/tmp/p");
	assert_int_equal(cmd("bind #pipe /tmp/p"), 0);
}

static void pipe_down(void)
{
	assert_int_equal(cmd("unmount /tmp/p"), 0);
	assert_int_equal(sys_remove("/tmp/p"), 0);
}

static int open_ok(const char *path, int mode)
{
	int fd = sys_open(path, mode);

	if (fd < 0)
		fail_msg("open %s: %s", path, lux_errstr(fd));
	return fd;
}

static void expect_read(int fd, const char *want)
{
	char buf[64];
	long n = sys_read(fd, buf, sizeof buf);

	assert_int_equal(n, (long)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

/* Let other procs run until proc p sleeps (blocked in the pipe). */
static void until_asleep(struct proc *p)
{
	struct procinfo pi;

	for (int i = 0; i < 100; i++) {
		assert_int_equal(proc_info(p->pid, &pi), 0);
		if (pi.state == PROC_SLEEPING)
			return;
		proc_yield();
	}
	fail_msg("proc %d never blocked", p->pid);
}

NS_TEST(test_both_ways)
{
	int a, b;

	pipe_up();
	assert_string_equal(listing("/tmp/p"), "data data1");
	assert_true(stat_of("/tmp/p").mode == (DMDIR | 0770));
	assert_int_equal(stat_of("/tmp/p/data").mode, 0660);
	assert_string_equal(stat_of("/tmp/p/data").uid, "eve");	/* its maker's */
	a = open_ok("/tmp/p/data", ORDWR);
	b = open_ok("/tmp/p/data1", ORDWR);
	assert_int_equal(sys_write(a, "hello", 5), 5);
	assert_int_equal(sys_write(a, " there", 6), 6);
	/* the length of an end is what waits to be read there */
	assert_int_equal(stat_of("/tmp/p/data1").length, 11);
	assert_int_equal(stat_of("/tmp/p/data").length, 0);
	expect_read(b, "hello there");	/* a stream: the writes run together */
	assert_int_equal(sys_write(b, "back", 4), 4);
	expect_read(a, "back");
	assert_int_equal(sys_open("/tmp/p", OWRITE), E_ISDIR);
	assert_int_equal(sys_close(a), 0);
	assert_int_equal(sys_close(b), 0);
	pipe_down();
}

/* Each attach is a pipe of its own. */
NS_TEST(test_attaches_are_separate)
{
	int a, b;

	pipe_up();
	make_dir("/tmp/q");
	assert_int_equal(cmd("bind #pipe /tmp/q"), 0);
	assert_true(stat_of("/tmp/p/data").qid.path != stat_of("/tmp/q/data").qid.path);
	a = open_ok("/tmp/p/data", OWRITE);
	b = open_ok("/tmp/q/data1", OREAD);
	assert_int_equal(sys_write(a, "p", 1), 1);
	assert_int_equal(stat_of("/tmp/q/data1").length, 0);
	assert_int_equal(stat_of("/tmp/p/data1").length, 1);
	assert_int_equal(sys_close(a), 0);
	assert_int_equal(sys_close(b), 0);
	assert_int_equal(cmd("unmount /tmp/q"), 0);
	assert_int_equal(sys_remove("/tmp/q"), 0);
	pipe_down();
}

NS_TEST(test_eof_when_the_writer_end_closes)
{
	int w1, w2, r;
	char c;

	pipe_up();
	r = open_ok("/tmp/p/data1", OREAD);
	w1 = open_ok("/tmp/p/data", OWRITE);
	w2 = open_ok("/tmp/p/data", OWRITE);
	assert_int_equal(sys_write(w1, "ab", 2), 2);
	assert_int_equal(sys_close(w1), 0);	/* w2 still has the end open */
	assert_int_equal(sys_write(w2, "c", 1), 1);
	assert_int_equal(sys_close(w2), 0);
	expect_read(r, "abc");	/* what was buffered comes first */
	assert_int_equal(sys_read(r, &c, 1), 0);
	assert_int_equal(sys_read(r, &c, 1), 0);
	assert_int_equal(sys_close(r), 0);
	pipe_down();
}

NS_TEST(test_write_to_a_closed_pipe_fails)
{
	int r, w;

	pipe_up();
	/* an end never opened yet is presumed coming: the write waits in
	 * the buffer (Plan 9's order of opens does not matter) */
	w = open_ok("/tmp/p/data", OWRITE);
	assert_int_equal(sys_write(w, "early", 5), 5);
	r = open_ok("/tmp/p/data1", OREAD);
	expect_read(r, "early");
	assert_int_equal(sys_write(w, "late", 4), 4);
	assert_int_equal(sys_close(r), 0);	/* drops "late": nobody will read it */
	assert_int_equal(stat_of("/tmp/p/data1").length, 0);
	assert_int_equal(sys_write(w, "x", 1), E_PIPE);
	assert_string_equal(lux_errstr(E_PIPE), "write to a pipe nobody reads");
	/* opened again, the end is back */
	r = open_ok("/tmp/p/data1", OREAD);
	assert_int_equal(sys_write(w, "again", 5), 5);
	expect_read(r, "again");
	assert_int_equal(sys_close(r), 0);
	assert_int_equal(sys_close(w), 0);
	pipe_down();
}

/* ---- blocking: a second proc shares our fd table ---------------------- */

static int kid_fd;
static long kid_result;
static size_t kid_len;

static void kid_reads(void *arg)
{
	static char buf[64];

	(void)arg;
	kid_result = sys_read(kid_fd, buf, sizeof buf);
	if (kid_result > 0)
		assert_memory_equal(buf, "wake up", 7);
}

static void kid_writes(void *arg)
{
	static uint8_t buf[PIPE_QMAX + 3000];

	(void)arg;
	for (size_t i = 0; i < kid_len; i++)
		buf[i] = (uint8_t)(i * 7);
	kid_result = sys_write(kid_fd, buf, kid_len);
}

NS_TEST(test_blocked_reader_woken_by_a_writer)
{
	struct proc *p;
	int r, w;

	pipe_up();
	r = open_ok("/tmp/p/data1", OREAD);
	w = open_ok("/tmp/p/data", OWRITE);
	kid_fd = r;
	kid_result = 1234;
	p = proc_create("reader", PRIO_NORMAL, kid_reads, 0, 0);
	assert_non_null(p);
	until_asleep(p);
	assert_int_equal(kid_result, 1234);	/* still waiting */
	assert_int_equal(sys_write(w, "wake up", 7), 7);
	assert_int_equal(proc_join(p), 0);
	assert_int_equal(kid_result, 7);
	assert_int_equal(sys_close(r), 0);
	assert_int_equal(sys_close(w), 0);
	pipe_down();
}

NS_TEST(test_blocked_reader_sees_eof_when_the_writer_closes)
{
	struct proc *p;
	int r, w;

	pipe_up();
	r = open_ok("/tmp/p/data", OREAD);
	w = open_ok("/tmp/p/data1", OWRITE);	/* the other direction */
	kid_fd = r;
	kid_result = 1234;
	p = proc_create("reader", PRIO_NORMAL, kid_reads, 0, 0);
	assert_non_null(p);
	until_asleep(p);
	assert_int_equal(sys_close(w), 0);
	assert_int_equal(proc_join(p), 0);
	assert_int_equal(kid_result, 0);
	assert_int_equal(sys_close(r), 0);
	pipe_down();
}

NS_TEST(test_blocked_read_interrupted_by_a_kill)
{
	struct proc *p;
	int r, w;

	pipe_up();
	r = open_ok("/tmp/p/data1", OREAD);
	w = open_ok("/tmp/p/data", OWRITE);
	kid_fd = r;
	kid_result = 1234;
	p = proc_create("reader", PRIO_NORMAL, kid_reads, 0, 0);
	assert_non_null(p);
	until_asleep(p);
	assert_int_equal(proc_kill(p->pid), 0);
	assert_int_equal(proc_join(p), PROC_KILLED);
	assert_int_equal(kid_result, E_INTR);
	/* the pipe is unharmed: the next read gets the next write */
	assert_int_equal(sys_write(w, "wake up", 7), 7);
	expect_read(r, "wake up");
	assert_int_equal(sys_close(r), 0);
	assert_int_equal(sys_close(w), 0);
	pipe_down();
}

/* Another proc sharing the fd table closes the fd a reader sleeps on:
 * the read holds its own reference, so the end stays open (and the chan
 * alive) until the read is done. */
NS_TEST(test_fd_closed_under_a_blocked_reader)
{
	struct proc *p;
	int r, w;

	pipe_up();
	r = open_ok("/tmp/p/data1", OREAD);
	w = open_ok("/tmp/p/data", OWRITE);
	kid_fd = r;
	kid_result = 1234;
	p = proc_create("reader", PRIO_NORMAL, kid_reads, 0, 0);
	assert_non_null(p);
	until_asleep(p);
	assert_int_equal(sys_close(r), 0);
	assert_int_equal(sys_write(w, "wake up", 7), 7);
	assert_int_equal(proc_join(p), 0);
	assert_int_equal(kid_result, 7);
	/* now the reading end is gone */
	assert_int_equal(sys_write(w, "x", 1), E_PIPE);
	assert_int_equal(sys_close(w), 0);
	pipe_down();
}

/* A writer fills the buffer to the bound, sleeps, and goes on as the
 * reader drains it; the bytes arrive whole and in order. */
NS_TEST(test_buffer_bound_blocks_the_writer)
{
	static uint8_t got[PIPE_QMAX + 3000];
	struct proc *p;
	size_t total = 0;
	long n;
	int r, w;

	pipe_up();
	r = open_ok("/tmp/p/data1", OREAD);
	w = open_ok("/tmp/p/data", OWRITE);
	kid_fd = w;
	kid_len = sizeof got;
	kid_result = 1234;
	p = proc_create("writer", PRIO_NORMAL, kid_writes, 0, 0);
	assert_non_null(p);
	until_asleep(p);
	assert_int_equal(kid_result, 1234);	/* blocked, with the buffer full */
	assert_int_equal(stat_of("/tmp/p/data1").length, PIPE_QMAX);
	n = sys_read(r, got, 4096);
	assert_int_equal(n, 4096);
	total = 4096;
	assert_int_equal(proc_join(p), 0);	/* room enough for the rest */
	assert_int_equal(kid_result, (long)sizeof got);
	assert_int_equal(stat_of("/tmp/p/data1").length, sizeof got - 4096);
	while (total < sizeof got && (n = sys_read(r, got + total, sizeof got - total)) > 0)
		total += (size_t)n;
	assert_int_equal(total, sizeof got);
	for (size_t i = 0; i < sizeof got; i++)
		if (got[i] != (uint8_t)(i * 7))
			fail_msg("byte %zu is %u, not %u", i, got[i], (uint8_t)(i * 7));
	assert_int_equal(sys_close(r), 0);
	assert_int_equal(sys_close(w), 0);
	pipe_down();
}

/* A writer blocked on a full buffer when the reader goes: it reports
 * what went in, and its next write fails. */
NS_TEST(test_blocked_writer_woken_when_the_reader_goes)
{
	struct proc *p;
	int r, w;

	pipe_up();
	r = open_ok("/tmp/p/data1", OREAD);
	w = open_ok("/tmp/p/data", OWRITE);
	kid_fd = w;
	kid_len = PIPE_QMAX + 10;
	kid_result = 1234;
	p = proc_create("writer", PRIO_NORMAL, kid_writes, 0, 0);
	assert_non_null(p);
	until_asleep(p);
	assert_int_equal(sys_close(r), 0);
	assert_int_equal(proc_join(p), 0);
	assert_int_equal(kid_result, PIPE_QMAX);
	assert_int_equal(sys_write(w, "x", 1), E_PIPE);
	assert_int_equal(sys_close(w), 0);
	pipe_down();
}

NS_TEST(test_blocked_write_interrupted_by_a_kill)
{
	struct proc *p;
	int r, w;

	pipe_up();
	r = open_ok("/tmp/p/data1", OREAD);
	w = open_ok("/tmp/p/data", OWRITE);
	kid_fd = w;
	kid_len = PIPE_QMAX;	/* fills the buffer exactly: done */
	assert_true((p = proc_create("writer", PRIO_NORMAL, kid_writes, 0, 0)) != 0);
	assert_int_equal(proc_join(p), 0);
	assert_int_equal(kid_result, PIPE_QMAX);
	kid_len = 10;		/* no room at all: blocks, then is killed */
	assert_true((p = proc_create("writer", PRIO_NORMAL, kid_writes, 0, 0)) != 0);
	until_asleep(p);
	assert_int_equal(proc_kill(p->pid), 0);
	assert_int_equal(proc_join(p), PROC_KILLED);
	assert_int_equal(kid_result, E_INTR);
	assert_int_equal(stat_of("/tmp/p/data1").length, PIPE_QMAX);
	assert_int_equal(sys_close(r), 0);
	assert_int_equal(sys_close(w), 0);
	pipe_down();
}

/* ---- lifetime and bounds ----------------------------------------------- */

/* Chans cloned, walked, opened, with bytes left unread both ways: the
 * last chan frees the pipe and every buffer block. */
NS_TEST(test_last_chan_frees_everything)
{
	static uint8_t junk[10000];
	struct kalloc_stats before, after;
	struct chan *root, *a, *b;

	kalloc_stats(&before);
	assert_int_equal(dev_attach(&pipe_dev, "", &root), 0);
	a = chan_clone(root);
	b = chan_clone(root);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->dev->walk(a, "data"), 0);
	assert_int_equal(b->dev->walk(b, "data1"), 0);
	assert_int_equal(a->dev->walk(a, "data"), E_NOTDIR);
	assert_int_equal(root->dev->walk(root, "nosuch"), E_NOENT);
	assert_int_equal(a->dev->open(a, ORDWR), 0);
	a->mode = ORDWR;
	assert_int_equal(b->dev->open(b, ORDWR), 0);
	b->mode = ORDWR;
	assert_int_equal(a->dev->write(a, junk, sizeof junk, 0), (long)sizeof junk);
	assert_int_equal(b->dev->write(b, junk, 100, 0), 100);
	chan_put(root);	/* the pipe stays: a and b are on it */
	assert_int_equal(b->dev->read(b, junk, 10, 0), 10);
	chan_put(a);
	chan_put(b);
	kalloc_stats(&after);
	assert_int_equal(after.live_objects, before.live_objects);
	assert_int_equal(after.live_bytes, before.live_bytes);
}

NS_TEST(test_pipe_table_is_bounded)
{
	static struct chan *c[PIPE_MAX];
	struct chan *extra;
	char me[sizeof curproc()->cred.user];

	strcpy(me, curproc()->cred.user);
	for (int i = 0; i < PIPE_MAX; i++) {	/* users' shares, 8 each */
		snprintf(curproc()->cred.user, sizeof me, "p%d", i / PIPE_PER_USER);
		assert_int_equal(dev_attach(&pipe_dev, "", &c[i]), 0);
	}
	strcpy(curproc()->cred.user, me);
	assert_int_equal(dev_attach(&pipe_dev, "", &extra), E_NOSPC);
	assert_string_equal(proc_errstr(E_NOSPC), "#pipe: all 32 pipes are in use");
	chan_put(c[0]);
	assert_int_equal(dev_attach(&pipe_dev, "", &c[0]), 0);	/* a slot came back */
	for (int i = 0; i < PIPE_MAX; i++)
		chan_put(c[i]);
}

/* One user's pipes are at most a quarter of the table: none (every
 * unauthenticated 9P client) took all 32 and nobody else could make one
 * (tests/attacks/j_pipes.py). */
NS_TEST(test_pipe_share_per_user)
{
	static struct chan *c[PIPE_PER_USER];
	struct chan *extra;
	char me[sizeof curproc()->cred.user];

	for (int i = 0; i < PIPE_PER_USER; i++)
		assert_int_equal(dev_attach(&pipe_dev, "", &c[i]), 0);
	assert_int_equal(dev_attach(&pipe_dev, "", &extra), E_BUDGET);
	assert_non_null(strstr(proc_errstr(E_BUDGET), "budget exhausted: pipes 8/8"));
	strcpy(me, curproc()->cred.user);
	strcpy(curproc()->cred.user, "bob");
	assert_int_equal(dev_attach(&pipe_dev, "", &extra), 0);	/* another user's own */
	strcpy(curproc()->cred.user, me);
	chan_put(extra);
	chan_put(c[0]);
	assert_int_equal(dev_attach(&pipe_dev, "", &c[0]), 0);	/* one came back */
	for (int i = 0; i < PIPE_PER_USER; i++)
		chan_put(c[i]);
}

/* Through the ctl file as well as the command: /proc/N/ns shows the
 * mount and replays it (a replay is a fresh pipe, as any #dev is). */
NS_TEST(test_mount_through_proc_ns)
{
	char path[32], line[] = "mount #pipe /tmp/p\n";
	static char table[4096];
	int fd, a, b;

	make_dir("/proc");
	make_dir("/tmp/p");
	assert_int_equal(cmd("mount #proc /proc"), 0);
	snprintf(path, sizeof path, "/proc/%d/ns", curproc()->pid);
	fd = open_ok(path, OWRITE);
	assert_int_equal(sys_write(fd, line, strlen(line)), (long)strlen(line));
	assert_int_equal(sys_close(fd), 0);
	assert_true(ns_format(curproc()->ns, table, sizeof table) < sizeof table);
	assert_non_null(strstr(table, "mount #pipe /tmp/p\n"));
	a = open_ok("/tmp/p/data", OWRITE);
	b = open_ok("/tmp/p/data1", OREAD);
	assert_int_equal(sys_write(a, "via ns", 6), 6);
	expect_read(b, "via ns");
	assert_int_equal(sys_close(a), 0);
	assert_int_equal(sys_close(b), 0);
	assert_int_equal(cmd("unmount /proc"), 0);
	assert_int_equal(sys_remove("/proc"), 0);
	pipe_down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_ways),
		cmocka_unit_test(test_attaches_are_separate),
		cmocka_unit_test(test_eof_when_the_writer_end_closes),
		cmocka_unit_test(test_write_to_a_closed_pipe_fails),
		cmocka_unit_test(test_blocked_reader_woken_by_a_writer),
		cmocka_unit_test(test_blocked_reader_sees_eof_when_the_writer_closes),
		cmocka_unit_test(test_blocked_read_interrupted_by_a_kill),
		cmocka_unit_test(test_fd_closed_under_a_blocked_reader),
		cmocka_unit_test(test_buffer_bound_blocks_the_writer),
		cmocka_unit_test(test_blocked_writer_woken_when_the_reader_goes),
		cmocka_unit_test(test_blocked_write_interrupted_by_a_kill),
		cmocka_unit_test(test_last_chan_frees_everything),
		cmocka_unit_test(test_pipe_table_is_bounded),
		cmocka_unit_test(test_pipe_share_per_user),
		cmocka_unit_test(test_mount_through_proc_ns),
	};

	fake_boot(2048, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
