/*
 * ramfs, namec and the file calls (core/fs/ramfs.c, namec.c, chan.c,
 * core/kern/sysfile.c), driven through sys_* in a real namespace built as
 * core/kern/main.c builds it: a fresh ramfs root with /dev and /tmp, and
 * the cons device mounted on /dev.
 *
 * Why each test body runs in a proc: sys_* resolve names in curproc()'s
 * namespace and file table, and curproc() is the scheduler's own notion
 * of the running proc.  Faking it would mean replacing proc.c; instead the
 * fake arch runs the body in a proc made by proc_create and switched to by
 * the core's idle loop, on its own stack (arch-hosted's context switch).
 * cmocka's assertions work there; only a failing one jumps back to the
 * boot stack and leaves that proc behind, which ends the run's usefulness
 * but not its report.
 *
 * Leaks: every body must give back all it took.  The wrapper compares
 * kalloc's live objects and bytes before and after each body; after the
 * namespace itself is put nothing may remain: chans, the namespace, the
 * fd table, file data and the tree itself are all freed (see the note at
 * test_namespace_teardown).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <lux/cons.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/ns.h>
#include <lux/proc.h>
#include <lux/sysfile.h>

#include "fake_arch.h"

#define WALLCLOCK_S 1795461989	/* Mon Nov 23 19:26:29 UTC 2026 */

/* ---- the harness: a body in a proc with a fresh namespace ------------- */

static void (*body)(void);
static bool body_done;
static size_t tree_left;	/* live objects the namespace left behind */

static void build_namespace(void)
{
	fake_namespace();
	fake_mount(&cons_dev, "/dev");
	fake_mount(0, "/tmp");
}

static void harness(void *arg)
{
	struct kalloc_stats start, before, after;
	struct proc *p = curproc();

	(void)arg;
	kalloc_stats(&start);
	build_namespace();
	kalloc_stats(&before);
	body();
	kalloc_stats(&after);
	assert_int_equal(after.live_objects, before.live_objects);
	assert_int_equal(after.live_bytes, before.live_bytes);
	fdtab_put(p->fds);
	ns_put(p->ns);
	p->fds = 0;
	p->ns = 0;
	kalloc_stats(&after);
	tree_left = after.live_objects - start.live_objects;
	body_done = true;
}

static void run(void (*fn)(void))
{
	body = fn;
	body_done = false;
	assert_true(fake_run_in_proc(harness, 0));
	assert_true(body_done);
	assert_int_equal(tree_left, 0);
	assert_int_equal(fake_irq_disabled(), 0);
}

#define PROC_TEST(name)                                                        \
	static void name##_body(void);                                         \
	static void name(void **state)                                         \
	{                                                                      \
		(void)state;                                                   \
		run(name##_body);                                              \
	}                                                                      \
	static void name##_body(void)

/* ---- helpers (called inside the proc) --------------------------------- */

static void put_file(const char *path, const char *data)
{
	int fd = sys_create(path, OWRITE, 0644);

	if (fd < 0)
		fail_msg("create %s: %s", path, lux_errstr(fd));
	assert_int_equal(sys_write(fd, data, strlen(data)), (long)strlen(data));
	assert_int_equal(sys_close(fd), 0);
}

static void expect_file(const char *path, const char *want)
{
	static char buf[4096];
	int fd = sys_open(path, OREAD);
	long n;

	if (fd < 0)
		fail_msg("open %s: %s", path, lux_errstr(fd));
	n = sys_read(fd, buf, sizeof buf);
	assert_int_equal(n, (long)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
	assert_int_equal(sys_read(fd, buf, sizeof buf), 0);	/* then end of file */
	assert_int_equal(sys_close(fd), 0);
}

static struct lux_dir stat_of(const char *path)
{
	struct lux_dir d;
	int err = sys_stat(path, &d);

	if (err < 0)
		fail_msg("stat %s: %s", path, lux_errstr(err));
	return d;
}

static void expect_same_file(const char *a, const char *b)
{
	struct lux_dir da = stat_of(a), db = stat_of(b);

	assert_int_equal(da.qid.path, db.qid.path);
	assert_int_equal(da.qid.type, db.qid.type);
	assert_string_equal(da.name, db.name);
}

/* ---- the tests -------------------------------------------------------- */

PROC_TEST(test_create_write_read)
{
	char buf[16];
	struct lux_dir d;
	int fd, rfd;

	fd = sys_create("/tmp/f", ORDWR, 0644);
	assert_true(fd >= 0);
	assert_int_equal(sys_write(fd, "hello", 5), 5);
	assert_int_equal(sys_read(fd, buf, sizeof buf), 0);	/* the offset is at the end */
	assert_int_equal(sys_write(fd, ", world", 7), 7);	/* sequential writes */
	assert_int_equal(sys_fstat(fd, &d), 0);
	assert_int_equal(d.length, 12);
	assert_string_equal(d.name, "f");
	assert_int_equal(d.mode, 0644);
	assert_int_equal(d.qid.type, QTFILE);
	assert_int_equal(d.mtime, WALLCLOCK_S);
	assert_int_equal(d.qid.vers, 2);			/* one bump per write */

	/* a second open has its own offset: read in pieces */
	rfd = sys_open("/tmp/f", OREAD);
	assert_true(rfd >= 0 && rfd != fd);
	assert_int_equal(sys_read(rfd, buf, 5), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(sys_read(rfd, buf, sizeof buf), 7);
	assert_memory_equal(buf, ", world", 7);
	assert_int_equal(sys_read(rfd, buf, sizeof buf), 0);
	assert_int_equal(sys_close(rfd), 0);
	assert_int_equal(sys_close(fd), 0);

	/* an empty file reads as empty; a large one round-trips */
	put_file("/tmp/empty", "");
	expect_file("/tmp/empty", "");
	{
		static char big[3000];
		for (size_t i = 0; i < sizeof big - 1; i++)
			big[i] = (char)('A' + i % 23);
		put_file("/tmp/big", big);
		expect_file("/tmp/big", big);
	}
	assert_int_equal(sys_remove("/tmp/f"), 0);
	assert_int_equal(sys_remove("/tmp/empty"), 0);
	assert_int_equal(sys_remove("/tmp/big"), 0);
}

PROC_TEST(test_append_and_truncate)
{
	int fd;

	put_file("/tmp/f", "hello");
	fd = sys_open("/tmp/f", OWRITE);
	assert_int_equal(sys_seek_end(fd), 0);			/* what '>>' does */
	assert_int_equal(sys_write(fd, " world", 6), 6);
	assert_int_equal(sys_close(fd), 0);
	expect_file("/tmp/f", "hello world");

	/* open without OTRUNC overwrites in place */
	fd = sys_open("/tmp/f", OWRITE);
	assert_int_equal(sys_write(fd, "J", 1), 1);
	assert_int_equal(sys_close(fd), 0);
	expect_file("/tmp/f", "Jello world");

	/* OTRUNC empties it */
	fd = sys_open("/tmp/f", OWRITE | OTRUNC);
	assert_true(fd >= 0);
	assert_int_equal(stat_of("/tmp/f").length, 0);
	assert_int_equal(sys_write(fd, "new", 3), 3);
	assert_int_equal(sys_close(fd), 0);
	expect_file("/tmp/f", "new");

	/* create on an existing file opens it; with OTRUNC it truncates */
	fd = sys_create("/tmp/f", OREAD, 0644);
	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);
	expect_file("/tmp/f", "new");
	fd = sys_create("/tmp/f", OWRITE | OTRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);
	expect_file("/tmp/f", "");

	/* OEXCL: create only */
	assert_int_equal(sys_create("/tmp/f", OWRITE | OEXCL, 0644), E_EXIST);
	fd = sys_create("/tmp/g", OWRITE | OEXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);
	assert_int_equal(sys_remove("/tmp/f"), 0);
	assert_int_equal(sys_remove("/tmp/g"), 0);
}

/* Writes past the end leave a hole that reads as zeros, even where the
 * buffer still holds bytes from before a truncation.  sys_* has no seek,
 * so this uses the chan from namec and the device's write directly. */
PROC_TEST(test_sparse_write)
{
	static unsigned char buf[300];
	struct chan *c;
	int fd;

	put_file("/tmp/s", "XXXXXXXXXX");
	fd = sys_open("/tmp/s", OWRITE | OTRUNC);	/* length 0, old bytes still there */
	assert_int_equal(sys_close(fd), 0);
	assert_int_equal(namec(curproc()->ns, "/tmp/s", NAMEC_OPEN, ORDWR, 0, &c), 0);
	assert_int_equal(c->dev->write(c, "y", 1, 4), 1);
	assert_int_equal(c->dev->write(c, "z", 1, 200), 1);	/* grows the buffer too */
	assert_int_equal(c->dev->read(c, buf, sizeof buf, 0), 201);
	for (int i = 0; i < 201; i++)
		if (i != 4 && i != 200 && buf[i] != 0)
			fail_msg("byte %d of the hole is %#x", i, buf[i]);
	assert_int_equal(buf[4], 'y');
	assert_int_equal(buf[200], 'z');
	assert_int_equal(c->dev->read(c, buf, 10, 195), 6);	/* short read at the end */
	assert_int_equal(c->dev->read(c, buf, 10, 201), 0);
	assert_int_equal(c->dev->read(c, buf, 10, 5000), 0);
	/* no constant caps a file (the quota does): a byte at 64 MiB is one
	 * block; past the format's limit (a 2^63 - 1 byte loff_t) is refused
	 * before any allocation */
	assert_int_equal(c->dev->write(c, "x", 1, 64u << 20), 1);
	assert_int_equal(c->dev->write(c, "x", 1, UINT64_MAX - 1), E_TOOBIG);
	assert_int_equal(c->dev->write(c, "x", 1, INT64_MAX), E_TOOBIG);
	assert_int_equal(c->dev->write(c, "x", 1, INT64_MAX - 1), 1);	/* the last byte */
	assert_int_equal(stat_of("/tmp/s").length, INT64_MAX);
	assert_int_equal(c->dev->read(c, buf, 10, INT64_MAX - 2), 2);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 'x');
	chan_put(c);
	assert_int_equal(sys_remove("/tmp/s"), 0);
}

PROC_TEST(test_directories)
{
	struct lux_dir d;
	char buf[8];
	int fd;

	fd = sys_create("/tmp/d", OREAD, DMDIR | 0755);
	assert_true(fd >= 0);
	assert_int_equal(sys_read(fd, buf, sizeof buf), E_ISDIR);
	assert_int_equal(sys_close(fd), 0);
	d = stat_of("/tmp/d");
	assert_int_equal(d.mode, DMDIR | 0755);
	assert_int_equal(d.qid.type, QTDIR);
	assert_int_equal(d.length, 0);

	/* directories are not for writing */
	assert_int_equal(sys_open("/tmp/d", OWRITE), E_ISDIR);
	assert_int_equal(sys_open("/tmp/d", ORDWR), E_ISDIR);
	assert_int_equal(sys_create("/tmp/e", OWRITE, DMDIR | 0755), E_ISDIR);
	assert_int_equal(sys_stat("/tmp/e", &d), E_NOENT);	/* and nothing was made */
	fd = sys_create("/tmp/d", OREAD, DMDIR | 0755);	/* exists: opened */
	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);

	/* nested */
	assert_int_equal(sys_close(sys_create("/tmp/d/e", OREAD, DMDIR | 0700)), 0);
	put_file("/tmp/d/e/f", "deep");
	expect_file("/tmp/d/e/f", "deep");
	assert_int_equal(sys_remove("/tmp/d/e/f"), 0);
	assert_int_equal(sys_remove("/tmp/d/e"), 0);
	assert_int_equal(sys_remove("/tmp/d"), 0);
}

static int list_dir(const char *path, char names[][LUX_NAMEMAX], struct lux_dir *dirs, int max)
{
	int fd = sys_open(path, OREAD), n = 0, r;

	if (fd < 0)
		fail_msg("open %s: %s", path, lux_errstr(fd));
	while ((r = sys_dirent(fd, (size_t)n, &dirs[n])) == 1) {
		memcpy(names[n], dirs[n].name, LUX_NAMEMAX);
		if (++n == max)
			break;
	}
	assert_true(r == 1 || r == 0);
	assert_int_equal(sys_close(fd), 0);
	return n;
}

PROC_TEST(test_dirent_listing)
{
	static char names[8][LUX_NAMEMAX];
	static struct lux_dir dirs[8];
	int fd;

	assert_int_equal(list_dir("/", names, dirs, 8), 2);
	assert_string_equal(names[0], "dev");
	assert_string_equal(names[1], "tmp");
	assert_int_equal(list_dir("/tmp", names, dirs, 8), 0);

	put_file("/tmp/b", "1");
	assert_int_equal(sys_close(sys_create("/tmp/a", OREAD, DMDIR | 0755)), 0);
	put_file("/tmp/c", "333");
	assert_int_equal(list_dir("/tmp", names, dirs, 8), 3);	/* creation order */
	assert_string_equal(names[0], "b");
	assert_string_equal(names[1], "a");
	assert_string_equal(names[2], "c");
	assert_int_equal(dirs[0].length, 1);
	assert_int_equal(dirs[1].mode & DMDIR, DMDIR);
	assert_int_equal(dirs[1].qid.type, QTDIR);
	assert_int_equal(dirs[2].length, 3);
	assert_int_equal(dirs[2].qid.path, stat_of("/tmp/c").qid.path);

	/* past the end, on a file, on a bad fd */
	fd = sys_open("/tmp", OREAD);
	assert_int_equal(sys_dirent(fd, 3, &dirs[0]), 0);
	assert_int_equal(sys_dirent(fd, 1000, &dirs[0]), 0);
	assert_int_equal(sys_close(fd), 0);
	fd = sys_open("/tmp/b", OREAD);
	assert_int_equal(sys_dirent(fd, 0, &dirs[0]), E_NOTDIR);
	assert_int_equal(sys_close(fd), 0);
	assert_int_equal(sys_dirent(fd, 0, &dirs[0]), E_BADFD);

	/* a removed entry leaves the listing */
	assert_int_equal(sys_remove("/tmp/a"), 0);
	assert_int_equal(list_dir("/tmp", names, dirs, 8), 2);
	assert_string_equal(names[0], "b");
	assert_string_equal(names[1], "c");

	/* the mounted cons device lists its own files */
	assert_int_equal(list_dir("/dev", names, dirs, 8), 8);
	assert_string_equal(names[0], "cons");
	assert_string_equal(names[1], "null");
	assert_string_equal(names[2], "zero");
	assert_string_equal(names[3], "time");
	assert_string_equal(names[4], "audit");
	assert_int_equal(sys_remove("/tmp/b"), 0);
	assert_int_equal(sys_remove("/tmp/c"), 0);
}

PROC_TEST(test_remove)
{
	static char names[4][LUX_NAMEMAX];
	static struct lux_dir dirs[4];
	struct lux_dir d;
	uint64_t old;

	assert_int_equal(sys_close(sys_create("/tmp/d", OREAD, DMDIR | 0755)), 0);
	put_file("/tmp/d/f", "x");
	assert_int_equal(sys_remove("/tmp/d"), E_NOTEMPTY);
	assert_int_equal(sys_stat("/tmp/d/f", &d), 0);		/* refused: all still there */
	assert_int_equal(sys_remove("/tmp/d/f"), 0);
	assert_int_equal(sys_stat("/tmp/d/f", &d), E_NOENT);
	assert_int_equal(sys_remove("/tmp/d/f"), E_NOENT);
	assert_int_equal(sys_remove("/tmp/d"), 0);
	assert_int_equal(sys_stat("/tmp/d", &d), E_NOENT);

	assert_int_equal(sys_remove("/"), E_PERM);		/* the root of the tree */
	assert_int_equal(sys_remove("/dev"), E_PERM);		/* the cons device's root */
	assert_int_equal(sys_remove("/dev/null"), E_PERM);	/* cons files are fixed */
	assert_int_equal(sys_remove("/nope"), E_NOENT);
	assert_int_equal(list_dir("/", names, dirs, 4), 2);	/* /dev and /tmp still there */

	/* a new file of the same name is a new file */
	put_file("/tmp/f", "1");
	old = stat_of("/tmp/f").qid.path;
	assert_int_equal(sys_remove("/tmp/f"), 0);
	put_file("/tmp/f", "2");
	assert_int_not_equal(stat_of("/tmp/f").qid.path, old);
	expect_file("/tmp/f", "2");
	assert_int_equal(sys_remove("/tmp/f"), 0);
}

/* A removed file stays readable and writable through the chans that had
 * it open, and is freed when the last one closes (the harness checks). */
PROC_TEST(test_open_file_survives_remove)
{
	char buf[16];
	struct lux_dir d;
	struct chan *c;
	int r, w;

	put_file("/tmp/f", "data");
	r = sys_open("/tmp/f", OREAD);
	w = sys_open("/tmp/f", OWRITE);
	assert_true(r >= 0 && w >= 0);
	assert_int_equal(namec(curproc()->ns, "/tmp/f", NAMEC_OPEN, OREAD, 0, &c), 0);
	assert_int_equal(sys_remove("/tmp/f"), 0);
	/* removing it again through a chan that still names it (what a
	 * second 9P client's Tremove does): it does not exist, not E_PERM */
	assert_int_equal(c->dev->remove(c), E_NOENT);
	chan_put(c);
	assert_int_equal(sys_stat("/tmp/f", &d), E_NOENT);
	assert_int_equal(sys_open("/tmp/f", OREAD), E_NOENT);
	assert_int_equal(sys_seek_end(w), 0);
	assert_int_equal(sys_write(w, "+more", 5), 5);
	assert_int_equal(sys_read(r, buf, sizeof buf), 9);
	assert_memory_equal(buf, "data+more", 9);
	assert_int_equal(sys_fstat(r, &d), 0);
	assert_int_equal(d.length, 9);
	assert_string_equal(d.name, "f");
	assert_int_equal(sys_close(w), 0);
	assert_int_equal(sys_close(r), 0);

	/* a removed directory likewise: still listable (and empty) */
	assert_int_equal(sys_close(sys_create("/tmp/d", OREAD, DMDIR | 0755)), 0);
	r = sys_open("/tmp/d", OREAD);
	assert_int_equal(sys_remove("/tmp/d"), 0);
	assert_int_equal(sys_dirent(r, 0, &d), 0);
	assert_int_equal(sys_close(r), 0);
}

PROC_TEST(test_walk_errors)
{
	static char name[LUX_NAMEMAX + 8], path[LUX_PATHMAX + 8];
	struct lux_dir d;

	put_file("/tmp/f", "x");
	assert_int_equal(sys_open("/nope", OREAD), E_NOENT);
	assert_int_equal(sys_open("/tmp/nope/f", OREAD), E_NOENT);
	assert_int_equal(sys_create("/tmp/nope/f", OWRITE, 0644), E_NOENT);
	assert_int_equal(sys_open("/tmp/f/x", OREAD), E_NOTDIR);
	assert_int_equal(sys_create("/tmp/f/x", OWRITE, 0644), E_NOTDIR);
	assert_int_equal(sys_stat("/tmp/f/x/y", &d), E_NOTDIR);
	assert_int_equal(sys_open("/dev/null/x", OREAD), E_NOTDIR);
	assert_int_equal(sys_open("/dev/nope", OREAD), E_NOENT);
	assert_int_equal(sys_open("tmp/f", OREAD), E_BADPATH);	/* not absolute */
	assert_int_equal(sys_open("", OREAD), E_BADPATH);

	/* an element of LUX_NAMEMAX-1 bytes is fine; LUX_NAMEMAX is not */
	strcpy(name, "/tmp/");
	memset(name + 5, 'n', LUX_NAMEMAX - 1);
	name[5 + LUX_NAMEMAX - 1] = 0;
	put_file(name, "long");
	assert_int_equal(strlen(stat_of(name).name), LUX_NAMEMAX - 1);
	assert_int_equal(sys_remove(name), 0);
	name[5 + LUX_NAMEMAX - 1] = 'n';
	name[5 + LUX_NAMEMAX] = 0;
	assert_int_equal(sys_create(name, OWRITE, 0644), E_NAMETOOLONG);
	assert_int_equal(sys_open(name, OREAD), E_NAMETOOLONG);
	assert_int_equal(sys_stat(name, &d), E_NAMETOOLONG);

	/* a whole path of LUX_PATHMAX bytes is too long, even made of "/" */
	memset(path, '/', LUX_PATHMAX);
	path[LUX_PATHMAX] = 0;
	assert_int_equal(sys_stat(path, &d), E_NAMETOOLONG);
	path[LUX_PATHMAX - 1] = 0;
	assert_int_equal(sys_stat(path, &d), 0);		/* one less: the root */
	assert_int_equal(sys_remove("/tmp/f"), 0);
}

PROC_TEST(test_dot_and_dotdot)
{
	put_file("/tmp/f", "x");
	expect_same_file("/tmp/.", "/tmp");
	expect_same_file("/./tmp/./f", "/tmp/f");
	expect_same_file("//tmp///f", "/tmp/f");
	expect_same_file("/tmp/..", "/");
	expect_same_file("/tmp/../tmp/f", "/tmp/f");
	/* ".." at the root stays there */
	expect_same_file("/..", "/");
	expect_same_file("/../..", "/");
	expect_same_file("/../../tmp", "/tmp");
	/* out of a mount: back to the parent of the covered directory, i.e.
	 * ramfs's root, not anything on the cons device */
	expect_same_file("/dev/..", "/");
	expect_same_file("/dev/../tmp", "/tmp");
	expect_same_file("/dev/../tmp/f", "/tmp/f");
	expect_same_file("/dev/null/..", "/dev");
	expect_same_file("/dev/../dev/zero", "/dev/zero");
	/* and /dev itself is the cons device's root, not the ramfs dir */
	assert_string_equal(stat_of("/dev").name, "dev");
	assert_int_equal(stat_of("/dev").qid.path, 0);
	assert_int_equal(stat_of("/dev/null").qid.path, 2);
	expect_file("/dev/../tmp/f", "x");
	assert_int_equal(sys_remove("/tmp/../tmp/./f"), 0);
}

PROC_TEST(test_fd_errors)
{
	char buf[4];
	int fds[NFD], fd;

	assert_int_equal(sys_read(-1, buf, 1), E_BADFD);
	assert_int_equal(sys_read(NFD, buf, 1), E_BADFD);
	assert_int_equal(sys_write(5, buf, 1), E_BADFD);
	assert_int_equal(sys_close(-1), E_BADFD);
	assert_int_equal(sys_seek_end(7), E_BADFD);
	put_file("/tmp/f", "abc");

	fd = sys_open("/tmp/f", OWRITE);
	assert_int_equal(sys_read(fd, buf, 1), E_BADMODE);
	assert_int_equal(sys_close(fd), 0);
	assert_int_equal(sys_close(fd), E_BADFD);		/* closed twice */
	fd = sys_open("/tmp/f", OREAD);
	assert_int_equal(sys_write(fd, "x", 1), E_BADMODE);
	assert_int_equal(sys_close(fd), 0);
	expect_file("/tmp/f", "abc");

	/* the table holds NFD; one more is refused and nothing leaks */
	for (int i = 0; i < NFD; i++) {
		fds[i] = sys_open("/tmp/f", OREAD);
		assert_int_equal(fds[i], i);			/* lowest free first */
	}
	assert_int_equal(sys_open("/tmp/f", OREAD), E_MFILE);
	assert_int_equal(sys_create("/tmp/g", OWRITE, 0644), E_MFILE);
	assert_int_equal(sys_close(fds[5]), 0);
	assert_int_equal(sys_open("/tmp/f", OREAD), 5);	/* the hole is reused */
	for (int i = 0; i < NFD; i++)
		assert_int_equal(sys_close(fds[i]), 0);
	assert_int_equal(sys_remove("/tmp/f"), 0);
	/* the fd table is checked before the create, so no file is left
	 * behind by a create that could not be given a descriptor */
	assert_int_equal(sys_remove("/tmp/g"), E_NOENT);
}

PROC_TEST(test_cons_files)
{
	char buf[64];
	long long wall;
	unsigned long long mono;
	int fd;

	fd = sys_open("/dev/null", ORDWR);
	assert_int_equal(sys_write(fd, "gone", 4), 4);
	assert_int_equal(sys_read(fd, buf, sizeof buf), 0);
	assert_int_equal(sys_close(fd), 0);

	fd = sys_open("/dev/zero", OREAD);
	memset(buf, 0xff, sizeof buf);
	assert_int_equal(sys_read(fd, buf, 10), 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal((unsigned char)buf[10], 0xff);
	assert_int_equal(sys_close(fd), 0);
	assert_int_equal(sys_open("/dev/zero", OWRITE), E_PERM);
	assert_int_equal(sys_create("/dev/new", OWRITE, 0644), E_PERM);

	fake_time_ns = 123456789;
	fd = sys_open("/dev/time", OREAD);
	memset(buf, 0, sizeof buf);
	assert_true(sys_read(fd, buf, sizeof buf - 1) > 0);
	assert_int_equal(sscanf(buf, "%lld %llu", &wall, &mono), 2);
	assert_int_equal(wall, fake_wallclock_ns);
	assert_int_equal(mono, 123456789);
	assert_int_equal(sys_read(fd, buf, sizeof buf), 0);	/* then end of file */
	assert_int_equal(sys_close(fd), 0);

	fake_console_clear();
	fd = sys_open("/dev/cons", OWRITE);
	assert_int_equal(sys_write(fd, "to the console\n", 15), 15);
	assert_int_equal(sys_close(fd), 0);
	assert_string_equal(fake_console_text(), "to the console\n");
}

/* Many files made and removed, chans cloned and dropped: the harness
 * checks that live objects come back to where they were. */
PROC_TEST(test_no_leaks_under_churn)
{
	char path[32];

	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof path, "/tmp/f%d", i);
		put_file(path, "some data that needs a buffer of its own");
	}
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof path, "/tmp/../tmp/./f%d", i);
		expect_file(path, "some data that needs a buffer of its own");
		assert_int_equal(sys_remove(path), 0);
	}
	for (int i = 0; i < 20; i++)
		assert_int_equal(sys_open("/tmp/missing", OREAD), E_NOENT);
}

/*
 * After the harness puts the fd table and the namespace, nothing remains
 * (run() asserts tree_left == 0): every chan, the mount, the namespace
 * and the table are gone, and with the last chan on the tree ramfs frees
 * the tree itself (root, dev, tmp).
 */
PROC_TEST(test_namespace_teardown)
{
	put_file("/tmp/f", "x");
	assert_int_equal(sys_remove("/tmp/f"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_write_read),
		cmocka_unit_test(test_append_and_truncate),
		cmocka_unit_test(test_sparse_write),
		cmocka_unit_test(test_directories),
		cmocka_unit_test(test_dirent_listing),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_open_file_survives_remove),
		cmocka_unit_test(test_walk_errors),
		cmocka_unit_test(test_dot_and_dotdot),
		cmocka_unit_test(test_fd_errors),
		cmocka_unit_test(test_cons_files),
		cmocka_unit_test(test_no_leaks_under_churn),
		cmocka_unit_test(test_namespace_teardown),
	};

	fake_wallclock_ns = (int64_t)WALLCLOCK_S * 1000000000;
	fake_boot(256, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
