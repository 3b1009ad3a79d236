/*
 * Red-blue versions: readers see the old or the new state, never a
 * mixture, whichever step of an update fails.  The payload here is a
 * small multi-part record (three heap buffers plus fields) so an update
 * has several allocation steps to fail at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/proc.h>
#include <lux/redblue.h>

#include "fake_arch.h"

enum { NPART = 3, PARTLEN = 1000 };

struct rec {
	uint32_t mode;
	uint64_t length;
	char *part[NPART];	/* each PARTLEN bytes, or 0 */
};

static int rec_copy(void *dst, const void *src)
{
	struct rec *d = dst;
	const struct rec *s = src;

	d->mode = s->mode;
	d->length = s->length;
	for (int i = 0; i < NPART; i++) {
		if (s->part[i] == 0)
			continue;
		if (rb_fault() || (d->part[i] = kmalloc(PARTLEN)) == 0)
			return E_NOMEM;
		memcpy(d->part[i], s->part[i], PARTLEN);
	}
	return 0;
}

static void rec_release(void *p)
{
	struct rec *r = p;

	for (int i = 0; i < NPART; i++)
		kfree(r->part[i]);
}

static const struct rb_ops rec_ops = { sizeof(struct rec), rec_copy, rec_release };

/* A state as one checksum-like fingerprint, so "old or new" is exact. */
static uint64_t fingerprint(const struct rec *r)
{
	uint64_t h = 1469598103934665603ull ^ r->mode ^ (r->length << 20);

	for (int i = 0; i < NPART; i++)
		for (int k = 0; r->part[i] && k < PARTLEN; k++)
			h = (h ^ (uint8_t)r->part[i][k]) * 1099511628211ull;
	return h;
}

static struct redblue obj;
static uint64_t old_fp, new_fp;

/* The update: several fields and every part, each step able to fail. */
static int update(void)
{
	int err;
	struct rec *r = rb_begin(&obj, &err);

	if (r == 0)
		return err;
	r->mode = 0640;
	for (int i = 0; i < NPART; i++) {
		if (r->part[i] == 0) {
			if (rb_fault() || (r->part[i] = kmalloc(PARTLEN)) == 0) {
				rb_abort(&obj);
				return E_NOMEM;
			}
		}
		memset(r->part[i], 'n' + i, PARTLEN);
	}
	r->length = NPART * PARTLEN;
	rb_commit(&obj);
	return 0;
}

static void body_fault_every_step(void *arg)
{
	struct rec init = { .mode = 0600, .length = 5 };
	int *bad = arg, attempts = 0, err;
	struct kalloc_stats ks0, ks1;

	init.part[0] = kmalloc(PARTLEN);
	memset(init.part[0], 'o', PARTLEN);
	if (rb_init(&obj, &rec_ops, &init) < 0) {
		*bad = 1;
		return;
	}
	kfree(init.part[0]);
	{
		const struct rec *b = rb_read(&obj);
		old_fp = fingerprint(b);
		rb_done(&obj, b);
	}
	kalloc_stats(&ks0);
	/* fail the first step, then the second, ... until one succeeds */
	for (uint64_t k = 1;; k++) {
		const struct rec *seen;
		rb_fail_at(k);
		err = update();
		rb_fail_at(0);
		attempts++;
		seen = rb_read(&obj);
		if (err == 0) {
			new_fp = fingerprint(seen);
			rb_done(&obj, seen);
			break;
		}
		if (fingerprint(seen) != old_fp)
			*bad = 2;	/* a failed update showed through */
		rb_done(&obj, seen);
		kalloc_stats(&ks1);
		if (ks1.live_objects != ks0.live_objects)
			*bad = 3;	/* an aborted red leaked */
		if (k > 50) {
			*bad = 4;
			break;
		}
	}
	if (attempts < 3)
		*bad = 5;	/* the update must have had several steps to fail */
	rb_destroy(&obj);
	kalloc_stats(&ks1);
	/* everything is gone: ks0 counted blue's version and its one part */
	if (ks1.live_objects != ks0.live_objects - 2)
		*bad = 6;
}

static void test_fault_at_every_step(void **state)
{
	int bad = 0;

	(void)state;
	assert_true(fake_run_in_proc(body_fault_every_step, &bad));
	assert_int_equal(bad, 0);
	assert_true(new_fp != old_fp);
}

static void body_reader_keeps_old(void *arg)
{
	struct rec init = { .mode = 0600 };
	const struct rec *pinned, *now;
	int *bad = arg;
	struct kalloc_stats ks0, ks1;

	kalloc_stats(&ks0);
	rb_init(&obj, &rec_ops, &init);
	pinned = rb_read(&obj);		/* a reader in the middle of its work */
	if (update() < 0)
		*bad = 1;
	now = rb_read(&obj);
	if (pinned->mode != 0600 || pinned->part[0] != 0)
		*bad = 2;	/* the pinned version changed under its reader */
	if (now->mode != 0640 || now->part[0][0] != 'n')
		*bad = 3;
	rb_done(&obj, now);
	rb_done(&obj, pinned);		/* the old version goes now */
	if (obj.commits != 1)
		*bad = 4;
	rb_destroy(&obj);
	kalloc_stats(&ks1);
	if (ks1.live_objects != ks0.live_objects)
		*bad = 5;
}

static void test_reader_keeps_old_version(void **state)
{
	int bad = 0;

	(void)state;
	assert_true(fake_run_in_proc(body_reader_keeps_old, &bad));
	assert_int_equal(bad, 0);
}

static void body_abort(void *arg)
{
	struct rec init = { .mode = 0600, .length = 1 };
	struct rec *r;
	int *bad = arg, err;

	rb_init(&obj, &rec_ops, &init);
	r = rb_begin(&obj, &err);
	r->mode = 0777;
	r->length = 99;
	rb_abort(&obj);
	{
		const struct rec *b = rb_read(&obj);
		if (b->mode != 0600 || b->length != 1 || obj.aborts != 1)
			*bad = 1;
		rb_done(&obj, b);
	}
	/* the update lock was released: a second update can start */
	r = rb_begin(&obj, &err);
	if (r == 0)
		*bad = 2;
	else
		rb_commit(&obj);
	rb_destroy(&obj);
}

static void test_abort_leaves_blue(void **state)
{
	int bad = 0;

	(void)state;
	assert_true(fake_run_in_proc(body_abort, &bad));
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_at_every_step),
		cmocka_unit_test(test_reader_keeps_old_version),
		cmocka_unit_test(test_abort_leaves_blue),
	};

	fake_boot(2048, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
