/*
 * /dev/pci: the PCI functions the arch found at boot (arch_pci_dev), one
 * line each:
 *
 *	00:1f.2 8086:2922 01.06.01 rev 02 irq 10 sata controller
 *
 * bus:device.function, vendor:device, class.subclass.prog-if, revision,
 * the legacy interrupt line (or -), and what the class says in words
 * (virtio's vendor, 1af4, says "virtio" first: that is what a Lux9
 * driver looks for); then a tab-indented line per implemented BAR
 *
 *	bar0 mem 0xfebd1000 4 KiB
 *
 * and one with the capability IDs in list order (11: MSI-X, 09: vendor,
 * which virtio uses for its structures).  "no pci devices" where the arch
 * has none (hosted).
 */
#include <lux/arch.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/pci.h>

#define LINE (80 + 6 * 56 + 8 + 3 * ARCH_PCI_MAXCAPS)	/* a function's lines, at most */

static const struct {
	uint8_t class, subclass;
	const char *name;
} names[] = {
	{ 0x01, 0x01, "ide controller" },
	{ 0x01, 0x06, "sata controller" },
	{ 0x01, 0x08, "nvme controller" },
	{ 0x01, 0x00, "scsi controller" },
	{ 0x02, 0x00, "ethernet controller" },
	{ 0x03, 0x00, "vga display" },
	{ 0x03, 0x80, "display" },
	{ 0x06, 0x00, "host bridge" },
	{ 0x06, 0x01, "isa bridge" },
	{ 0x06, 0x04, "pci bridge" },
	{ 0x07, 0x80, "communication" },
	{ 0x0c, 0x03, "usb controller" },
	{ 0x0c, 0x05, "smbus" },
	{ 0x08, 0x80, "system peripheral" },
};

static const char *name_of(const struct arch_pci_dev *d)
{
	if (d->vendor == 0x1af4)
		return "virtio device";
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].class == d->class && names[i].subclass == d->subclass)
			return names[i].name;
	return "other";
}

size_t pci_format(const struct arch_pci_dev *d, char *out, size_t cap)
{
	char irq[8];
	size_t len;

	if (d->irq_line == 0xff || d->irq_line == 0)
		ksnprintf(irq, sizeof irq, "-");
	else
		ksnprintf(irq, sizeof irq, "%u", d->irq_line);
	len = (size_t)ksnprintf(out, cap,
	                        "%02x:%02x.%x %04x:%04x %02x.%02x.%02x rev %02x irq %s %s\n",
	                        d->bus, d->dev, d->fn, d->vendor, d->device, d->class, d->subclass,
	                        d->progif, d->revision, irq, name_of(d));
	for (int i = 0; i < 6; i++) {
		const struct arch_pci_bar *b = &d->bar[i];
		if (b->size == 0)
			continue;
		len += (size_t)ksnprintf(
		    out + (len < cap ? len : cap), len < cap ? cap - len : 0,
		    "\tbar%d %s 0x%llx %llu%s%s\n", i, b->io ? "io" : "mem",
		    (unsigned long long)b->addr,
		    (unsigned long long)(b->size >= 1024 ? b->size / 1024 : b->size),
		    b->size >= 1024 ? " KiB" : " bytes", b->prefetch ? " prefetchable" : "");
	}
	if (d->ncaps > 0) {
		len += (size_t)ksnprintf(out + (len < cap ? len : cap), len < cap ? cap - len : 0,
		                         "\tcaps");
		for (int i = 0; i < d->ncaps && i < ARCH_PCI_MAXCAPS; i++)
			len += (size_t)ksnprintf(out + (len < cap ? len : cap),
			                         len < cap ? cap - len : 0, " %02x", d->caps[i]);
		len += (size_t)ksnprintf(out + (len < cap ? len : cap), len < cap ? cap - len : 0,
		                         "\n");
	}
	return len;
}

long pci_list_read(void *buf, size_t n, uint64_t off)
{
	struct arch_pci_dev d;
	size_t count = 0, cap, len = 0;
	char *text;
	long r;

	while (arch_pci_dev((int)count, &d) == 0)
		count++;
	cap = (count + 1) * LINE;
	if ((text = kmalloc(cap)) == 0)
		return E_NOMEM;
	for (size_t i = 0; i < count && arch_pci_dev((int)i, &d) == 0; i++)
		len += pci_format(&d, text + len, cap - len);
	if (count == 0)
		len = (size_t)ksnprintf(text, cap, "no pci devices\n");
	if (len >= cap)
		len = cap - 1;
	r = dev_readstr(off, buf, n, text, len);
	kfree(text);
	return r;
}
