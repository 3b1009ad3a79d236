/*
 * 16550A UART driver.  Register map (offsets from the port base):
 *   0 RBR (read) / THR (write) / DLL (DLAB=1)
 *   1 IER / DLM (DLAB=1)
 *   2 IIR (read) / FCR (write)
 *   3 LCR   4 MCR   5 LSR   7 SCR
 */
#include "uart16550.h"
#include "portio.h"

enum {
	RBR = 0,
	THR = 0,
	DLL = 0,
	IER = 1,
	DLM = 1,
	IIR = 2,
	FCR = 2,
	LCR = 3,
	MCR = 4,
	LSR = 5,
	SCR = 7,
};

enum {
	IER_RDA = 0x01,		/* received data available (+ FIFO timeout) */
	LCR_8N1 = 0x03,
	LCR_DLAB = 0x80,
	FCR_ENABLE = 0x01,
	FCR_CLR_RX = 0x02,
	FCR_CLR_TX = 0x04,
	FCR_TRIG1 = 0x00,	/* receive interrupt after 1 byte */
	MCR_DTR = 0x01,
	MCR_RTS = 0x02,
	MCR_OUT2 = 0x08,
	LSR_DR = 0x01,		/* data ready */
	LSR_THRE = 0x20,	/* transmit holding register empty */
	LSR_TEMT = 0x40,	/* transmitter completely idle */
};

/* Bound on the wait for the transmitter to go idle before a power-off:
 * a wedged UART must not keep the machine from stopping. */
#define DRAIN_SPIN_MAX 10000000

static inline void wr(struct uart16550 *u, int reg, uint8_t v)
{
	outb((uint16_t)(u->base + reg), v);
}

static inline uint8_t rd(struct uart16550 *u, int reg)
{
	return inb((uint16_t)(u->base + reg));
}

int uart16550_init(struct uart16550 *u, uint16_t base, uint32_t baud)
{
	uint32_t div;

	u->base = base;
	u->baud = baud;
	u->present = 0;
	/* A missing UART floats the bus at 0xFF: the scratch register
	 * will not hold a value. */
	wr(u, SCR, 0x5A);
	if (rd(u, SCR) != 0x5A)
		return -1;
	div = baud ? 115200 / baud : 1;
	if (div == 0)
		div = 1;
	wr(u, IER, 0);
	wr(u, LCR, LCR_DLAB);
	wr(u, DLL, (uint8_t)(div & 0xFF));
	wr(u, DLM, (uint8_t)(div >> 8));
	wr(u, LCR, LCR_8N1);
	wr(u, FCR, FCR_ENABLE | FCR_CLR_RX | FCR_CLR_TX | FCR_TRIG1);
	wr(u, MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
	/* Drop anything the firmware left: stale bytes, a pending IIR. */
	while (rd(u, LSR) & LSR_DR)
		(void)rd(u, RBR);
	(void)rd(u, IIR);
	u->present = 1;
	return 0;
}

void uart16550_rx_irq(struct uart16550 *u, int on)
{
	wr(u, IER, on ? IER_RDA : 0);
}

/* Unbounded wait: a slow reader on the other end (a paused terminal,
 * QEMU's full stdout pipe) holds THRE busy for as long as it likes, and
 * dropping bytes would be a silent failure. */
void uart16550_putc(struct uart16550 *u, uint8_t c)
{
	if (!u->present)
		return;
	while (!(rd(u, LSR) & LSR_THRE))
		__asm__ volatile("pause");
	wr(u, THR, c);
}

void uart16550_drain(struct uart16550 *u)
{
	long i;

	if (!u->present)
		return;
	for (i = 0; i < DRAIN_SPIN_MAX && !(rd(u, LSR) & LSR_TEMT); i++)
		__asm__ volatile("pause");
}

size_t uart16550_read(struct uart16550 *u, uint8_t *buf, size_t max)
{
	size_t n;

	for (n = 0; n < max && (rd(u, LSR) & LSR_DR); n++)
		buf[n] = rd(u, RBR);
	return n;
}
