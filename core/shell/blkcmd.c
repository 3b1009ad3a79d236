/*
 * blk: the block devices from the console, for a person checking a drive
 * and for the tests that drive luxsim --store.  A console command, never
 * a file: a 9P client, even the host owner's, cannot write raw sectors
 * under the store that will own them (docs/store.md).
 *
 *   blk                     the status of every device (/dev/blk)
 *   blk read SECTOR         print the sector as text, up to its first zero
 *                           byte (other unprintable bytes as '.')
 *   blk write SECTOR TEXT   write TEXT, zero-padded, to the sector
 *   blk flush               make what was written durable
 *
 * Always device 0: the one the arch handed over at boot.
 */
#include <lux/blk.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "blkcmd.h"
#include "shell.h"

static int sector_arg(const char *s, struct blkdev *d, uint64_t *out)
{
	long long v;

	if (kstrtoll(s, &v) < 0 || v < 0 || (uint64_t)v >= d->sectors) {
		sh_errorf("blk: sector %s: not a number from 0 to %llu\n", s,
		          (unsigned long long)d->sectors - 1);
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

static int status(struct sh *sh)
{
	char buf[512];
	uint64_t off = 0;
	long n;

	while ((n = blk_status_read(buf, sizeof buf - 1, off)) > 0) {
		buf[n] = 0;
		sh_printf(sh, "%s", buf);
		off += (uint64_t)n;
	}
	return n < 0 ? 1 : 0;
}

int sh_blk(struct sh *sh, int argc, char **argv)
{
	struct blkdev *d = blk_get(0);
	uint64_t sector;
	uint8_t *buf;
	int err = 0;

	if (argc == 1)
		return status(sh);
	if (d == 0) {
		sh_errorf("blk: no block device (luxsim --store PATH makes one)\n");
		return 1;
	}
	if (kstrcmp(argv[1], "flush") == 0 && argc == 2)
		err = blk_flush(d);
	else if ((kstrcmp(argv[1], "read") == 0 && argc == 3) ||
	         (kstrcmp(argv[1], "write") == 0 && argc == 4)) {
		size_t len = argc == 4 ? kstrlen(argv[3]) : 0;

		if (sector_arg(argv[2], d, &sector) < 0)
			return 2;
		if (len > d->sector_size) {
			sh_errorf("blk: %zu bytes do not fit in a sector of %u\n", len,
			          d->sector_size);
			return 2;
		}
		if ((buf = kzalloc(d->sector_size + 1)) == 0) {
			sh_errorf("blk: out of memory\n");
			return 1;
		}
		if (argc == 4) {
			kmemcpy(buf, argv[3], len);
			err = blk_write(d, sector, buf, 1);
		} else if ((err = blk_read(d, sector, buf, 1)) == 0) {
			for (uint32_t i = 0; i < d->sector_size && buf[i]; i++)
				if (buf[i] < ' ' || buf[i] > '~')
					buf[i] = '.';
			sh_printf(sh, "%s\n", (char *)buf);	/* the extra byte ends it */
		}
		kfree(buf);
	} else {
		sh_errorf("usage: blk [read SECTOR | write SECTOR TEXT | flush]\n");
		return 2;
	}
	if (err < 0) {
		sh_errorf("blk: %s\n", proc_errstr(err));
		return 1;
	}
	return 0;
}
