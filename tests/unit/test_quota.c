/*
 * Quotas (core/kern/quota.c) and what ramfs charges to them
 * (core/fs/ramfs.c, ramfs_meta.c, ramfs_blocks.c): every byte a file holds
 * is its owner's, charged as a write adds blocks, given back by truncation
 * and by the last reference, moved by chown; a refusal names the user and
 * the numbers; the kernel's reserve holds whatever the quotas promise.
 *
 * Each body runs in a proc with a fresh namespace (ns_harness.h) and acts
 * as the user it names (its cred), as a 9P connection's worker would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <lux/page.h>
#include <lux/quota.h>
#include <lux/redblue.h>
#include <lux/users.h>

#include "ns_harness.h"

/* Copied from core/fs/ramfs.h: what a test expects each thing to cost. */
enum { ENTRY = 512, BLOCK = 4096 + 16, MAP = 1024, LINK = 256 };

static void as(const char *user)
{
	snprintf(curproc()->cred.user, sizeof curproc()->cred.user, "%s", user);
}

static void ctl(const char *cmd)
{
	char why[128];

	if (users_ctl(cmd, strlen(cmd), why, sizeof why) != 0)
		fail_msg("%s: %s", cmd, why);
}

static uint64_t used(const char *user)
{
	uint64_t u, l;

	quota_get(user, &u, &l);
	return u;
}

static uint64_t limit(const char *user)
{
	uint64_t u, l;

	quota_get(user, &u, &l);
	return l;
}

/* A fresh table with bob and alice, bob and alice on their defaults. */
static void users(void)
{
	users_init(1000);
	ctl("uname bob 1001\nuname alice 1002\nquota bob default\nquota alice default\n");
}

static long write_at(const char *path, const void *buf, size_t n, uint64_t off)
{
	struct chan *c;
	long r;

	assert_int_equal(namec(curproc()->ns, path, NAMEC_OPEN, OWRITE, 0, &c), 0);
	r = c->dev->write(c, buf, n, off);
	chan_put(c);
	return r;
}

static int wstat_path(const char *path, const struct lux_wstat *w)
{
	struct chan *c;
	int err;

	assert_int_equal(namec(curproc()->ns, path, NAMEC_OPEN, OREAD, 0, &c), 0);
	err = c->dev->wstat(c, w);
	chan_put(c);
	return err;
}

static void create(const char *path)
{
	int fd = sys_create(path, OWRITE, 0666);

	if (fd < 0)
		fail_msg("create %s: %s", path, proc_errstr(fd));
	assert_int_equal(sys_close(fd), 0);
}

static uint64_t length(const char *path)
{
	struct lux_dir d;

	assert_int_equal(sys_stat(path, &d), 0);
	return d.length;
}

static struct lux_wstat keep(void)
{
	return (struct lux_wstat){ 0, LUX_KEEP32, LUX_KEEP64, LUX_KEEP64, LUX_KEEP64, 0, 0, false };
}

static char big[64 * 1024];

/* ---- the accounts alone ----------------------------------------------- */

NS_TEST(test_accounts)
{
	char text[512];

	users();
	/* the defaults: eve all but the reserve, anyone else half of that */
	uint64_t room = (uint64_t)(page_total() - quota_reserve_pages()) * PAGE_SIZE;
	assert_int_equal(limit("eve"), room);
	assert_int_equal(limit("bob"), room / 2);
	assert_true(quota_reserve_pages() >= page_total() / 8);
	ctl("quota bob 64K\n");
	assert_int_equal(limit("bob"), 64 * 1024);
	assert_int_equal(quota_charge("bob", 60 * 1024), 0);
	assert_int_equal(quota_charge("bob", 8 * 1024), E_QUOTA);
	assert_string_equal(proc_errstr(E_QUOTA),
	                    "quota exceeded: bob 60.0/64.0 KiB, 8.0 KiB more wanted");
	assert_int_equal(used("bob"), 60 * 1024);	/* a refusal charges nothing */
	assert_int_equal(quota_charge("bob", 4 * 1024), 0);	/* exactly full */
	/* a move to someone without room moves nothing */
	ctl("quota alice 1M\n");
	assert_int_equal(quota_charge("alice", 1000 * 1024), 0);
	assert_int_equal(quota_move("bob", "alice", 64 * 1024), E_QUOTA);
	assert_string_equal(proc_errstr(E_QUOTA), "quota exceeded: alice 1.0/1.0 MiB");
	assert_int_equal(used("bob"), 64 * 1024);
	quota_release("alice", 1000 * 1024);
	assert_int_equal(quota_move("bob", "alice", 64 * 1024), 0);
	assert_int_equal(used("bob"), 0);
	assert_int_equal(used("alice"), 64 * 1024);
	/* the listing: a line per user of the table */
	quota_format(text, sizeof text);
	assert_non_null(strstr(text, "alice 65536 1048576\n"));
	assert_non_null(strstr(text, "bob 0 65536\n"));
	/* a deleted owner's bytes stay charged (its files keep the name) and
	 * are listed with limit 0; they may shrink, not grow */
	ctl("deluser alice\n");
	quota_format(text, sizeof text);
	assert_non_null(strstr(text, "alice 65536 0\n"));
	assert_int_equal(quota_charge("alice", 1), E_QUOTA);
	assert_string_equal(proc_errstr(E_QUOTA),
	                    "quota exceeded: alice is not a user (/adm/users)");
	quota_release("alice", 64 * 1024);
	quota_format(text, sizeof text);
	assert_null(strstr(text, "alice"));
	/* a new alice starts on the default limit */
	ctl("uname alice 1002\n");
	assert_int_equal(limit("alice"), room / 2);
	/* the host owner's language: suffixes, default, refusals */
	ctl("quota bob 2G\n");
	assert_int_equal(limit("bob"), 2ull << 30);
	ctl("quota bob default\n");
	assert_int_equal(limit("bob"), room / 2);
	{
		char why[128];
		assert_int_equal(users_ctl("quota bob lots\n", 15, why, sizeof why), E_INVAL);
		assert_non_null(strstr(why, "want quota NAME BYTES"));
		assert_int_equal(users_ctl("quota bob -5\n", 13, why, sizeof why), E_INVAL);
		assert_int_equal(users_ctl("quota bob 99999999999G\n", 23, why, sizeof why), E_INVAL);
		assert_int_equal(users_ctl("quota carol 1M\n", 15, why, sizeof why), E_NOENT);
		assert_string_equal(why, "users: no such user: carol");
	}
}

/* Giving back more than is held is a double release: stop, not wrap. */
static void test_double_release(void **state)
{
	(void)state;
	EXPECT_PANIC(quota_release("bob", 1), "a double release");
	EXPECT_PANIC((quota_charge("eve", 10), quota_release("eve", 11)), "a double release");
}

NS_TEST(test_reserve)
{
	size_t reserve = quota_reserve_pages(), free = page_free_count();

	assert_int_equal(quota_room(1), 0);
	assert_int_equal(quota_room(free - reserve), 0);	/* down to the reserve */
	assert_int_equal(quota_room(free - reserve + 1), E_NOSPC);
	assert_non_null(strstr(proc_errstr(E_NOSPC), "no space: the machine's memory is full"));
	assert_int_equal(quota_room(free + 1), E_NOSPC);
}

/* ---- what ramfs charges ------------------------------------------------ */

NS_TEST(test_write_truncate_remove)
{
	struct lux_wstat w = keep();
	uint64_t base;
	int fd;

	users();
	as("bob");
	base = used("bob");
	create("/tmp/f");
	assert_int_equal(used("bob"), base + ENTRY);	/* an entry costs its node */
	assert_int_equal(write_at("/tmp/f", "hello", 5, 0), 5);
	assert_int_equal(used("bob"), base + ENTRY + MAP + BLOCK);
	assert_int_equal(write_at("/tmp/f", "again", 5, 0), 5);	/* no new block */
	assert_int_equal(used("bob"), base + ENTRY + MAP + BLOCK);
	assert_int_equal(write_at("/tmp/f", big, 8192, 4096), 8192);	/* blocks 1 and 2 */
	assert_int_equal(used("bob"), base + ENTRY + MAP + 3 * BLOCK);
	/* a hole costs nothing: a byte far out is one block and its path */
	assert_int_equal(write_at("/tmp/f", "x", 1, 1ull << 40), 1);
	/* 2^28 blocks in: a tree 5 maps deep, so 4 new tops and 4 maps down */
	assert_int_equal(used("bob"), base + ENTRY + 9 * MAP + 4 * BLOCK);
	/* truncation gives back what it drops, and only that (the tree
	 * gets shallow again) */
	w.length = 5000;	/* blocks 0 and 1 stay */
	assert_int_equal(wstat_path("/tmp/f", &w), 0);
	assert_int_equal(used("bob"), base + ENTRY + MAP + 2 * BLOCK);
	fd = sys_open("/tmp/f", OWRITE | OTRUNC);
	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);
	assert_int_equal(used("bob"), base + ENTRY);
	/* an open file that is removed stays paid for until its last chan */
	assert_int_equal(write_at("/tmp/f", big, 3 * 4096, 0), 3 * 4096);
	fd = sys_open("/tmp/f", OREAD);
	assert_true(fd >= 0);
	assert_int_equal(sys_remove("/tmp/f"), 0);
	assert_int_equal(used("bob"), base + ENTRY + MAP + 3 * BLOCK);
	assert_int_equal(sys_close(fd), 0);
	assert_int_equal(used("bob"), base);
	/* directories and special files have owners too */
	make_dir("/tmp/d");
	assert_int_equal(used("bob"), base + ENTRY);
	assert_int_equal(sys_remove("/tmp/d"), 0);
	assert_int_equal(used("bob"), base);
	{
		struct chan *d = walk("/tmp");
		assert_int_equal(d->dev->mknod(d, "fifo", DMNAMEDPIPE | 0644, 0, 0), 0);
		chan_put(d);
	}
	assert_int_equal(used("bob"), base + ENTRY);
	assert_int_equal(sys_remove("/tmp/fifo"), 0);
	assert_int_equal(used("bob"), base);
	as("");
}

NS_TEST(test_over_quota)
{
	uint64_t full;
	long r;

	users();
	ctl("quota bob 64K\n");
	as("bob");
	create("/tmp/b");
	/* 64 KiB - the entry - a map holds 15 blocks of 4112 */
	r = write_at("/tmp/b", big, sizeof big, 0);
	assert_int_equal(r, E_QUOTA);
	assert_string_equal(proc_errstr(E_QUOTA), "quota exceeded: bob 61.7/64.0 KiB, 4.0 KiB more wanted");
	/* the write was all or nothing: the file is as it was, the charge back */
	assert_int_equal(length("/tmp/b"), 0);
	assert_int_equal(used("bob"), ENTRY);
	assert_int_equal(write_at("/tmp/b", big, 15 * 4096, 0), 15 * 4096);
	full = used("bob");
	assert_int_equal(full, ENTRY + MAP + 15 * BLOCK);
	assert_int_equal(write_at("/tmp/b", "x", 1, 15 * 4096), E_QUOTA);
	{	/* exactly full: not even an entry more */
		char cmd[64];
		snprintf(cmd, sizeof cmd, "quota bob %llu\n", (unsigned long long)full);
		ctl(cmd);
	}
	assert_int_equal(sys_create("/tmp/c", OWRITE, 0666), E_QUOTA);
	assert_string_equal(proc_errstr(E_QUOTA), "quota exceeded: bob 61.7/61.7 KiB, 0.5 KiB more wanted");
	/* rewriting what is there costs nothing new */
	assert_int_equal(write_at("/tmp/b", big, 15 * 4096, 0), 15 * 4096);
	assert_int_equal(used("bob"), full);
	/* another user is not affected */
	as("alice");
	create("/tmp/a");
	assert_int_equal(write_at("/tmp/a", big, sizeof big, 0), (long)sizeof big);
	assert_int_equal(sys_remove("/tmp/a"), 0);
	/* a lower limit than what is held: nothing grows, shrinking works */
	as("bob");
	ctl("quota bob 16K\n");
	assert_int_equal(write_at("/tmp/b", "x", 1, 15 * 4096), E_QUOTA);
	assert_string_equal(proc_errstr(E_QUOTA),
	                    "quota exceeded: bob 61.7/16.0 KiB, 4.0 KiB more wanted");
	struct lux_wstat w = keep();
	w.length = 4096;
	assert_int_equal(wstat_path("/tmp/b", &w), 0);
	assert_int_equal(used("bob"), ENTRY + MAP + BLOCK);
	/* raising it lets the file grow again */
	ctl("quota bob 1M\n");
	assert_int_equal(write_at("/tmp/b", big, sizeof big, 4096), (long)sizeof big);
	assert_int_equal(sys_remove("/tmp/b"), 0);
	assert_int_equal(used("bob"), 0);
	as("");
}

/* A hard link: the data stays its owner's, charged once; the new name is
 * its maker's to pay for, and a full quota refuses it. */
NS_TEST(test_hard_link_charges)
{
	struct chan *c, *d;
	uint64_t file = ENTRY + MAP + BLOCK;

	users();
	as("bob");
	create("/tmp/f");
	assert_int_equal(write_at("/tmp/f", "hello", 5, 0), 5);
	assert_int_equal(used("bob"), file);
	as("alice");
	c = walk("/tmp/f");
	d = walk("/tmp");
	assert_int_equal(c->dev->link(c, d, "g"), 0);
	assert_int_equal(used("alice"), LINK);	/* the name, not the data */
	assert_int_equal(used("bob"), file);
	/* alice at her limit: no name more, and nothing changed */
	ctl("quota alice 256\n");
	assert_int_equal(c->dev->link(c, d, "h"), E_QUOTA);
	assert_int_equal(sys_stat("/tmp/h", &(struct lux_dir){ 0 }), E_NOENT);
	assert_int_equal(used("alice"), LINK);
	chan_put(d);
	chan_put(c);
	/* bob's name goes: the file lives on under alice's, still bob's to
	 * pay for (its owner), and a write through her name charges him */
	assert_int_equal(sys_remove("/tmp/f"), 0);
	assert_int_equal(write_at("/tmp/g", big, 4096, 4096), 4096);
	assert_int_equal(used("bob"), file + BLOCK);
	assert_int_equal(used("alice"), LINK);
	assert_int_equal(sys_remove("/tmp/g"), 0);
	assert_int_equal(used("bob"), 0);
	assert_int_equal(used("alice"), 0);
	as("");
}

NS_TEST(test_chown_moves_the_charge)
{
	struct lux_wstat w = keep();
	uint64_t cost = ENTRY + MAP + 4 * BLOCK;

	users();
	as("bob");
	create("/tmp/f");
	assert_int_equal(write_at("/tmp/f", big, 4 * 4096, 0), 4 * 4096);
	assert_int_equal(used("bob"), cost);
	as("");	/* eve: chown is the host owner's */
	w.uid = "alice";
	assert_int_equal(wstat_path("/tmp/f", &w), 0);
	assert_int_equal(used("bob"), 0);
	assert_int_equal(used("alice"), cost);
	/* a new owner without room refuses the whole wstat, name included */
	ctl("quota bob 8K\n");
	w.uid = "bob";
	w.name = "g";
	assert_int_equal(wstat_path("/tmp/f", &w), E_QUOTA);
	assert_string_equal(proc_errstr(E_QUOTA),
	                    "quota exceeded: bob 0.0/8.0 KiB, 17.6 KiB more wanted");
	assert_int_equal(used("alice"), cost);
	assert_int_equal(sys_stat("/tmp/g", &(struct lux_dir){ 0 }), E_NOENT);
	/* chown and truncate at once: the new owner takes what is left, the
	 * old one gets the rest back */
	w.length = 4096;
	assert_int_equal(wstat_path("/tmp/f", &w), 0);
	assert_int_equal(used("alice"), 0);
	assert_int_equal(used("bob"), ENTRY + MAP + BLOCK);
	assert_int_equal(length("/tmp/g"), 4096);
	/* writes now charge the new owner, whoever writes */
	ctl("quota bob 1M\n");
	assert_int_equal(write_at("/tmp/g", big, 4096, 4096), 4096);
	assert_int_equal(used("bob"), ENTRY + MAP + 2 * BLOCK);
	assert_int_equal(sys_remove("/tmp/g"), 0);
	assert_int_equal(used("bob"), 0);
}

/* A write of many blocks, failed at each allocation step in turn: every
 * failure leaves the file as it was and gives back what it charged. */
NS_TEST(test_aborted_write_gives_back)
{
	uint64_t before;
	long r = -1;
	int attempts = 0;

	users();
	as("bob");
	create("/tmp/f");
	assert_int_equal(write_at("/tmp/f", big, 4096, 0), 4096);
	before = used("bob");
	for (uint64_t k = 1; k < 64 && r < 0; k++, attempts++) {
		rb_fail_at(k);
		r = write_at("/tmp/f", big, 6 * 4096, 2048);
		rb_fail_at(0);
		if (r < 0) {
			assert_int_equal(r, E_NOMEM);
			assert_int_equal(used("bob"), before);
			assert_int_equal(length("/tmp/f"), 4096);
		}
	}
	assert_int_equal(r, 6 * 4096);
	assert_true(attempts >= 6);
	assert_int_equal(used("bob"), before + 6 * BLOCK);
	assert_int_equal(sys_remove("/tmp/f"), 0);
	assert_int_equal(used("bob"), 0);
	as("");
}

/* However big the quota, file growth stops at the kernel's reserve. */
NS_TEST(test_reserve_stops_growth)
{
	size_t reserve = quota_reserve_pages();
	uint64_t off = 0;
	long r;

	users();
	ctl("quota bob 1G\n");
	as("bob");
	create("/tmp/f");
	while ((r = write_at("/tmp/f", big, sizeof big, off)) > 0)
		off += (uint64_t)r;
	assert_int_equal(r, E_NOSPC);
	while ((r = write_at("/tmp/f", big, 4096, off)) > 0)	/* the last pages */
		off += (uint64_t)r;
	assert_int_equal(r, E_NOSPC);
	assert_non_null(strstr(proc_errstr(E_NOSPC), "no space: the machine's memory is full"));
	assert_true(page_free_count() >= reserve);
	assert_true(page_free_count() < reserve + 2);	/* it did fill up to there */
	assert_true(off > 0);
	assert_int_equal(length("/tmp/f"), off);
	/* shrinking still works: cutting inside a block copies it, and that
	 * copy may dip into the reserve (the cut gives back more) */
	{
		struct lux_wstat w = keep();
		assert_int_equal(quota_room(1), E_NOSPC);	/* not a page more */
		w.length = off - 4096 - 100;
		assert_int_equal(wstat_path("/tmp/f", &w), 0);
		assert_int_equal(length("/tmp/f"), off - 4096 - 100);
		off -= 2 * 4096;	/* a whole block less: no copy */
		w.length = off;
		assert_int_equal(wstat_path("/tmp/f", &w), 0);
		while ((r = write_at("/tmp/f", big, 4096, off)) > 0)	/* full again */
			off += (uint64_t)r;
		assert_int_equal(r, E_NOSPC);
	}
	/* files are full for everyone, quota or not... */
	as("alice");
	create("/tmp/a");
	assert_int_equal(write_at("/tmp/a", "x", 1, 0), E_NOSPC);
	assert_int_equal(sys_remove("/tmp/a"), 0);
	/* ...but what the reserve is for still has its memory */
	void *p = kmalloc(reserve * PAGE_SIZE / 2);
	assert_non_null(p);
	kfree(p);
	as("bob");
	assert_int_equal(sys_remove("/tmp/f"), 0);
	assert_int_equal(used("bob"), 0);
	as("");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: a panic's fork is clean only before procs have run */
		cmocka_unit_test(test_double_release),
		cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_write_truncate_remove),
		cmocka_unit_test(test_over_quota),
		cmocka_unit_test(test_hard_link_charges),
		cmocka_unit_test(test_chown_moves_the_charge),
		cmocka_unit_test(test_aborted_write_gives_back),
		cmocka_unit_test(test_reserve_stops_growth),
	};

	fake_boot(2048, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
