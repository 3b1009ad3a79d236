/*
 * Exchange pages (core/kern/exchange.c): a 1 MiB buffer moves between two
 * procs with no copy (the receiver maps the very same pages) and no access
 * after the transfer (the sender's handle is refused and audited).  Also:
 * a blocked receiver wakes on a send, allocation failures leak nothing,
 * and a buffer sent to a proc that exits without collecting it is freed.
 * Every test ends with every page back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <lux/audit.h>
#include <lux/error.h>
#include <lux/exchange.h>
#include <lux/page.h>
#include <lux/proc.h>

#include "fake_arch.h"

#define MIB_PAGES (1024u * 1024 / PAGE_SIZE)

static size_t free_at_start;

static int reset(void **state)
{
	(void)state;
	borrow_reset();
	audit_reset();
	borrow_set_strict(false);
	page_fail_next(0);
	free_at_start = page_free_count();
	return 0;
}

static void expect_clean(void)
{
	assert_null(borrow_check());
	assert_int_equal(exchange_pages(), 0);
	assert_int_equal(page_free_count(), free_at_start);
	assert_int_equal(fake_irq_disabled(), 0);
}

static struct {
	bhandle sent;		/* the sender's handle, dead after the send */
	bhandle got;		/* the receiver's */
	unsigned char *sender_ptr, *receiver_ptr;
	int recv_err, map_err, bad_bytes, free_err;
	struct proc *receiver;
} x;

static void receiver(void *arg)
{
	(void)arg;
	x.recv_err = exchange_recv(&x.got);	/* sleeps until the send */
	x.map_err = exchange_map_ro(x.got, (void **)&x.receiver_ptr);
	if (x.map_err == 0) {
		for (size_t i = 0; i < MIB_PAGES * PAGE_SIZE; i++)
			x.bad_bytes += x.receiver_ptr[i] != (unsigned char)(i * 7 + i / PAGE_SIZE);
		exchange_unmap(x.got);
	}
	x.free_err = exchange_free(x.got);
}

static void sender(void *arg)
{
	bhandle h;
	void *p;

	(void)arg;
	x.receiver = proc_create("receiver", PRIO_NORMAL, receiver, 0, 0);
	assert_non_null(x.receiver);
	proc_yield();	/* the receiver blocks in exchange_recv */
	assert_int_equal(x.receiver->state, PROC_SLEEPING);
	assert_int_equal(exchange_alloc(MIB_PAGES, &h), 0);
	assert_int_equal(exchange_pages(), MIB_PAGES);
	assert_int_equal(exchange_map(h, &p), 0);
	x.sender_ptr = p;
	for (size_t i = 0; i < MIB_PAGES * PAGE_SIZE; i++)
		x.sender_ptr[i] = (unsigned char)(i * 7 + i / PAGE_SIZE);
	assert_int_equal(exchange_send(h, x.receiver), E_BORROWED);	/* still mapped */
	assert_int_equal(exchange_unmap(h), 0);
	x.sent = h;
	assert_int_equal(exchange_send(h, x.receiver), 0);
	/* the sender's handle is dead: every use is refused and audited */
	p = (void *)1;
	assert_int_equal(exchange_map_ro(h, &p), E_STALE);
	assert_null(p);
	assert_int_equal(exchange_map(h, &p), E_STALE);
	assert_int_equal(exchange_send(h, curproc()), E_STALE);
	assert_int_equal(exchange_free(h), E_STALE);
	assert_int_equal(exchange_tryrecv(&h), E_NOENT);	/* it went to the receiver */
	proc_join(x.receiver);
}

static void test_move_one_mib(void **state)
{
	static char text[16 * 1024];

	(void)state;
	memset(&x, 0, sizeof x);
	assert_true(fake_run_in_proc(sender, 0));
	assert_int_equal(x.recv_err, 0);
	assert_int_equal(x.map_err, 0);
	/* no copy: the receiver reads the very pages the sender wrote */
	assert_ptr_equal(x.receiver_ptr, x.sender_ptr);
	assert_int_equal(x.bad_bytes, 0);
	assert_int_equal((uint32_t)x.got, (uint32_t)x.sent);	/* same object ... */
	assert_int_not_equal(x.got, x.sent);			/* ... new generation */
	assert_int_equal(x.free_err, 0);
	/* one refusal for the send while mapped, four for the dead handle */
	assert_int_equal(audit_total(), 5);
	audit_format(text, sizeof text);
	assert_non_null(strstr(text, "(unit) move obj 0 (exchange 256 pages): refused: borrowed exclusively by proc"));
	assert_non_null(strstr(text, "(unit) borrow-shared obj 0 (stale handle): refused: stale handle"));
	expect_clean();
}

/* Allocation failures (pages, then table slots) leak nothing. */
static void failing(void *arg)
{
	bhandle h[BORROW_MAXOBJ + 1];
	int n = 0, err;

	(void)arg;
	page_fail_next(1);
	assert_int_equal(exchange_alloc(4, &h[0]), E_NOMEM);
	assert_int_equal(h[0], 0);
	assert_int_equal(exchange_alloc(0, &h[0]), E_INVAL);
	while ((err = exchange_alloc(1, &h[n])) == 0)
		n++;
	assert_int_equal(err, E_NOMEM);
	assert_int_equal(n, BORROW_MAXOBJ);	/* the table filled before the pages ran out */
	assert_int_equal(exchange_pages(), BORROW_MAXOBJ);
	while (n > 0)
		assert_int_equal(exchange_free(h[--n]), 0);
}

static void test_failures_leak_nothing(void **state)
{
	(void)state;
	assert_true(fake_run_in_proc(failing, 0));
	expect_clean();
}

/* A buffer sent to a proc that never collects it dies with that proc. */
static void ignorer(void *arg)
{
	(void)arg;
	proc_yield();
}

static void send_to_ignorer(void *arg)
{
	struct proc *p = proc_create("ignorer", PRIO_NORMAL, ignorer, 0, 0);
	bhandle h;

	(void)arg;
	assert_int_equal(exchange_alloc(8, &h), 0);
	assert_int_equal(exchange_send(h, p), 0);
	assert_int_equal(exchange_pages(), 8);
	proc_join(p);
	assert_int_equal(exchange_pages(), 0);
}

static void test_unreceived_freed_at_exit(void **state)
{
	static char text[4096];

	(void)state;
	assert_true(fake_run_in_proc(send_to_ignorer, 0));
	audit_format(text, sizeof text);
	assert_non_null(strstr(text, "(ignorer) exit-drop obj 0 (exchange 8 pages): moved to it and never received"));
	expect_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_move_one_mib, reset),
		cmocka_unit_test_setup(test_failures_leak_nothing, reset),
		cmocka_unit_test_setup(test_unreceived_freed_at_exit, reset),
	};

	fake_boot(1024, false);	/* 1 MiB to move, plus proc stacks */
	return cmocka_run_group_tests(tests, 0, 0);
}
