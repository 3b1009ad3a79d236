/*
 * Console line discipline (see <lux/cons.h>).
 *
 * Input lands in the line editor while it is being edited (raw consoles
 * only, <lux/ledit.h>), then moves to the `ready` ring that readers drain.
 * Both are bounded; bytes that do not fit are counted and reported, never
 * silently lost.  The editor runs in the input upcall, so echo is
 * immediate even while a command runs; only completion, which walks the
 * namespace and may sleep, waits for a reader (the shell at its prompt).
 */
#include <lux/cons.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ledit.h>
#include <lux/lock.h>
#include <lux/proc.h>
#include <lux/string.h>

#define READY_SIZE 65536
#define HELD_SIZE 4096

_Static_assert(sizeof((struct cons_completion *)0)->line >= LEDIT_MAX,
               "a completion must hold any line the editor has");

static struct {
	bool raw;
	char ready[READY_SIZE];	/* ring of completed input */
	size_t head, count;
	struct ledit ed;	/* raw mode: the line being edited */
	bool eof;
	size_t dropped;
	size_t dropped_reported;	/* dropped bytes already reported */
	struct waitq readers;
	int fg;			/* the proc ^C interrupts, or 0 */
	bool tab;		/* a completion is asked for: a reader does it */
	/* Bytes typed after a Tab whose completion is not done yet: held,
	 * so "hel<Tab><Enter>" typed (or pasted) faster than the reader runs
	 * still completes before the line ends.  ^C is never held. */
	unsigned char held[HELD_SIZE];
	size_t nheld;
	cons_completer completer;
} cons;
/* all of cons: the input upcall edits it, readers drain it; never held
 * across the completer (it walks the namespace and sleeps) */
static struct spinlock cons_lock = SPINLOCK_INIT("cons");

static void echo(void *arg, const char *buf, size_t n)
{
	USED(arg);
	arch_console_write(buf, n);
}

void cons_init(bool raw)
{
	cons.raw = raw;
	if (cons.ed.echo == 0)	/* once: a second init (the unit tests switch
				 * modes) keeps the history and the counts */
		ledit_init(&cons.ed, echo, 0);
	waitq_init(&cons.readers);
}

void cons_write(const char *buf, size_t n)
{
	arch_console_write(buf, n);
}

void cons_prompt(const char *prompt)
{
	spin_lock(&cons_lock);
	ledit_set_prompt(&cons.ed, prompt);
	arch_console_write(prompt, kstrlen(prompt));
	spin_unlock(&cons_lock);
}

void cons_set_foreground(int pid)
{
	cons.fg = pid;
}

void cons_set_completer(cons_completer fn)
{
	cons.completer = fn;
}

void cons_set_intr2(unsigned char c)
{
	if (c != '\r' && c != '\n' && c != 0x04)	/* never a key the editor needs */
		cons.ed.intr2 = c;
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

/* ^C: the foreground command stops, and what was typed ahead for after it
 * goes too (a terminal's interrupt flushes its input queue the same way):
 * whoever pressed it wants a prompt, not the next command. */
static void interrupt(void)
{
	cons.count = 0;
	cons.tab = false;
	cons.nheld = 0;
	if (cons.fg)
		proc_interrupt(cons.fg);
}

static bool is_intr(unsigned char c)
{
	return c == 0x03 || (cons.ed.intr2 && c == cons.ed.intr2);
}

static void raw_input(unsigned char c)
{
	const char *line;
	size_t n;

	if (cons.tab && !is_intr(c)) {
		if (cons.nheld == HELD_SIZE)
			cons.dropped++;
		else
			cons.held[cons.nheld++] = c;
		return;
	}
	switch (ledit_byte(&cons.ed, c)) {
	case LEDIT_NONE: return;
	case LEDIT_LINE:
	case LEDIT_HANDOVER:	/* ^D after text: as it is, no newline */
		line = ledit_take(&cons.ed, &n);
		ready_put(line, n);
		return;
	case LEDIT_EOF: cons.eof = true; return;
	case LEDIT_INTR: interrupt(); return;
	case LEDIT_TAB: cons.tab = cons.completer != 0; return;
	}
}

void lux_console_input(const char *buf, size_t n)
{
	spin_lock(&cons_lock);
	if (n == 0)
		cons.eof = true;
	else if (!cons.raw)
		ready_put(buf, n);
	else
		for (size_t i = 0; i < n; i++)
			raw_input((unsigned char)buf[i]);
	wakeup(&cons.readers);
	spin_unlock(&cons_lock);
}

void cons_hangup(void)
{
	spin_lock(&cons_lock);
	cons.eof = true;
	if (cons.raw) {
		ledit_reset(&cons.ed);
		interrupt();	/* the command running stops, then the shell sees the end */
	} else if (cons.fg) {
		proc_interrupt(cons.fg);
	}
	wakeup(&cons.readers);
	spin_unlock(&cons_lock);
}

static bool readable(void *arg)
{
	USED(arg);
	return cons.count > 0 || cons.eof || cons.tab;
}

/* After a completion: what was typed meanwhile, in order, up to the next
 * Tab (which holds the rest again).  cons_lock held. */
static void replay_held(void)
{
	size_t i = 0;

	cons.tab = false;
	while (i < cons.nheld && !cons.tab)
		raw_input(cons.held[i++]);
	kmemmove(cons.held, cons.held + i, cons.nheld - i);
	cons.nheld -= i;
}

/* Tab was pressed: run the completer on the line up to the cursor, in the
 * reading proc (it walks the namespace, which may sleep), and apply what
 * it found only if the line has not changed meanwhile.  Called with
 * upcalls on (kmalloc may sleep too). */
static void complete(void)
{
	struct cons_completion *c = kmalloc(sizeof *c);
	uint64_t gen;
	cons_completer fn;

	spin_lock(&cons_lock);
	gen = cons.ed.gen;
	fn = cons.completer;
	if (c == 0 || fn == 0) {
		replay_held();	/* no memory for it: the tab does nothing */
		spin_unlock(&cons_lock);
		kfree(c);
		return;
	}
	kmemset(c, 0, sizeof *c);
	kmemcpy(c->line, cons.ed.buf, cons.ed.cur);
	c->len = cons.ed.cur;
	spin_unlock(&cons_lock);
	fn(c);
	spin_lock(&cons_lock);
	if (gen == cons.ed.gen) {
		if (c->ninsert)
			ledit_insert(&cons.ed, c->insert, c->ninsert);
		else if (c->nlist) {
			arch_console_write("\n", 1);
			arch_console_write(c->list, c->nlist);
			ledit_redraw(&cons.ed);
		}
	}
	replay_held();
	spin_unlock(&cons_lock);
	kfree(c);
}

long cons_read_line(char *buf, size_t n)
{
	size_t got = 0;
	int err;

	for (;;) {
		if ((err = sleep_on(&cons.readers, readable, 0)) < 0)
			return err;
		spin_lock(&cons_lock);
		if (cons.count > 0 || cons.eof)
			break;
		/* a Tab, or an upcall (^C's flush) emptied the ring after the
		 * wakeup: returning 0 now would read as end of input */
		spin_unlock(&cons_lock);
		if (cons.tab)
			complete();
	}
	while (got < n && cons.count) {
		char c = cons.ready[cons.head];
		cons.head = (cons.head + 1) % READY_SIZE;
		cons.count--;
		buf[got++] = c;
		if (c == '\n')
			break;
	}
	if (cons_dropped() > cons.dropped_reported) {
		kprintf("cons: input buffer full, %zu bytes dropped\n",
		        cons_dropped() - cons.dropped_reported);
		cons.dropped_reported = cons_dropped();
	}
	spin_unlock(&cons_lock);
	return (long)got;
}

size_t cons_dropped(void)
{
	return cons.dropped + cons.ed.dropped;
}
