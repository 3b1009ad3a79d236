/*
 * The borrow checker (core/kern/borrow.c) and the audit ring
 * (core/kern/audit.c), driven from procs under the core's own scheduler
 * (fake_run_in_proc): every rule of docs/borrow.md, once allowed and once
 * refused, with the refusal's audit record; exit returning borrows and
 * deferring drops; stale handles; strict mode's panic with both call
 * sites; the ring's bound; /dev/audit.  The table's invariants
 * (borrow_check) hold after every test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <lux/audit.h>
#include <lux/borrow.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/proc.h>

#include "fake_arch.h"

static int released;		/* release() calls */
static void *last_released;
static char object[4][64];	/* the objects: plain memory */

static void release(void *obj, size_t size)
{
	(void)size;
	released++;
	last_released = obj;
}

static const struct bclass keyclass = { "key", "bytes", release };

static int reset(void **state)
{
	(void)state;
	borrow_reset();
	audit_reset();
	borrow_set_strict(false);
	released = 0;
	last_released = 0;
	return 0;
}

static void expect_clean(void)
{
	struct borrow_stats st;

	assert_null(borrow_check());
	borrow_stats(&st);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.borrows, 0);
	assert_int_equal(fake_irq_disabled(), 0);
}

/* The newest audit record's text contains s. */
static void expect_audit(const char *s)
{
	static char text[64 * 1024];
	size_t n = audit_format(text, sizeof text);
	char *last;

	assert_true(n > 0 && n < sizeof text);
	text[n - 1] = 0;	/* the final newline */
	last = strrchr(text, '\n');
	last = last ? last + 1 : text;
	if (strstr(last, s) == 0)
		fail_msg("audit record '%s' lacks '%s'", last, s);
}

static void run(void (*fn)(void *))
{
	assert_true(fake_run_in_proc(fn, 0));
	expect_clean();
}

/* ---- shared and exclusive ------------------------------------------- */

static void shared_body(void *arg)
{
	bhandle h;
	void *p, *q;

	(void)arg;
	assert_int_equal(borrow_new(&keyclass, object[0], 32, &h), 0);
	assert_int_not_equal(h, 0);
	assert_int_equal(borrow_shared(h, &p), 0);
	assert_int_equal(borrow_shared(h, &q), 0);	/* many readers */
	assert_ptr_equal(p, object[0]);
	assert_ptr_equal(q, object[0]);
	assert_int_equal(borrow_exclusive(h, &p), E_BORROWED);
	assert_null(p);		/* a refusal hands out nothing */
	expect_audit("borrow-exclusive obj");
	expect_audit("(key 32 bytes): refused: already borrowed shared by proc");
	assert_int_equal(borrow_drop(h), E_BORROWED);	/* not while borrowed */
	expect_audit("drop obj");
	assert_int_equal(borrow_move(h, curproc()), E_BORROWED);
	assert_int_equal(borrow_return(h), 0);
	assert_int_equal(borrow_return(h), 0);
	assert_int_equal(borrow_return(h), E_NOTBORROWED);	/* none left */
	expect_audit("refused: this proc holds no borrow of it");
	assert_int_equal(borrow_exclusive(h, &p), 0);
	assert_int_equal(borrow_shared(h, &q), E_BORROWED);
	expect_audit("refused: already borrowed exclusively by proc");
	assert_int_equal(borrow_exclusive(h, &q), E_BORROWED);
	assert_null(borrow_check());
	assert_int_equal(borrow_return(h), 0);
	assert_int_equal(released, 0);
	assert_int_equal(borrow_drop(h), 0);
	assert_int_equal(released, 1);
	assert_ptr_equal(last_released, object[0]);
	/* the handle is dead: every use is refused as stale */
	assert_int_equal(borrow_shared(h, &p), E_STALE);
	expect_audit("(stale handle): refused: stale handle: moved or dropped");
	assert_int_equal(borrow_drop(h), E_STALE);
	assert_int_equal(borrow_return(h), E_STALE);
	assert_int_equal(released, 1);	/* never twice */
}

static void test_shared_exclusive(void **state)
{
	struct borrow_stats st;

	(void)state;
	run(shared_body);
	borrow_stats(&st);
	assert_int_equal(st.refused, 9);
	assert_int_equal(st.released, 1);
	assert_int_equal(audit_total(), 9);
}

/* A slot reused by a new object must not answer the old handle. */
static void reuse_body(void *arg)
{
	bhandle a, b;

	(void)arg;
	assert_int_equal(borrow_new(&keyclass, object[0], 1, &a), 0);
	assert_int_equal(borrow_drop(a), 0);
	assert_int_equal(borrow_new(&keyclass, object[1], 1, &b), 0);
	assert_int_equal((uint32_t)a, (uint32_t)b);	/* same slot ... */
	assert_int_not_equal(a, b);			/* ... another generation */
	assert_int_equal(borrow_shared(a, 0), E_STALE);
	assert_false(borrow_live(a));
	assert_true(borrow_live(b));
	assert_int_equal(borrow_shared(0, 0), E_STALE);
	assert_int_equal(borrow_shared(~(bhandle)0, 0), E_STALE);
	assert_int_equal(borrow_drop(b), 0);
}

static void test_generations(void **state)
{
	(void)state;
	run(reuse_body);
}

/* ---- owner-only operations and move ----------------------------------- */

static struct {
	bhandle h, got;
	int err[4];
	void *ptr;
} mv;

static void other_body(void *arg)
{
	(void)arg;
	mv.err[0] = borrow_drop(mv.h);		/* not its object */
	mv.err[1] = borrow_move(mv.h, curproc());
	mv.err[2] = borrow_shared(mv.h, &mv.ptr);	/* the handle was shared: fine */
	mv.err[3] = borrow_return(mv.h);
}

static void receiver_body(void *arg)
{
	(void)arg;
	mv.err[0] = borrow_receive(&keyclass, &mv.got);
	mv.err[1] = borrow_exclusive(mv.got, &mv.ptr);
	mv.err[2] = borrow_return(mv.got);
	mv.err[3] = borrow_drop(mv.got);
}

static void sleeper_body(void *arg)
{
	(void)arg;
	proc_yield();
}

static void move_body(void *arg)
{
	struct proc *p;
	bhandle h;

	(void)arg;
	assert_int_equal(borrow_new(&keyclass, object[2], 8, &h), 0);
	mv.h = h;
	p = proc_create("other", PRIO_NORMAL, other_body, 0, 0);
	proc_join(p);
	assert_int_equal(mv.err[0], E_NOTOWNER);
	assert_int_equal(mv.err[1], E_NOTOWNER);
	assert_int_equal(mv.err[2], 0);
	assert_ptr_equal(mv.ptr, object[2]);
	assert_int_equal(mv.err[3], 0);

	/* move: the old handle dies at once; the receiver collects a new one */
	p = proc_create("receiver", PRIO_LOW, receiver_body, 0, 0);
	assert_int_equal(borrow_move(h, p), 0);
	assert_ptr_equal(borrow_owner(h), 0);	/* h is stale now */
	assert_int_equal(borrow_shared(h, 0), E_STALE);
	assert_int_equal(borrow_drop(h), E_STALE);
	assert_int_equal(borrow_move(h, curproc()), E_STALE);
	assert_int_equal(borrow_receive(&keyclass, &mv.got), E_NOENT);	/* not ours */
	assert_null(borrow_check());
	proc_join(p);
	assert_int_equal(mv.err[0], 0);
	assert_int_not_equal(mv.got, h);
	assert_int_equal((uint32_t)mv.got, (uint32_t)h);	/* the same object */
	assert_int_equal(mv.err[1], 0);
	assert_ptr_equal(mv.ptr, object[2]);	/* not a copy */
	assert_int_equal(mv.err[2], 0);
	assert_int_equal(mv.err[3], 0);
	assert_int_equal(released, 1);

	/* a move to a dead proc is refused */
	assert_int_equal(borrow_new(&keyclass, object[2], 8, &h), 0);
	p = proc_create("dead", PRIO_HIGH, sleeper_body, 0, 0);
	proc_yield();
	proc_yield();
	assert_int_equal(p->state, PROC_DEAD);
	assert_int_equal(borrow_move(h, p), E_NOPROC);
	expect_audit("refused: receiver proc");
	proc_join(p);
	assert_int_equal(borrow_drop(h), 0);
}

static void test_move(void **state)
{
	(void)state;
	memset(&mv, 0, sizeof mv);
	run(move_body);
}

/* ---- exit ------------------------------------------------------------ */

static void borrow_and_exit(void *arg)
{
	bhandle h = *(bhandle *)arg;

	assert_int_equal(borrow_shared(h, 0), 0);
	assert_int_equal(borrow_shared(h, 0), 0);
	/* exits holding two borrows */
}

static bhandle owned_by_child;
static struct proc *parent;

static void own_lend_and_exit(void *arg)
{
	(void)arg;
	assert_int_equal(borrow_new(&keyclass, object[3], 16, &owned_by_child), 0);
	assert_int_equal(borrow_move(owned_by_child, parent), 0);	/* one goes to the parent */
	assert_int_equal(borrow_new(&keyclass, object[1], 16, &owned_by_child), 0);
	proc_yield();	/* the parent borrows it meanwhile */
	/* exits owning it while the parent still borrows it */
}

static void exit_body(void *arg)
{
	struct borrow_stats st;
	struct proc *p;
	bhandle h, moved;

	(void)arg;
	parent = curproc();
	assert_int_equal(borrow_new(&keyclass, object[0], 4, &h), 0);
	p = proc_create("borrower", PRIO_NORMAL, borrow_and_exit, &h, 0);
	proc_join(p);
	expect_audit("exit-return obj");
	expect_audit("returned at exit: shared borrow taken at");
	borrow_stats(&st);
	assert_int_equal(st.borrows, 0);	/* both came back */
	assert_int_equal(borrow_exclusive(h, 0), 0);
	assert_int_equal(borrow_return(h), 0);

	/* the owner exits while we borrow: the object dies at our return */
	p = proc_create("owner", PRIO_NORMAL, own_lend_and_exit, 0, 0);
	proc_yield();	/* it runs (round robin at one priority) and yields back */
	assert_int_equal(borrow_shared(owned_by_child, 0), 0);
	assert_int_equal(borrow_receive(&keyclass, &moved), 0);
	proc_join(p);
	expect_audit("exit-orphan obj");
	expect_audit("owner exited while borrowed shared by proc");
	assert_null(borrow_check());
	borrow_stats(&st);
	assert_int_equal(st.dying, 1);
	assert_int_equal(released, 0);			/* not freed while borrowed */
	assert_int_equal(borrow_shared(owned_by_child, 0), E_STALE);	/* no new borrows */
	assert_int_equal(borrow_drop(owned_by_child), E_STALE);
	assert_int_equal(borrow_return(owned_by_child), 0);
	assert_int_equal(released, 1);			/* the last return freed it */
	assert_ptr_equal(last_released, object[1]);
	assert_false(borrow_live(owned_by_child));
	assert_ptr_equal(borrow_owner(moved), curproc());	/* the moved one is ours */
	assert_int_equal(borrow_drop(moved), 0);
	assert_int_equal(borrow_drop(h), 0);
}

static void test_exit(void **state)
{
	(void)state;
	run(exit_body);
	assert_int_equal(released, 3);
}

/* Objects a proc owns, or received and never collected, go with it. */
static void leave_things(void *arg)
{
	bhandle h;

	(void)arg;
	assert_int_equal(borrow_new(&keyclass, object[0], 1, &h), 0);
	assert_int_equal(borrow_new(&keyclass, object[1], 1, &h), 0);
	assert_int_equal(borrow_exclusive(h, 0), 0);
}

static void test_exit_drops_owned(void **state)
{
	(void)state;
	run(leave_things);
	assert_int_equal(released, 2);
	expect_audit("returned at exit: exclusive borrow taken at");
}

/* ---- strict mode ----------------------------------------------------- */

/* A panic must not unwind a proc's stack here (ASan cannot follow a jump
 * off a fiber), so the holder keeps its borrow asleep forever and the
 * refused call is made from the test's own stack, outside any proc. */
static struct waitq never = WAITQ_INIT(never);
static bhandle held;

static bool nothing(void *arg)
{
	(void)arg;
	return false;
}

static void hold_forever(void *arg)
{
	(void)arg;
	assert_int_equal(borrow_new(&keyclass, object[0], 1, &held), 0);
	assert_int_equal(borrow_shared(held, 0), 0);	/* the conflicting site */
	sleep_on_unint(&never, nothing, 0);
}

static void strict_violation(void)
{
	fake_run_in_proc(hold_forever, 0);	/* returns with the holder asleep */
	borrow_set_strict(true);
	borrow_exclusive(held, 0);		/* panics */
}

static void test_strict_panics_with_both_sites(void **state)
{
	char want[160];

	(void)state;
	EXPECT_PANIC(strict_violation(), "refused: already borrowed shared by proc");
	snprintf(want, sizeof want, "conflicting borrow taken at %s:", __FILE__);
	EXPECT_PANIC(strict_violation(), want);
	snprintf(want, sizeof want, "borrow-exclusive of obj 0 (key 1 bytes) at %s:", __FILE__);
	EXPECT_PANIC(strict_violation(), want);
	/* lenient (the default): the same violation is an error, not a panic */
	assert_false(borrow_strict());
}

/* ---- the audit ring and /dev/audit ---------------------------------- */

static void flood(void *arg)
{
	(void)arg;
	for (int i = 0; i < AUDIT_RING + 72; i++)
		borrow_drop(0);
}

static void test_ring_is_bounded(void **state)
{
	static char text[64 * 1024];
	size_t n, lines = 0;

	(void)state;
	run(flood);
	assert_int_equal(audit_total(), AUDIT_RING + 72);
	assert_int_equal(audit_lost(), 72);
	n = audit_format(text, sizeof text);
	assert_true(n < sizeof text);
	assert_memory_equal(text, "(72 older records overwritten)\n", 31);
	for (size_t i = 0; i < n; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, AUDIT_RING + 1);
	assert_non_null(strstr(text, " proc ") != 0 ? strstr(text, "(unit) drop obj 0") : 0);
}

static void test_dev_audit(void **state)
{
	struct chan *c;
	char buf[512];
	long n;

	(void)state;
	run(flood);
	assert_int_equal(dev_attach(&cons_dev, "", &c), 0);
	assert_int_equal(cons_dev.walk(c, "audit"), 0);
	assert_int_equal(cons_dev.open(c, OREAD), 0);
	n = cons_dev.read(c, buf, sizeof buf - 1, 0);
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, "older records overwritten"));
	assert_non_null(strstr(buf, "drop obj 0 (stale handle): refused: stale handle"));
	/* sequential reads see the rest */
	assert_true(cons_dev.read(c, buf, sizeof buf, (uint64_t)n) > 0);
	assert_int_equal(cons_dev.read(c, buf, sizeof buf, 1u << 30), 0);
	/* writes set the mode; anything else is refused */
	assert_int_equal(cons_dev.write(c, "strict\n", 7, 0), 7);
	assert_true(borrow_strict());
	assert_int_equal(cons_dev.write(c, "lenient", 7, 0), 7);
	assert_false(borrow_strict());
	assert_int_equal(cons_dev.write(c, "record", 6, 0), E_INVAL);
	chan_put(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_shared_exclusive, reset),
		cmocka_unit_test_setup(test_generations, reset),
		cmocka_unit_test_setup(test_move, reset),
		cmocka_unit_test_setup(test_exit, reset),
		cmocka_unit_test_setup(test_exit_drops_owned, reset),
		cmocka_unit_test_setup(test_strict_panics_with_both_sites, reset),
		cmocka_unit_test_setup(test_ring_is_bounded, reset),
		cmocka_unit_test_setup(test_dev_audit, reset),
	};

	fake_boot(256, false);	/* procs need pages for their stacks */
	return cmocka_run_group_tests(tests, 0, 0);
}
