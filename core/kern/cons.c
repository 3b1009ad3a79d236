/*
 * Console line discipline (see <lux/cons.h>).
 *
 * Input lands in `line` while it is being edited (raw consoles only), then
 * moves to the `ready` ring that readers drain.  Both are bounded; bytes
 * that do not fit are counted and reported, never silently lost.
 */
#include <lux/cons.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/string.h>

#define READY_SIZE 65536
#define LINE_SIZE 1024

static struct {
	bool raw;
	char ready[READY_SIZE];	/* ring of completed input */
	size_t head, count;
	char line[LINE_SIZE];	/* raw mode: the line being edited */
	size_t linelen;
	bool eof;
	size_t dropped;
	size_t dropped_reported;	/* dropped bytes already reported */
	struct waitq readers;
} cons;

void cons_init(bool raw)
{
	cons.raw = raw;
	waitq_init(&cons.readers);
}

void cons_write(const char *buf, size_t n)
{
	arch_console_write(buf, n);
}

static void ready_put(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (cons.count == READY_SIZE) {
			cons.dropped += n - i;
			return;
		}
		cons.ready[(cons.head + cons.count++) % READY_SIZE] = buf[i];
	}
}

size_t lux_console_room(void)
{
	return READY_SIZE - cons.count;
}

static void raw_input(char c)
{
	switch (c) {
	case '\r':
	case '\n':
		cons.line[cons.linelen++] = '\n';
		arch_console_write("\n", 1);
		ready_put(cons.line, cons.linelen);
		cons.linelen = 0;
		return;
	case 0x08:	/* backspace */
	case 0x7f:	/* delete, what most terminals send for backspace */
		if (cons.linelen) {
			cons.linelen--;
			arch_console_write("\b \b", 3);
		}
		return;
	case 0x15:	/* ^U: kill the line */
		while (cons.linelen) {
			cons.linelen--;
			arch_console_write("\b \b", 3);
		}
		return;
	case 0x04:	/* ^D, as a terminal's: end of input on an empty line; */
		if (cons.linelen == 0)
			cons.eof = true;
		/* after some text, hand the text over as it is (no newline,
		 * no echo), so "echo hi^D^D" runs the line and ends */
		ready_put(cons.line, cons.linelen);
		cons.linelen = 0;
		return;
	}
	if ((unsigned char)c < 0x20 && c != '\t')
		return;	/* other control characters have no meaning here */
	if (cons.linelen == LINE_SIZE - 1) {
		cons.dropped++;	/* keep room for the newline */
		return;
	}
	cons.line[cons.linelen++] = c;
	arch_console_write(&c, 1);
}

void lux_console_input(const char *buf, size_t n)
{
	if (n == 0)
		cons.eof = true;
	else if (!cons.raw)
		ready_put(buf, n);
	else
		for (size_t i = 0; i < n; i++)
			raw_input(buf[i]);
	wakeup(&cons.readers);
}

static bool readable(void *arg)
{
	USED(arg);
	return cons.count > 0 || cons.eof;
}

long cons_read_line(char *buf, size_t n)
{
	arch_irqstate s;
	size_t got = 0;
	int err = sleep_on(&cons.readers, readable, 0);

	if (err < 0)
		return err;
	s = arch_irq_save();
	while (got < n && cons.count) {
		char c = cons.ready[cons.head];
		cons.head = (cons.head + 1) % READY_SIZE;
		cons.count--;
		buf[got++] = c;
		if (c == '\n')
			break;
	}
	if (cons.dropped > cons.dropped_reported) {
		kprintf("cons: input buffer full, %zu bytes dropped\n",
		        cons.dropped - cons.dropped_reported);
		cons.dropped_reported = cons.dropped;
	}
	arch_irq_restore(s);
	return (long)got;
}

size_t cons_dropped(void) { return cons.dropped; }
