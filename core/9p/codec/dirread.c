/*
 * Iterating the packed entries of directory data: 9P2000 stat entries in
 * an Rread of a directory (read(5)), .L dirents in an Rreaddir.  Each
 * entry is decoded in place by codec.c; the iterator only moves on.
 */
#include <lux/9p.h>

void p9_iter_init(struct p9_iter *it, const uint8_t *data, size_t len)
{
	it->p = data;
	it->end = data ? data + len : data;
	it->err = 0;
}

/* One step: n is what the entry decoder returned. */
static int step(struct p9_iter *it, int n)
{
	if (n < 0) {
		it->err = n;
		it->p = it->end;
		return n;
	}
	it->p += n;
	return 1;
}

int p9_stat_next(struct p9_iter *it, struct p9_stat *st)
{
	if (it->err)
		return it->err;
	if (it->p == it->end)
		return 0;
	return step(it, p9_stat_decode(it->p, (size_t)(it->end - it->p), st));
}

int p9_dirent_next(struct p9_iter *it, struct p9_dirent *de)
{
	if (it->err)
		return it->err;
	if (it->p == it->end)
		return 0;
	return step(it, p9_dirent_decode(it->p, (size_t)(it->end - it->p), de));
}
