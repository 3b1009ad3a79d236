/*
 * virtio-serial as the machine's way in for 9P: the first virtio console
 * function on the PCI bus whose port is named "lux9.9p" (QEMU:
 * -device virtio-serial-pci -device virtserialport,chardev=...,name=lux9.9p;
 * arch-x86_64/qemu/run-qemu.py --listen).  This file finds it, maps its
 * BARs uncached, routes its interrupt through MSI-X to this CPU's local
 * APIC on VEC_VIRTIO, and runs the driver's start-up by polling (before
 * lux_main, interrupts off) until the port has said its name, so the
 * core knows at boot whether connections will come (LUX_CAP_CONN).
 * conn.c turns the port into connections.
 *
 * The MSI-X entry stays masked until the core is up (the first
 * arch_idle: the scheduler runs, so the 9P server's upcalls have a
 * kernel behind them); a host already connected at boot is noticed then.
 */
#include <lux/arch.h>

#include "cpu.h"
#include "pcicfg.h"
#include "virtio_console.h"
#include "x86.h"

#define PORT_NAME "lux9.9p"
#define NAME_WAIT_NS 200000000ull	/* the name comes at once in QEMU; 200 ms is generous */

static struct arch_pci_dev dev;
static struct virtio_pci vp;
static struct vcon vc;
static volatile uint32_t *msix_ctl;
static int started;

static void *page(void)
{
	return memmap_take_run(1);
}

static int find(void)
{
	for (int i = 0; arch_pci_dev(i, &dev) == 0; i++)
		if (dev.vendor == 0x1af4 && (dev.device == 0x1003 || dev.device == 0x1043))
			return 0;	/* transitional or modern virtio console */
	return -1;
}

/* Its memory BARs uncached, and the function allowed to decode memory,
 * to master the bus (DMA and MSI are writes it makes), not to raise INTx. */
static void enable(void)
{
	uint32_t cmd;

	for (int b = 0; b < 6; b++)
		if (dev.bar[b].addr && !dev.bar[b].io)
			paging_map_mmio(dev.bar[b].addr, dev.bar[b].size);
	cmd = pcicfg_read32(dev.bus, dev.dev, dev.fn, 0x04) & 0xffff;
	pcicfg_write32(dev.bus, dev.dev, dev.fn, 0x04, cmd | 0x2 | 0x4 | 0x400);
}

static void kick(void)
{
	if (started)
		lapic_self_ipi(VEC_VIRTIO);
}

static int wait_for_name(void)
{
	uint64_t until = arch_time_ns() + NAME_WAIT_NS;

	while (vc.port < 0 && arch_time_ns() < until)
		if (vcon_poll(&vc) < 0)
			return -1;
	return vc.port < 0 ? -1 : 0;
}

const char *x86_virtio_init(void)
{
	const char *why;
	uint64_t before = x86_ram.drivers;

	if (find() < 0)
		return 0;
	enable();
	if (virtio_pci_probe(&vp, &dev) < 0)
		why = vp.why;
	else if (msix_route(&dev, 0, VEC_VIRTIO, &msix_ctl, &why) < 0)
		;
	else if (vcon_init(&vc, &vp, PORT_NAME, page, 0) < 0)
		why = vp.why;
	else if (wait_for_name() < 0)
		why = vc.broken ? "the device broke its queues' rules" : "no port named " PORT_NAME;
	else {
		x86_conn_attach(&vc, kick);
		x86_printf("x86_64: virtio-serial %02x:%02x.%u: port %d \"%s\" for 9P, "
		           "MSI-X vector %d to local APIC %u, %lu KiB of rings and buffers\n",
		           dev.bus, dev.dev, dev.fn, vc.port, PORT_NAME, VEC_VIRTIO, lapic_id(),
		           (unsigned long)((x86_ram.drivers - before) >> 10));
		return "virtio-serial!" PORT_NAME;
	}
	x86_printf("x86_64: virtio-serial %02x:%02x.%u: not used: %s\n", dev.bus, dev.dev, dev.fn,
	           why);
	return 0;
}

void x86_virtio_start(void)
{
	if (started || vc.port < 0 || msix_ctl == 0)
		return;
	started = 1;
	msix_unmask(msix_ctl);
	kick();		/* a host that connected during boot */
}

/* VEC_VIRTIO, interrupts off: the device's MSI-X message or our own kick. */
void x86_virtio_irq(void)
{
	if (vc.port >= 0)
		x86_conn_service();
}
