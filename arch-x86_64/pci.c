/*
 * PCI: the functions on the machine's buses, found once at boot through
 * configuration mechanism #1 (ports 0xCF8/0xCFC), which every PC and
 * QEMU's q35 and i440fx have.  ECAM (memory-mapped configuration from
 * ACPI's MCFG) is what PCIe's extended space needs; for finding devices
 * and reading their first 256 bytes the ports are enough, and they need
 * no mapping and no ACPI parser.  The core reads the list through
 * arch_pci_dev (/dev/pci); drivers (virtio, next) will find theirs here.
 *
 * Enumeration follows bridges by brute force (every bus, every device,
 * function 0, and the other seven when function 0 says it is
 * multi-function): 256 * 32 reads of one register, about 8,200 port
 * round trips, well under a millisecond on hardware and a few under TCG.
 */
#include <lux/arch.h>
#include <lux/error.h>

#include <stdbool.h>

#include "pcicfg.h"
#include "x86.h"

#define MAXFUNCS 256

static struct arch_pci_dev found[MAXFUNCS];
static int nfound;
static int dropped;

#define config_read pcicfg_read32
#define config_write pcicfg_write32

/* The size a BAR decodes: write all ones, read back which bits stick,
 * put the firmware's value back.  Decoding is off meanwhile (command
 * register), so the device never answers at the probe address. */
static void bars(unsigned bus, unsigned dev, unsigned fn, struct arch_pci_dev *d)
{
	uint32_t cmd = config_read(bus, dev, fn, 0x04);

	config_write(bus, dev, fn, 0x04, cmd & ~0x3u);	/* no I/O, no memory decode */
	for (unsigned i = 0; i < 6; i++) {
		unsigned reg = 0x10 + 4 * i;
		uint32_t lo = config_read(bus, dev, fn, reg), mlo, hi = 0, mhi = ~0u;
		struct arch_pci_bar *b = &d->bar[i];
		bool wide = !(lo & 1) && ((lo >> 1) & 3) == 2;

		config_write(bus, dev, fn, reg, ~0u);
		mlo = config_read(bus, dev, fn, reg);
		config_write(bus, dev, fn, reg, lo);
		if (wide && i < 5) {
			hi = config_read(bus, dev, fn, reg + 4);
			config_write(bus, dev, fn, reg + 4, ~0u);
			mhi = config_read(bus, dev, fn, reg + 4);
			config_write(bus, dev, fn, reg + 4, hi);
		}
		if (mlo == 0 || mlo == ~0u)
			continue;	/* a BAR the device does not have (or nothing answered) */
		b->io = lo & 1;
		if (b->io) {
			b->addr = lo & ~0x3u;
			b->size = (uint64_t)(~(mlo & ~0x3u) + 1) & 0xffff;
		} else {
			uint64_t mask = (uint64_t)mhi << 32 | (mlo & ~0xfu);
			b->addr = (uint64_t)hi << 32 | (lo & ~0xfu);
			b->prefetch = (lo >> 3) & 1;
			b->size = wide ? ~mask + 1 : (uint64_t)(~(uint32_t)mask + 1);
		}
		if (wide)
			i++;	/* the upper half was this one's */
	}
	config_write(bus, dev, fn, 0x04, cmd);
}

/* The capability list (status bit 4): IDs in order, at most
 * ARCH_PCI_MAXCAPS, and never more than 48 hops (a looping list). */
static void caps(unsigned bus, unsigned dev, unsigned fn, struct arch_pci_dev *d)
{
	unsigned at;

	if (!(config_read(bus, dev, fn, 0x04) & (1u << 20)))
		return;
	at = config_read(bus, dev, fn, 0x34) & 0xfc;
	for (int hops = 0; at >= 0x40 && hops < 48 && d->ncaps < ARCH_PCI_MAXCAPS; hops++) {
		uint32_t w = config_read(bus, dev, fn, at);

		d->caps[d->ncaps++] = (uint8_t)w;
		at = (w >> 8) & 0xfc;
	}
}

static void record(unsigned bus, unsigned dev, unsigned fn, uint32_t id)
{
	uint32_t class = config_read(bus, dev, fn, 0x08);
	uint32_t hdr = config_read(bus, dev, fn, 0x0c);
	uint32_t irq = config_read(bus, dev, fn, 0x3c);
	struct arch_pci_dev *d;

	if (nfound == MAXFUNCS) {
		dropped++;
		return;
	}
	d = &found[nfound++];
	d->bus = (uint8_t)bus;
	d->dev = (uint8_t)dev;
	d->fn = (uint8_t)fn;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	d->revision = (uint8_t) class;
	d->progif = (uint8_t)(class >> 8);
	d->subclass = (uint8_t)(class >> 16);
	d->class = (uint8_t)(class >> 24);
	d->header = (uint8_t)((hdr >> 16) & 0x7f);
	d->irq_line = (uint8_t)irq;
	if (d->header == 0)
		bars(bus, dev, fn, d);
	caps(bus, dev, fn, d);
}

void pci_init(void)
{
	for (unsigned bus = 0; bus < 256; bus++)
		for (unsigned dev = 0; dev < 32; dev++) {
			uint32_t id = config_read(bus, dev, 0, 0);
			unsigned nfn = 1;

			if ((id & 0xffff) == 0xffff)
				continue;	/* nothing there */
			if (config_read(bus, dev, 0, 0x0c) & 0x00800000u)
				nfn = 8;	/* multi-function */
			for (unsigned fn = 0; fn < nfn; fn++) {
				if (fn > 0 &&
				    ((id = config_read(bus, dev, fn, 0)) & 0xffff) == 0xffff)
					continue;
				record(bus, dev, fn, id);
			}
		}
	x86_printf("x86_64: pci: %d functions (configuration ports 0xCF8/0xCFC)%s\n", nfound,
	           dropped ? ", more than the table holds: some not listed" : "");
}

int arch_pci_dev(int i, struct arch_pci_dev *d)
{
	if (i < 0 || i >= nfound)
		return E_NOENT;
	*d = found[i];
	return 0;
}
