/*
 * lux_main: where every arch hands over.  Order matters: memory first
 * (everything allocates), then the console, crypto (the self-check needs
 * it), then the first proc, which checks the machine, builds the
 * namespace and runs the shell while the boot context becomes the idle
 * loop.
 */
#include <lux/auth.h>
#include <lux/blk.h>
#include <lux/store.h>
#include <lux/storesync.h>
#include <lux/captoken.h>
#include <lux/cons.h>
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/hostkey.h>
#include <lux/kern.h>
#include <lux/lockdep.h>
#include <lux/ninep.h>
#include <lux/ns.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/scenario.h>
#include <lux/selfcheck.h>
#include <lux/string.h>
#include <lux/sysfile.h>
#include <lux/users.h>

#include "../shell/shell.h"

const struct lux_boot *lux_bootinfo;

/* Exit status when the boot self-check fails: a broken kernel should not
 * pretend to be a working one. */
#define SELFCHECK_FAILED_STATUS 70

static int mount_dev(struct ns *ns, const struct dev *d, const char *path)
{
	struct chan *c;
	int err = dev_attach(d, "", &c);

	if (err < 0)
		return err;
	err = ns_mount(ns, path, c);
	chan_put(c);
	return err;
}

static int build_namespace(struct proc *p)
{
	struct chan *root;
	int err, fd;

	if ((err = dev_attach(&ramfs_dev, "", &root)) < 0)
		return err;
	if ((p->ns = ns_new(root)) == 0 || (p->fds = fdtab_new()) == 0)
		return E_NOMEM;
	for (const char *const *d =
	         (const char *const[]){ "/dev", "/proc", "/tmp", "/secure", "/adm", 0 };
	     *d; d++) {
		/* /tmp is everyone's, sticky: only a file's owner removes it */
		uint32_t mode = kstrcmp(*d, "/tmp") == 0 ? DMSTICKY | 0777 : 0755;
		if ((fd = sys_create(*d, OREAD, DMDIR | mode)) < 0)
			return fd;
		sys_close(fd);
	}
	if ((err = mount_dev(p->ns, &cons_dev, "/dev")) < 0)
		return err;
	if ((err = mount_dev(p->ns, &proc_dev, "/proc")) < 0)
		return err;
	if ((err = mount_dev(p->ns, &users_dev, "/adm")) < 0)	/* the user table */
		return err;
	return mount_dev(p->ns, &crypto_dev, "/secure");	/* docs/crypto.md */
}

static void init(void *arg)
{
	const struct lux_boot *b = arg;
	bool raw = b->caps & LUX_CAP_CONSOLE_RAW;
	bool prompt = raw || (b->caps & LUX_CAP_CONSOLE_TTY);
	int err;

	if (selfcheck_run(b->quiet) > 0)
		lux_halt(SELFCHECK_FAILED_STATUS);
	if (b->scenario)
		sim_main(b->scenario, b->steps, b->breakflags, b->seed);
	if ((err = build_namespace(curproc())) < 0)
		panic("init: cannot build the namespace: %s", lux_errstr(err));
	blk_boot(b->quiet);	/* the arch's drive, if it has one */
	store_boot(b);		/* opened as the store, when the arch has its key */
	storesync_boot();	/* and the root tree loaded from it */
	ninep_start();	/* 9P on the arch's connections, if it has any */
	ninep_mount_ctl();	/* its own files at /9p, when it serves */
	if (b->serve)
		serve_until_halt();	/* a service: no shell (core/kern/serve.c) */
	sh_main(b->commands, prompt && b->commands == 0);
}

/* The arch's entropy, or, when it has none, timer jitter: weak, which is
 * why lux_main has already warned in capitals.  Booting anyway keeps the
 * machine usable for everything that is not a secret. */
static int entropy(void *buf, size_t n)
{
	uint8_t *p = buf;

	if (arch_entropy(buf, n) == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t t = arch_time_ns();
		p[i] = (uint8_t)(t ^ t >> 8 ^ t >> 17 ^ i * 131);
	}
	return 0;
}

static uint64_t seed_from_entropy(void)
{
	uint64_t seed;

	entropy(&seed, sizeof seed);
	return seed;
}

_Noreturn void lux_main(const struct lux_boot *b)
{
	size_t pages;

	lux_bootinfo = b;
	lockdep_enable(lockdep_builtin);	/* before the first lock is taken */
	if (b->version != LUX_ARCH_VERSION)
		panic("arch contract version %u, core wants %u", b->version,
		      (unsigned)LUX_ARCH_VERSION);
	cons_init(b->caps & LUX_CAP_CONSOLE_RAW);
	cons_set_intr2(b->console_intr);
	pages = page_init(b->regions, b->nregions);
	if (!b->quiet) {
		kprintf("Lux9 %s (%s) %s\n", LUX_VERSION_STRING, b->arch_name, b->arch_detail);
		kprintf("memory: %zu KiB in %zu region%s\n", pages * (PAGE_SIZE / 1024),
		        b->nregions, b->nregions == 1 ? "" : "s");
	}
	if (b->caps & LUX_CAP_DETERMINISTIC) {
		if (!b->quiet)
			kprintf("entropy: %s (deterministic run: not for secrets)\n",
			        b->entropy_source);
	} else if (!(b->caps & LUX_CAP_ENTROPY))
		kprintf("WARNING: no real entropy source (%s): keys and nonces made on this "
		        "boot are predictable. Do not trust them.\n",
		        b->entropy_source);
	else if (!b->quiet)
		kprintf("entropy: %s\n", b->entropy_source);
	if (lc_init(entropy) < 0)
		panic("crypto: libsodium failed to initialise");
	if (captoken_init() < 0)	/* the per-boot key that MACs capability tokens */
		panic("capabilities: cannot make the host key");
	if (!b->quiet)
		kprintf("crypto: %s\n", lc_version());
	krand_seed(seed_from_entropy());
	users_init(b->hostowner_uid);	/* eve and none */
	if (b->users) {
		char why[ERRMAX];
		if (users_ctl(b->users, kstrlen(b->users), why, sizeof why) < 0)
			kprintf("WARNING: the users file: %s (later lines not run)\n", why);
	}
	if (hostkey_init(b->hostkey_seed) < 0)
		panic("cannot make the host key");
	if (!b->quiet) {
		char fp[AUTH_FP_MAX];
		hostkey_fingerprint(fp, sizeof fp);
		if (b->hostkey_seed)
			kprintf("host key: %s (%s)\n", fp,
			        b->hostkey_where ? b->hostkey_where : "kept");
		else
			kprintf("host key: %s (ephemeral: made at this boot, gone at halt; clients "
			        "will not recognise it next time)\n",
			        fp);
	}
	if (proc_create("init", PRIO_NORMAL, init, (void *)b, PROC_DETACHED) == 0)
		panic("cannot create the first proc: out of memory");
	sched_idle_loop();
}
