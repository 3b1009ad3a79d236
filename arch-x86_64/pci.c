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

#include "portio.h"
#include "x86.h"

#define CONFIG_ADDRESS 0xCF8
#define CONFIG_DATA 0xCFC
#define MAXFUNCS 256

static struct arch_pci_dev found[MAXFUNCS];
static int nfound;
static int dropped;

static uint32_t config_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	outl(CONFIG_ADDRESS, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
	return inl(CONFIG_DATA);
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
	d->revision = (uint8_t)class;
	d->progif = (uint8_t)(class >> 8);
	d->subclass = (uint8_t)(class >> 16);
	d->class = (uint8_t)(class >> 24);
	d->header = (uint8_t)((hdr >> 16) & 0x7f);
	d->irq_line = (uint8_t)irq;
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
				if (fn > 0 && ((id = config_read(bus, dev, fn, 0)) & 0xffff) == 0xffff)
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
