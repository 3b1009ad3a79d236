/*
 * 16550A UART: polled transmit, interrupt-driven receive.
 *
 * The driver knows registers, not policy: it does not translate line
 * endings or decide what a received byte means.  The arch's console glue
 * (arch-x86_64/console.c) does that and hands bytes to the core.
 */
#ifndef LUX_DRIVERS_UART16550_H
#define LUX_DRIVERS_UART16550_H

#include <stddef.h>
#include <stdint.h>

#define UART_COM1 0x3F8 /* legacy ISA port base of COM1, IRQ 4 */
#define UART_COM1_IRQ 4

struct uart16550 {
	uint16_t base;		/* I/O port base */
	uint32_t baud;		/* line speed programmed by init */
	int present;		/* scratch register test passed */
};

/* Program baud (divisor of 115200), 8N1, FIFOs on (receive trigger at 1
 * byte so an interactive key is delivered at once), DTR/RTS/OUT2 raised
 * (OUT2 gates the IRQ line on PC-compatible boards), all interrupts off.
 * Returns 0, or -1 when nothing answers at base. */
int uart16550_init(struct uart16550 *u, uint16_t base, uint32_t baud);

/* Enable or disable the "received data available" interrupt (which also
 * covers the FIFO character timeout).  Transmit stays polled. */
void uart16550_rx_irq(struct uart16550 *u, int on);

/* Send one byte, spinning (without bound) until the transmit holding
 * register is empty.  A no-op on a UART that init found absent. */
void uart16550_putc(struct uart16550 *u, uint8_t c);

/* Spin until the transmitter (FIFO and shift register) is idle, so bytes
 * written before a power-off or an emulator exit are not lost.  Bounded:
 * a wedged UART must not keep the machine from stopping. */
void uart16550_drain(struct uart16550 *u);

/* Read up to max received bytes without waiting; returns how many.  Call
 * from the IRQ handler until it returns less than max: that also clears
 * the receive interrupt. */
size_t uart16550_read(struct uart16550 *u, uint8_t *buf, size_t max);

#endif
