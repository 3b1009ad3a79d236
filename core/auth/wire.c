/*
 * The handshake's message reader and writer.  The reader is the one place
 * peer bytes are bounds-checked: a cursor and an end pointer, every field
 * checked against end before it is touched, and a sticky failure that
 * names the first field that did not fit.  Counts are checked, never
 * clamped: a string longer than its limit is an error, not a truncation.
 */
#include "auth_impl.h"

#include <lux/string.h>

void rd_init(struct rd *r, const uint8_t *p, size_t n)
{
	r->p = p;
	r->end = p + n;
	r->bad = 0;
}

const uint8_t *rd_bytes(struct rd *r, size_t n, const char *field)
{
	const uint8_t *q = r->p;

	if (r->bad)
		return 0;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = field;
		return 0;
	}
	r->p += n;
	return q;
}

unsigned rd_u8(struct rd *r, const char *field)
{
	const uint8_t *q = rd_bytes(r, 1, field);

	return q ? q[0] : 0;
}

unsigned rd_u16(struct rd *r, const char *field)
{
	const uint8_t *q = rd_bytes(r, 2, field);

	return q ? (unsigned)q[0] | (unsigned)q[1] << 8 : 0;
}

const uint8_t *rd_str(struct rd *r, size_t max, size_t *len, const char *field)
{
	size_t n = rd_u8(r, field);

	*len = 0;
	if (r->bad)
		return 0;
	if (n == 0 || n > max) {
		r->bad = field;
		return 0;
	}
	*len = n;
	return rd_bytes(r, n, field);
}

void wr_init(struct wr *w, uint8_t *p, size_t cap)
{
	w->p = w->start = p;
	w->end = p + cap;
	w->bad = false;
}

void wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (w->bad || (size_t)(w->end - w->p) < n) {
		w->bad = true;
		return;
	}
	kmemcpy(w->p, p, n);
	w->p += n;
}

void wr_u8(struct wr *w, unsigned v)
{
	uint8_t b = (uint8_t)v;

	wr_bytes(w, &b, 1);
}

void wr_u16(struct wr *w, unsigned v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	wr_bytes(w, b, 2);
}

void wr_str(struct wr *w, const char *s, size_t n)
{
	wr_u8(w, (unsigned)n);
	wr_bytes(w, s, n);
}

uint8_t *wr_msg(struct wr *w, unsigned t)
{
	uint8_t *h = w->p;

	wr_u8(w, t);
	wr_u16(w, 0);	/* the length, filled in by wr_end */
	return h;
}

void wr_end(struct wr *w, uint8_t *hdr)
{
	size_t body;

	if (w->bad)
		return;
	body = (size_t)(w->p - hdr) - MSG_HDR;
	hdr[1] = (uint8_t)body;
	hdr[2] = (uint8_t)(body >> 8);
}

long auth_msg_len(const uint8_t *p, size_t n)
{
	if (n < MSG_HDR)
		return 0;
	if (p[0] < MSG_HELLO || p[0] > MSG_ERROR)
		return AUTH_EMALFORMED;
	return MSG_HDR + (long)(p[1] | p[2] << 8);
}

void printable(char *out, size_t cap, const uint8_t *s, size_t n)
{
	size_t i;

	if (cap == 0)
		return;
	for (i = 0; i < n && i + 1 < cap; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[i] = 0;
}

bool user_name_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n >= AUTH_USER_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}
