/*
 * The block layer (see <lux/blk.h>): synchronous sector I/O for procs
 * over asynchronous devices.
 *
 * A request lives on its caller's stack.  That is safe because the wait
 * for its end is not interruptible: the device writes into the caller's
 * buffer (a read) and calls lux_blk_done with the request's address until
 * the moment it ends, so the caller must not leave first.  A device ends
 * every request in bounded time (the host's disk; a simulated device at
 * its next step or crash), so the proc is never stuck for good.  The wait
 * for a turn at the device comes first and is interruptible: nothing has
 * been sent then.
 *
 * Invariants (under blk_lock), checked as panics:
 *  - 0 <= inflight <= maxinflight: the slot is taken before submit and
 *    given back in lux_blk_done or when submit refused, once each;
 *  - a device is detached only with nothing in flight.
 */
#include <lux/arch.h>
#include <lux/blk.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/pebble.h>
#include <lux/string.h>
#include <lux/upcall.h>

static struct blkdev *devs[BLK_MAXDEV];
/* devs[] and every device's inflight and counters: the completion
 * upcall moves them, procs take turns and read them */
static struct spinlock blk_lock = SPINLOCK_INIT("blk");

/* One request in flight; on its caller's stack (see the top). */
struct blkreq {
	struct blkdev *d;
	int op;
	uint32_t nsect;
	bool done;
	int err;
	struct waitq wq;
};

static const char *opname(int op)
{
	return op == ARCH_BLK_READ ? "read" : op == ARCH_BLK_WRITE ? "write" : "flush";
}

void lux_blk_done(void *cookie, int err)
{
	struct blkreq *r = cookie;
	struct blkdev *d = r->d;
	uint64_t bytes = (uint64_t)r->nsect * d->sector_size;

	spin_lock(&blk_lock);
	if (d->inflight == 0)
		panic("blk %s: a request ended with none in flight", d->name);
	d->inflight--;
	if (err < 0)
		d->errors++;
	else if (r->op == ARCH_BLK_READ)
		d->reads++, d->bytes_read += bytes;
	else if (r->op == ARCH_BLK_WRITE)
		d->writes++, d->bytes_written += bytes;
	else
		d->flushes++;
	r->err = err < 0 ? err : 0;
	r->done = true;
	wakeup(&r->wq);
	wakeup(&d->slotq);
	spin_unlock(&blk_lock);
}

static int arch_submit(void *arg, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie)
{
	return arch_blk_submit((int)(intptr_t)arg, op, sector, buf, nsect, cookie);
}

static int attach(int archdev, const struct arch_blk_info *info, const struct blk_driver *drv,
                  struct blkdev **out)
{
	const char *name = info->name ? info->name : "?";
	struct blkdev *d;
	int slot = -1;

	if (info->sectors == 0 || info->inflight == 0 || info->sector_size < 512 ||
	    info->sector_size > 4096 || (info->sector_size & (info->sector_size - 1)) != 0)
		return proc_seterr(E_INVAL,
		                   "block device %s: %llu sectors of %u bytes, %u in flight: "
		                   "not a device the kernel can use",
		                   name, (unsigned long long)info->sectors, info->sector_size,
		                   info->inflight);
	for (int i = 0; i < BLK_MAXDEV && slot < 0; i++)
		if (devs[i] == 0)
			slot = i;
	if (slot < 0)
		return proc_seterr(E_MFILE, "block device %s: %d devices attached already", name,
		                   BLK_MAXDEV);
	if ((d = kzalloc(sizeof *d)) == 0)
		return proc_seterr(E_NOMEM, "block device %s: out of memory", name);
	d->slot = slot;
	d->archdev = archdev;
	kstrlcpy(d->name, name, sizeof d->name);
	d->sectors = info->sectors;
	d->sector_size = info->sector_size;
	d->maxinflight = info->inflight;
	d->created = info->created;
	d->drv = *drv;
	list_init(&d->slotq.sleepers);
	devs[slot] = d;
	*out = d;
	return 0;
}

int blk_attach(int archdev, struct blkdev **out)
{
	struct arch_blk_info info = { 0, 0, 0, 0, 0 };
	struct blk_driver drv = { arch_submit, (void *)(intptr_t)archdev };
	int err = arch_blk_info(archdev, &info);

	if (err == E_NOTSUP)
		return proc_seterr(err, "block device %d: this machine has no block devices",
		                   archdev);
	if (err < 0)
		return proc_seterr(err, "block device %d: %s", archdev, lux_errstr(err));
	return attach(archdev, &info, &drv, out);
}

int blk_attach_driver(const struct arch_blk_info *info, const struct blk_driver *drv,
                      struct blkdev **out)
{
	return attach(-1, info, drv, out);
}

void blk_detach(struct blkdev *d)
{
	spin_lock(&blk_lock);
	if (d->inflight != 0)
		panic("blk %s: detached with %u requests in flight", d->name, d->inflight);
	devs[d->slot] = 0;
	spin_unlock(&blk_lock);
	kfree(d);
}

struct blkdev *blk_get(int i)
{
	return i >= 0 && i < BLK_MAXDEV ? devs[i] : 0;
}

/* The cond of the turn's sleep: under blk_lock, so taking the slot here
 * cannot race lux_blk_done giving one back. */
static bool take_slot(void *arg)
{
	struct blkdev *d = arg;
	bool got;

	spin_lock(&blk_lock);
	if (d->inflight > d->maxinflight)
		panic("blk %s: %u in flight, bound %u", d->name, d->inflight, d->maxinflight);
	got = d->inflight < d->maxinflight;
	if (got)
		d->inflight++;
	spin_unlock(&blk_lock);
	return got;
}

static bool req_done(void *arg)
{
	return ((struct blkreq *)arg)->done;
}

static int request(struct blkdev *d, int op, uint64_t sector, void *buf, uint32_t nsect)
{
	struct blkreq r = { d, op, nsect, false, 0, WAITQ_INIT(r.wq) };
	struct budget *b = proc_principal(curproc())->budget;
	int err;

	if (op != ARCH_BLK_FLUSH && (nsect == 0 || nsect > ARCH_BLK_MAXSECT ||
	                             sector > d->sectors || nsect > d->sectors - sector))
		return proc_seterr(E_INVAL,
		                   "%s: %s of %u sectors at %llu: the device has %llu, "
		                   "and a request moves 1 to %u",
		                   d->name, opname(op), nsect, (unsigned long long)sector,
		                   (unsigned long long)d->sectors, ARCH_BLK_MAXSECT);
	if (b && (err = budget_charge(b, PB_REQS, 1)) < 0)
		return err;	/* the error string names the budget */
	/* a caller holding a sleeping lock may not sleep interruptibly
	 * (proc.h): it waits out its turn like the request itself */
	if (curproc()->nlocks)
		sleep_on_unint(&d->slotq, take_slot, d);
	else if ((err = sleep_on(&d->slotq, take_slot, d)) < 0) {
		if (b)
			budget_release(b, PB_REQS, 1);
		return proc_seterr(err, "%s: killed while waiting to %s", d->name, opname(op));
	}
	if ((err = d->drv.submit(d->drv.arg, op, sector, buf, nsect, &r)) < 0) {
		spin_lock(&blk_lock);
		d->inflight--;
		spin_unlock(&blk_lock);
		wakeup(&d->slotq);
		r.err = err;
	} else {
		sleep_on_unint(&r.wq, req_done, &r);	/* see the top: never leave early */
	}
	if (b)
		budget_release(b, PB_REQS, 1);
	if (r.err < 0) {
		if (op == ARCH_BLK_FLUSH)
			return proc_seterr(r.err, "%s: flush failed: %s", d->name,
			                   lux_errstr(r.err));
		return proc_seterr(r.err, "%s: %s of sectors %llu..%llu failed: %s", d->name,
		                   opname(op), (unsigned long long)sector,
		                   (unsigned long long)(sector + nsect - 1), lux_errstr(r.err));
	}
	return 0;
}

int blk_read(struct blkdev *d, uint64_t sector, void *buf, uint32_t nsect)
{
	return request(d, ARCH_BLK_READ, sector, buf, nsect);
}

int blk_write(struct blkdev *d, uint64_t sector, const void *buf, uint32_t nsect)
{
	/* the device only reads buf for a write; the contract's one
	 * pointer type serves both directions */
	return request(d, ARCH_BLK_WRITE, sector, (void *)(uintptr_t)buf, nsect);
}

int blk_flush(struct blkdev *d)
{
	return request(d, ARCH_BLK_FLUSH, 0, 0, 0);
}

size_t blk_format(const struct blkdev *d, char *buf, size_t size)
{
	struct blkdev c;
	spin_lock(&blk_lock);

	c = *d;		/* a consistent copy: lux_blk_done moves the counters */
	spin_unlock(&blk_lock);
	return (size_t)ksnprintf(buf, size,
	                         "name %s\nsize %llu\nsectors %llu\nsector_size %u\n"
	                         "inflight %u of %u\nreads %llu\nwrites %llu\nflushes %llu\n"
	                         "errors %llu\nbytes_read %llu\nbytes_written %llu\n",
	                         c.name, (unsigned long long)(c.sectors * c.sector_size),
	                         (unsigned long long)c.sectors, c.sector_size, c.inflight,
	                         c.maxinflight, (unsigned long long)c.reads,
	                         (unsigned long long)c.writes, (unsigned long long)c.flushes,
	                         (unsigned long long)c.errors, (unsigned long long)c.bytes_read,
	                         (unsigned long long)c.bytes_written);
}
