/*
 * /dev/memmap: the address space as the arch laid it out (arch_memrange),
 * one range a line, in address order:
 *
 *	0x0000000000000000-0x0000000000000fff       4 KiB ---  null page
 *	0x000000007e2b3000-0x000000007e2f0fff     248 KiB r-x  kernel text
 *
 * then the total of each kind ("total ram reclaimed from boot services
 * 36 MiB") and one line on W^X over the listed ranges: a range both
 * writable and executable is named, so a reader never has to trust a
 * summary the arch wrote about itself.  (On metal the arch also walks
 * its page tables at boot and panics on such a page: paging.c's
 * check_wx.)
 */
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/memmap.h>
#include <lux/string.h>

#define LINE 128		/* one range's line, at most */
#define KINDS 16		/* distinct `what`s totalled */

static void size_text(uint64_t len, char *out, size_t cap)
{
	if (len >= (16ull << 20) && len % (1ull << 20) == 0)
		ksnprintf(out, cap, "%llu MiB", (unsigned long long)(len >> 20));
	else if (len >= (16ull << 20))	/* tenths: 211.3 MiB reads better than KiB */
		ksnprintf(out, cap, "%llu.%llu MiB", (unsigned long long)(len >> 20),
		          (unsigned long long)((len & ((1ull << 20) - 1)) * 10 >> 20));
	else if (len >= 1024)
		ksnprintf(out, cap, "%llu KiB", (unsigned long long)(len >> 10));
	else
		ksnprintf(out, cap, "%llu B", (unsigned long long)len);
}

size_t memmap_format(const struct arch_memrange *r, char *out, size_t cap)
{
	char size[24];

	size_text(r->len, size, sizeof size);
	return (size_t)ksnprintf(out, cap, "0x%016llx-0x%016llx %10s %c%c%c  %s\n",
	                         (unsigned long long)r->base,
	                         (unsigned long long)(r->base + r->len - (r->len ? 1 : 0)), size,
	                         r->prot & ARCH_MEM_R ? 'r' : '-', r->prot & ARCH_MEM_W ? 'w' : '-',
	                         r->prot & ARCH_MEM_X ? 'x' : '-', r->what ? r->what : "?");
}

struct totals {
	const char *what[KINDS];
	uint64_t bytes[KINDS];
	size_t n;
	const char *wx;		/* the first range writable and executable */
};

static void add(struct totals *t, const struct arch_memrange *r)
{
	size_t i;

	if ((r->prot & (ARCH_MEM_W | ARCH_MEM_X)) == (ARCH_MEM_W | ARCH_MEM_X) && t->wx == 0)
		t->wx = r->what ? r->what : "?";
	for (i = 0; i < t->n; i++)
		if (kstrcmp(t->what[i], r->what ? r->what : "?") == 0)
			break;
	if (i == t->n) {
		if (t->n == KINDS)
			return;	/* more kinds than any arch lists: not totalled */
		t->what[t->n++] = r->what ? r->what : "?";
	}
	t->bytes[i] += r->len;
}

static size_t summary(const struct totals *t, char *out, size_t cap)
{
	size_t len = 0;
	char size[24];

	for (size_t i = 0; i < t->n; i++) {
		size_text(t->bytes[i], size, sizeof size);
		len += (size_t)ksnprintf(out + (len < cap ? len : cap), len < cap ? cap - len : 0,
		                         "total %s %s\n", t->what[i], size);
	}
	if (t->wx)
		len += (size_t)ksnprintf(out + (len < cap ? len : cap), len < cap ? cap - len : 0,
		                         "w^x broken: %s is writable and executable\n", t->wx);
	else
		len += (size_t)ksnprintf(out + (len < cap ? len : cap), len < cap ? cap - len : 0,
		                         "w^x holds: no range listed is writable and executable\n");
	return len;
}

long memmap_read(void *buf, size_t n, uint64_t off)
{
	struct arch_memrange r;
	struct totals *t;
	size_t count = 0, cap, len = 0;
	char *text;
	long ret;

	while (arch_memrange((int)count, &r) == 0)
		count++;
	if (count == 0)
		return dev_readstr(off, buf, n, "no memory map\n", 14);
	cap = (count + KINDS + 2) * LINE;
	t = kzalloc(sizeof *t);
	text = kmalloc(cap);
	if (t == 0 || text == 0) {
		kfree(t);
		kfree(text);
		return E_NOMEM;
	}
	for (size_t i = 0; i < count && arch_memrange((int)i, &r) == 0; i++) {
		len += memmap_format(&r, text + (len < cap ? len : cap), len < cap ? cap - len : 0);
		add(t, &r);
	}
	len += summary(t, text + (len < cap ? len : cap), len < cap ? cap - len : 0);
	if (len >= cap)
		len = cap - 1;
	ret = dev_readstr(off, buf, n, text, len);
	kfree(text);
	kfree(t);
	return ret;
}
