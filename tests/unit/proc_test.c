/*
 * The unit tests' proc harness (proc_test.h): the body in a proc, its
 * kalloc baseline and its end checked.  One copy for every test file
 * that needs one; each adds its own steps through hooks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <cmocka.h>

#include <lux/kalloc.h>

#include "fake_arch.h"
#include "proc_test.h"

static const struct proc_test_hooks *hooks;
static void (*body)(void);
static bool body_done;

static void harness(void *arg)
{
	struct kalloc_stats before, after;

	(void)arg;
	if (hooks && hooks->setup)
		hooks->setup();
	kalloc_stats(&before);
	body();
	if (hooks && hooks->check)
		hooks->check();
	kalloc_stats(&after);
	assert_int_equal(after.live_objects, before.live_objects);
	assert_int_equal(after.live_bytes, before.live_bytes);
	if (hooks && hooks->teardown)
		hooks->teardown();
	body_done = true;
}

void proc_test_run(const struct proc_test_hooks *h, void (*fn)(void))
{
	hooks = h;
	body = fn;
	body_done = false;
	assert_true(fake_run_in_proc(harness, 0));
	assert_true(body_done);
	assert_int_equal(fake_irq_disabled(), 0);
}
