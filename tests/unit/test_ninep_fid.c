/*
 * The 9P server's fid table under concurrency and its charges to the
 * connection's budget (core/9p/srv/srv_fid.c, ninep_charge in srv.c; the
 * rules are docs/9p.md's "Concurrency" and "Bounds and budgets").  Two
 * requests in flight are played by one proc switching contexts: a control
 * job's (s->rx) and a pool worker's, which ninep_ctx_of picks by curproc.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "9p/srv/9psrv.h"
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "fake_arch.h"

static struct ninep_conn conn;
static struct ninep_ctx ctx_b;

/* Act as request A (the reader's context) or B (a pool worker's, named
 * by the connection's first runner entry). */
static struct ninep_ctx *as_a(void)
{
	conn.runners[0].p = 0;
	return &conn.rx;
}

static struct ninep_ctx *as_b(void)
{
	conn.runners[0].p = curproc();
	conn.runners[0].x = &ctx_b;
	return &ctx_b;
}

static uint64_t held(enum pebble_kind k)
{
	struct budget_info bi;

	budget_snapshot(conn.budget, &bi);
	return bi.held.n[k];
}

/* A connection of our own, its budget granted g. */
static void fresh_conn(const struct pebbles *g)
{
	int err;

	memset(&conn, 0, sizeof conn);
	memset(&ctx_b, 0, sizeof ctx_b);
	conn.rx.p = curproc();
	conn.budget = budget_grant(curproc()->budget, g, &err);
	assert_non_null(conn.budget);
}

static char *dup(const char *s)
{
	char *p = kmalloc(kstrlen(s) + 1);

	assert_non_null(p);
	kmemcpy(p, s, kstrlen(s) + 1);
	return p;
}

/* A new fid numbered n with path p, entered by the current context. */
static struct ninep_fid *enter(uint32_t n, const char *p)
{
	struct ninep_fid *f;

	assert_int_equal(ninep_fid_new(&conn, n, &f), 0);
	assert_int_equal(ninep_fid_setpath(&conn, f, dup(p)), 0);
	assert_int_equal(ninep_fid_insert(&conn, f), 0);
	return f;
}

static void body(void *arg)
{
	struct pebbles g = { .n = { [PB_FIDS] = 3, [PB_PAGES] = 4 } };
	struct ninep_ctx *a, *b;
	struct ninep_fid *f1, *f, *g7;

	(void)arg;
	fresh_conn(&g);

	/* fids: three fit, the fourth is refused with the budget's sentence */
	a = as_a();
	f1 = enter(1, "/tmp");
	enter(2, "/dev");
	enter(3, "");
	assert_int_equal(held(PB_FIDS), 3);
	assert_int_equal(held(PB_PAGES), 0);	/* three small fids ride in the idle page (NINEP_CONN_SPARE) */
	assert_int_equal(ninep_fid_new(&conn, 4, &f), NINEP_E_NFIDS);
	assert_string_equal(proc_errstr(E_BUDGET), "budget exhausted: fids 3/3");
	ninep_fid_release_all(&conn, a);

	/* two requests share a fid; one that changes it must be alone */
	a = as_a();
	assert_ptr_equal(ninep_fid_get(&conn, 1), f1);
	b = as_b();
	assert_ptr_equal(ninep_fid_get(&conn, 1), f1);
	assert_int_equal(f1->users, 2);
	assert_int_equal(ninep_fid_excl(&conn, f1), NINEP_E_FIDBUSY);
	ninep_fid_release_all(&conn, as_a());
	b = as_b();
	assert_int_equal(ninep_fid_excl(&conn, f1), 0);
	a = as_a();
	assert_null(ninep_fid_get(&conn, 1));	/* B is changing it */
	assert_true(a->busy);
	ninep_fid_release_all(&conn, a);
	assert_false(a->busy);

	/* a clunk while B uses it: out of the table now, freed when B ends */
	ninep_fid_clunk(&conn, f1);
	assert_null(ninep_fid_get(&conn, 1));
	assert_false(a->busy);
	assert_int_equal(held(PB_FIDS), 3);
	ninep_fid_release_all(&conn, as_b());
	assert_int_equal(held(PB_FIDS), 2);

	/* two walks race for newfid 7: one enters, the other is told */
	a = as_a();
	assert_int_equal(ninep_fid_new(&conn, 7, &g7), 0);
	b = as_b();
	assert_int_equal(ninep_fid_new(&conn, 7, &f), NINEP_E_NFIDS);	/* 3/3 again */
	ninep_fid_release_all(&conn, b);
	a = as_a();
	assert_int_equal(ninep_fid_setpath(&conn, g7, dup("/tmp/x")), 0);
	assert_int_equal(ninep_fid_insert(&conn, g7), 0);
	assert_ptr_equal(a->newfid, g7);
	ninep_fid_release_all(&conn, a);
	ninep_fid_clunk(&conn, ninep_fid_get(&conn, 2));
	ninep_fid_release_all(&conn, as_a());
	b = as_b();
	assert_int_equal(ninep_fid_new(&conn, 7, &f), 0);
	assert_int_equal(ninep_fid_insert(&conn, f), NINEP_E_FIDINUSE);
	ninep_fid_free(&conn, f);
	ninep_fid_release_all(&conn, b);

	/* bytes are charged as the pages they round up to, beyond the first
	 * NINEP_CONN_SPARE, which ride in the connection's idle page */
	ninep_fid_clunk_all(&conn);
	assert_int_equal(conn.nfids, 0);
	assert_int_equal(conn.bytes, 0);
	assert_int_equal(held(PB_PAGES), 0);
	assert_int_equal(ninep_charge(&conn, 100), 0);
	assert_int_equal(held(PB_PAGES), 0);
	assert_int_equal(ninep_charge(&conn, NINEP_CONN_SPARE), 0);
	assert_int_equal(held(PB_PAGES), 1);
	assert_int_equal(ninep_charge(&conn, 4096), 0);
	assert_int_equal(held(PB_PAGES), 2);
	assert_int_equal(ninep_charge(&conn, 3 * 4096), E_BUDGET);
	assert_string_equal(proc_errstr(E_BUDGET), "budget exhausted: pages 2/4, 3 wanted");
	assert_int_equal(conn.bytes, 100 + NINEP_CONN_SPARE + 4096);
	ninep_uncharge(&conn, 4096);
	assert_int_equal(held(PB_PAGES), 1);
	ninep_uncharge(&conn, NINEP_CONN_SPARE);
	assert_int_equal(held(PB_PAGES), 0);
	ninep_uncharge(&conn, 100);

	/* everything given back: the budget closes clean (else it panics) */
	assert_int_equal(held(PB_FIDS), 0);
	assert_int_equal(held(PB_PAGES), 0);
	conn.runners[0].p = 0;
	budget_put(conn.budget);
}

static struct ninep_fid *fid(uint32_t n)
{
	for (size_t i = 0; i < conn.nbuckets; i++)
		for (struct ninep_fid *f = conn.fids[i]; f; f = f->next)
			if (f->fid == n)
				return f;
	return 0;
}

/* A rename's fids (ninep_fid_move_begin/_end, srv_meta.c): every fid at
 * or below the old path is taken alone before the device call, or none is;
 * after it they name the new path, charged, and are let go. */
static void rename_body(void *arg)
{
	struct pebbles g = { .n = { [PB_FIDS] = 8, [PB_PAGES] = 8 } };
	struct ninep_fid *moving, *f;
	struct ninep_ctx *a, *b;
	size_t bytes;

	(void)arg;
	fresh_conn(&g);
	a = as_a();
	enter(1, "/a");
	enter(2, "/a/b");
	enter(3, "/a/b/c");
	ninep_fid_release_all(&conn, a);	/* a request holds at most 3 */
	enter(4, "/ab");	/* a prefix, not below */
	f = enter(5, "/a/r");
	f->rootlen = 4;		/* attached at /a/r: its root moves, it stays */
	ninep_fid_release_all(&conn, a);

	/* B reads through fid 3 while A renames /a, holding fid 1: refused,
	 * and nothing is taken */
	b = as_b();
	assert_non_null(ninep_fid_get(&conn, 3));
	a = as_a();
	assert_non_null(ninep_fid_get(&conn, 1));
	assert_int_equal(ninep_fid_move_begin(&conn, "/a", &moving), NINEP_E_FIDBUSY);
	assert_null(moving);
	assert_int_equal(fid(1)->users, 1);
	assert_false(fid(1)->excl);
	assert_int_equal(fid(2)->users, 0);
	assert_false(fid(2)->excl);
	ninep_fid_release_all(&conn, as_b());

	/* now A takes them: B cannot get one while the rename runs */
	a = as_a();
	assert_int_equal(ninep_fid_move_begin(&conn, "/a", &moving), 0);
	assert_non_null(moving);
	b = as_b();
	assert_null(ninep_fid_get(&conn, 2));
	assert_true(b->busy);
	assert_non_null(ninep_fid_get(&conn, 4));	/* not moved: free to use */
	ninep_fid_release_all(&conn, b);

	/* a rename that failed: the old paths, the fids let go */
	a = as_a();
	ninep_fid_move_end(&conn, moving, "/a", 0);
	assert_string_equal(fid(2)->path, "/a/b");
	assert_int_equal(fid(2)->users, 0);
	assert_false(fid(2)->excl);

	/* one that happened: the new paths, each charged for its length */
	bytes = conn.bytes;
	assert_int_equal(ninep_fid_move_begin(&conn, "/a", &moving), 0);
	ninep_fid_move_end(&conn, moving, "/a", "/longer");
	assert_string_equal(fid(1)->path, "/longer");
	assert_string_equal(fid(2)->path, "/longer/b");
	assert_string_equal(fid(3)->path, "/longer/b/c");
	assert_string_equal(fid(4)->path, "/ab");
	assert_string_equal(fid(5)->path, "/a/r");
	assert_int_equal(conn.bytes, bytes + 3 * (kstrlen("/longer") - kstrlen("/a")));
	for (uint32_t n = 1; n <= 5; n++) {
		assert_int_equal(fid(n)->users, n == 1 ? 1 : 0);	/* A still holds 1 */
		assert_int_equal(fid(n)->excl, n == 1);
	}
	ninep_fid_release_all(&conn, a);
	assert_false(fid(1)->excl);

	ninep_fid_clunk_all(&conn);
	assert_int_equal(conn.bytes, 0);
	assert_int_equal(held(PB_FIDS), 0);
	assert_int_equal(held(PB_PAGES), 0);
	conn.runners[0].p = 0;
	budget_put(conn.budget);
}

static void test_rename_takes_the_fids_it_moves(void **state)
{
	(void)state;
	assert_true(fake_run_in_proc(rename_body, 0));
}

static void test_fids_under_concurrency_and_charges(void **state)
{
	(void)state;
	assert_true(fake_run_in_proc(body, 0));
}

/* The fid table starts small inside the connection and grows once, charged
 * to it, when it holds more than 4 a bucket; every fid is found after the
 * move, and the end gives the table back. */
static void grow_body(void *arg)
{
	struct pebbles g = { .n = { [PB_FIDS] = 64, [PB_PAGES] = 8 } };
	struct ninep_ctx *a;

	(void)arg;
	fresh_conn(&g);
	for (uint32_t n = 1; n <= 40; n++) {
		a = as_a();
		enter(n, "/tmp");
		ninep_fid_release_all(&conn, a);
		assert_int_equal(conn.nbuckets, n <= 4 * NINEP_FIDSMALL ? NINEP_FIDSMALL : NINEP_FIDHASH);
	}
	for (uint32_t n = 1; n <= 40; n++)
		assert_non_null(fid(n));
	assert_int_equal(conn.nfids, 40);
	assert_true(conn.bytes >= NINEP_FIDHASH * sizeof(struct ninep_fid *));
	ninep_fid_clunk_all(&conn);
	ninep_fid_table_free(&conn);
	assert_int_equal(conn.nbuckets, 0);
	assert_int_equal(conn.bytes, 0);
	assert_int_equal(held(PB_PAGES), 0);
	budget_put(conn.budget);
}

static void test_fid_table_grows_and_is_given_back(void **state)
{
	(void)state;
	assert_true(fake_run_in_proc(grow_body, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fids_under_concurrency_and_charges),
		cmocka_unit_test(test_rename_takes_the_fids_it_moves),
		cmocka_unit_test(test_fid_table_grows_and_is_given_back),
	};

	fake_boot(256, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
