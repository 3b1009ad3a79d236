/*
 * Exchange buffers (see <lux/exchange.h>).  The borrow table holds the page
 * run itself as the object and its page count as the size, so a buffer
 * costs no allocation besides its pages, and release is page_free.
 */
#include <lux/error.h>
#include <lux/exchange.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/page.h>
#include <lux/proc.h>

static struct waitq arrivals = WAITQ_INIT(arrivals);
static size_t held;	/* pages in live buffers */
/* held: buffers are made and released by procs and by borrow's drop */
static struct spinlock exchange_lock = SPINLOCK_INIT("exchange");

static void release(void *obj, size_t npages)
{
	spin_lock(&exchange_lock);
	held -= npages;
	spin_unlock(&exchange_lock);
	page_free(obj, npages);
}

const struct bclass exchange_class = { "exchange", "pages", release };

size_t exchange_pages(void)
{
	return held;
}

int exchange_alloc_at(size_t npages, bhandle *out, const char *file, int line)
{
	void *p;
	int err;

	*out = 0;
	if (npages == 0)
		return E_INVAL;
	if ((p = page_alloc(npages)) == 0)
		return E_NOMEM;
	spin_lock(&exchange_lock);
	held += npages;
	spin_unlock(&exchange_lock);
	if ((err = borrow_new_at(&exchange_class, p, npages, out, file, line)) < 0)
		release(p, npages);
	return err;
}

int exchange_send_at(bhandle h, struct proc *to, const char *file, int line)
{
	int err = borrow_move_at(h, to, file, line);

	if (err == 0)
		wakeup(&arrivals);
	return err;
}

int exchange_tryrecv(bhandle *out)
{
	return borrow_receive(&exchange_class, out);
}

static bool arrived(void *arg)
{
	return borrow_pending(arg, &exchange_class);
}

int exchange_recv(bhandle *out)
{
	int err;

	*out = 0;
	if (curproc() == 0)
		return E_NOPROC;
	if ((err = sleep_on(&arrivals, arrived, curproc())) < 0)
		return err;
	return borrow_receive(&exchange_class, out);
}
