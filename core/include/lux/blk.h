/*
 * The kernel's block layer (core/blk/blk.c; docs/store.md): procs read,
 * write and flush whole sectors of a block device and sleep until the
 * device says it is done.  A device is the arch's (arch_blk_submit) or a
 * driver the core plays itself (a simulation's device, core/test/scenario/blkdev.c);
 * both finish requests through lux_blk_done.
 *
 * What a caller may assume:
 *  - a call returns only when its request has ended: the buffer is the
 *    caller's again, whatever the result;
 *  - a write whose call returned 0 and was followed by a blk_flush that
 *    returned 0 is on stable storage; before that flush a crash may keep
 *    it, lose it, or (across sectors of one request) keep part of it;
 *  - at most `inflight` requests of a device are at the device at once;
 *    callers beyond that wait their turn, interruptibly;
 *  - each request in flight holds one `requests` pebble of the caller's
 *    budget (its principal's: a 9P worker charges its client), so a
 *    client holds the kernel's requests only up to its budget.
 */
#ifndef LUX_BLK_H
#define LUX_BLK_H

#include <lux/proc.h>
#include <lux/types.h>

#define BLK_MAXDEV 4		/* devices attached at once */
#define BLK_NAMEMAX 64		/* bytes of a device's name kept, NUL included */

/* Who carries a device's requests: submit starts one and ends it with
 * lux_blk_done(cookie, err) later, with upcalls off; the rules are
 * arch_blk_submit's (<lux/arch.h>). */
struct blk_driver {
	int (*submit)(void *arg, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie);
	void *arg;
};

struct blkdev {
	int slot;		/* index in the device table */
	int archdev;		/* the arch's number, or -1 for a core driver */
	char name[BLK_NAMEMAX];
	uint64_t sectors;
	uint32_t sector_size;
	uint32_t maxinflight;
	int created;		/* the arch made it at this boot */
	struct blk_driver drv;
	/* protected by upcalls off: lux_blk_done changes them */
	uint32_t inflight;
	struct waitq slotq;	/* callers waiting for inflight < maxinflight */
	uint64_t reads, writes, flushes, errors;
	uint64_t bytes_read, bytes_written;
};

/* Attach the arch's device archdev: 0 and *out, or E_NOTSUP / E_NOENT
 * (the arch has none), E_INVAL (the arch described it impossibly), E_MFILE
 * (BLK_MAXDEV attached) or E_NOMEM, with the proc's error string saying
 * which device and why. */
int blk_attach(int archdev, struct blkdev **out);
/* Attach a device the core drives itself, described by info (name,
 * sectors, sector size, inflight) and carried by drv.  As blk_attach. */
int blk_attach_driver(const struct arch_blk_info *info, const struct blk_driver *drv,
                      struct blkdev **out);
/* Forget d: nothing may be in flight (a panic otherwise, since a late
 * lux_blk_done would find freed memory). */
void blk_detach(struct blkdev *d);
/* Device in table slot i, or 0. */
struct blkdev *blk_get(int i);

/* Move nsect sectors (1..ARCH_BLK_MAXSECT) at sector between the device
 * and buf.  0, or a negative error with the proc's error string set:
 * E_INVAL (out of range), E_BUDGET (no `requests` pebble left), E_INTR
 * (killed while waiting for a turn: nothing was sent), E_IO or E_NOSPC
 * (the device failed it). */
int blk_read(struct blkdev *d, uint64_t sector, void *buf, uint32_t nsect);
int blk_write(struct blkdev *d, uint64_t sector, const void *buf, uint32_t nsect);
/* Every write that returned before this call is on stable storage when
 * it returns 0.  Errors as above. */
int blk_flush(struct blkdev *d);

/* Render d's status ("name ... sectors ... reads ..." lines, the format
 * of /dev/blk, docs/store.md); returns the full length, as ksnprintf. */
size_t blk_format(const struct blkdev *d, char *buf, size_t size);

/* At boot (core/blk/blkboot.c), from a proc: attach the arch's device 0
 * if it has one, and say so unless quiet. */
void blk_boot(int quiet);
/* /dev/blk: "dev N" and blk_format's lines for each device attached, or
 * "no block devices". */
long blk_status_read(void *buf, size_t n, uint64_t off);

#endif
