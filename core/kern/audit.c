/*
 * The audit ring (see <lux/audit.h>).  Records are fixed-size structs, not
 * text, so appending never allocates and never fails: an audit that could
 * run out of memory would lose exactly the records that matter.  Text is
 * made at read time.
 */
#include <lux/audit.h>
#include <lux/borrow.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/proc.h>
#include <lux/string.h>

struct record {
	uint64_t time;		/* arch_time_ns() when appended */
	int pid;		/* 0: the kernel */
	char name[16];		/* the proc's name then */
	char op[20];		/* borrow-shared, move, exit-return, ... */
	uint32_t obj;		/* slot in the object table */
	char objdesc[32];	/* "exchange 256 pages" */
	char rule[128];		/* why: "refused: already borrowed shared by proc 9" */
};

static struct {
	struct record r[AUDIT_RING];
	uint64_t total;		/* appended ever; the next goes to r[total % AUDIT_RING] */
} ring;
/* the ring; formatting happens outside it, on a copy */
static struct spinlock audit_lock = SPINLOCK_INIT("audit");

void audit_log(const struct proc *who, const char *op, uint32_t obj, const char *objdesc,
               const char *fmt, ...)
{
	struct record rec;
	va_list ap;

	/* fill a local copy first: formatting is the slow part and needs no lock */
	kmemset(&rec, 0, sizeof rec);
	rec.time = arch_time_ns();
	rec.pid = who ? who->pid : 0;
	kstrlcpy(rec.name, who ? who->name : "kernel", sizeof rec.name);
	kstrlcpy(rec.op, op, sizeof rec.op);
	rec.obj = obj;
	kstrlcpy(rec.objdesc, objdesc, sizeof rec.objdesc);
	va_start(ap, fmt);
	kvsnprintf(rec.rule, sizeof rec.rule, fmt, ap);
	va_end(ap);
	spin_lock(&audit_lock);
	ring.r[ring.total % AUDIT_RING] = rec;
	ring.total++;
	spin_unlock(&audit_lock);
}

uint64_t audit_total(void)
{
	return ring.total;
}
uint64_t audit_lost(void)
{
	return ring.total > AUDIT_RING ? ring.total - AUDIT_RING : 0;
}

void audit_reset(void)
{
	spin_lock(&audit_lock);
	kmemset(&ring, 0, sizeof ring);
	spin_unlock(&audit_lock);
}

size_t audit_format(char *buf, size_t size)
{
	static struct record snap[AUDIT_RING];	/* too big for a proc stack */
	static int busy;
	size_t len = 0, n;
	uint64_t first, total;
	spin_lock(&audit_lock);

	/* one reader formats at a time; a second one simply sees nothing yet
	 * (returns 0 and the caller retries) rather than blocking in here */
	if (busy) {
		spin_unlock(&audit_lock);
		return 0;
	}
	busy = 1;
	total = ring.total;
	first = total > AUDIT_RING ? total - AUDIT_RING : 0;
	for (uint64_t i = first; i < total; i++)
		snap[i - first] = ring.r[i % AUDIT_RING];
	spin_unlock(&audit_lock);
	n = (size_t)(total - first);
	if (first)
		len += (size_t)ksnprintf(buf + MIN(len, size), size - MIN(len, size),
		                         "(%llu older records overwritten)\n",
		                         (unsigned long long)first);
	for (size_t i = 0; i < n; i++) {
		const struct record *r = &snap[i];
		len += (size_t)ksnprintf(buf + MIN(len, size), size - MIN(len, size),
		                         "%llu proc %d (%s) %s obj %u (%s): %s\n",
		                         (unsigned long long)r->time, r->pid, r->name, r->op,
		                         r->obj, r->objdesc, r->rule);
	}
	busy = 0;
	return len;
}

long audit_read(void *buf, size_t n, uint64_t off)
{
	size_t size = AUDIT_RING * (sizeof(struct record) + 64) + 64, len;
	char *text = kmalloc(size);

	if (text == 0)
		return E_NOMEM;
	len = audit_format(text, size);
	if (len >= size)
		len = size - 1;	/* cannot happen with the bound above; cut, never overflow */
	{
		long r = dev_readstr(off, buf, n, text, len);
		kfree(text);
		return r;
	}
}

long audit_write(const void *buf, size_t n)
{
	char word[16];
	size_t k = MIN(n, sizeof word - 1);

	kmemcpy(word, buf, k);
	word[k] = 0;
	while (k > 0 && (word[k - 1] == '\n' || word[k - 1] == ' '))
		word[--k] = 0;
	if (kstrcmp(word, "strict") == 0)
		borrow_set_strict(true);
	else if (kstrcmp(word, "lenient") == 0)
		borrow_set_strict(false);
	else
		return E_INVAL;
	return (long)n;
}
