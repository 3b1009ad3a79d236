/*
 * PCI as the core shows it: /dev/pci lists what the arch found
 * (arch_pci_dev; core/fs/pcilist.c).
 */
#ifndef LUX_PCI_H
#define LUX_PCI_H

#include <lux/arch.h>
#include <lux/types.h>

/* d's lines ("00:1f.2 8086:2922 01.06.01 rev 02 irq 10 sata
 * controller\n", then its BARs and capabilities) into out: their length,
 * as ksnprintf counts it. */
size_t pci_format(const struct arch_pci_dev *d, char *out, size_t cap);
/* Read /dev/pci: every function, a line each, or "no pci devices". */
long pci_list_read(void *buf, size_t n, uint64_t off);

#endif
