/*
 * kvsnprintf: the core's printf.  Output goes through a small sink so the
 * same engine serves buffers and the console.  Truncation is never an
 * error: the return value is the length the whole output would have had.
 */
#include <lux/fmt.h>
#include <lux/string.h>

struct sink {
	char *buf;
	size_t size;	/* capacity, including the terminator */
	size_t len;	/* characters produced so far (may exceed size) */
};

static void put(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void pad(struct sink *s, char c, int n)
{
	while (n-- > 0)
		put(s, c);
}

struct spec {
	int left, zero, plus, space, alt;
	int width, prec;	/* prec < 0: none */
};

/* Emit a converted number: sign/prefix, zero or space padding, digits. */
static void emit_number(struct sink *s, const struct spec *sp, const char *digits, int ndigits,
                        const char *prefix)
{
	int plen = (int)kstrlen(prefix);
	int zeros = sp->prec > ndigits ? sp->prec - ndigits : 0;
	int total = plen + zeros + ndigits;

	if (sp->zero && !sp->left && sp->prec < 0 && sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}
	if (!sp->left)
		pad(s, ' ', sp->width - total);
	for (int i = 0; i < plen; i++)
		put(s, prefix[i]);
	pad(s, '0', zeros);
	for (int i = 0; i < ndigits; i++)
		put(s, digits[i]);
	if (sp->left)
		pad(s, ' ', sp->width - total);
}

static void fmt_unsigned(struct sink *s, const struct spec *sp, unsigned long long v, unsigned base,
                         int upper, const char *prefix)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	if (v == 0 && sp->prec == 0) {
		emit_number(s, sp, "", 0, prefix);
		return;
	}
	do {
		tmp[sizeof tmp - 1 - n++] = dig[v % base];
		v /= base;
	} while (v);
	/* C's %#o wants a leading 0: none more if the digits or the
	 * precision's zeros already start with one */
	if (base == 8 && (tmp[sizeof tmp - n] == '0' || sp->prec > n))
		prefix = "";
	emit_number(s, sp, tmp + sizeof tmp - n, n, prefix);
}

static void fmt_string(struct sink *s, const struct spec *sp, const char *str)
{
	int n;

	if (str == 0)
		str = "<nil>";
	n = (int)(sp->prec >= 0 ? kstrnlen(str, (size_t)sp->prec) : kstrlen(str));
	if (!sp->left)
		pad(s, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		put(s, str[i]);
	if (sp->left)
		pad(s, ' ', sp->width - n);
}

enum { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_PTRDIFF, LEN_MAX };

static const char *parse_length(const char *f, int *len)
{
	*len = LEN_INT;
	switch (*f) {
	case 'h': *len = f[1] == 'h' ? LEN_CHAR : LEN_SHORT; return f + (f[1] == 'h' ? 2 : 1);
	case 'l': *len = f[1] == 'l' ? LEN_LLONG : LEN_LONG; return f + (f[1] == 'l' ? 2 : 1);
	case 'z': *len = LEN_SIZE; return f + 1;
	case 't': *len = LEN_PTRDIFF; return f + 1;
	case 'j': *len = LEN_MAX; return f + 1;
	}
	return f;
}

static long long arg_signed(va_list *ap, int len)
{
	switch (len) {
	case LEN_CHAR: return (signed char)va_arg(*ap, int);
	case LEN_SHORT: return (short)va_arg(*ap, int);
	case LEN_LONG: return va_arg(*ap, long);
	case LEN_LLONG: return va_arg(*ap, long long);
	case LEN_SIZE: return (long long)va_arg(*ap, size_t);
	case LEN_PTRDIFF: return va_arg(*ap, ptrdiff_t);
	case LEN_MAX: return va_arg(*ap, intmax_t);
	}
	return va_arg(*ap, int);
}

static unsigned long long arg_unsigned(va_list *ap, int len)
{
	switch (len) {
	case LEN_CHAR: return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT: return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG: return va_arg(*ap, unsigned long);
	case LEN_LLONG: return va_arg(*ap, unsigned long long);
	case LEN_SIZE: return va_arg(*ap, size_t);
	case LEN_PTRDIFF: return (unsigned long long)va_arg(*ap, ptrdiff_t);
	case LEN_MAX: return va_arg(*ap, uintmax_t);
	}
	return va_arg(*ap, unsigned);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	kmemset(sp, 0, sizeof *sp);
	sp->prec = -1;
	for (;; f++) {
		if (*f == '-')
			sp->left = 1;
		else if (*f == '0')
			sp->zero = 1;
		else if (*f == '+')
			sp->plus = 1;
		else if (*f == ' ')
			sp->space = 1;
		else if (*f == '#')
			sp->alt = 1;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = 1;
			sp->width = -sp->width;
		}
		f++;
	} else {
		while (*f >= '0' && *f <= '9')
			sp->width = sp->width * 10 + (*f++ - '0');
	}
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;
			f++;
		} else {
			while (*f >= '0' && *f <= '9')
				sp->prec = sp->prec * 10 + (*f++ - '0');
		}
	}
	return f;
}

static void convert(struct sink *s, char conv, const struct spec *sp, int len, va_list *ap)
{
	char c;

	switch (conv) {
	case 'd':
	case 'i': {
		long long v = arg_signed(ap, len);
		unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v
		                               : (unsigned long long)v;
		const char *sign = v < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";
		fmt_unsigned(s, sp, mag, 10, 0, sign);
		break;
	}
	case 'u': fmt_unsigned(s, sp, arg_unsigned(ap, len), 10, 0, ""); break;
	case 'o': fmt_unsigned(s, sp, arg_unsigned(ap, len), 8, 0, sp->alt ? "0" : ""); break;
	case 'x':
	case 'X': {
		unsigned long long v = arg_unsigned(ap, len);
		const char *alt = conv == 'X' ? "0X" : "0x";
		/* C's %#x prefixes nonzero values only */
		fmt_unsigned(s, sp, v, 16, conv == 'X', sp->alt && v ? alt : "");
		break;
	}
	case 'p': fmt_unsigned(s, sp, (uintptr_t)va_arg(*ap, void *), 16, 0, "0x"); break;
	case 's': fmt_string(s, sp, va_arg(*ap, const char *)); break;
	case 'c':
		c = (char)va_arg(*ap, int);
		if (!sp->left)
			pad(s, ' ', sp->width - 1);
		put(s, c);
		if (sp->left)
			pad(s, ' ', sp->width - 1);
		break;
	case '%': put(s, '%'); break;
	default: /* unknown conversion: show it rather than guess */ put(s, '%'); put(s, conv);
	}
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { buf, size, 0 };
	struct spec sp;
	va_list aq;
	int len;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&s, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &aq);
		fmt = parse_length(fmt, &len);
		if (*fmt == 0)
			break;
		convert(&s, *fmt++, &sp, len, &aq);
	}
	va_end(aq);
	if (size)
		buf[s.len < size ? s.len : size - 1] = 0;
	return (int)s.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
