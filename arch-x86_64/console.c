/*
 * The console is COM1: the core writes through arch_console_write, and
 * received bytes reach the core through lux_console_input from the IRQ 4
 * handler.  The arch reports LUX_CAP_CONSOLE_RAW, so the core echoes and
 * edits lines; all this file does to input is turn the CR a terminal sends
 * for Enter into the LF the core expects (and drop the LF of a CRLF pair,
 * so a file piped with DOS line endings does not give empty lines).
 *
 * Flow control: the handler takes no more than lux_console_room() bytes.
 * When the core is full, the rest stays in the UART's FIFO and the receive
 * interrupt is switched off; a full FIFO makes QEMU stop reading its input,
 * so nothing is dropped anywhere.  arch_idle (the core has run, and may
 * have read) switches it back on through x86_console_resume, and the UART
 * interrupts again at once for what is waiting.
 */
#include <lux/arch.h>
#include <lux/upcall.h>

#include "uart16550.h"
#include "x86.h"

static struct uart16550 com1;
static int last_was_cr;
static int rx_paused;		/* receive interrupt off: the core was full */

void x86_console_init(void)
{
	/* A missing COM1 is noticed at the first write (below). */
	(void)uart16550_init(&com1, UART_COM1, 115200);
}

void x86_console_enable_input(void)
{
	uart16550_rx_irq(&com1, 1);
	pic_unmask(UART_COM1_IRQ);
}

void arch_console_write(const char *buf, size_t n)
{
	size_t i;

	/* The contract: a console that cannot write halts the machine, which
	 * has no other way to say anything.  QEMU always has COM1. */
	if (!com1.present)
		arch_halt(ARCH_PANIC_STATUS);
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			uart16550_putc(&com1, '\r');
		uart16550_putc(&com1, (uint8_t)buf[i]);
	}
}

void x86_console_flush(void)
{
	uart16550_drain(&com1);
}

/* IRQ 4, interrupts disabled.  Drain the FIFO in chunks so one interrupt
 * delivers a whole pasted line in one upcall when it can. */
void x86_console_irq(void)
{
	uint8_t raw[64];
	char out[64];
	size_t room, want, n, i, m;

	while ((room = lux_console_room()) > 0) {
		want = room < sizeof raw ? room : sizeof raw;
		n = uart16550_read(&com1, raw, want);
		for (i = m = 0; i < n; i++) {
			if (raw[i] == '\r') {
				out[m++] = '\n';
				last_was_cr = 1;
				continue;
			}
			if (raw[i] == '\n' && last_was_cr) {
				last_was_cr = 0;
				continue;
			}
			last_was_cr = 0;
			out[m++] = (char)raw[i];
		}
		if (m > 0) {
			x86_upcalls++;
			lux_console_input(out, m);
		}
		if (n < want)
			return;		/* FIFO empty */
	}
	/* The core is full and the UART may hold more: stop listening. */
	rx_paused = 1;
	uart16550_rx_irq(&com1, 0);
}

/* From arch_idle, interrupts disabled. */
void x86_console_resume(void)
{
	if (rx_paused && lux_console_room() > 0) {
		rx_paused = 0;
		uart16550_rx_irq(&com1, 1);
	}
}
