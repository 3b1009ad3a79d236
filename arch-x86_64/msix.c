/*
 * MSI-X (PCI 3.0 6.8.2): a function's interrupts as memory writes the
 * local APIC takes, with no IOAPIC and no shared legacy line.  An entry
 * of the function's MSI-X table holds the message: address 0xFEE00000
 * with the destination APIC ID in bits 19:12 (physical mode, fixed
 * delivery, edge) and data = the vector.  The table lives in one of the
 * function's memory BARs, which the caller has mapped uncached.
 */
#include <lux/arch.h>

#include "pcicfg.h"
#include "x86.h"

enum {
	CAP_MSIX = 0x11,
	MSIX_ENABLE = 1u << 31,		/* message control bit 15, in the cap's first dword */
	MSIX_FUNCMASK = 1u << 30,	/* message control bit 14 */
	ENTRY_MASKED = 1,		/* vector control bit 0 */
};

/* The MSI-X capability's config offset, or 0. */
static unsigned find_cap(const struct arch_pci_dev *d)
{
	unsigned at;

	if (!(pcicfg_read32(d->bus, d->dev, d->fn, 0x04) & (1u << 20)))
		return 0;
	at = pcicfg_read32(d->bus, d->dev, d->fn, 0x34) & 0xfc;
	for (int hops = 0; at >= 0x40 && hops < 48; hops++) {
		uint32_t w = pcicfg_read32(d->bus, d->dev, d->fn, at);

		if ((w & 0xff) == CAP_MSIX)
			return at;
		at = (w >> 8) & 0xfc;
	}
	return 0;
}

int msix_route(const struct arch_pci_dev *d, unsigned entry, uint8_t vector,
               volatile uint32_t **ctl, const char **why)
{
	unsigned cap = find_cap(d);
	uint32_t w, tbl, nent, bir;
	volatile uint32_t *e;

	if (cap == 0) {
		*why = "the function has no MSI-X capability";
		return -1;
	}
	w = pcicfg_read32(d->bus, d->dev, d->fn, cap);
	nent = ((w >> 16) & 0x7ff) + 1;
	tbl = pcicfg_read32(d->bus, d->dev, d->fn, cap + 4);
	bir = tbl & 7;
	tbl &= ~7u;
	if (entry >= nent || bir > 5 || d->bar[bir].addr == 0 || d->bar[bir].io ||
	    (uint64_t)tbl + 16 * (entry + 1) > d->bar[bir].size) {
		*why = "the MSI-X table lies outside its BAR";
		return -1;
	}
	e = (volatile uint32_t *)(uintptr_t)(d->bar[bir].addr + tbl + 16 * entry);
	e[3] = ENTRY_MASKED;
	e[0] = 0xFEE00000u | (lapic_id() & 0xff) << 12;
	e[1] = 0;
	e[2] = vector;
	pcicfg_write32(d->bus, d->dev, d->fn, cap, (w | MSIX_ENABLE) & ~MSIX_FUNCMASK);
	*ctl = &e[3];
	return 0;
}

/* A message the device wanted to send while masked is pending in its PBA
 * and goes out now. */
void msix_unmask(volatile uint32_t *ctl)
{
	*ctl = 0;
}
