/*
 * The console's line editor (see <lux/ledit.h>).
 *
 * Invariants, after every call: len < LEDIT_MAX (one byte is always left
 * for the newline), cur <= len, hcount <= LEDIT_HIST, hback <= hcount,
 * and the terminal's cursor sits after the prompt plus buf[0..cur).
 * Every edit is made in buf first and then shown by show_from(), which
 * rewrites the tail from the first changed byte, blanks what the line
 * lost, and backs up to the cursor: one way to draw, so the screen and
 * buf cannot drift apart.
 */
#include <lux/ledit.h>
#include <lux/string.h>

#define CTRL(c) ((c)&0x1f)
#define ESC 0x1b
#define DEL 0x7f
#define PARAM_MAX 1000u		/* larger CSI parameters mean nothing to us */

static void out(struct ledit *e, const char *s, size_t n)
{
	if (n)
		e->echo(e->arg, s, n);
}

static void repeat(struct ledit *e, char c, size_t n)
{
	char chunk[32];

	kmemset(chunk, c, sizeof chunk);
	while (n > 0) {
		size_t k = n < sizeof chunk ? n : sizeof chunk;
		out(e, chunk, k);
		n -= k;
	}
}

/* The screen shows buf as it was up to `from` and oldlen bytes long, the
 * cursor at `at`; make it show buf now, cursor at cur. */
static void show_from(struct ledit *e, size_t at, size_t from, size_t oldlen)
{
	size_t drawn_to;

	if (at > from)
		repeat(e, '\b', at - from);
	else
		out(e, e->buf + at, from - at);	/* unchanged bytes: move right over them */
	out(e, e->buf + from, e->len - from);
	drawn_to = e->len;
	if (oldlen > e->len) {
		repeat(e, ' ', oldlen - e->len);
		drawn_to = oldlen;
	}
	repeat(e, '\b', drawn_to - e->cur);
	e->gen++;
}

static void move_to(struct ledit *e, size_t pos)
{
	size_t at = e->cur;

	if (pos == at)
		return;
	e->cur = pos;
	if (pos < at)
		repeat(e, '\b', at - pos);
	else
		out(e, e->buf + at, pos - at);
}

/* Remove buf[a..b) and show it. */
static void erase(struct ledit *e, size_t a, size_t b)
{
	size_t at = e->cur, oldlen = e->len;

	if (a >= b)
		return;
	kmemmove(e->buf + a, e->buf + b, e->len - b);
	e->len -= b - a;
	e->cur = a;
	show_from(e, at, a, oldlen);
}

void ledit_insert(struct ledit *e, const char *s, size_t n)
{
	size_t at = e->cur, room = LEDIT_MAX - 1 - e->len;

	if (n > room) {
		e->dropped += n - room;
		n = room;
	}
	if (n == 0)
		return;
	kmemmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur);
	kmemcpy(e->buf + e->cur, s, n);
	e->len += n;
	e->cur += n;
	show_from(e, at, at, e->len);
}

/* Replace the whole line with s (history), cursor at its end. */
static void replace_line(struct ledit *e, const char *s, size_t n)
{
	size_t at = e->cur, oldlen = e->len;

	kmemcpy(e->buf, s, n);
	e->len = n;
	e->cur = n;
	show_from(e, at, 0, oldlen);
}

static const char *hist_line(struct ledit *e, size_t back, size_t *n)
{
	size_t i = (e->hhead + LEDIT_HIST - back) % LEDIT_HIST;

	*n = e->hlen[i];
	return e->hist[i];
}

static void history(struct ledit *e, int dir)
{
	const char *s;
	size_t n;

	if (dir > 0 && e->hback < e->hcount) {	/* older */
		if (e->hback == 0) {
			kmemcpy(e->saved, e->buf, e->len);
			e->savedlen = e->len;
		}
		e->hback++;
		s = hist_line(e, e->hback, &n);
	} else if (dir < 0 && e->hback > 0) {	/* newer */
		e->hback--;
		if (e->hback == 0) {
			s = e->saved;
			n = e->savedlen;
		} else {
			s = hist_line(e, e->hback, &n);
		}
	} else {
		return;
	}
	replace_line(e, s, n);
}

static void remember(struct ledit *e, size_t n)
{
	size_t last;

	if (n == 0)
		return;
	if (e->hcount > 0) {
		const char *prev = hist_line(e, 1, &last);
		if (last == n && kmemcmp(prev, e->buf, n) == 0)
			return;	/* the same line twice is one entry */
	}
	kmemcpy(e->hist[e->hhead], e->buf, n);
	e->hlen[e->hhead] = n;
	e->hhead = (e->hhead + 1) % LEDIT_HIST;
	if (e->hcount < LEDIT_HIST)
		e->hcount++;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The final byte of an escape sequence, with its first parameter. */
static void escape_final(struct ledit *e, unsigned char c, unsigned param)
{
	switch (c) {
	case 'A': history(e, 1); return;
	case 'B': history(e, -1); return;
	case 'C':
		if (e->cur < e->len)
			move_to(e, e->cur + 1);
		return;
	case 'D':
		if (e->cur > 0)
			move_to(e, e->cur - 1);
		return;
	case 'H': move_to(e, 0); return;
	case 'F': move_to(e, e->len); return;
	case '~':	/* vt220 keys: ESC [ n ~ */
		if (param == 1 || param == 7)
			move_to(e, 0);
		else if (param == 4 || param == 8)
			move_to(e, e->len);
		else if (param == 3 && e->cur < e->len)
			erase(e, e->cur, e->cur + 1);
		return;
	}
	/* anything else (function keys, mouse reports, replies): ignored */
}

/* Inside an escape sequence: true if c was part of it. */
static bool escape_byte(struct ledit *e, unsigned char c)
{
	switch (e->esc) {
	case ESC_NONE: return false;
	case ESC_GOT:
		e->esc = ESC_NONE;
		if (c == '[' || c == 'O') {
			e->esc = c == '[' ? ESC_CSI : ESC_SS3;
			e->param = 0;
			return true;
		}
		return false;	/* a lone ESC: dropped, c is itself */
	case ESC_SS3:
		e->esc = ESC_NONE;
		if (c < 0x20 || c == DEL)
			return false;
		escape_final(e, c, 0);
		return true;
	case ESC_CSI:
		if (c < 0x20 || c >= DEL) {	/* not a sequence after all */
			e->esc = ESC_NONE;
			return false;
		}
		if (c >= '0' && c <= '9') {
			if (e->param < PARAM_MAX)
				e->param = e->param * 10 + (c - '0');
			return true;
		}
		if (c < 0x40)
			return true;	/* ';', other parameters, intermediates */
		e->esc = ESC_NONE;
		escape_final(e, c, e->param);
		return true;
	}
	return false;
}

enum ledit_event ledit_byte(struct ledit *e, unsigned char c)
{
	size_t w;

	if (escape_byte(e, c))
		return LEDIT_NONE;
	if (c == CTRL('c') || (e->intr2 && c == e->intr2)) {
		out(e, "^C\n", 3);
		ledit_reset(e);
		return LEDIT_INTR;
	}
	switch (c) {
	case '\r':
	case '\n':
		move_to(e, e->len);
		e->buf[e->len++] = '\n';
		out(e, "\n", 1);
		return LEDIT_LINE;
	case CTRL('d'): return e->len == 0 ? LEDIT_EOF : LEDIT_HANDOVER;
	case '\t': return LEDIT_TAB;
	case ESC: e->esc = ESC_GOT; return LEDIT_NONE;
	case '\b':
	case DEL:
		if (e->cur > 0)
			erase(e, e->cur - 1, e->cur);
		return LEDIT_NONE;
	case CTRL('a'): move_to(e, 0); return LEDIT_NONE;
	case CTRL('e'): move_to(e, e->len); return LEDIT_NONE;
	case CTRL('b'):
		if (e->cur > 0)
			move_to(e, e->cur - 1);
		return LEDIT_NONE;
	case CTRL('f'):
		if (e->cur < e->len)
			move_to(e, e->cur + 1);
		return LEDIT_NONE;
	case CTRL('p'): history(e, 1); return LEDIT_NONE;
	case CTRL('n'): history(e, -1); return LEDIT_NONE;
	case CTRL('u'): erase(e, 0, e->cur); return LEDIT_NONE;
	case CTRL('k'): erase(e, e->cur, e->len); return LEDIT_NONE;
	case CTRL('w'):
		w = e->cur;
		while (w > 0 && is_space(e->buf[w - 1]))
			w--;
		while (w > 0 && !is_space(e->buf[w - 1]))
			w--;
		erase(e, w, e->cur);
		return LEDIT_NONE;
	}
	if (c < 0x20)
		return LEDIT_NONE;	/* other control characters mean nothing here */
	ledit_insert(e, (const char *)&c, 1);
	return LEDIT_NONE;
}

const char *ledit_take(struct ledit *e, size_t *n)
{
	/* the line stays in buf until the next byte: the caller copies it */
	*n = e->len;
	remember(e, e->len && e->buf[e->len - 1] == '\n' ? e->len - 1 : e->len);
	e->len = e->cur = 0;
	e->hback = 0;
	e->gen++;
	return e->buf;
}

void ledit_reset(struct ledit *e)
{
	e->len = e->cur = 0;
	e->hback = 0;
	e->esc = ESC_NONE;
	e->gen++;
}

void ledit_set_prompt(struct ledit *e, const char *prompt)
{
	kstrlcpy(e->prompt, prompt, sizeof e->prompt);
}

void ledit_redraw(struct ledit *e)
{
	out(e, e->prompt, kstrlen(e->prompt));
	out(e, e->buf, e->len);
	repeat(e, '\b', e->len - e->cur);
}

void ledit_init(struct ledit *e, void (*echo)(void *, const char *, size_t), void *arg)
{
	kmemset(e, 0, sizeof *e);
	e->echo = echo;
	e->arg = arg;
}
