/* The per-connection fid table (see <lux/9psrv.h>): a small hash of
 * chains, at most NINEP_MAXFID entries. */
#include <lux/9psrv.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/kalloc.h>

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

void ninep_fid_clunk_all(struct ninep_conn *s)
{
	for (size_t i = 0; i < NINEP_FIDHASH; i++) {
		while (s->fids[i]) {
			struct ninep_fid *f = s->fids[i];
			s->fids[i] = f->next;
			ninep_fid_free(f);
		}
	}
	s->nfids = 0;
}
