/*
 * The legacy 8259A pair, remapped to vectors 32-47 and fully masked but
 * for the IRQs a driver asks for (today: IRQ 4, COM1).
 *
 * Why the 8259 and not the IOAPIC: one legacy device, one line, and the
 * PIC needs no ACPI table walk (MADT) to find it.  Its output reaches the
 * CPU through the local APIC's LINT0 in ExtINT mode (lapic.c programs
 * that: virtual-wire mode), so the LAPIC timer and the PIC coexist.  PCI
 * devices (virtio) will want the IOAPIC or MSI; that comes with them.
 */
#include "portio.h"
#include "x86.h"

enum {
	PIC1_CMD = 0x20,
	PIC1_DATA = 0x21,
	PIC2_CMD = 0xA0,
	PIC2_DATA = 0xA1,
	ICW1_INIT_ICW4 = 0x11,
	ICW4_8086 = 0x01,
	OCW2_EOI = 0x20,
	OCW3_READ_ISR = 0x0B,
};

static uint16_t mask = 0xFFFF;		/* bit n set: IRQ n masked */

static void pic_write_mask(void)
{
	outb(PIC1_DATA, (uint8_t)mask);
	outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

void pic_init(void)
{
	outb(PIC1_DATA, 0xFF);
	outb(PIC2_DATA, 0xFF);
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC1_DATA, VEC_PIC_BASE);		/* ICW2: vector base */
	io_wait();
	outb(PIC2_DATA, VEC_PIC_BASE + 8);
	io_wait();
	outb(PIC1_DATA, 1 << 2);		/* ICW3: slave on IRQ 2 */
	io_wait();
	outb(PIC2_DATA, 2);			/* ICW3: slave identity */
	io_wait();
	outb(PIC1_DATA, ICW4_8086);
	io_wait();
	outb(PIC2_DATA, ICW4_8086);
	io_wait();
	mask = 0xFFFF;
	pic_write_mask();
}

void pic_unmask(int irq)
{
	mask &= (uint16_t) ~(1u << irq);
	if (irq >= 8)
		mask &= (uint16_t) ~(1u << 2); /* the cascade line */
	pic_write_mask();
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, OCW2_EOI);
	outb(PIC1_CMD, OCW2_EOI);
}

static uint8_t isr(uint16_t cmd)
{
	outb(cmd, OCW3_READ_ISR);
	return inb(cmd);
}

/* IRQ 7 and 15 arrive spuriously when a request goes away before the
 * CPU acknowledges it; the in-service bit tells.  A spurious IRQ 15 still
 * owes the master its EOI for the cascade. */
int pic_spurious(int irq)
{
	if (irq == 7 && !(isr(PIC1_CMD) & 0x80))
		return 1;
	if (irq == 15 && !(isr(PIC2_CMD) & 0x80)) {
		outb(PIC1_CMD, OCW2_EOI);
		return 1;
	}
	return 0;
}
