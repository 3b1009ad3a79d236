/*
 * x86 port I/O for drivers of legacy ISA devices (16550 UART, 8259 PIC,
 * 8254 PIT).  Drivers sit below the arch in the layering (arch-x86_64 ->
 * drivers -> core), so they carry their own four instructions rather than
 * reach up into the arch's headers.
 */
#ifndef LUX_DRIVERS_PORTIO_H
#define LUX_DRIVERS_PORTIO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* A write to an unused port: about 1 us on real ISA buses, for chips
 * (the 8259) that want a pause between initialisation words. */
static inline void io_wait(void)
{
	outb(0x80, 0);
}

#endif
