/*
 * ramfs's metadata operations (core/fs/ramfs_meta.c, the optional ops of
 * <lux/dev.h>): rename within and across directories, symbolic links,
 * permissions enforced on open/create/remove, settable times, truncation
 * to any length and sparse files; hard links and link counts; and
 * wstat's all-or-nothing promise, proved by failing it at every
 * allocation step in turn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <lux/perm.h>
#include <lux/redblue.h>
#include <lux/users.h>

#include "ns_harness.h"

#define WALLCLOCK_S 1795461989

static const struct lux_wstat keep = { 0, LUX_KEEP32, LUX_KEEP64, LUX_KEEP64, LUX_KEEP64, 0, 0, false };

static int wstat_path(const char *path, const struct lux_wstat *w)
{
	struct chan *c = walk(path);
	int err = c->dev->wstat(c, w);

	chan_put(c);
	return err;
}

static int rename_path(const char *from, const char *dir, const char *name)
{
	struct chan *c = walk(from), *d = walk(dir);
	int err = c->dev->rename(c, d, name);

	chan_put(d);
	chan_put(c);
	return err;
}

NS_TEST(test_rename_within_and_across)
{
	struct lux_wstat w = keep;
	uint64_t qpath;

	put_file("/tmp/a", "alpha");
	qpath = stat_of("/tmp/a").qid.path;
	/* within the directory, by wstat and by rename */
	w.name = "b";
	assert_int_equal(wstat_path("/tmp/a", &w), 0);
	assert_int_equal(sys_stat("/tmp/a", &(struct lux_dir){ 0 }), E_NOENT);
	assert_string_equal(file_text("/tmp/b"), "alpha");
	assert_int_equal(stat_of("/tmp/b").qid.path, qpath);	/* the same file */
	assert_int_equal(rename_path("/tmp/b", "/tmp", "c"), 0);
	assert_string_equal(file_text("/tmp/c"), "alpha");
	/* wstat never replaces; rename replaces a file like rename(2) */
	put_file("/tmp/d", "delta");
	w.name = "d";
	assert_int_equal(wstat_path("/tmp/c", &w), E_EXIST);
	assert_int_equal(rename_path("/tmp/c", "/tmp", "d"), 0);
	assert_string_equal(file_text("/tmp/d"), "alpha");
	assert_string_equal(listing("/tmp"), "d");
	/* across directories; a directory carries its contents */
	make_dir("/tmp/x");
	make_dir("/tmp/y");
	assert_int_equal(rename_path("/tmp/d", "/tmp/x", "e"), 0);
	assert_string_equal(file_text("/tmp/x/e"), "alpha");
	assert_int_equal(rename_path("/tmp/x", "/tmp/y", "x2"), 0);
	assert_string_equal(file_text("/tmp/y/x2/e"), "alpha");
	assert_string_equal(listing("/tmp"), "y");
	/* refused: into itself, dir over file, file over dir, non-empty
	 * target, bad names, across devices, the root */
	assert_int_equal(rename_path("/tmp/y", "/tmp/y/x2", "z"), E_INVAL);
	put_file("/tmp/f", "");
	assert_int_equal(rename_path("/tmp/y/x2", "/tmp", "f"), E_NOTDIR);
	assert_int_equal(rename_path("/tmp/f", "/tmp", "y"), E_ISDIR);
	make_dir("/tmp/g");
	assert_int_equal(rename_path("/tmp/g", "/tmp", "y"), E_NOTEMPTY);
	assert_int_equal(rename_path("/tmp/f", "/tmp", "a/b"), E_BADPATH);
	assert_int_equal(rename_path("/tmp/f", "/tmp", ".."), E_BADPATH);
	assert_int_equal(rename_path("/tmp/f", "/dev", "f"), E_XDEV);
	assert_int_equal(rename_path("/", "/tmp", "r"), E_NOENT);
	w.name = "r";
	assert_int_equal(wstat_path("/", &w), E_PERM);
	/* an empty directory may be replaced by a directory */
	assert_int_equal(rename_path("/tmp/y/x2", "/tmp", "g"), 0);
	assert_string_equal(file_text("/tmp/g/e"), "alpha");
	assert_int_equal(sys_remove("/tmp/g/e"), 0);
	assert_int_equal(sys_remove("/tmp/g"), 0);
	assert_int_equal(sys_remove("/tmp/y"), 0);
	assert_int_equal(sys_remove("/tmp/f"), 0);
}

static int link_path(const char *from, const char *dir, const char *name)
{
	struct chan *c = walk(from), *d = walk(dir);
	int err = c->dev->link(c, d, name);

	chan_put(d);
	chan_put(c);
	return err;
}

static uint32_t nlink_of(const char *path)
{
	struct lux_dir d = stat_of(path);

	assert_true(d.nlink_kept);
	return d.nlink;
}

/* Acts as user (the harness runs as eve, whom directories never refuse). */
static void as(const char *user, char saved[LUX_UIDMAX])
{
	if (saved)
		memcpy(saved, curproc()->cred.user, LUX_UIDMAX);
	snprintf(curproc()->cred.user, sizeof curproc()->cred.user, "%s", user);
}

NS_TEST(test_hard_links)
{
	struct lux_wstat w = keep;
	struct lux_dir a, b;
	struct chan *open;
	char eve_name[LUX_UIDMAX];

	put_file("/tmp/a", "alpha");
	make_dir("/tmp/d");
	assert_int_equal(nlink_of("/tmp/a"), 1);
	fake_wallclock_ns = (int64_t)(WALLCLOCK_S + 10) * 1000000000;
	assert_int_equal(link_path("/tmp/a", "/tmp/d", "b"), 0);
	/* one file, two names: the same qid, data, attributes and count,
	 * and the link changed the file's ctime (POSIX) */
	a = stat_of("/tmp/a");
	b = stat_of("/tmp/d/b");
	assert_int_equal(a.qid.path, b.qid.path);
	assert_string_equal(b.name, "b");
	assert_int_equal(a.nlink, 2);
	assert_int_equal(b.nlink, 2);
	assert_int_equal(a.ctime, WALLCLOCK_S + 10);
	assert_string_equal(file_text("/tmp/d/b"), "alpha");
	put_file("/tmp/d/b", "beta");	/* a write through one name ... */
	assert_string_equal(file_text("/tmp/a"), "beta");	/* ... is the other's */
	w.mode = 0600;
	assert_int_equal(wstat_path("/tmp/d/b", &w), 0);
	assert_int_equal(stat_of("/tmp/a").mode, 0600);
	w.mode = LUX_KEEP32;
	/* refused: a taken name, a directory (EPERM on the wire), another
	 * device, another attach of ramfs, a file as the directory, bad names */
	put_file("/tmp/c", "");
	assert_int_equal(link_path("/tmp/a", "/tmp", "c"), E_EXIST);
	assert_int_equal(link_path("/tmp/a", "/tmp/d", "b"), E_EXIST);
	assert_int_equal(link_path("/tmp/d", "/tmp", "d2"), E_DIRLINK);
	assert_int_equal(link_path("/tmp/a", "/dev", "a"), E_XDEV);
	{	/* a tree of its own: names never cross trees */
		struct chan *other, *c = walk("/tmp/a");
		assert_int_equal(dev_attach(&ramfs_dev, "", &other), 0);
		assert_int_equal(c->dev->link(c, other, "a"), E_XDEV);
		chan_put(other);
		chan_put(c);
	}
	assert_int_equal(link_path("/tmp/a", "/tmp/c", "x"), E_NOTDIR);
	assert_int_equal(link_path("/tmp/a", "/tmp", "x/y"), E_BADPATH);
	assert_int_equal(link_path("/tmp/a", "/tmp", ".."), E_BADPATH);
	assert_int_equal(nlink_of("/tmp/a"), 2);
	/* a directory without write (or search) refuses a new name in it */
	w.mode = DMDIR | 0555;
	assert_int_equal(wstat_path("/tmp/d", &w), 0);
	as("bob", eve_name);
	assert_int_equal(link_path("/tmp/c", "/tmp/d", "c"), E_PERM);
	as(eve_name, 0);
	w.mode = DMDIR | 0777;
	assert_int_equal(wstat_path("/tmp/d", &w), 0);
	w.mode = LUX_KEEP32;
	/* removing one name leaves the file under the other, ctime moved */
	fake_wallclock_ns = (int64_t)(WALLCLOCK_S + 20) * 1000000000;
	assert_int_equal(sys_remove("/tmp/a"), 0);
	b = stat_of("/tmp/d/b");
	assert_int_equal(b.nlink, 1);
	assert_int_equal(b.ctime, WALLCLOCK_S + 20);
	assert_string_equal(file_text("/tmp/d/b"), "beta");
	/* an open file whose last name goes reads on with nlink 0, and
	 * cannot be given a name again (linkat(2) of such a file: ENOENT) */
	open = walk("/tmp/d/b");
	assert_int_equal(sys_remove("/tmp/d/b"), 0);
	assert_int_equal(open->dev->stat(open, &b), 0);
	assert_int_equal(b.nlink, 0);
	{
		struct chan *d = walk("/tmp");
		assert_int_equal(open->dev->link(open, d, "back"), E_NOENT);
		chan_put(d);
	}
	assert_int_equal(open->dev->read(open, (char[8]){ 0 }, 4, 0), 4);
	chan_put(open);
	/* rename onto another name of the same file does nothing (rename(2)) */
	assert_int_equal(link_path("/tmp/c", "/tmp/d", "c2"), 0);
	assert_int_equal(rename_path("/tmp/c", "/tmp/d", "c2"), 0);
	assert_string_equal(listing("/tmp"), "d c");
	assert_string_equal(listing("/tmp/d"), "c2");
	assert_int_equal(nlink_of("/tmp/c"), 2);
	/* rename of one name over another file leaves the other names alone */
	put_file("/tmp/e", "echo");
	assert_int_equal(rename_path("/tmp/e", "/tmp/d", "c2"), 0);
	assert_int_equal(nlink_of("/tmp/c"), 1);
	assert_string_equal(file_text("/tmp/d/c2"), "echo");
	/* symbolic links and special files take hard links too, as on Linux */
	{
		struct chan *d = walk("/tmp");
		assert_int_equal(d->dev->symlink(d, "sl", "target"), 0);
		chan_put(d);
	}
	assert_int_equal(link_path("/tmp/sl", "/tmp/d", "sl2"), 0);
	assert_true(stat_of("/tmp/d/sl2").mode & DMSYMLINK);
	assert_int_equal(nlink_of("/tmp/sl"), 2);
	/* every name and inode goes with the tree (the harness counts) */
	assert_int_equal(sys_remove("/tmp/sl"), 0);
	assert_int_equal(sys_remove("/tmp/d/sl2"), 0);
	assert_int_equal(sys_remove("/tmp/d/c2"), 0);
	assert_int_equal(sys_remove("/tmp/c"), 0);
	assert_int_equal(sys_remove("/tmp/d"), 0);
	fake_wallclock_ns = (int64_t)WALLCLOCK_S * 1000000000;
}

static int chan_link_path(const char *from, const char *dir, const char *name)
{
	struct chan *c = walk(from), *d = walk(dir);
	int err = chan_link(c, d, name);

	chan_put(d);
	chan_put(c);
	return err;
}

/* chan_link, the checked link: write and search on the directory, and
 * Linux's protected_hardlinks on the file (its owner, the host owner, or
 * one who may read and write a regular file that is not set-id). */
NS_TEST(test_link_permissions)
{
	struct lux_wstat w = keep;
	char eve_name[LUX_UIDMAX];
	struct chan *d;

	char why[128];
	const char *cmd = "uname bob 1001\n";

	users_init(1000);	/* bob pays for his names: he must be a user */
	assert_int_equal(users_ctl(cmd, strlen(cmd), why, sizeof why), 0);
	make_dir("/tmp/d");
	make_dir("/tmp/closed");
	w.mode = DMDIR | 0777;
	assert_int_equal(wstat_path("/tmp/d", &w), 0);
	w.mode = DMDIR | 0755;
	assert_int_equal(wstat_path("/tmp/closed", &w), 0);
	put_file("/tmp/ro", "");	/* eve's, 0644 (put_file's) */
	put_file("/tmp/rw", "");
	put_file("/tmp/suid", "");
	w.mode = 0666;
	assert_int_equal(wstat_path("/tmp/rw", &w), 0);
	w.mode = DMSETUID | 0666;
	assert_int_equal(wstat_path("/tmp/suid", &w), 0);
	d = walk("/tmp");
	assert_int_equal(d->dev->mknod(d, "fifo", DMNAMEDPIPE | 0666, 0, 0), 0);
	chan_put(d);
	as("bob", eve_name);
	assert_int_equal(chan_link_path("/tmp/ro", "/tmp/d", "ro"), E_NOTOWNER);
	assert_string_equal(proc_errstr(E_NOTOWNER), "permission denied: link ro (not the owner)");
	assert_int_equal(chan_link_path("/tmp/suid", "/tmp/d", "suid"), E_NOTOWNER);
	assert_int_equal(chan_link_path("/tmp/fifo", "/tmp/d", "fifo"), E_NOTOWNER);
	assert_int_equal(chan_link_path("/tmp/rw", "/tmp/closed", "rw"), E_PERM);
	assert_int_equal(chan_link_path("/tmp/rw", "/dev", "rw2"), E_XDEV);	/* before permission */
	assert_int_equal(chan_link_path("/tmp/rw", "/tmp/d", "rw"), 0);	/* may read and write */
	put_file("/tmp/d/own", "");	/* bob's own file, closed to everyone */
	w.mode = 0;
	assert_int_equal(wstat_path("/tmp/d/own", &w), 0);
	assert_int_equal(chan_link_path("/tmp/d/own", "/tmp/d", "own2"), 0);
	as(eve_name, 0);
	assert_int_equal(chan_link_path("/tmp/fifo", "/tmp/d", "fifo"), 0);	/* the host owner */
	assert_string_equal(listing("/tmp/d"), "rw own own2 fifo");
	assert_int_equal(sys_remove("/tmp/d/rw"), 0);
	assert_int_equal(sys_remove("/tmp/d/own"), 0);
	assert_int_equal(sys_remove("/tmp/d/own2"), 0);
	assert_int_equal(sys_remove("/tmp/d/fifo"), 0);
	assert_int_equal(sys_remove("/tmp/d"), 0);
	assert_int_equal(sys_remove("/tmp/closed"), 0);
	assert_int_equal(sys_remove("/tmp/ro"), 0);
	assert_int_equal(sys_remove("/tmp/rw"), 0);
	assert_int_equal(sys_remove("/tmp/suid"), 0);
	assert_int_equal(sys_remove("/tmp/fifo"), 0);
}

/* A directory's count: 2 (its name and its ".") + one ".." per
 * subdirectory, kept through mkdir, rmdir and rename; 0 once removed. */
NS_TEST(test_link_counts)
{
	struct chan *open;
	struct lux_dir d;

	make_dir("/tmp/p");
	assert_int_equal(nlink_of("/tmp/p"), 2);
	put_file("/tmp/p/file", "");
	assert_int_equal(nlink_of("/tmp/p"), 2);	/* files add no ".." */
	make_dir("/tmp/p/s1");
	make_dir("/tmp/p/s2");
	assert_int_equal(nlink_of("/tmp/p"), 4);
	assert_int_equal(nlink_of("/tmp/p/s1"), 2);
	make_dir("/tmp/q");
	assert_int_equal(rename_path("/tmp/p/s1", "/tmp/q", "s1"), 0);	/* across */
	assert_int_equal(nlink_of("/tmp/p"), 3);
	assert_int_equal(nlink_of("/tmp/q"), 3);
	assert_int_equal(rename_path("/tmp/q/s1", "/tmp/q", "t1"), 0);	/* within */
	assert_int_equal(nlink_of("/tmp/q"), 3);
	make_dir("/tmp/q/empty");
	assert_int_equal(nlink_of("/tmp/q"), 4);
	assert_int_equal(rename_path("/tmp/p/s2", "/tmp/q", "empty"), 0);	/* replaces */
	assert_int_equal(nlink_of("/tmp/p"), 2);
	assert_int_equal(nlink_of("/tmp/q"), 4);
	open = walk("/tmp/q/t1");
	assert_int_equal(sys_remove("/tmp/q/t1"), 0);
	assert_int_equal(nlink_of("/tmp/q"), 3);
	assert_int_equal(open->dev->stat(open, &d), 0);
	assert_int_equal(d.nlink, 0);	/* a removed directory, still held */
	chan_put(open);
	assert_int_equal(sys_remove("/tmp/q/empty"), 0);
	assert_int_equal(nlink_of("/tmp/q"), 2);
	assert_int_equal(sys_remove("/tmp/q"), 0);
	assert_int_equal(sys_remove("/tmp/p/file"), 0);
	assert_int_equal(sys_remove("/tmp/p"), 0);
}

NS_TEST(test_symlinks)
{
	struct chan *dir = walk("/tmp"), *c;
	char buf[64];
	struct lux_dir d;

	assert_int_equal(dir->dev->symlink(dir, "l", "../some/where"), 0);
	assert_int_equal(dir->qid.type, QTSYMLINK);	/* the chan became the link */
	chan_put(dir);
	d = stat_of("/tmp/l");
	assert_int_equal(d.mode, DMSYMLINK | 0777);
	assert_int_equal(d.length, 13);
	c = walk("/tmp/l");
	memset(buf, 0, sizeof buf);
	assert_int_equal(c->dev->readlink(c, buf, sizeof buf), 13);
	assert_string_equal(buf, "../some/where");
	assert_int_equal(c->dev->readlink(c, buf, 4), 13);	/* the length, 4 bytes copied */
	chan_put(c);
	/* a link is changed by replacing it, never by writing it */
	assert_int_equal(sys_open("/tmp/l", OWRITE), E_PERM);
	/* refused: an existing name, an empty target, readlink of a file */
	dir = walk("/tmp");
	assert_int_equal(dir->dev->symlink(dir, "l", "x"), E_EXIST);
	assert_int_equal(dir->dev->symlink(dir, "m", ""), E_INVAL);
	assert_int_equal(dir->dev->symlink(dir, "a/b", "x"), E_BADPATH);
	chan_put(dir);
	put_file("/tmp/f", "x");
	c = walk("/tmp/f");
	assert_int_equal(c->dev->readlink(c, buf, sizeof buf), E_INVAL);
	chan_put(c);
	assert_int_equal(sys_remove("/tmp/l"), 0);
	assert_int_equal(sys_remove("/tmp/f"), 0);
}

NS_TEST(test_permissions)
{
	struct lux_wstat w = keep;
	char saved[sizeof curproc()->cred.user];
	int fd;

	put_file("/tmp/f", "data");
	w.mode = 0444;
	assert_int_equal(wstat_path("/tmp/f", &w), 0);
	assert_int_equal(stat_of("/tmp/f").mode, 0444);
	assert_int_equal(sys_open("/tmp/f", OWRITE), E_PERM);
	assert_int_equal(sys_open("/tmp/f", ORDWR), E_PERM);
	assert_int_equal(sys_open("/tmp/f", OREAD | OTRUNC), E_PERM);
	assert_string_equal(file_text("/tmp/f"), "data");
	w.mode = 0200;
	assert_int_equal(wstat_path("/tmp/f", &w), 0);
	assert_int_equal(sys_open("/tmp/f", OREAD), E_PERM);
	fd = sys_open("/tmp/f", OWRITE);
	assert_true(fd >= 0);
	assert_int_equal(sys_close(fd), 0);
	w.mode = 0;
	assert_int_equal(wstat_path("/tmp/f", &w), 0);
	w.mode = LUX_KEEP32;
	w.length = 1;
	assert_int_equal(wstat_path("/tmp/f", &w), E_PERM);	/* truncating needs w */
	assert_int_equal(stat_of("/tmp/f").length, 4);
	w.length = LUX_KEEP64;
	/* a directory without w refuses creates, removes and renames in it,
	 * to everyone but the host owner, who administers directories (perm.c):
	 * the harness runs as eve, so bob tries */
	make_dir("/tmp/d");
	put_file("/tmp/d/in", "");
	w.mode = DMDIR | 0555;
	assert_int_equal(wstat_path("/tmp/d", &w), 0);
	memcpy(saved, curproc()->cred.user, sizeof saved);
	snprintf(curproc()->cred.user, sizeof curproc()->cred.user, "bob");
	assert_int_equal(sys_create("/tmp/d/new", OWRITE, 0644), E_PERM);
	assert_int_equal(sys_remove("/tmp/d/in"), E_PERM);
	assert_int_equal(rename_path("/tmp/d/in", "/tmp", "out"), E_PERM);
	memcpy(curproc()->cred.user, saved, sizeof saved);
	assert_string_equal(listing("/tmp/d"), "in");
	w.mode = DMDIR | 0755;
	assert_int_equal(wstat_path("/tmp/d", &w), 0);
	assert_int_equal(sys_remove("/tmp/d/in"), 0);
	/* the kind never changes, and modes beyond rwx are refused */
	w.mode = 0644;
	assert_int_equal(wstat_path("/tmp/d", &w), E_PERM);
	w.mode = DMDIR | 0644;
	assert_int_equal(wstat_path("/tmp/f", &w), E_PERM);
	w.mode = 0x40000000u | 0644;	/* DMAPPEND */
	assert_int_equal(wstat_path("/tmp/f", &w), E_INVAL);
	assert_int_equal(sys_remove("/tmp/d"), 0);
	assert_int_equal(sys_remove("/tmp/f"), 0);
}

NS_TEST(test_times)
{
	struct lux_wstat w = keep;
	struct lux_dir d;

	put_file("/tmp/f", "x");
	d = stat_of("/tmp/f");
	assert_int_equal(d.mtime, WALLCLOCK_S);
	assert_int_equal(d.atime, WALLCLOCK_S);
	w.mtime = 1000;
	w.atime = 2000;
	assert_int_equal(wstat_path("/tmp/f", &w), 0);
	d = stat_of("/tmp/f");
	assert_int_equal(d.mtime, 1000);
	assert_int_equal(d.atime, 2000);
	assert_int_equal(d.length, 1);	/* untouched */
	w.atime = LUX_KEEP64;
	w.mtime = 5;
	assert_int_equal(wstat_path("/tmp/f", &w), 0);
	assert_int_equal(stat_of("/tmp/f").atime, 2000);	/* kept */
	make_dir("/tmp/d");
	w.mtime = 7;
	w.atime = 8;
	assert_int_equal(wstat_path("/tmp/d", &w), 0);
	d = stat_of("/tmp/d");
	assert_int_equal(d.mtime, 7);
	assert_int_equal(d.atime, 8);
	assert_int_equal(sys_remove("/tmp/d"), 0);
	assert_int_equal(sys_remove("/tmp/f"), 0);
}

/* Read len bytes at off through the chan (sys_* has no seek). */
static void read_at(const char *path, uint64_t off, void *buf, size_t len)
{
	struct chan *c = walk(path);

	assert_int_equal(c->dev->read(c, buf, len, off), (long)len);
	chan_put(c);
}

NS_TEST(test_truncate_any_length_and_sparse)
{
	static unsigned char pat[5000], buf[8000], zero[8000];
	struct kalloc_stats a, b;
	struct lux_wstat w = keep;
	struct chan *c;

	for (size_t i = 0; i < sizeof pat; i++)
		pat[i] = (unsigned char)(1 + i % 251);
	c = walk("/tmp");
	chan_put(c);
	assert_true(sys_close(sys_create("/tmp/f", OWRITE, 0644)) == 0);
	c = walk("/tmp/f");
	assert_int_equal(c->dev->write(c, pat, sizeof pat, 0), (long)sizeof pat);
	/* shrink to the middle of a block, then grow: the cut tail reads zeros */
	w.length = 3001;
	assert_int_equal(c->dev->wstat(c, &w), 0);
	assert_int_equal(stat_of("/tmp/f").length, 3001);
	w.length = 6000;
	assert_int_equal(c->dev->wstat(c, &w), 0);
	read_at("/tmp/f", 0, buf, 6000);
	assert_memory_equal(buf, pat, 3001);
	assert_memory_equal(buf + 3001, zero, 6000 - 3001);
	/* to zero and back: all zeros */
	w.length = 0;
	assert_int_equal(c->dev->wstat(c, &w), 0);
	w.length = 4000;
	assert_int_equal(c->dev->wstat(c, &w), 0);
	read_at("/tmp/f", 0, buf, 4000);
	assert_memory_equal(buf, zero, 4000);
	/* growing by a lot allocates nothing: holes */
	kalloc_stats(&a);
	w.length = 8u << 20;
	assert_int_equal(c->dev->wstat(c, &w), 0);
	kalloc_stats(&b);
	assert_true(b.live_bytes <= a.live_bytes + 256);
	read_at("/tmp/f", (8u << 20) - 8000, buf, 8000);
	assert_memory_equal(buf, zero, 8000);
	/* a sparse write far out costs its block, not what lies before */
	kalloc_stats(&a);
	assert_int_equal(c->dev->write(c, "xyz", 3, 40u << 20), 3);
	kalloc_stats(&b);
	/* one block's descriptor and the maps on its path (its page is the
	 * page allocator's), not the 40 MiB before it */
	assert_true(b.live_bytes < a.live_bytes + 256 * 1024);
	assert_int_equal(stat_of("/tmp/f").length, (40u << 20) + 3);
	read_at("/tmp/f", (40u << 20) - 5, buf, 8);
	assert_memory_equal(buf, "\0\0\0\0\0xyz", 8);
	/* refused: past the format's bound (2^63 - 1), a non-zero directory
	 * length */
	w.length = (uint64_t)INT64_MAX + 1;
	assert_int_equal(c->dev->wstat(c, &w), E_TOOBIG);
	chan_put(c);
	w.length = 1;
	assert_int_equal(wstat_path("/tmp", &w), E_ISDIR);
	assert_int_equal(sys_remove("/tmp/f"), 0);
}

/* A wstat of name, mode, length and mtime together, failed at allocation
 * step 1, 2, ... until it succeeds: every failure leaves every field and
 * the data exactly as they were, and nothing leaks. */
NS_TEST(test_wstat_all_or_nothing)
{
	static unsigned char pat[5000], buf[5000];
	struct lux_wstat w = { "new", 0600, 2500, 77, LUX_KEEP64, 0, 0, false };
	struct kalloc_stats a, b;
	struct lux_dir d;
	struct chan *c;
	int err = -1, attempts = 0;

	for (size_t i = 0; i < sizeof pat; i++)
		pat[i] = (unsigned char)(1 + i % 253);
	assert_true(sys_close(sys_create("/tmp/old", OWRITE, 0644)) == 0);
	c = walk("/tmp/old");
	assert_int_equal(c->dev->write(c, pat, sizeof pat, 0), (long)sizeof pat);
	kalloc_stats(&a);
	for (uint64_t k = 1; k < 50; k++) {
		rb_fail_at(k);
		err = c->dev->wstat(c, &w);
		rb_fail_at(0);
		attempts++;
		if (err == 0)
			break;
		assert_int_equal(err, E_NOMEM);
		d = stat_of("/tmp/old");
		assert_int_equal(d.mode, 0644);
		assert_int_equal(d.length, 5000);
		assert_int_equal(d.mtime, WALLCLOCK_S);
		assert_int_equal(sys_stat("/tmp/new", &d), E_NOENT);
		read_at("/tmp/old", 0, buf, 5000);
		assert_memory_equal(buf, pat, 5000);
		kalloc_stats(&b);
		assert_int_equal(b.live_objects, a.live_objects);
	}
	assert_int_equal(err, 0);
	assert_true(attempts >= 3);	/* the copy of the map, then the cut block */
	d = stat_of("/tmp/new");
	assert_int_equal(d.mode, 0600);
	assert_int_equal(d.length, 2500);
	assert_int_equal(d.mtime, 77);
	read_at("/tmp/new", 0, buf, 2500);
	assert_memory_equal(buf, pat, 2500);
	/* a wstat one of whose fields is refused changes none of the others */
	put_file("/tmp/other", "o");
	w = (struct lux_wstat){ "other", 0644, 10, 99, LUX_KEEP64, 0, 0, false };
	assert_int_equal(c->dev->wstat(c, &w), E_EXIST);
	d = stat_of("/tmp/new");
	assert_int_equal(d.mode, 0600);
	assert_int_equal(d.length, 2500);
	assert_int_equal(d.mtime, 77);
	chan_put(c);
	assert_int_equal(sys_remove("/tmp/new"), 0);
	assert_int_equal(sys_remove("/tmp/other"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rename_within_and_across),
		cmocka_unit_test(test_hard_links),
		cmocka_unit_test(test_link_permissions),
		cmocka_unit_test(test_link_counts),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_truncate_any_length_and_sparse),
		cmocka_unit_test(test_wstat_all_or_nothing),
	};

	fake_wallclock_ns = (int64_t)WALLCLOCK_S * 1000000000;
	fake_boot(2048, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
