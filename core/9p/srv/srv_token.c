/*
 * A capability token's caveats over 9P (docs/security.md, "Tokens").
 *
 * A connection that authenticated with the token method (srv_secure.c)
 * folds the token's caveats once, into s->tok, at its attach; every fid
 * of that connection's attaches points at them and walks copy the
 * pointer.  ninep_handle asks ninep_token_check before each request on
 * such a fid (the rights its message needs, the expiry, the slot still
 * live), and the attach and every walk step ask ninep_caveats_within of
 * the path they would name.  A refusal is E_PERM with a sentence and an
 * audit record, like the permission check's.
 *
 * Paths: a fid's path is "" for the root, else "/a/b", never with "." or
 * ".." elements (the server resolves ".." textually and stops it at the
 * attach root), so a textual prefix test at element boundaries is the
 * whole rule.  The namespace's binds and mounts are the namespace owner's
 * business: the prefix is a path in the served namespace, as a PATH
 * caveat says.
 */
#include "9psrv.h"
#include <lux/arch.h>
#include <lux/audit.h>
#include <lux/dev.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/proc.h>
#include <lux/string.h>

/* Is path within pre at an element boundary ("/a" holds "/a" and "/a/b",
 * not "/ab"; "/" holds everything)?  path "" is "/". */
static bool within(const char *pre, size_t len, const char *path)
{
	size_t pl;

	if (*path == 0)
		path = "/";
	pl = kstrlen(path);
	if (pl < len || kmemcmp(path, pre, len) != 0)
		return false;
	return pl == len || pre[len - 1] == '/' || path[len] == '/';
}

int ninep_caveats_fold(struct ninep_caveats *c, const struct ct_grant *g, const uint8_t *tok,
                       size_t n)
{
	struct ct_view v;
	const struct ct_caveat *longest = 0;
	int r;

	kmemset(c, 0, sizeof *c);
	if ((r = captoken_decode(tok, n, &v)) != CT_OK)
		return r;
	c->rights = g->rights;
	c->expiry_ns = g->expiry_ns;
	c->cap = g->cap;
	for (unsigned i = 0; i < v.ncav; i++)
		if (v.cav[i].kind == CT_CAV_PATH && (longest == 0 || v.cav[i].len > longest->len))
			longest = &v.cav[i];
	if (longest) {
		kmemcpy(c->prefix, longest->val, longest->len);
		c->prefix[longest->len] = 0;
		/* every PATH caveat must hold: the longest within each of them,
		 * else no path is (captoken_verify says the same at once) */
		for (unsigned i = 0; i < v.ncav; i++)
			if (v.cav[i].kind == CT_CAV_PATH &&
			    !within((const char *)v.cav[i].val, v.cav[i].len, c->prefix))
				c->nopath = true;
	}
	return c->nopath ? CT_EPATH : CT_OK;
}

bool ninep_caveats_within(const struct ninep_caveats *c, const char *path)
{
	if (c == 0)
		return true;
	if (c->nopath)
		return false;
	return c->prefix[0] == 0 || within(c->prefix, kstrlen(c->prefix), path);
}

/* Open modes: Topen's OREAD/OWRITE/ORDWR/OEXEC | OTRUNC | ORCLOSE. */
static uint32_t open_rights(unsigned mode, bool trunc, bool rclose)
{
	uint32_t r = (mode & OMODE) == OWRITE  ? CT_R_WRITE
	             : (mode & OMODE) == ORDWR ? CT_R_READ | CT_R_WRITE
	             : (mode & OMODE) == OEXEC ? CT_R_EXEC
	                                       : CT_R_READ;

	if (trunc)
		r |= CT_R_WRITE;
	if (rclose)
		r |= CT_R_REMOVE;
	return r;
}

uint32_t ninep_token_rights(const struct p9_msg *t)
{
	switch (t->type) {
	case P9_TOPEN:
		return open_rights(t->u.topen.mode, t->u.topen.mode & OTRUNC,
		                   t->u.topen.mode & P9_ORCLOSE);
	case P9_TLOPEN:	/* O_RDONLY/O_WRONLY/O_RDWR; O_TRUNC is 01000 */
		return open_rights(t->u.tlopen.flags & 3u, t->u.tlopen.flags & 01000u, false);
	case P9_TCREATE:
		return CT_R_CREATE |
		       open_rights(t->u.tcreate.mode, false, t->u.tcreate.mode & P9_ORCLOSE);
	case P9_TLCREATE: return CT_R_CREATE | open_rights(t->u.tlcreate.flags & 3u, false, false);
	case P9_TMKDIR:
	case P9_TSYMLINK:
	case P9_TMKNOD:
	case P9_TLINK: return CT_R_CREATE;
	case P9_TWRITE:
	case P9_TLOCK: /* a lock is a write to the file's lock state */ return CT_R_WRITE;
	case P9_TREMOVE:
	case P9_TUNLINKAT: return CT_R_REMOVE;
	case P9_TWSTAT:
	case P9_TSETATTR:
	case P9_TRENAME:
	case P9_TRENAMEAT:
	case P9_TXATTRCREATE: return CT_R_WSTAT;
	case P9_TREAD:
	case P9_TREADDIR: return CT_R_READ;
	default: /* walk, stat, getattr, readlink, clunk, fsync, getlock, ... */ return 0;
	}
}

static const char *right_name(uint32_t r)
{
	return r & CT_R_WRITE    ? "write"
	       : r & CT_R_CREATE ? "create"
	       : r & CT_R_REMOVE ? "remove"
	       : r & CT_R_WSTAT  ? "wstat"
	       : r & CT_R_READ   ? "read"
	                         : "exec";
}

static int refuse(struct ninep_conn *s, const char *what, const char *why)
{
	struct proc *p = curproc();

	audit_log(p, "9p-token", (uint32_t)s->id, s->peer, "refused: %s %s: %s", p->cred.user, what,
	          why);
	return proc_seterr(E_PERM, "permission denied: %s", why);
}

int ninep_token_outside(struct ninep_conn *s, const struct ninep_caveats *c, const char *what,
                        const char *path)
{
	char why[CT_PATH_MAX + 64];

	USED(path);
	ksnprintf(why, sizeof why, "outside the token's path %s",
	          c->nopath ? "(its path caveats exclude each other)" : c->prefix);
	return refuse(s, what, why);
}

int ninep_token_check(struct ninep_conn *s, const struct ninep_caveats *c, const struct p9_msg *t)
{
	uint32_t need, lack;
	char why[96];

	if (c == 0 || t->type == P9_TCLUNK || t->type == P9_TFLUSH || t->type == P9_TVERSION)
		return 0;	/* letting go of a fid grants nothing */
	if (arch_time_ns() >= c->expiry_ns)
		return refuse(s, p9_type_name(t->type), "the token expired");
	if (!captoken_live(c->cap))
		return refuse(s, p9_type_name(t->type), "the token was revoked");
	need = ninep_token_rights(t);
	if ((lack = need & ~c->rights) == 0)
		return 0;
	if (!(c->rights & (CT_R_WRITE | CT_R_CREATE | CT_R_REMOVE | CT_R_WSTAT)))
		ksnprintf(why, sizeof why, "the token is read-only (%s needs %s)",
		          p9_type_name(t->type), right_name(lack));
	else
		ksnprintf(why, sizeof why, "the token does not grant %s (%s needs it)",
		          right_name(lack), p9_type_name(t->type));
	return refuse(s, p9_type_name(t->type), why);
}
