/*
 * PCI configuration space through mechanism #1 (ports 0xCF8/0xCFC), for
 * the arch's enumeration (arch-x86_64/pci.c) and for drivers that must
 * touch their function's registers (virtio's capability list, MSI-X's
 * enable bit, the command register).  Like portio.h, drivers carry these
 * few lines themselves rather than reach up into the arch.  Callers keep
 * interrupts off around an address/data pair, or call before any handler
 * uses the ports (boot): the pair is not atomic.
 */
#ifndef LUX_DRIVERS_PCICFG_H
#define LUX_DRIVERS_PCICFG_H

#include <stdint.h>

#include "portio.h"

#define PCICFG_ADDRESS 0xCF8
#define PCICFG_DATA 0xCFC

static inline uint32_t pcicfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	outl(PCICFG_ADDRESS, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
	return inl(PCICFG_DATA);
}

static inline void pcicfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
	outl(PCICFG_ADDRESS, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
	outl(PCICFG_DATA, v);
}

/* The byte at reg, from its aligned word. */
static inline uint8_t pcicfg_read8(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return (uint8_t)(pcicfg_read32(bus, dev, fn, reg) >> (8 * (reg & 3)));
}

#endif
