/*
 * Red-blue updates: an object has a committed (blue) version that readers
 * see, and while an update is open a staged (red) copy that only the
 * updater sees.  Commit makes red the new blue with one pointer store;
 * abort, or a fault anywhere in the update, discards red and leaves blue
 * exactly as it was.  Readers therefore see the old state or the new one,
 * never a mixture, whatever fails halfway.
 *
 * Readers pin the blue version they read (rb_read/rb_done), so a commit
 * never frees a version under a reader: the old blue goes when its last
 * reader lets go.  One update at a time (a qlock).  How a payload is
 * copied and released is the object's business (struct rb_ops): ramfs
 * shares unchanged data blocks between versions and copies only what an
 * update touches.  See docs/redblue.md.
 */
#ifndef LUX_REDBLUE_H
#define LUX_REDBLUE_H

#include <lux/lock.h>
#include <lux/types.h>

struct rb_ops {
	size_t size;	/* payload bytes */
	/* Make dst (zeroed, size bytes) a copy of src: 0 or an error (then
	 * dst is released with release()). */
	int (*copy)(void *dst, const void *src);
	/* Free what copy (or the updater) attached to a payload. */
	void (*release)(void *payload);
};

struct rb_version;

struct redblue {
	struct rb_version *blue;
	struct rb_version *red;		/* 0 unless an update is open */
	const struct rb_ops *ops;
	struct qlock update;		/* one updater at a time */
	uint64_t commits, aborts;
};

/* Start with a blue version copied from init (or zeroed if init is 0). */
int rb_init(struct redblue *o, const struct rb_ops *ops, const void *init);
/* Free the object; no reader may hold a version. */
void rb_destroy(struct redblue *o);

/* Pin and return the blue payload; pair with rb_done. */
const void *rb_read(struct redblue *o);
void rb_done(struct redblue *o, const void *payload);
/* Is payload (a version of o) the blue one now?  No pin needed. */
bool rb_is_blue(struct redblue *o, const void *payload);

/* Open an update: returns the red payload, a copy of blue, or 0 with *err
 * set (nothing changed).  Holds the update lock until commit or abort. */
void *rb_begin(struct redblue *o, int *err);
/* Make red the blue version; the old blue goes when unpinned. */
void rb_commit(struct redblue *o);
/* Throw red away; blue is untouched. */
void rb_abort(struct redblue *o);

/* Test hook (fault injection): make the n-th allocation an update makes
 * from now fail, counting from 1; 0 turns it off.  Updaters call
 * rb_fault() before each allocation step and treat true as out of memory. */
void rb_fail_at(uint64_t n);
bool rb_fault(void);

#endif
