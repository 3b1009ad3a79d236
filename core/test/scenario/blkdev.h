/*
 * A simulated block device for deterministic runs (core/test/scenario/blkdev.c;
 * docs/store.md, "The simulated device").  It keeps a durable medium and
 * a volatile write cache, ends requests only when the scenario steps it,
 * in an order the seed chooses, and at a simulated crash loses, keeps,
 * reorders and tears what was not flushed and flips bits of the medium,
 * all from the core's seeded generator.  Every fault it injects is
 * logged, so a checker can tell an injected fault from a bug.
 */
#ifndef LUX_SIM_BLKDEV_H
#define LUX_SIM_BLKDEV_H

#include <lux/arch.h>
#include <lux/blk.h>
#include <lux/types.h>

enum { SIMBLK_TORN = 1, SIMBLK_FLIP = 2 };

/* One fault injected at a crash: a sector torn at byte `at` (the first
 * `at` bytes are from the write, the rest what the medium had), or one
 * bit flipped (`at` is the bit's number in the sector). */
struct simblk_fault {
	int kind;
	uint64_t sector;
	uint32_t at;
};

/* What the seed may do, in 1/1024ths, per unflushed write at a crash
 * (persist, and of those tear) and per crash (flip a sector's bit). */
struct simblk_odds {
	uint32_t persist, tear, flip;
};

#define SIMBLK_MAXFAULTS 64	/* faults logged per crash */

struct simblk;

/* A device of `sectors` sectors of `sector_size` bytes taking `inflight`
 * requests at once, its medium all zeros; 0 when out of memory. */
struct simblk *simblk_new(uint64_t sectors, uint32_t sector_size, uint32_t inflight,
                          const struct simblk_odds *odds);
void simblk_free(struct simblk *s);
/* Describe it and hand out its driver, for blk_attach_driver. */
void simblk_describe(struct simblk *s, const char *name, struct arch_blk_info *info,
                     struct blk_driver *drv);
/* End up to n requests, each chosen by the seed among those pending, as
 * lux_blk_done upcalls (called from a proc; turns upcalls off itself).
 * Returns how many ended. */
size_t simblk_step(struct simblk *s, size_t n);
size_t simblk_pending(const struct simblk *s);
/* Run fn in a proc of its own (name) while the calling proc plays s,
 * ending what is pending each microsecond, until fn clears *running (it
 * is set here): a scenario proc cannot wait for requests itself, since
 * it is the one that ends them. */
void simblk_serve_beside(struct simblk *s, const char *name, void (*fn)(void *), bool *running);
/* Lose power: every pending request ends with E_IO (a write among them
 * may have reached the cache), then each cached write is kept or dropped
 * and the kept ones land in a seeded order, some torn; then bits flip.
 * Until simblk_reboot every submit fails with E_IO.  The faults it
 * injected are in *log (at most SIMBLK_MAXFAULTS); returns their count. */
size_t simblk_crash(struct simblk *s, struct simblk_fault *log);
void simblk_reboot(struct simblk *s);
/* Flip bit `bit` of sector on the medium, now: a fault a scenario aims
 * (at the sector it most fears for) and logs itself. */
void simblk_flip(struct simblk *s, uint64_t sector, uint32_t bit);
/* Test-only (--break-invariant lose-flushed): the next flush forgets one
 * write it should have made durable, and logs nothing. */
void simblk_break_flush(struct simblk *s);

/* Counters for the scenario's last line. */
struct simblk_counts {
	uint64_t done, reordered, cached_max, kept, dropped, torn, flipped, destaged;
};
void simblk_counts(const struct simblk *s, struct simblk_counts *out);

#endif
