/*
 * A small printf for the arch's own messages: exception dumps, boot
 * failures before the core runs, the banner detail line.  The core has its
 * own formatting; this one exists so a fault inside the core can still be
 * reported without re-entering it.
 *
 * Supports %% %c %s %d %i %u %x %X %p with the l, ll and z length
 * modifiers, a field width and '0' padding.  Unknown conversions are
 * printed verbatim.
 */
#include <lux/arch.h>

#include "x86.h"

struct sink {
	char *buf;
	size_t size;
	size_t n;	/* bytes produced so far (may exceed size) */
};

static void put(struct sink *s, char c)
{
	if (s->n + 1 < s->size)
		s->buf[s->n] = c;
	s->n++;
}

static void putnum(struct sink *s, uint64_t v, unsigned base, int upper, int neg, int width,
                   char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		width--;
	if (neg && pad == '0')
		put(s, '-');
	for (; width > i; width--)
		put(s, pad);
	if (neg && pad != '0')
		put(s, '-');
	while (i > 0)
		put(s, tmp[--i]);
}

int x86_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';
		uint64_t u;
		int64_t d;
		const char *str;

		if (*fmt != '%') {
			put(&s, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'c': put(&s, (char)va_arg(ap, int)); break;
		case 's':
			str = va_arg(ap, const char *);
			if (str == 0)
				str = "(nil)";
			for (; *str; str++, width--)
				put(&s, *str);
			for (; width > 0; width--)
				put(&s, ' ');
			break;
		case 'd':
		case 'i':
			d = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
			putnum(&s, u, 10, 0, d < 0, width, pad);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			putnum(&s, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0, width, pad);
			break;
		case 'p':
			put(&s, '0');
			put(&s, 'x');
			putnum(&s, (uintptr_t)va_arg(ap, void *), 16, 0, 0, width, pad);
			break;
		case '%': put(&s, '%'); break;
		case '\0': fmt--; break;
		default:
			put(&s, '%');
			put(&s, *fmt);
			break;
		}
	}
	if (size > 0)
		buf[s.n < size ? s.n : size - 1] = '\0';
	return (int)s.n;
}

int x86_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = x86_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void x86_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = x86_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof buf)
		n = sizeof buf - 1;
	arch_console_write(buf, (size_t)n);
}

/* A fatal condition the arch found by itself (no memory map, no
 * ExitBootServices, an unexpected interrupt).  CPU exceptions have their
 * own, longer report in trap.c. */
void x86_panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	__asm__ volatile("cli");
	va_start(ap, fmt);
	x86_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	x86_printf("\nx86_64: panic: %s\n", buf);
	arch_halt(ARCH_PANIC_STATUS);
}
