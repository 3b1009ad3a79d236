/* Channel references (see <lux/dev.h>). */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/string.h>

struct chan *chan_new(const struct dev *dev)
{
	struct chan *c = kzalloc(sizeof *c);

	if (c) {
		c->dev = dev;
		c->mode = -1;
		c->ref = 1;
	}
	return c;
}

struct chan *chan_clone(struct chan *c)
{
	struct chan *n = chan_new(c->dev);

	if (n == 0)
		return 0;
	n->qid = c->qid;
	n->aux = c->aux;
	if (c->dev->clone)
		c->dev->clone(c, n);
	return n;	/* not open, offset 0, no mount: a clone is a fresh handle */
}

void chan_put(struct chan *c)
{
	if (c == 0)
		return;
	kassert(c->ref > 0);
	if (__atomic_sub_fetch(&c->ref, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	chan_put(c->ucur);
	mhead_put(c->umh);
	if (c->dev->close)
		c->dev->close(c);
	kfree(c);
}

int dev_attach(const struct dev *dev, const char *spec, struct chan **out)
{
	struct chan *c = chan_new(dev);
	int err;

	if (c == 0)
		return E_NOMEM;
	err = dev->attach(c, spec);
	if (err < 0) {
		kfree(c);
		return err;
	}
	*out = c;
	return 0;
}

long dev_readstr(uint64_t off, void *buf, size_t n, const char *text, size_t len)
{
	if (off >= len)
		return 0;
	n = MIN(n, len - (size_t)off);
	kmemcpy(buf, text + off, n);
	return (long)n;
}
