/*
 * A value's blocks.  A value hangs from a head block:
 *
 *   0 length (u64)   8 height (u32: levels of pointers below)   12 pointers (u32)
 *   16..64 zero      64.. the value itself (height 0, up to ST_INLINE bytes)
 *                         or `pointers` pointers (height 1..ST_HMAX)
 *
 * Height 1 points at data blocks, height h at indirect blocks of 64
 * pointers to height h-1's.  The shape follows from the length alone, so
 * a reader checks every pointer's presence against it: a head that says
 * 100 bytes cannot send a reader to a thousand blocks.  Whole values are
 * written at once (the file system keeps files in RAM and writes a file
 * back whole; extents that change in place are the next step).
 */
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/string.h>

#include "store_int.h"

/* Bytes under one pointer of level `level` (0: a data block). */
static uint64_t span(uint32_t level)
{
	uint64_t n = STORE_BSIZE;

	while (level-- > 0)
		n *= ST_FANOUT;
	return n;
}

static uint64_t ceildiv(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static uint32_t height_for(uint64_t len)
{
	uint32_t h = 0;

	if (len <= ST_INLINE)
		return 0;
	while (++h < ST_HMAX && len > ST_HEADPTRS * span(h - 1))
		;
	return h;
}

static uint32_t kind_at(uint32_t level)
{
	return level == 0 ? K_DATA : K_IND;
}

uint64_t st_value_blocks(size_t len)
{
	uint32_t h = height_for(len);
	uint64_t n = 1;

	for (uint32_t l = 0; l < h; l++)
		n += ceildiv(len, span(l));
	return n;
}

static void *block_alloc(void)
{
	void *b = kzalloc(STORE_BSIZE);

	if (b == 0)
		proc_seterr(E_NOMEM, "store: out of memory for a block");
	return b;
}

static int write_sub(struct store *st, uint32_t level, const uint8_t *data, uint64_t n,
                     struct sbptr *out)
{
	uint8_t *b = block_alloc();
	uint64_t per = level ? span(level - 1) : 0;
	int err = 0;

	if (b == 0)
		return E_NOMEM;
	if (level == 0)
		kmemcpy(b, data, (size_t)n);
	for (uint64_t i = 0; level && i < ceildiv(n, per) && err == 0; i++) {
		struct sbptr c;
		uint64_t m = n - i * per < per ? n - i * per : per;

		if ((err = write_sub(st, level - 1, data + i * per, m, &c)) == 0)
			st_ptr_enc(b + i * ST_PTRSZ, &c);
	}
	if (err == 0)
		err = st_seal(st, kind_at(level), b, out);
	lc_wipe(b, STORE_BSIZE);
	kfree(b);
	return err;
}

int st_value_write(struct store *st, const void *val, size_t len, struct sbptr *out)
{
	uint32_t h = height_for(len);
	uint8_t *b;
	int err = 0;

	if (len > STORE_VALMAX)
		return proc_seterr(E_TOOBIG, "store: a value of %zu bytes; at most %llu", len,
		                   (unsigned long long)STORE_VALMAX);
	if ((b = block_alloc()) == 0)
		return E_NOMEM;
	st_put64(b, len);
	st_put32(b + 8, h);
	if (h == 0) {
		kmemcpy(b + ST_HEADSZ, val, len);
	} else {
		uint64_t per = span(h - 1), k = ceildiv(len, per);

		st_put32(b + 12, (uint32_t)k);
		for (uint64_t i = 0; i < k && err == 0; i++) {
			struct sbptr c;
			uint64_t m = len - i * per < per ? len - i * per : per;

			if ((err = write_sub(st, h - 1, (const uint8_t *)val + i * per, m, &c)) ==
			    0)
				st_ptr_enc(b + ST_HEADSZ + i * ST_PTRSZ, &c);
		}
	}
	if (err == 0)
		err = st_seal(st, K_HEAD, b, out);
	lc_wipe(b, STORE_BSIZE);
	kfree(b);
	return err;
}

/* Decode the k pointers at p (of `room` slots) to blocks of kind: the
 * first k present, the rest absent.  0, or E_CRYPTO with st's bad block
 * set to `at`, the block they came from. */
static int ptrs_dec(struct store *st, const uint8_t *p, uint32_t room, uint64_t k, uint32_t kind,
                    struct sbptr *out, uint64_t at)
{
	for (uint32_t i = 0; i < room; i++) {
		struct sbptr c;

		if (st_ptr_dec(p + i * ST_PTRSZ, &c, kind, st->nblocks, st->seq + 1) < 0 ||
		    (c.addr != 0) != (i < k)) {
			st->bad = true;
			st->badblock = at;
			return proc_seterr(E_CRYPTO,
			                   "store: block %llu holds a pointer that is not "
			                   "one: the format is broken",
			                   (unsigned long long)at);
		}
		if (i < k)
			out[i] = c;
	}
	return 0;
}

/* Decode a head: its length, height and pointers (in ptrs). */
static int head_dec(struct store *st, const uint8_t *b, uint64_t at, uint64_t *len, uint32_t *h,
                    struct sbptr *ptrs, uint64_t *k)
{
	static const uint8_t zero[ST_HEADSZ - 16];

	*len = st_get64(b);
	*h = st_get32(b + 8);
	*k = st_get32(b + 12);
	if (*h > ST_HMAX || kmemcmp(b + 16, zero, sizeof zero) != 0 ||
	    (*h == 0 && (*len > ST_INLINE || *k != 0)) ||
	    (*h > 0 &&
	     (*len <= ST_INLINE || *h != height_for(*len) || *k != ceildiv(*len, span(*h - 1))))) {
		st->bad = true;
		st->badblock = at;
		return proc_seterr(E_CRYPTO, "store: value head %llu is malformed",
		                   (unsigned long long)at);
	}
	if (*h == 0)
		return 0;
	return ptrs_dec(st, b + ST_HEADSZ, ST_HEADPTRS, *k, kind_at(*h - 1), ptrs, at);
}

static int read_sub(struct store *st, uint32_t level, const struct sbptr *p, uint8_t *out,
                    uint64_t n)
{
	uint8_t *b = block_alloc();
	struct sbptr *c = 0;
	uint64_t per = level ? span(level - 1) : 0, k = level ? ceildiv(n, per) : 0;
	int err;

	if (b == 0)
		return E_NOMEM;
	if ((err = st_unseal(st, p, b)) == 0 && level == 0)
		kmemcpy(out, b, (size_t)n);
	if (err == 0 && level > 0 && (c = kmalloc(ST_FANOUT * sizeof *c)) == 0)
		err = proc_seterr(E_NOMEM, "store: out of memory");
	if (err == 0 && level > 0)
		err = ptrs_dec(st, b, ST_FANOUT, k, kind_at(level - 1), c, p->addr);
	for (uint64_t i = 0; err == 0 && i < k; i++)
		err = read_sub(st, level - 1, &c[i], out + i * per,
		               n - i * per < per ? n - i * per : per);
	kfree(c);
	lc_wipe(b, STORE_BSIZE);
	kfree(b);
	return err;
}

int st_value_read(struct store *st, const struct sbptr *head, void *buf, size_t cap, size_t *len)
{
	uint8_t *b = block_alloc();
	struct sbptr ptrs[ST_HEADPTRS];
	uint64_t n = 0, k = 0;
	uint32_t h = 0;
	int err;

	if (b == 0)
		return E_NOMEM;
	if ((err = st_unseal(st, head, b)) == 0 &&
	    (err = head_dec(st, b, head->addr, &n, &h, ptrs, &k)) == 0) {
		*len = (size_t)n;
		if (n > cap)
			err = E_TOOBIG;
		else if (h == 0)
			kmemcpy(buf, b + ST_HEADSZ, (size_t)n);
		for (uint64_t i = 0; err == 0 && h > 0 && i < k; i++) {
			uint64_t per = span(h - 1);

			err = read_sub(st, h - 1, &ptrs[i], (uint8_t *)buf + i * per,
			               n - i * per < per ? n - i * per : per);
		}
	}
	if (err < 0 && err != E_TOOBIG && n <= cap)
		lc_wipe(buf, (size_t)n);	/* nothing half-read is handed out */
	lc_wipe(b, STORE_BSIZE);
	kfree(b);
	return err;
}

static int visit_sub(struct store *st, uint32_t level, const struct sbptr *p, uint64_t n,
                     st_visit_fn fn, void *arg)
{
	uint8_t *b;
	struct sbptr *c;
	uint64_t per = level ? span(level - 1) : 0;
	int err;

	if (fn(st, p, arg) || level == 0)
		return 0;
	if ((b = block_alloc()) == 0)
		return E_NOMEM;
	if ((c = kmalloc(ST_FANOUT * sizeof *c)) == 0) {
		kfree(b);
		return proc_seterr(E_NOMEM, "store: out of memory");
	}
	if ((err = st_unseal(st, p, b)) == 0)
		err = ptrs_dec(st, b, ST_FANOUT, ceildiv(n, per), kind_at(level - 1), c, p->addr);
	for (uint64_t i = 0; err == 0 && i < ceildiv(n, per); i++)
		err = visit_sub(st, level - 1, &c[i], n - i * per < per ? n - i * per : per, fn,
		                arg);
	kfree(c);
	kfree(b);
	return err;
}

int st_value_visit(struct store *st, const struct sbptr *head, st_visit_fn fn, void *arg)
{
	uint8_t *b;
	struct sbptr ptrs[ST_HEADPTRS];
	uint64_t n = 0, k = 0;
	uint32_t h = 0;
	int err;

	if (fn(st, head, arg))
		return 0;
	if ((b = block_alloc()) == 0)
		return E_NOMEM;
	if ((err = st_unseal(st, head, b)) == 0)
		err = head_dec(st, b, head->addr, &n, &h, ptrs, &k);
	for (uint64_t i = 0; err == 0 && h > 0 && i < k; i++) {
		uint64_t per = span(h - 1);

		err = visit_sub(st, h - 1, &ptrs[i], n - i * per < per ? n - i * per : per, fn,
		                arg);
	}
	lc_wipe(b, STORE_BSIZE);
	kfree(b);
	return err;
}
