/*
 * The connection mux's kernel side: many client connections over one
 * byte stream (the virtio-serial port, whose only host client is the
 * runner, run-qemu.py).  The wire format is in docs/x86_64.md ("The mux
 * protocol"); in brief, records of
 *
 *     [type u8][flag u8][id u16 le][len u32 le][len bytes]
 *
 * OPEN, DATA, CLOSE and SYNC from the runner; DATA, CLOSE, WINDOW and
 * SYNC from the kernel.  The runner sends a connection's bytes only
 * within the credit the kernel granted (MUX_WINDOW at OPEN, then WINDOW
 * records), so every DATA the parser accepts fits the connection's
 * buffer: the stream is always read to its end, and one connection
 * that the core paused never holds up another.
 *
 * Everything the runner sends is hostile input: a header that cannot be
 * framed (unknown type, a flag, a length past MUX_MAXDATA) loses the
 * stream, and the parser hunts for the next SYNC; a framed record that
 * is wrong for its connection's state (an id past MUX_CONNS, DATA for a
 * closed id, a second OPEN, DATA past the credit) is dropped.  Both are
 * reported through mux_ev.bad.
 *
 * Plain C, no allocation, no libc: the arch gives the buffers and
 * serializes the calls (interrupts off).
 */
#ifndef LUX_DRIVERS_CONNMUX_H
#define LUX_DRIVERS_CONNMUX_H

#include <stddef.h>
#include <stdint.h>

#define MUX_HDR 8u		/* a record's header */
#define MUX_CONNS 16u		/* ids 0..15: the most connections at once */
#define MUX_MAXDATA 16384u	/* the most one record carries */
#define MUX_WINDOW 32768u	/* a connection's buffer, and its credit at OPEN */
#define MUX_SYNCLEN (MUX_HDR + 8u)	/* a SYNC record: header and magic */
_Static_assert((MUX_WINDOW & (MUX_WINDOW - 1)) == 0, "the buffer is a power of two");

enum {
	MUX_OPEN = 1,	/* runner: a client connected as id */
	MUX_DATA = 2,	/* either way: len bytes of id's stream */
	MUX_CLOSE = 3,	/* either way: id is done; each side sends one */
	MUX_WIN = 4,	/* kernel: the runner may send more of id (a u32 le payload) */
	MUX_SYNC = 0x53,	/* either way: start over (flag 0: answer me; 1: the answer) */
};

/* What the parser tells the arch.  opened and hangup come for valid
 * records only; lost says every connection is gone (a SYNC came, or the
 * stream was lost) and whether the arch must send SYNC with flag 1 (the
 * peer's SYNC asked) or 0 (we lost the stream and ask for a fresh one). */
struct mux_ev {
	void (*opened)(void *u, unsigned id);
	void (*hangup)(void *u, unsigned id);	/* the runner's CLOSE */
	void (*lost)(void *u, int flag);
	void (*bad)(void *u, const char *why, unsigned id);
	void *u;
};

struct mux_conn {
	uint8_t *buf;		/* MUX_WINDOW bytes received, not yet taken */
	uint32_t rhead, rtail;	/* free-running offsets into buf */
	uint32_t credit;	/* what the runner may still send */
	uint32_t ungranted;	/* taken, not yet granted back */
	uint8_t open;		/* an OPEN came and both CLOSEs have not */
	uint8_t rclosed, kclosed;	/* the runner's, our CLOSE */
	uint8_t overrun;	/* DATA past the credit: bytes lost, close it */
};

struct mux {
	struct mux_conn c[MUX_CONNS];
	const struct mux_ev *ev;
	uint8_t hdr[MUX_SYNCLEN];	/* the record being read, or the hunt's window */
	unsigned hlen;
	int hunting;		/* lost: only a SYNC is looked for */
	unsigned id;		/* in a payload: whose */
	uint32_t left;		/* its bytes still to come */
	int keep;		/* 1: copy them to c[id], 0: skip them */
	unsigned long bad;	/* records refused, all time */
};

/* bufs[i]: MUX_WINDOW bytes for id i.  Starts hunting for a SYNC. */
void mux_init(struct mux *m, uint8_t *const bufs[MUX_CONNS], const struct mux_ev *ev);
/* Take n bytes of the stream: always all of them. */
void mux_input(struct mux *m, const uint8_t *p, size_t n);
/* id's oldest received bytes, contiguous: their count (0: none). */
uint32_t mux_peek(const struct mux *m, unsigned id, const uint8_t **p);
/* n of them taken by the core. */
void mux_take(struct mux *m, unsigned id, uint32_t n);
/* Credit to grant id now (and count as granted), or 0: grants wait for
 * a quarter window, or for the buffer to empty, to keep records few. */
uint32_t mux_grant(struct mux *m, unsigned id);
/* We close id (the caller sends CLOSE): what it held is dropped. */
void mux_kclose(struct mux *m, unsigned id);
/* Every connection gone; hunt for a SYNC. */
void mux_reset(struct mux *m);

/* Encoders: a header; a SYNC record (MUX_SYNCLEN bytes). */
void mux_header(uint8_t out[MUX_HDR], uint8_t type, unsigned id, uint32_t len);
void mux_sync(uint8_t out[MUX_SYNCLEN], uint8_t flag);

#endif
