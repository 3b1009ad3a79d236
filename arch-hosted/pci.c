/*
 * PCI on hosted: a Linux process has no PCI bus of its own, so the list
 * is empty (/dev/pci says "no pci devices"); see arch-x86_64/pci.c.
 */
#include <lux/arch.h>
#include <lux/error.h>

int arch_pci_dev(int i, struct arch_pci_dev *d)
{
	(void)i;
	(void)d;
	return E_NOENT;
}
