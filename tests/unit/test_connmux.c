/*
 * drivers/connmux.c, the kernel's parser of the runner's mux records,
 * against hostile input: plain C on the host, no kernel.  What it
 * proves: nothing counts before a SYNC; records split anywhere parse the
 * same; a header that cannot be framed (unknown type, a flag, a length
 * past the maximum, a bad SYNC) loses the stream until the next SYNC and
 * drops every connection; a framed record wrong for its state (an id
 * past the limit, DATA or CLOSE for an id not open, a second OPEN,
 * WINDOW from the runner, DATA past the credit) is dropped and the next
 * one still parses; no buffer ever holds more than its window, whatever
 * random bytes come.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "connmux.h"

static uint8_t bufs[MUX_CONNS][MUX_WINDOW];
static struct mux m;
static int opened[MUX_CONNS], hangups[MUX_CONNS], lost0, lost1, bads;
static const char *last_bad;

static void ev_opened(void *u, unsigned id) { (void)u; opened[id]++; }
static void ev_hangup(void *u, unsigned id) { (void)u; hangups[id]++; }
static void ev_lost(void *u, int flag) { (void)u; flag ? lost1++ : lost0++; }
static void ev_bad(void *u, const char *why, unsigned id) { (void)u, (void)id; bads++; last_bad = why; }
static const struct mux_ev ev = { ev_opened, ev_hangup, ev_lost, ev_bad, 0 };

static int setup(void **state)
{
	uint8_t *b[MUX_CONNS];

	(void)state;
	for (unsigned i = 0; i < MUX_CONNS; i++)
		b[i] = bufs[i];
	memset(opened, 0, sizeof opened);
	memset(hangups, 0, sizeof hangups);
	lost0 = lost1 = bads = 0;
	mux_init(&m, b, &ev);
	return 0;
}

static void feed(const void *p, size_t n) { mux_input(&m, p, n); }

static void rec(uint8_t type, unsigned id, const void *payload, uint32_t len)
{
	uint8_t h[MUX_HDR];

	mux_header(h, type, id, len);
	feed(h, sizeof h);
	if (len)
		feed(payload, len);
}

static void start(void)
{
	uint8_t s[MUX_SYNCLEN];

	mux_sync(s, 0);
	feed("garbage before", 14);
	feed(s, sizeof s);
	assert_int_equal(lost1, 1);	/* the runner asked: answer it */
	assert_false(m.hunting);
}

static uint32_t held(unsigned id)
{
	return m.c[id].rhead - m.c[id].rtail;
}

static void nothing_before_sync(void **state)
{
	(void)state;
	rec(MUX_OPEN, 0, 0, 0);
	rec(MUX_DATA, 0, "abc", 3);
	assert_int_equal(opened[0], 0);
	assert_int_equal(held(0), 0);
	assert_int_equal(bads, 0);	/* hunting: not even refused */
	start();
	rec(MUX_OPEN, 0, 0, 0);
	assert_int_equal(opened[0], 1);
}

/* The same records fed one byte at a time. */
static void split_anywhere(void **state)
{
	uint8_t s[MUX_SYNCLEN], h[MUX_HDR * 2 + 5];
	const uint8_t *p;

	(void)state;
	mux_sync(s, 0);
	mux_header(h, MUX_OPEN, 3, 0);
	mux_header(h + MUX_HDR, MUX_DATA, 3, 5);
	memcpy(h + 2 * MUX_HDR, "hello", 5);
	for (size_t i = 0; i < sizeof s; i++)
		feed(s + i, 1);
	for (size_t i = 0; i < sizeof h; i++)
		feed(h + i, 1);
	assert_int_equal(opened[3], 1);
	assert_int_equal(mux_peek(&m, 3, &p), 5);
	assert_memory_equal(p, "hello", 5);
	assert_int_equal(bads, 0);
}

/* Each framed but wrong record is dropped; the next still parses. */
static void wrong_for_state(void **state)
{
	const uint8_t *p;
	uint8_t win[4] = { 0xff, 0xff, 0, 0 };

	(void)state;
	start();
	rec(MUX_DATA, 5, "stray", 5);		/* not open */
	assert_int_equal(bads, 1);
	rec(MUX_DATA, MUX_CONNS, "far", 3);	/* past the limit */
	rec(MUX_OPEN, 0xffff, 0, 0);
	assert_int_equal(bads, 3);
	rec(MUX_CLOSE, 2, 0, 0);		/* not open */
	rec(MUX_OPEN, 2, 0, 0);
	rec(MUX_OPEN, 2, 0, 0);			/* twice */
	assert_int_equal(opened[2], 1);
	assert_int_equal(bads, 5);
	rec(MUX_WIN, 2, win, 4);		/* the runner grants nothing */
	rec(MUX_OPEN, 4, "x", 1);		/* OPEN has no payload */
	assert_int_equal(opened[4], 0);
	assert_int_equal(bads, 7);
	rec(MUX_DATA, 2, "ok", 2);
	assert_int_equal(mux_peek(&m, 2, &p), 2);
	assert_memory_equal(p, "ok", 2);
	assert_int_equal(lost0, 0);	/* the stream was never lost */
	assert_false(m.hunting);
}

/* A header that cannot be framed: everything goes, until a SYNC. */
static void unframeable(void **state)
{
	static const struct { uint8_t type, flag; uint32_t len; } cases[] = {
		{ 9, 0, 0 }, { 0, 0, 0 }, { MUX_DATA, 1, 1 }, { MUX_DATA, 0, MUX_MAXDATA + 1 },
		{ MUX_DATA, 0, 0xffffffffu }, { MUX_SYNC, 0, 8 },	/* wrong magic below */
	};
	uint8_t h[MUX_SYNCLEN];

	(void)state;
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		setup(0);
		start();
		rec(MUX_OPEN, 1, 0, 0);
		mux_header(h, cases[i].type, 1, cases[i].len);
		h[1] = cases[i].flag;
		memcpy(h + MUX_HDR, "notmagic", 8);
		feed(h, cases[i].type == MUX_SYNC ? MUX_SYNCLEN : MUX_HDR);
		assert_int_equal(lost0, 1);	/* we ask for a fresh start */
		assert_true(m.hunting);
		assert_false(m.c[1].open);
		rec(MUX_OPEN, 1, 0, 0);		/* ignored while hunting */
		assert_int_equal(opened[1], 1);
		mux_sync(h, 1);			/* the runner's answer */
		feed(h, MUX_SYNCLEN);
		assert_false(m.hunting);
		rec(MUX_OPEN, 1, 0, 0);
		assert_int_equal(opened[1], 2);
	}
}

/* Credit: MUX_WINDOW at OPEN, then only what was granted. */
static void credit(void **state)
{
	static uint8_t big[MUX_MAXDATA];
	const uint8_t *p;
	uint32_t n, g;

	(void)state;
	start();
	rec(MUX_OPEN, 7, 0, 0);
	rec(MUX_DATA, 7, big, MUX_MAXDATA);
	rec(MUX_DATA, 7, big, MUX_MAXDATA);
	assert_int_equal(held(7), MUX_WINDOW);
	rec(MUX_DATA, 7, "over", 4);	/* past the credit */
	assert_int_equal(bads, 1);
	assert_true(m.c[7].overrun);	/* the arch closes it */
	assert_int_equal(held(7), MUX_WINDOW);
	n = mux_peek(&m, 7, &p);
	mux_take(&m, 7, n);
	g = mux_grant(&m, 7);
	assert_int_equal(g, MUX_WINDOW);
	assert_int_equal(mux_grant(&m, 7), 0);	/* granted once */
	rec(MUX_DATA, 7, big, 100);
	assert_int_equal(held(7), 100);
	assert_int_equal(bads, 1);
}

/* Either side's CLOSE first; the id is free once both came. */
static void close_both_ways(void **state)
{
	(void)state;
	start();
	rec(MUX_OPEN, 1, 0, 0);
	rec(MUX_CLOSE, 1, 0, 0);
	assert_int_equal(hangups[1], 1);
	rec(MUX_DATA, 1, "late", 4);	/* after its own CLOSE: refused */
	assert_int_equal(bads, 1);
	rec(MUX_OPEN, 1, 0, 0);		/* our CLOSE has not been sent */
	assert_int_equal(bads, 2);
	mux_kclose(&m, 1);
	rec(MUX_OPEN, 1, 0, 0);
	assert_int_equal(opened[1], 2);

	mux_kclose(&m, 1);		/* we close first */
	rec(MUX_DATA, 1, "inflight", 8);	/* sent before it saw ours: dropped quietly */
	assert_int_equal(held(1), 0);
	assert_int_equal(bads, 2);
	rec(MUX_CLOSE, 1, 0, 0);
	assert_int_equal(hangups[1], 1);	/* no hang-up upcall: we closed */
	assert_false(m.c[1].open);
}

/* A SYNC 0 in the middle drops every connection and is answered. */
static void sync_mid_stream(void **state)
{
	uint8_t s[MUX_SYNCLEN];

	(void)state;
	start();
	rec(MUX_OPEN, 0, 0, 0);
	rec(MUX_DATA, 0, "abc", 3);
	mux_sync(s, 0);
	feed(s, sizeof s);
	assert_int_equal(lost1, 2);
	assert_false(m.c[0].open);
	assert_int_equal(held(0), 0);
	mux_sync(s, 1);			/* a stray answer: nothing happens */
	feed(s, sizeof s);
	assert_int_equal(lost1 + lost0, 2);
	assert_false(m.hunting);
}

/* Random bytes after a SYNC, with random valid records mixed in. */
static void random_bytes(void **state)
{
	uint8_t b[4096];
	unsigned seed = 12345;

	(void)state;
	start();
	for (int round = 0; round < 2000; round++) {
		size_t n = 1 + (seed = seed * 1103515245u + 12345u) % sizeof b;

		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
		if (round % 3 == 0 && n > MUX_HDR) {
			mux_header(b, (uint8_t)(1 + (seed >> 8) % 4), (seed >> 4) % 20, (uint32_t)(n - MUX_HDR) % 64);
			if (round % 7 == 0)
				mux_sync(b, 0);
		}
		feed(b, n);
		for (unsigned i = 0; i < MUX_CONNS; i++) {
			const uint8_t *p;

			assert_true(held(i) <= MUX_WINDOW);
			if (round % 5 == 0) {
				mux_take(&m, i, mux_peek(&m, i, &p));
				mux_grant(&m, i);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(nothing_before_sync, setup),
		cmocka_unit_test_setup(split_anywhere, setup),
		cmocka_unit_test_setup(wrong_for_state, setup),
		cmocka_unit_test_setup(unframeable, setup),
		cmocka_unit_test_setup(credit, setup),
		cmocka_unit_test_setup(close_both_ways, setup),
		cmocka_unit_test_setup(sync_mid_stream, setup),
		cmocka_unit_test_setup(random_bytes, setup),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
