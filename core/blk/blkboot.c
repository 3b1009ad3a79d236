/*
 * The block devices the arch hands over at boot, and their status file
 * (/dev/blk, docs/store.md).  The arch's device 0 is the store's drive
 * (hosted: luxsim --store PATH); an arch without one (metal until
 * virtio-blk, a run without --store) boots without it, silently here:
 * the store, which needs it, is the one to say what that means.
 */
#include <lux/arch.h>
#include <lux/blk.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>

void blk_boot(int quiet)
{
	struct blkdev *d;
	int err = blk_attach(0, &d);

	if (err == E_NOTSUP || err == E_NOENT)
		return;
	if (err < 0) {
		kprintf("blk0: not attached: %s\n", proc_errstr(err));
		return;
	}
	if (!quiet)
		kprintf("blk0: %s: %llu sectors of %u bytes (%llu KiB)%s\n", d->name,
		        (unsigned long long)d->sectors, d->sector_size,
		        (unsigned long long)(d->sectors * d->sector_size / 1024),
		        d->created ? ", made at this boot" : "");
}

long blk_status_read(void *buf, size_t n, uint64_t off)
{
	size_t cap = 512 * BLK_MAXDEV, len = 0;
	char *text = kmalloc(cap);
	long r;

	if (text == 0)
		return E_NOMEM;
	for (int i = 0; i < BLK_MAXDEV; i++) {
		struct blkdev *d = blk_get(i);

		if (d == 0)
			continue;
		len += (size_t)ksnprintf(text + len, cap - len, "%sdev %d\n", len ? "\n" : "", i);
		if (len < cap)
			len += blk_format(d, text + len, cap - len);
		if (len >= cap)
			len = cap - 1;	/* cannot happen with BLK_NAMEMAX names; cut */
	}
	if (len == 0)
		len = (size_t)ksnprintf(text, cap, "no block devices\n");
	r = dev_readstr(off, buf, n, text, len);
	kfree(text);
	return r;
}
