/*
 * Red-blue versions (see <lux/redblue.h>).
 *
 * Invariants:
 *  - blue is never 0 after rb_init, and never modified after it became
 *    blue (only whole versions are swapped);
 *  - red is non-0 exactly while the update lock is held by the updater;
 *  - a version is freed when it is neither blue nor red and its pin count
 *    is 0.
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/redblue.h>
#include <lux/string.h>

struct rb_version {
	int pins;		/* readers holding it */
	bool current;		/* it is blue */
	_Alignas(16) unsigned char payload[];
};

static uint64_t fail_at, fault_count;
/* every object's blue pointer and its versions' pins and current flags:
 * readers pin, the commit flips (one lock for all: each hold is a few
 * stores, and a lock per object would grow every ramfs inode) */
static struct spinlock pins_lock = SPINLOCK_INIT("redblue-pins");

void rb_fail_at(uint64_t n)
{
	fail_at = n;
	fault_count = 0;
}

bool rb_fault(void)
{
	return fail_at && ++fault_count == fail_at;
}

static struct rb_version *version_of(const void *payload)
{
	return (struct rb_version *)((uintptr_t)payload - offsetof(struct rb_version, payload));
}

static struct rb_version *alloc_version(const struct rb_ops *ops)
{
	if (rb_fault())
		return 0;
	return kzalloc(sizeof(struct rb_version) + ops->size);
}

static void free_version(const struct rb_ops *ops, struct rb_version *v)
{
	ops->release(v->payload);
	kfree(v);
}

int rb_init(struct redblue *o, const struct rb_ops *ops, const void *init)
{
	struct rb_version *v;
	int err = 0;

	kmemset(o, 0, sizeof *o);
	o->ops = ops;
	qlock_init(&o->update, "redblue");
	v = kzalloc(sizeof *v + ops->size);
	if (v == 0)
		return E_NOMEM;
	if (init && (err = ops->copy(v->payload, init)) < 0) {
		free_version(ops, v);
		return err;
	}
	v->current = true;
	o->blue = v;
	return 0;
}

void rb_destroy(struct redblue *o)
{
	kassert(o->red == 0);
	if (o->blue->pins)
		panic("rb_destroy: a reader still holds the blue version");
	free_version(o->ops, o->blue);
	o->blue = 0;
}

const void *rb_read(struct redblue *o)
{
	spin_lock(&pins_lock);
	struct rb_version *v = o->blue;

	v->pins++;
	spin_unlock(&pins_lock);
	return v->payload;
}

bool rb_is_blue(struct redblue *o, const void *payload)
{
	bool yes;

	spin_lock(&pins_lock);
	yes = o->blue == version_of(payload);
	spin_unlock(&pins_lock);
	return yes;
}

void rb_done(struct redblue *o, const void *payload)
{
	struct rb_version *v = version_of(payload);
	spin_lock(&pins_lock);
	bool gone;

	kassert(v->pins > 0);
	gone = --v->pins == 0 && !v->current;
	spin_unlock(&pins_lock);
	if (gone)
		free_version(o->ops, v);
}

void *rb_begin(struct redblue *o, int *err)
{
	struct rb_version *v;

	qlock(&o->update);
	kassert(o->red == 0);
	v = alloc_version(o->ops);
	if (v == 0) {
		*err = E_NOMEM;
		qunlock(&o->update);
		return 0;
	}
	/* the updater holds the lock: blue cannot change under the copy */
	if ((*err = o->ops->copy(v->payload, o->blue->payload)) < 0) {
		free_version(o->ops, v);
		qunlock(&o->update);
		return 0;
	}
	o->red = v;
	return v->payload;
}

void rb_commit(struct redblue *o)
{
	struct rb_version *old;
	bool gone;

	kassert(o->red != 0 && qlock_held(&o->update));
	spin_lock(&pins_lock);	/* the flip: readers see old or new */
	old = o->blue;
	o->red->current = true;
	o->blue = o->red;
	o->red = 0;
	old->current = false;
	gone = old->pins == 0;
	o->commits++;
	spin_unlock(&pins_lock);
	if (gone)
		free_version(o->ops, old);
	qunlock(&o->update);
}

void rb_abort(struct redblue *o)
{
	kassert(o->red != 0 && qlock_held(&o->update));
	free_version(o->ops, o->red);
	o->red = 0;
	o->aborts++;
	qunlock(&o->update);
}
