/*
 * Console printing and panic.  kprintf formats into a bounded stack
 * buffer; longer output is cut and marked, never overflowed.
 */
#include <lux/kern.h>
#include <lux/string.h>

int kvprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = kvsnprintf(buf, sizeof buf, fmt, ap);
	size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;

	arch_console_write(buf, len);
	if ((size_t)n >= sizeof buf)
		arch_console_write("...[cut]\n", 9);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

_Noreturn void lux_panic(const char *fmt, ...)
{
	static int nested;
	va_list ap;

	/* never restored: we do not come back.  Bare, not a lock: a panic
	 * may come from inside any lock, and must take none (irq_masking.sh) */
	arch_irq_save();
	if (nested++) {
		arch_console_write("\npanic while panicking\n", 23);
		arch_halt(LUX_PANIC_STATUS);
	}
	kprintf("\npanic: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	arch_halt(LUX_PANIC_STATUS);
}
