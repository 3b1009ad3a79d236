/*
 * A test body in a proc with a fresh namespace, as core/kern/main.c builds
 * it (ramfs root, cons on /dev, a plain /tmp), for the namespace and
 * ramfs-metadata tests.  Same contract as test_ramfs.c's harness: the
 * body must give back everything it took (kalloc's live objects and
 * bytes are compared around it), and after the namespace is put nothing
 * may remain (ramfs frees a tree with its last chan).
 *
 *	NS_TEST(test_x) { ... sys_* calls, cmocka assertions ... }
 */
#ifndef LUX_TESTS_NS_HARNESS_H
#define LUX_TESTS_NS_HARNESS_H

#include <lux/cons.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/ns.h>
#include <lux/proc.h>
#include <lux/sysfile.h>

#include "fake_arch.h"

static void (*ns_body)(void);
static bool ns_body_done;
static size_t ns_tree_left;

static void ns_harness(void *arg)
{
	struct kalloc_stats start, before, after;
	struct proc *p = curproc();

	(void)arg;
	kalloc_stats(&start);
	fake_namespace();
	fake_mount(&cons_dev, "/dev");
	fake_mount(0, "/tmp");
	kalloc_stats(&before);
	ns_body();
	kalloc_stats(&after);
	assert_int_equal(after.live_objects, before.live_objects);
	assert_int_equal(after.live_bytes, before.live_bytes);
	fdtab_put(p->fds);
	ns_put(p->ns);
	p->fds = 0;
	p->ns = 0;
	kalloc_stats(&after);
	ns_tree_left = after.live_objects - start.live_objects;
	ns_body_done = true;
}

static inline void ns_run(void (*fn)(void))
{
	ns_body = fn;
	ns_body_done = false;
	assert_true(fake_run_in_proc(ns_harness, 0));
	assert_true(ns_body_done);
	assert_int_equal(ns_tree_left, 0);
	assert_int_equal(fake_irq_disabled(), 0);
}

#define NS_TEST(name)                                                          \
	static void name##_body(void);                                         \
	static void name(void **state)                                         \
	{                                                                      \
		(void)state;                                                   \
		ns_run(name##_body);                                           \
	}                                                                      \
	static void name##_body(void)

/* ---- helpers (inside the proc) ---------------------------------------- */

static inline void put_file(const char *path, const char *data)
{
	int fd = sys_create(path, OWRITE | OTRUNC, 0644);

	if (fd < 0)
		fail_msg("create %s: %s", path, lux_errstr(fd));
	assert_int_equal(sys_write(fd, data, strlen(data)), (long)strlen(data));
	assert_int_equal(sys_close(fd), 0);
}

static inline void make_dir(const char *path)
{
	int fd = sys_create(path, OREAD | OEXCL, DMDIR | 0777);

	if (fd < 0)
		fail_msg("mkdir %s: %s", path, lux_errstr(fd));
	assert_int_equal(sys_close(fd), 0);
}

/* The whole file as a string (static buffer), or fail. */
static inline const char *file_text(const char *path)
{
	static char buf[8192];
	int fd = sys_open(path, OREAD);
	long n, total = 0;

	if (fd < 0)
		fail_msg("open %s: %s", path, lux_errstr(fd));
	while ((n = sys_read(fd, buf + total, sizeof buf - 1 - (size_t)total)) > 0)
		total += n;
	assert_true(n == 0);
	buf[total] = 0;
	assert_int_equal(sys_close(fd), 0);
	return buf;
}

/* The names in a directory, space-separated, in listing order. */
static inline const char *listing(const char *path)
{
	static char out[1024];
	struct lux_dir d;
	int fd = sys_open(path, OREAD), r;
	size_t i;

	if (fd < 0)
		fail_msg("open %s: %s", path, lux_errstr(fd));
	out[0] = 0;
	for (i = 0; (r = sys_dirent(fd, i, &d)) == 1; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, d.name);
	}
	assert_int_equal(r, 0);
	assert_int_equal(sys_close(fd), 0);
	return out;
}

/* A chan on path (walked, not open); chan_put it. */
static inline struct chan *walk(const char *path)
{
	struct chan *c;
	int err = namec(curproc()->ns, path, NAMEC_WALK, 0, 0, &c);

	if (err < 0)
		fail_msg("walk %s: %s", path, lux_errstr(err));
	return c;
}

static inline struct lux_dir stat_of(const char *path)
{
	struct lux_dir d;
	int err = sys_stat(path, &d);

	if (err < 0)
		fail_msg("stat %s: %s", path, lux_errstr(err));
	return d;
}

#endif
