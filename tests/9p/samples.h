/*
 * A second, independent description of every 9P message, for the tests
 * and the fuzz seed writer: each sample gives the wire layout as a spec
 * string written from the protocol documents (intro(5), diod's
 * protocol.md) and a fill function that sets the struct p9_msg members BY
 * NAME.  The tests check that p9_encode of the filled struct equals the
 * bytes built from the spec, so a field the codec's layout table puts in
 * the wrong place or order shows up, even between two fields of one size.
 *
 * Spec letters: 1 2 4 8 integers of that many bytes; s string; Q qid;
 * W nwname[2] + names; R nwqid[2] + qids; D count[4] + data;
 * S n[2] + a stat entry (size[2] first).
 */
#ifndef LUX_TESTS_9P_SAMPLES_H
#define LUX_TESTS_9P_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include <lux/9p.h>

#define P9S_MAXF 24

struct p9_val {
	uint64_t n;			/* integers (masked to the width) */
	struct p9_str s;		/* s */
	struct qid q;			/* Q */
	unsigned cnt;			/* W R: how many */
	struct p9_str names[P9_MAXWELEM];
	struct qid qids[P9_MAXWELEM];
	const uint8_t *data;		/* D */
	uint32_t dlen;
	struct p9_stat st;		/* S */
};

struct p9_vals {
	struct p9_val v[P9S_MAXF];
	uint16_t tag;
	char pool[8192];		/* string bytes */
	uint8_t data[512];		/* D bytes */
};

struct p9_sample {
	uint8_t type;
	unsigned speak;			/* P9_SPEAK() bits: dialects with this layout */
	const char *spec;
	void (*fill)(struct p9_msg *m, const struct p9_val *v);
};

extern const struct p9_sample p9_samples[];
extern const size_t p9_nsamples;

/* Deterministic values for variant k: 0 is all zeros and empty strings,
 * 1 is all ones and long strings, 2.. are pseudo-random. */
void p9_sample_vals(const struct p9_sample *s, unsigned k, struct p9_vals *out);
/* The message bytes, built from the spec alone; returns the length. */
size_t p9_sample_wire(const struct p9_sample *s, const struct p9_vals *vals,
	uint8_t *buf, size_t cap);
/* The struct, filled by name. */
void p9_sample_msg(const struct p9_sample *s, const struct p9_vals *vals, struct p9_msg *m);

uint64_t p9_xorshift(uint64_t *state);

#endif
