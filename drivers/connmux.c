/*
 * The connection mux's kernel side: see connmux.h and docs/x86_64.md.
 */
#include "connmux.h"

static const uint8_t magic[8] = { 'l', 'u', 'x', '9', 'm', 'u', 'x', '1' };

static uint32_t get32(const uint8_t *b)
{
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

void mux_header(uint8_t out[MUX_HDR], uint8_t type, unsigned id, uint32_t len)
{
	out[0] = type;
	out[1] = 0;
	out[2] = (uint8_t)id, out[3] = (uint8_t)(id >> 8);
	out[4] = (uint8_t)len, out[5] = (uint8_t)(len >> 8);
	out[6] = (uint8_t)(len >> 16), out[7] = (uint8_t)(len >> 24);
}

void mux_sync(uint8_t out[MUX_SYNCLEN], uint8_t flag)
{
	mux_header(out, MUX_SYNC, 0, sizeof magic);
	out[1] = flag;
	for (unsigned i = 0; i < sizeof magic; i++)
		out[MUX_HDR + i] = magic[i];
}

static void conn_clear(struct mux_conn *c)
{
	c->rhead = c->rtail = c->ungranted = 0;
	c->credit = MUX_WINDOW;
	c->open = c->rclosed = c->kclosed = c->overrun = 0;
}

void mux_reset(struct mux *m)
{
	for (unsigned i = 0; i < MUX_CONNS; i++)
		conn_clear(&m->c[i]);
	m->hlen = 0;
	m->left = 0;
	m->hunting = 1;
}

void mux_init(struct mux *m, uint8_t *const bufs[MUX_CONNS], const struct mux_ev *ev)
{
	m->ev = ev;
	m->bad = 0;
	for (unsigned i = 0; i < MUX_CONNS; i++)
		m->c[i].buf = bufs[i];
	mux_reset(m);
}

static void bad(struct mux *m, const char *why, unsigned id)
{
	m->bad++;
	m->ev->bad(m->ev->u, why, id);
}

/* The stream cannot be framed any more: every connection is gone, and
 * only a SYNC can start it again. */
static void lose(struct mux *m, const char *why, unsigned id)
{
	bad(m, why, id);
	mux_reset(m);
	m->ev->lost(m->ev->u, 0);
}

static int is_sync(const uint8_t *h)
{
	if (h[0] != MUX_SYNC || h[1] > 1 || h[2] || h[3] || get32(h + 4) != sizeof magic)
		return 0;
	for (unsigned i = 0; i < sizeof magic; i++)
		if (h[MUX_HDR + i] != magic[i])
			return 0;
	return 1;
}

/* A SYNC: flag 0 starts over and wants an answer (every connection is
 * gone, at once); flag 1 answers one, and resumes a hunt (our
 * connections went when it started) or is a late duplicate. */
static void synced(struct mux *m, uint8_t flag)
{
	if (flag == 1) {
		m->hunting = 0;
		return;
	}
	mux_reset(m);
	m->hunting = 0;
	m->ev->lost(m->ev->u, 1);
}

/* Hunting: slide a window over the stream until it holds a SYNC. */
static void hunt(struct mux *m, uint8_t b)
{
	if (m->hlen == MUX_SYNCLEN) {
		for (unsigned i = 1; i < MUX_SYNCLEN; i++)
			m->hdr[i - 1] = m->hdr[i];
		m->hlen--;
	}
	m->hdr[m->hlen++] = b;
	if (m->hlen == MUX_SYNCLEN && is_sync(m->hdr)) {
		m->hlen = 0;
		synced(m, m->hdr[1]);
	}
}

static void on_open(struct mux *m, unsigned id)
{
	if (m->c[id].open) {
		bad(m, "OPEN for an id already open", id);
		return;
	}
	conn_clear(&m->c[id]);
	m->c[id].open = 1;
	m->ev->opened(m->ev->u, id);
}

static void on_close(struct mux *m, unsigned id)
{
	struct mux_conn *c = &m->c[id];

	if (!c->open || c->rclosed) {
		bad(m, "CLOSE for an id not open", id);
		return;
	}
	c->rclosed = 1;
	if (c->kclosed)
		conn_clear(c);	/* both said it: the id is free */
	else
		m->ev->hangup(m->ev->u, id);
}

/* DATA's payload goes to the buffer only within the credit; past it the
 * record is dropped and the connection, whose stream now has a hole,
 * marked for closing.  After our CLOSE, what was in flight is dropped. */
static void on_data(struct mux *m, unsigned id, uint32_t len)
{
	struct mux_conn *c = &m->c[id];

	m->id = id;
	m->left = len;
	m->keep = 0;
	if (!c->open || c->rclosed)
		bad(m, "DATA for an id not open", id);
	else if (c->kclosed)
		;	/* sent before our CLOSE reached the runner */
	else if (len > c->credit) {
		bad(m, "DATA past the credit granted", id);
		c->overrun = 1;
	} else {
		c->credit -= len;
		m->keep = 1;
	}
}

/* Why a header (not a SYNC's) cannot be trusted to frame the stream. */
static const char *unframeable(const uint8_t *h, uint32_t len)
{
	if (h[0] < MUX_OPEN || h[0] > MUX_WIN)
		return "an unknown record type";
	if (h[1] != 0)
		return "a flag on a record other than SYNC";
	if (len > MUX_MAXDATA)
		return "a record longer than the maximum";
	return 0;
}

/* A whole header: act on it, or lose the stream if it cannot be framed. */
static void header(struct mux *m)
{
	const uint8_t *h = m->hdr;
	const char *why;
	unsigned id = h[2] | (unsigned)h[3] << 8;
	uint32_t len = get32(h + 4);

	if (h[0] == MUX_SYNC) {
		if (m->hlen < MUX_SYNCLEN)
			return;	/* read its magic too */
		m->hlen = 0;
		if (is_sync(h))
			synced(m, h[1]);
		else
			lose(m, "a malformed SYNC", id);
		return;
	}
	m->hlen = 0;
	if ((why = unframeable(h, len)) != 0) {
		lose(m, why, id);
		return;
	}
	m->id = id, m->left = len, m->keep = 0;	/* skipped unless DATA keeps it */
	if (id >= MUX_CONNS)
		bad(m, "an id past the limit", id);
	else if (h[0] == MUX_DATA)
		on_data(m, id, len);
	else if (h[0] == MUX_WIN)
		bad(m, "WINDOW from the runner", id);
	else if (len != 0)
		bad(m, "OPEN or CLOSE with a payload", id);
	else if (h[0] == MUX_OPEN)
		on_open(m, id);
	else
		on_close(m, id);
}

/* Payload bytes: copied to the connection's buffer or skipped. */
static size_t payload(struct mux *m, const uint8_t *p, size_t n)
{
	struct mux_conn *c = &m->c[m->id];

	if (n > m->left)
		n = m->left;
	if (m->keep)
		for (size_t i = 0; i < n; i++)
			c->buf[c->rhead++ & (MUX_WINDOW - 1)] = p[i];
	m->left -= (uint32_t)n;
	return n;
}

void mux_input(struct mux *m, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (m->hunting) {
			hunt(m, p[i++]);
		} else if (m->left > 0) {
			i += payload(m, p + i, n - i);
		} else {
			m->hdr[m->hlen++] = p[i++];
			if (m->hlen >= MUX_HDR)
				header(m);
		}
	}
}

uint32_t mux_peek(const struct mux *m, unsigned id, const uint8_t **p)
{
	const struct mux_conn *c = &m->c[id];
	uint32_t off = c->rtail & (MUX_WINDOW - 1), n = c->rhead - c->rtail;

	if (n > MUX_WINDOW - off)
		n = MUX_WINDOW - off;	/* up to the buffer's end */
	*p = c->buf + off;
	return n;
}

void mux_take(struct mux *m, unsigned id, uint32_t n)
{
	m->c[id].rtail += n;
	m->c[id].ungranted += n;
}

uint32_t mux_grant(struct mux *m, unsigned id)
{
	struct mux_conn *c = &m->c[id];
	uint32_t g = c->ungranted;

	if (g == 0 || c->kclosed || c->rclosed || (g < MUX_WINDOW / 4 && c->rhead != c->rtail))
		return 0;
	c->ungranted = 0;
	c->credit += g;
	return g;
}

void mux_kclose(struct mux *m, unsigned id)
{
	struct mux_conn *c = &m->c[id];

	c->kclosed = 1;
	c->rtail = c->rhead;
	if (c->rclosed)
		conn_clear(c);
}
