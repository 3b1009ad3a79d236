/*
 * Namespaces at run time (core/ns/mount.c, union.c, nsctl.c, namec.c):
 * replacing binds, union directories (-b, -a: walk order, merged reads
 * where an earlier name hides a later one, creates going to the -c
 * member), unmount of a whole mount or one member, the bounds, the
 * command language and the table /proc/N/ns prints, which must replay
 * into the same table; and directory-read cookies that survive entries
 * removed and created while a reader is between calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ns_harness.h"

static int cmd(const char *line)
{
	char why[160];

	return ns_ctl(curproc()->ns, line, strlen(line), why, sizeof why);
}

/* The table as text (static buffer). */
static const char *table(void)
{
	static char buf[4096];

	assert_true(ns_format(curproc()->ns, buf, sizeof buf) < sizeof buf);
	return buf;
}

static void two_dirs(void)
{
	make_dir("/tmp/a");
	make_dir("/tmp/b");
	put_file("/tmp/a/x", "A");
	put_file("/tmp/a/only_a", "a");
	put_file("/tmp/b/x", "B");
	put_file("/tmp/b/y", "b");
}

static void clean_two_dirs(void)
{
	const char *const files[] = { "/tmp/a/x", "/tmp/a/only_a", "/tmp/b/x", "/tmp/b/y", 0 };

	for (const char *const *f = files; *f; f++)
		assert_int_equal(sys_remove(*f), 0);
	assert_int_equal(sys_remove("/tmp/a"), 0);
	assert_int_equal(sys_remove("/tmp/b"), 0);
}

NS_TEST(test_replace_bind_and_unmount)
{
	two_dirs();
	assert_int_equal(cmd("bind /tmp/a /tmp/b"), 0);
	assert_string_equal(listing("/tmp/b"), "x only_a");
	assert_string_equal(file_text("/tmp/b/x"), "A");
	assert_int_equal(sys_stat("/tmp/b/y", &(struct lux_dir){ 0 }), E_NOENT);
	assert_non_null(strstr(table(), "\nbind /tmp/a /tmp/b\n"));
	/* Plan 9: creating in a mount needs -c */
	assert_int_equal(sys_create("/tmp/b/new", OWRITE, 0644), E_NOCREATE);
	/* ".." from inside the mount goes back to the covered directory's parent */
	assert_int_equal(stat_of("/tmp/b/..").qid.path, stat_of("/tmp").qid.path);
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	assert_string_equal(listing("/tmp/b"), "x y");
	assert_null(strstr(table(), "/tmp/b"));
	assert_int_equal(cmd("unmount /tmp/b"), E_NOENT);
	/* a file over a file; kinds must match */
	assert_int_equal(cmd("bind /tmp/a/x /tmp/b/y"), 0);
	assert_string_equal(file_text("/tmp/b/y"), "A");
	assert_int_equal(cmd("unmount /tmp/b/y"), 0);
	assert_int_equal(cmd("bind /tmp/a /tmp/b/y"), E_ISDIR);
	assert_int_equal(cmd("bind /tmp/a/x /tmp/b"), E_NOTDIR);
	assert_int_equal(cmd("bind -a /tmp/a/x /tmp/b/y"), E_NOTDIR);	/* unions: directories */
	assert_int_equal(cmd("bind /tmp/nothere /tmp/b"), E_NOENT);
	assert_int_equal(cmd("bind /tmp/a /tmp/nothere"), E_NOENT);
	clean_two_dirs();
}

NS_TEST(test_union_before_after)
{
	two_dirs();
	/* -b: a in front of b; the first member with a name wins */
	assert_int_equal(cmd("bind -b /tmp/a /tmp/b"), 0);
	assert_string_equal(listing("/tmp/b"), "x only_a y");
	assert_string_equal(file_text("/tmp/b/x"), "A");
	assert_string_equal(file_text("/tmp/b/y"), "b");
	assert_string_equal(file_text("/tmp/b/only_a"), "a");
	assert_int_equal(sys_stat("/tmp/b/zz", &(struct lux_dir){ 0 }), E_NOENT);
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	/* -a: behind */
	assert_int_equal(cmd("bind -a /tmp/a /tmp/b"), 0);
	assert_string_equal(listing("/tmp/b"), "x y only_a");
	assert_string_equal(file_text("/tmp/b/x"), "B");
	/* unmount one member: the union goes, b is itself again */
	assert_int_equal(cmd("unmount /tmp/a /tmp/b"), 0);
	assert_string_equal(listing("/tmp/b"), "x y");
	assert_null(strstr(table(), "/tmp/b"));
	/* a member that is not there */
	assert_int_equal(cmd("bind -a /tmp/a /tmp/b"), 0);
	assert_int_equal(cmd("unmount /dev /tmp/b"), E_NOENT);
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	clean_two_dirs();
}

NS_TEST(test_union_create_goes_to_the_c_member)
{
	two_dirs();
	assert_int_equal(cmd("bind -b /tmp/a /tmp/b"), 0);
	assert_int_equal(sys_create("/tmp/b/n", OWRITE, 0644), E_NOCREATE);
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	/* -c on the member behind: creates land there, not in front */
	assert_int_equal(cmd("bind -ac /tmp/a /tmp/b"), 0);
	put_file("/tmp/b/n", "new");
	assert_string_equal(file_text("/tmp/a/n"), "new");
	assert_int_equal(sys_stat("/tmp/b/x", &(struct lux_dir){ 0 }), 0);
	/* an existing name is opened where the walk finds it */
	put_file("/tmp/b/x", "B2");
	assert_string_equal(file_text("/tmp/b/x"), "B2");
	assert_string_equal(file_text("/tmp/a/x"), "A");
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	assert_int_equal(sys_remove("/tmp/a/n"), 0);
	clean_two_dirs();
}

/* Lines of the table for one place, replayed after an unmount, give the
 * same table back: the order and the flags say everything. */
NS_TEST(test_table_replays)
{
	char before[4096], lines[1024] = "";
	const char *p;

	two_dirs();
	make_dir("/tmp/c");
	assert_int_equal(cmd("bind -a /tmp/a /tmp/b"), 0);
	assert_int_equal(cmd("bind -bc /tmp/c /tmp/b"), 0);
	assert_int_equal(cmd("bind -b /dev /tmp/b"), 0);
	assert_int_equal(cmd("bind -a /tmp/c /tmp/b"), 0);
	strcpy(before, table());
	/* members [/dev, c, b itself, a, c]: the ones in front of b from the
	 * nearest outwards with -b, then the ones behind with -a */
	assert_non_null(strstr(before, "bind -bc /tmp/c /tmp/b\nbind -b /dev /tmp/b\n"
	                               "bind -a /tmp/a /tmp/b\nbind -a /tmp/c /tmp/b\n"));
	assert_string_equal(listing("/tmp/b"), "cons null zero time audit user hostowner pid blk pci memmap x y only_a");
	for (p = before; (p = strstr(p, "bind ")) != 0; p++) {
		const char *e = strchr(p, '\n');
		if (e - p > 7 && memcmp(e - 7, " /tmp/b", 7) == 0)
			strncat(lines, p, (size_t)(e - p + 1));
	}
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	assert_int_equal(cmd(lines), 0);
	assert_string_equal(table(), before);
	/* and a replace with -c reads back as one */
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	assert_int_equal(cmd("bind -c /tmp/a /tmp/b\nbind -a /tmp/c /tmp/b"), 0);
	assert_non_null(strstr(table(), "\nbind -c /tmp/a /tmp/b\nbind -a /tmp/c /tmp/b\n"));
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	assert_int_equal(sys_remove("/tmp/c"), 0);
	clean_two_dirs();
}

NS_TEST(test_bounds)
{
	char line[64];
	int err = 0, n;

	two_dirs();
	/* a union holds NS_MAXUNION members, b itself among them */
	for (n = 1; n < NS_MAXUNION; n++)
		assert_int_equal(cmd("bind -a /tmp/a /tmp/b"), 0);
	assert_int_equal(cmd("bind -a /tmp/a /tmp/b"), E_NOSPC);
	assert_int_equal(cmd("bind -b /tmp/a /tmp/b"), E_NOSPC);
	assert_int_equal(cmd("bind /tmp/a /tmp/b"), 0);	/* a replace starts over */
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	/* NS_MAXMOUNT covered files, /dev's among them */
	for (n = 0; n < NS_MAXMOUNT + 1 && err == 0; n++) {
		snprintf(line, sizeof line, "/tmp/m%d", n);
		make_dir(line);
		snprintf(line, sizeof line, "bind /tmp/a /tmp/m%d", n);
		err = cmd(line);
	}
	assert_int_equal(err, E_NOSPC);
	assert_int_equal(n, NS_MAXMOUNT);	/* /dev's mount plus NS_MAXMOUNT - 1 */
	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof line, "unmount /tmp/m%d", i);
		assert_int_equal(cmd(line), i < n - 1 ? 0 : E_NOENT);
		snprintf(line, sizeof line, "/tmp/m%d", i);
		assert_int_equal(sys_remove(line), 0);
	}
	clean_two_dirs();
}

NS_TEST(test_command_language)
{
	char why[160];
	char *argv[] = { "bind", "-x", "/tmp", "/tmp", 0 };

	two_dirs();
	assert_int_equal(ns_command(curproc()->ns, 4, argv, why, sizeof why), E_SYNTAX);
	assert_string_equal(why, "bind: bad flag -x: syntax error");
	assert_int_equal(cmd("bind"), E_SYNTAX);
	assert_int_equal(cmd("bind -ab /tmp/a /tmp/b"), E_SYNTAX);
	assert_int_equal(cmd("bind - /tmp/a /tmp/b"), E_SYNTAX);
	assert_int_equal(cmd("bind /tmp/a /tmp/b extra"), E_SYNTAX);
	assert_int_equal(cmd("frob /tmp"), E_SYNTAX);
	assert_int_equal(cmd("unmount"), E_SYNTAX);
	assert_int_equal(cmd("bind 'unbalanced /tmp/b"), E_SYNTAX);
	/* what the table shows is bounded: a source or place of 128 bytes or more */
	{
		char line[400];
		/* two elements of 70 bytes: each a fine name, together too long */
		snprintf(line, sizeof line, "bind /tmp/a /tmp/b/%070d/%070d", 0, 0);
		assert_int_equal(cmd(line), E_NAMETOOLONG);
		snprintf(line, sizeof line, "bind /tmp/a/%070d/%070d /tmp/b", 0, 0);
		assert_int_equal(cmd(line), E_NAMETOOLONG);
	}
	assert_int_equal(ns_ctl(curproc()->ns, "bind /tmp/a\0/tmp/b", 18, why, sizeof why), E_SYNTAX);
	assert_int_equal(cmd("mount #nosuch /tmp/b"), E_NOENT);
	assert_int_equal(cmd("mount /tmp/a /tmp/b"), E_BADPATH);	/* mount takes no paths */
	/* blank lines and quotes; '#' is a word here, not a comment */
	assert_int_equal(cmd("\n  \nbind -a '/tmp/a' /tmp/b\n"), 0);
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	assert_int_equal(cmd("mount -a #cons /tmp/b"), 0);
	assert_string_equal(listing("/tmp/b"), "x y cons null zero time audit user hostowner pid blk pci memmap");
	assert_non_null(strstr(table(), "\nmount -a #cons /tmp/b\n"));
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	assert_int_equal(cmd("bind #cons /tmp/b"), 0);	/* bind of a fresh attach */
	assert_string_equal(file_text("/tmp/b/null"), "");
	assert_int_equal(cmd("unmount /tmp/b"), 0);
	/* a failing line stops the rest */
	assert_int_equal(cmd("bind -a /tmp/a /tmp/b\nbind /nope /tmp/b\nbind -a /tmp/a /tmp/b"),
	                 E_NOENT);
	assert_int_equal(cmd("unmount /tmp/a /tmp/b"), 0);
	assert_int_equal(cmd("unmount /tmp/a /tmp/b"), E_NOENT);
	clean_two_dirs();
}

/* Cookies: the reader's place survives entries removed before it and
 * entries created while it reads; in a union, too. */
NS_TEST(test_dirread_cookies_survive_changes)
{
	struct chan *c;
	struct lux_dir d;
	uint64_t cookie = 0;
	char names[256] = "";

	make_dir("/tmp/d");
	put_file("/tmp/d/e1", "");
	put_file("/tmp/d/e2", "");
	put_file("/tmp/d/e3", "");
	c = walk("/tmp/d");
	assert_int_equal(chan_dirnext(c, &cookie, &d), 1);
	assert_string_equal(d.name, "e1");
	assert_int_equal(chan_dirnext(c, &cookie, &d), 1);
	assert_string_equal(d.name, "e2");
	assert_int_equal(sys_remove("/tmp/d/e1"), 0);	/* before the reader */
	assert_int_equal(sys_remove("/tmp/d/e2"), 0);	/* the one it is on */
	put_file("/tmp/d/e4", "");			/* after */
	while (chan_dirnext(c, &cookie, &d) == 1) {
		strcat(names, d.name);
		strcat(names, " ");
	}
	assert_string_equal(names, "e3 e4 ");	/* nothing skipped, nothing twice */
	chan_put(c);
	/* a union: member 0 loses an entry while the reader is in member 1 */
	make_dir("/tmp/u");
	put_file("/tmp/u/m", "");
	assert_int_equal(cmd("bind -a /tmp/d /tmp/u"), 0);
	c = walk("/tmp/u");
	cookie = 0;
	assert_int_equal(chan_dirnext(c, &cookie, &d), 1);
	assert_string_equal(d.name, "m");
	assert_int_equal(chan_dirnext(c, &cookie, &d), 1);
	assert_string_equal(d.name, "e3");
	assert_int_equal(sys_remove("/tmp/u/m"), 0);
	assert_int_equal(chan_dirnext(c, &cookie, &d), 1);
	assert_string_equal(d.name, "e4");
	assert_int_equal(chan_dirnext(c, &cookie, &d), 0);
	chan_put(c);
	assert_int_equal(cmd("unmount /tmp/u"), 0);
	assert_int_equal(sys_remove("/tmp/d/e3"), 0);
	assert_int_equal(sys_remove("/tmp/d/e4"), 0);
	assert_int_equal(sys_remove("/tmp/d"), 0);
	assert_int_equal(sys_remove("/tmp/u"), 0);
}

/* A '#ramfs' mounted, filled (deep) and unmounted leaves nothing behind:
 * the harness compares kalloc's live objects around the body.  A rename
 * between two ramfs attaches is across file systems. */
NS_TEST(test_ramfs_mount_is_freed_on_unmount)
{
	struct chan *c, *f, *d;

	make_dir("/n");
	make_dir("/tmp/d");
	assert_int_equal(cmd("mount -c #ramfs /n"), 0);
	/* deeper than namec walks (64) and than any recursion would like:
	 * each create moves the chan into the directory it made */
	c = walk("/n/.");
	for (int i = 0; i < 2000; i++)
		assert_int_equal(c->dev->create(c, "d", OREAD, DMDIR | 0777), 0);
	assert_int_equal(c->dev->create(c, "f", OWRITE, 0644), 0);
	assert_int_equal(c->dev->write(c, "deep", 4, 0), 4);
	chan_put(c);
	put_file("/n/top", "x");
	f = walk("/n/top");
	d = walk("/tmp/d");
	assert_int_equal(f->dev->rename(f, d, "moved"), E_XDEV);
	chan_put(d);
	chan_put(f);
	assert_int_equal(cmd("unmount /n"), 0);
	assert_string_equal(listing("/n"), "");
	assert_int_equal(sys_remove("/n"), 0);
	assert_int_equal(sys_remove("/tmp/d"), 0);
}

/* The qid path of what path walks to: the same file or not. */
static uint64_t qpath(const char *path)
{
	struct chan *c = walk(path);
	uint64_t q = c->qid.path;

	chan_put(c);
	return q;
}

/* path + k times add, into out. */
static char *repeat(char *out, const char *path, const char *add, int k)
{
	strcpy(out, path);
	while (k-- > 0)
		strcat(out, add);
	return out;
}

/* The one bound on a path is LUX_PATHMAX bytes, for walk and create alike:
 * a create makes nothing a walk cannot reach (namec walked 61 levels under
 * /tmp/deep and then failed with E_BADPATH), and ".." past the chans namec
 * holds walks again from the root to the same place, mounts included. */
NS_TEST(test_deep_paths_to_pathmax)
{
	static char path[LUX_PATHMAX + 8], other[LUX_PATHMAX + 8];
	const int most = (LUX_PATHMAX - 1 - 9) / 2;	/* "/tmp/deep" and most "/d": 1023 bytes */
	struct chan *c;
	int k;

	make_dir("/tmp/deep");
	for (k = 1; k <= most; k++) {
		make_dir(repeat(path, "/tmp/deep", "/d", k));
		chan_put(walk(path));
	}
	assert_int_equal(strlen(path), LUX_PATHMAX - 1);
	/* one byte more: too long, to walk or to create */
	strcat(path, "x");
	assert_int_equal(namec(curproc()->ns, path, NAMEC_WALK, 0, 0, &c), E_NAMETOOLONG);
	assert_int_equal(sys_create(path, OREAD | OEXCL, DMDIR | 0777), E_NAMETOOLONG);
	/* ".." past the held chans: the same place as the path without them */
	repeat(path, "/tmp/deep", "/d", 200);
	for (k = 0; k < 150; k++)
		strcat(path, k % 7 ? "/.." : "/.//..");
	assert_int_equal(qpath(path), qpath(repeat(other, "/tmp/deep", "/d", 50)));
	strcat(path, "/d/d/./d");	/* and on down again */
	assert_int_equal(qpath(path), qpath(repeat(other, "/tmp/deep", "/d", 53)));
	/* past the root it stays there */
	repeat(path, "/tmp/deep", "/d", 100);
	for (k = 0; k < 110; k++)
		strcat(path, "/..");
	strcat(path, "/tmp");
	assert_int_equal(qpath(path), qpath("/tmp"));
	/* a ".." that walks again crosses the mount back to where it covers */
	make_dir("/n");
	assert_int_equal(cmd("mount -c #ramfs /n"), 0);
	for (k = 1; k <= 40; k++)
		make_dir(repeat(path, "/n", "/e", k));
	strcpy(other, path);
	for (k = 0; k < 40; k++)
		strcat(path, "/..");
	assert_int_equal(qpath(path), qpath("/n"));	/* the mounted root */
	strcat(path, "/../tmp/deep");
	assert_int_equal(qpath(path), qpath("/tmp/deep"));
	/* a create after the ".."s lands where the walk says */
	strcpy(path, other);
	for (k = 0; k < 20; k++)
		strcat(path, "/..");
	strcat(path, "/made");
	make_dir(path);
	chan_put(walk(strcat(repeat(other, "/n", "/e", 20), "/made")));
	assert_int_equal(sys_remove(other), 0);
	for (k = 40; k >= 1; k--)
		assert_int_equal(sys_remove(repeat(path, "/n", "/e", k)), 0);
	assert_int_equal(cmd("unmount /n"), 0);
	assert_int_equal(sys_remove("/n"), 0);
	for (k = most; k >= 1; k--)
		assert_int_equal(sys_remove(repeat(path, "/tmp/deep", "/d", k)), 0);
	assert_int_equal(sys_remove("/tmp/deep"), 0);
}

/* /proc/N/ns takes commands only for a namespace the writer lives in: a
 * child moved to a namespace of its own cannot be rearranged from here,
 * one sharing ours can. */
static struct waitq child_q = WAITQ_INIT(child_q);
static bool child_go;

static bool go(void *arg)
{
	(void)arg;
	return child_go;
}

static void child(void *arg)
{
	(void)arg;
	sleep_on_unint(&child_q, go, 0);
}

static int write_ns(int pid, const char *line)
{
	char path[32];
	int fd;
	long n;

	snprintf(path, sizeof path, "/proc/%d/ns", pid);
	if ((fd = sys_open(path, OWRITE)) < 0)
		return fd;
	n = sys_write(fd, line, strlen(line));
	sys_close(fd);
	return n < 0 ? (int)n : 0;
}

NS_TEST(test_ctl_file_only_for_ones_own_namespace)
{
	struct ns *mine = curproc()->ns, *other;
	struct chan *root;
	struct proc *p;
	int err;

	two_dirs();
	make_dir("/proc");
	assert_int_equal(cmd("mount #proc /proc"), 0);
	child_go = false;
	p = proc_spawn("nschild", PRIO_NORMAL, child, 0, 0, 0, &err);
	assert_non_null(p);
	/* sharing ours: allowed */
	assert_int_equal(write_ns(p->pid, "bind -a /tmp/a /tmp/b\n"), 0);
	assert_string_equal(listing("/tmp/b"), "x y only_a");
	assert_int_equal(write_ns(curproc()->pid, "unmount /tmp/b\n"), 0);
	/* a namespace of its own: refused, and ours is untouched */
	assert_int_equal(dev_attach(&ramfs_dev, "", &root), 0);
	other = ns_new(root);
	assert_non_null(other);
	p->ns = other;
	assert_int_equal(write_ns(p->pid, "bind -a /tmp/a /tmp/b\n"), E_PERM);
	assert_string_equal(listing("/tmp/b"), "x y");
	p->ns = mine;
	ns_put(other);
	child_go = true;
	wakeup(&child_q);
	assert_int_equal(proc_join(p), 0);
	assert_int_equal(cmd("unmount /proc"), 0);
	assert_int_equal(sys_remove("/proc"), 0);
	clean_two_dirs();
}

/* The boot mounts keep working through ns_mount: replace, creates allowed. */
NS_TEST(test_ns_mount_callers)
{
	assert_non_null(strstr(table(), "bind #ramfs /\nmount -c #cons /dev\n"));
	assert_string_equal(file_text("/dev/null"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_bind_and_unmount),
		cmocka_unit_test(test_union_before_after),
		cmocka_unit_test(test_union_create_goes_to_the_c_member),
		cmocka_unit_test(test_table_replays),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_command_language),
		cmocka_unit_test(test_dirread_cookies_survive_changes),
		cmocka_unit_test(test_ramfs_mount_is_freed_on_unmount),
		cmocka_unit_test(test_deep_paths_to_pathmax),
		cmocka_unit_test(test_ctl_file_only_for_ones_own_namespace),
		cmocka_unit_test(test_ns_mount_callers),
	};

	fake_boot(2048, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
