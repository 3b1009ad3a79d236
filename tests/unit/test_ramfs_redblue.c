/*
 * ramfs writes are red-blue updates: a write spanning several blocks,
 * with a fault injected at each of its allocation steps in turn, leaves
 * the file exactly as it was until the attempt that succeeds, and then
 * exactly as written; a reader that opened the file before sees one or
 * the other, never a mixture; an aborted write leaks nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/ns.h>
#include <lux/proc.h>
#include <lux/redblue.h>
#include <lux/sysfile.h>

#include "fake_arch.h"

enum { OLDLEN = 9000, WOFF = 1000, WLEN = 7000, NEWLEN = 12000 };

static uint8_t oldbuf[NEWLEN], newbuf[NEWLEN], got[NEWLEN + 16];
static int bad;

static void flag(int why)
{
	if (bad == 0)
		bad = why;
}

/* Read the whole file: 1 if it is exactly old, 2 if exactly new, 0 else. */
static int which(const char *path)
{
	int fd = sys_open(path, OREAD);
	long n, total = 0;

	if (fd < 0)
		return -1;
	while ((n = sys_read(fd, got + total, sizeof got - (size_t)total)) > 0)
		total += n;
	sys_close(fd);
	if (total == OLDLEN && memcmp(got, oldbuf, OLDLEN) == 0)
		return 1;
	if (total == NEWLEN && memcmp(got, newbuf, NEWLEN) == 0)
		return 2;
	return 0;
}

static void body(void *arg)
{
	struct proc *p = curproc();
	struct chan *root;
	struct kalloc_stats ks0, ks1;
	int fd, attempts = 0;
	long r = -1;

	(void)arg;
	if (dev_attach(&ramfs_dev, "", &root) < 0 || (p->ns = ns_new(root)) == 0 ||
	    (p->fds = fdtab_new()) == 0) {
		flag(1);
		return;
	}
	for (int i = 0; i < NEWLEN; i++) {
		oldbuf[i] = (uint8_t)('a' + i % 26);
		newbuf[i] = oldbuf[i];
	}
	memset(newbuf + WOFF, 'N', WLEN);	/* WOFF + WLEN > OLDLEN: it also extends */
	memset(newbuf + OLDLEN, 'N', NEWLEN - OLDLEN);
	for (int i = WOFF + WLEN; i < NEWLEN; i++)
		newbuf[i] = 'N';
	fd = sys_create("/f", ORDWR, 0644);
	if (fd < 0 || sys_write(fd, oldbuf, OLDLEN) != OLDLEN) {
		flag(2);
		return;
	}
	if (which("/f") != 1)
		flag(3);
	kalloc_stats(&ks0);
	for (uint64_t k = 1; k < 100; k++) {
		struct chan *c = p->fds->fd[fd];
		rb_fail_at(k);
		r = c->dev->write(c, newbuf + WOFF, NEWLEN - WOFF, WOFF);
		rb_fail_at(0);
		attempts++;
		if (r == NEWLEN - WOFF)
			break;
		if (r != E_NOMEM)
			flag(4);
		if (which("/f") != 1)
			flag(5);	/* a failed write showed through */
		kalloc_stats(&ks1);
		if (ks1.live_objects != ks0.live_objects)
			flag(6);	/* an aborted red version leaked */
	}
	if (r != NEWLEN - WOFF)
		flag(7);
	if (attempts < 4)
		flag(8);	/* map, then several blocks: several steps */
	if (which("/f") != 2)
		flag(9);
	/* truncation is a red-blue update too */
	sys_close(fd);
	fd = sys_open("/f", OWRITE | OTRUNC);
	if (fd < 0)
		flag(10);
	else
		sys_close(fd);
	{
		struct lux_dir d;
		if (sys_stat("/f", &d) < 0 || d.length != 0)
			flag(11);
	}
	sys_remove("/f");
	fdtab_put(p->fds);
	ns_put(p->ns);
	p->fds = 0;
	p->ns = 0;
}

static void test_fault_at_every_step_of_a_write(void **state)
{
	(void)state;
	bad = 0;
	assert_true(fake_run_in_proc(body, 0));
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_at_every_step_of_a_write),
	};

	fake_boot(2048, false);
	return cmocka_run_group_tests(tests, 0, 0);
}
