/*
 * The block layer (core/blk/blk.c) over the fake arch's device 0: the
 * fake keeps requests pending until an idle hook ends them, so a test
 * sees what waits where, how many are at the device at once, and what
 * a failure, a range error, a kill or an empty budget does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <lux/arch.h>
#include <lux/blk.h>
#include <lux/error.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/upcall.h>

#include "fake_arch.h"

#define SECT FAKE_BLK_SECTOR

static struct blkdev *dev;

static void setup_device(uint64_t sectors, uint32_t inflight)
{
	fake_boot(512, true);
	fake_blk_sectors = sectors;
	fake_blk_inflight = inflight;
	fake_blk_submits = fake_blk_most_pending = 0;
	fake_blk_fail_next = 0;
	fake_idle_hook = fake_blk_finish_one;
}

static void fill(uint8_t *buf, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

static void roundtrip(void *arg)
{
	uint8_t out[3 * SECT], in[3 * SECT];
	char status[512];

	USED(arg);
	assert_int_equal(blk_attach(0, &dev), 0);
	assert_int_equal(dev->sectors, 64);
	assert_int_equal(dev->sector_size, SECT);
	fill(out, sizeof out, 3);
	assert_int_equal(blk_write(dev, 10, out, 3), 0);
	assert_int_equal(blk_flush(dev), 0);
	assert_int_equal(blk_read(dev, 10, in, 3), 0);
	assert_memory_equal(in, out, sizeof out);
	/* the bytes are where the sector number says on the device */
	assert_memory_equal(fake_blk_medium() + 10 * SECT, out, sizeof out);
	assert_int_equal(dev->writes, 1);
	assert_int_equal(dev->reads, 1);
	assert_int_equal(dev->flushes, 1);
	assert_int_equal(dev->bytes_written, sizeof out);
	assert_int_equal(dev->inflight, 0);
	blk_format(dev, status, sizeof status);
	assert_non_null(strstr(status, "name fakeblk0\n"));
	assert_non_null(strstr(status, "sectors 64\n"));
	assert_non_null(strstr(status, "writes 1\n"));
	/* every request's pebble is back */
	assert_int_equal(curproc()->budget->held[PB_REQS], 0);
	blk_detach(dev);
}

static void test_roundtrip(void **state)
{
	(void)state;
	setup_device(64, 4);
	assert_true(fake_run_in_proc(roundtrip, 0));
	assert_int_equal(fake_blk_submits, 3);
}

static void no_device(void *arg)
{
	struct blkdev *d = 0;

	USED(arg);
	assert_int_equal(blk_attach(0, &d), E_NOENT);
	assert_null(d);
	assert_non_null(strstr(proc_errstr(E_NOENT), "block device 0"));
	assert_int_equal(blk_attach(3, &d), E_NOENT);
}

static void test_no_device(void **state)
{
	(void)state;
	setup_device(0, 4);
	assert_true(fake_run_in_proc(no_device, 0));
}

static int never(void *arg, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie)
{
	(void)arg, (void)op, (void)sector, (void)buf, (void)nsect, (void)cookie;
	fail_msg("a device described impossibly was attached");
	return E_IO;
}

/* A driver's description is checked before anything trusts it. */
static void bad_geometry(void *arg)
{
	struct blk_driver drv = { never, 0 };
	struct arch_blk_info bad[] = {
		{ 0, 512, 1, "zero", 0 },	/* no sectors */
		{ 8, 500, 1, "odd", 0 },	/* not a power of two */
		{ 8, 256, 1, "small", 0 },
		{ 8, 8192, 1, "big", 0 },
		{ 8, 512, 0, "none", 0 },	/* takes no requests */
	};
	struct blkdev *d;

	USED(arg);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(blk_attach_driver(&bad[i], &drv, &d), E_INVAL);
		assert_non_null(strstr(proc_errstr(E_INVAL), bad[i].name));
	}
}

static void test_bad_geometry(void **state)
{
	(void)state;
	setup_device(0, 4);
	assert_true(fake_run_in_proc(bad_geometry, 0));
}

static void ranges(void *arg)
{
	uint8_t buf[SECT];

	USED(arg);
	assert_int_equal(blk_attach(0, &dev), 0);
	assert_int_equal(blk_read(dev, 64, buf, 1), E_INVAL);	/* one past the end */
	assert_non_null(strstr(proc_errstr(E_INVAL), "fakeblk0: read of 1 sectors at 64"));
	assert_int_equal(blk_write(dev, 63, buf, 2), E_INVAL);	/* runs off the end */
	assert_int_equal(blk_read(dev, 0, buf, 0), E_INVAL);
	assert_int_equal(blk_read(dev, 0, buf, ARCH_BLK_MAXSECT + 1), E_INVAL);
	/* a sector number that would wrap around when added to */
	assert_int_equal(blk_read(dev, UINT64_MAX, buf, 2), E_INVAL);
	assert_int_equal(blk_read(dev, 63, buf, 1), 0);		/* the last one is fine */
	blk_detach(dev);
}

static void test_ranges(void **state)
{
	(void)state;
	setup_device(64, 4);
	assert_true(fake_run_in_proc(ranges, 0));
	assert_int_equal(fake_blk_submits, 1);	/* refused ones never reached it */
}

static void failing(void *arg)
{
	uint8_t buf[2 * SECT] = { 0 };

	USED(arg);
	assert_int_equal(blk_attach(0, &dev), 0);
	fake_blk_fail_next = E_IO;
	assert_int_equal(blk_write(dev, 3, buf, 2), E_IO);
	assert_string_equal(proc_errstr(E_IO), "fakeblk0: write of sectors 3..4 failed: i/o error");
	fake_blk_fail_next = E_IO;
	assert_int_equal(blk_flush(dev), E_IO);
	assert_string_equal(proc_errstr(E_IO), "fakeblk0: flush failed: i/o error");
	assert_int_equal(dev->errors, 2);
	assert_int_equal(dev->writes, 0);
	assert_int_equal(blk_write(dev, 3, buf, 2), 0);	/* the next one works */
	assert_int_equal(curproc()->budget->held[PB_REQS], 0);
	blk_detach(dev);
}

static void test_errors(void **state)
{
	(void)state;
	setup_device(64, 4);
	assert_true(fake_run_in_proc(failing, 0));
}

/* Six writers on a device that takes two at once. */
static int wrote[6];
static char wrote_err[6][ERRMAX];

static void writer(void *arg)
{
	int i = (int)(intptr_t)arg;
	uint8_t buf[SECT];

	fill(buf, sizeof buf, (uint8_t)i);
	wrote[i] = blk_write(dev, (uint64_t)i, buf, 1);
	if (wrote[i] < 0)
		kstrlcpy(wrote_err[i], proc_errstr(wrote[i]), ERRMAX);
}

static void six_writers(void *arg)
{
	struct proc *p[6];

	USED(arg);
	assert_int_equal(blk_attach(0, &dev), 0);
	for (int i = 0; i < 6; i++)
		assert_non_null(p[i] = proc_create("writer", PRIO_NORMAL, writer, (void *)(intptr_t)i, 0));
	for (int i = 0; i < 6; i++)
		assert_int_equal(proc_join(p[i]), 0);
	blk_detach(dev);
}

static void test_bounded(void **state)
{
	(void)state;
	setup_device(64, 2);
	assert_true(fake_run_in_proc(six_writers, 0));
	assert_int_equal(fake_blk_submits, 6);
	assert_int_equal(fake_blk_most_pending, 2);	/* never more than the bound */
	for (int i = 0; i < 6; i++) {
		uint8_t want[SECT];
		assert_int_equal(wrote[i], 0);
		fill(want, sizeof want, (uint8_t)i);
		assert_memory_equal(fake_blk_medium() + (size_t)i * SECT, want, SECT);
	}
}

/* A proc killed while it waits for its turn leaves with E_INTR and
 * sends nothing; the one at the device finishes. */
static bool idle_does_nothing(void) { return false; }

static void killed_waiting(void *arg)
{
	struct proc *a, *b;

	USED(arg);
	assert_int_equal(blk_attach(0, &dev), 0);
	fake_idle_hook = idle_does_nothing;	/* a holds the one slot */
	a = proc_create("a", PRIO_NORMAL, writer, (void *)(intptr_t)0, 0);
	b = proc_create("b", PRIO_NORMAL, writer, (void *)(intptr_t)1, 0);
	for (int i = 0; i < 4; i++)
		proc_yield();
	assert_int_equal(fake_blk_pending(), 1);
	assert_int_equal(dev->inflight, 1);
	assert_int_equal(proc_kill(b->pid), 0);
	proc_join(b);
	assert_int_equal(wrote[1], E_INTR);
	assert_string_equal(wrote_err[1], "fakeblk0: killed while waiting to write");
	fake_idle_hook = fake_blk_finish_one;
	assert_int_equal(proc_join(a), 0);
	assert_int_equal(wrote[0], 0);
	assert_int_equal(fake_blk_submits, 1);
	assert_int_equal(curproc()->budget->held[PB_REQS], 0);
	blk_detach(dev);
}

static void test_killed_waiting(void **state)
{
	(void)state;
	setup_device(64, 1);
	wrote[0] = wrote[1] = 1;
	assert_true(fake_run_in_proc(killed_waiting, 0));
}

/* A proc with no `requests` pebble is refused before anything is sent. */
static int poor_result;
static char poor_err[ERRMAX];

static void poor(void *arg)
{
	uint8_t buf[SECT] = { 0 };

	USED(arg);
	poor_result = blk_write(dev, 0, buf, 1);
	kstrlcpy(poor_err, proc_errstr(poor_result), sizeof poor_err);
}

static void budget_refused(void *arg)
{
	struct pebbles grant;
	struct proc *p;
	int err;

	USED(arg);
	assert_int_equal(blk_attach(0, &dev), 0);
	budget_default_grant(curproc()->budget, &grant);
	grant.n[PB_REQS] = 0;
	assert_non_null(p = proc_spawn("poor", PRIO_NORMAL, poor, 0, 0, &grant, &err));
	proc_join(p);
	blk_detach(dev);
}

static void test_budget(void **state)
{
	(void)state;
	setup_device(64, 4);
	assert_true(fake_run_in_proc(budget_refused, 0));
	assert_int_equal(poor_result, E_BUDGET);
	assert_non_null(strstr(poor_err, "budget exhausted: requests"));
	assert_int_equal(fake_blk_submits, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_no_device),
		cmocka_unit_test(test_bad_geometry),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_killed_waiting),
		cmocka_unit_test(test_budget),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
