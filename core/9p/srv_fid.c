/* The per-connection fid table (see <lux/9psrv.h>): a small hash of
 * chains, at most NINEP_MAXFID entries. */
#include <lux/9psrv.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>
#include <lux/string.h>

static struct ninep_fid **bucket(struct ninep_conn *s, uint32_t fid)
{
	return &s->fids[(fid ^ fid >> 7 ^ fid >> 17) % NINEP_FIDHASH];
}

struct ninep_fid *ninep_fid_get(struct ninep_conn *s, uint32_t fid)
{
	for (struct ninep_fid *f = *bucket(s, fid); f; f = f->next)
		if (f->fid == fid)
			return f;
	return 0;
}

int ninep_fid_new(struct ninep_conn *s, uint32_t fid, struct ninep_fid **out)
{
	struct ninep_fid *f;

	if (s->nfids >= NINEP_MAXFID)
		return NINEP_E_NFIDS;
	if ((f = kzalloc(sizeof *f)) == 0)
		return E_NOMEM;
	f->fid = fid;
	*out = f;
	return 0;
}

void ninep_fid_free(struct ninep_fid *f)
{
	if (f == 0)
		return;
	chan_put(f->c);
	kfree(f->path);
	kfree(f);
}

void ninep_fid_insert(struct ninep_conn *s, struct ninep_fid *f)
{
	struct ninep_fid **b = bucket(s, f->fid);

	f->next = *b;
	*b = f;
	s->nfids++;
}

void ninep_fid_clunk(struct ninep_conn *s, struct ninep_fid *f)
{
	for (struct ninep_fid **p = bucket(s, f->fid); *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			s->nfids--;
			ninep_fid_free(f);
			return;
		}
	}
}

/* Fids name paths, so a rename must carry the fids under it along (on
 * this connection: others keep the old path, docs/9p.md).  A fid whose
 * new path cannot be allocated keeps the old one, and its next walk
 * fails cleanly with "file does not exist". */
void ninep_fid_repath(struct ninep_conn *s, const char *from, const char *to)
{
	size_t fl = kstrlen(from), tl = kstrlen(to);

	for (size_t i = 0; i < NINEP_FIDHASH; i++) {
		for (struct ninep_fid *f = s->fids[i]; f; f = f->next) {
			size_t pl = kstrlen(f->path);
			char *np;
			if (pl < fl || kmemcmp(f->path, from, fl) != 0 ||
			    (pl > fl && f->path[fl] != '/'))
				continue;
			if (f->rootlen > fl || tl + (pl - fl) >= LUX_PATHMAX)
				continue;	/* its attach root moved: leave it */
			if ((np = kmalloc(tl + (pl - fl) + 1)) == 0)
				continue;
			kmemcpy(np, to, tl);
			kmemcpy(np + tl, f->path + fl, pl - fl + 1);
			kfree(f->path);
			f->path = np;
		}
	}
}

void ninep_fid_clunk_all(struct ninep_conn *s)
{
	ninep_locks_drop(s);	/* a new session, or the end: its locks go */
	for (size_t i = 0; i < NINEP_FIDHASH; i++) {
		while (s->fids[i]) {
			struct ninep_fid *f = s->fids[i];
			s->fids[i] = f->next;
			ninep_fid_free(f);
		}
	}
	s->nfids = 0;
}
