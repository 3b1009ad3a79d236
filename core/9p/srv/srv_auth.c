/*
 * Who is at the other end of a 9P connection, and as whom it attaches
 * (docs/security.md).
 *
 * A connection's own identity comes from its transport alone: a unix
 * socket's peer uid (the host kernel vouches for it) mapped through the
 * user table, `none` for TCP until it authenticates, and the host owner
 * for a listener the operator opened without authentication by name.
 * The host owner's connections are trusted to speak for others: an
 * attach there may name any user of the table (by uname, or by 9P2000.L
 * n_uname as Linux's v9fs does with access=user, one attach per local
 * uid), and every request on that attach's fids is then checked as that
 * user.  Anyone else attaches as itself or as none, nothing more.
 */
#include "9psrv.h"
#include <lux/audit.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/perm.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/upcall.h>
#include <lux/users.h>

void ninep_identify(struct ninep_conn *s)
{
	const char *how;

	kstrlcpy(s->user, none, sizeof s->user);
	switch (s->transport) {
	case LUX_PEER_LOCAL:
		how = "unix socket peer uid";
		if (s->peer_uid < 0 || s->peer_uid > 0xffffffffll ||
		    user_name((uint32_t)s->peer_uid, s->user) < 0)
			how = "unix socket peer uid not in /adm/users";
		break;
	case LUX_PEER_NET_NOAUTH:
		how = "listener without authentication";
		kstrlcpy(s->user, eve, sizeof s->user);
		break;
	default: how = "network, not authenticated"; break;
	}
	s->trusted = kstrcmp(s->user, eve) == 0;
	audit_log(ninep_who(s), "9p-connect", (uint32_t)s->id, s->peer,
	          "acts for %s (%s, uid %lld)", s->user, how, (long long)s->peer_uid);
}

static int refuse(struct ninep_conn *s, const char *asked, const char *why)
{
	audit_log(ninep_who(s), "9p-attach", (uint32_t)s->id, s->peer,
	          "refused: %s may not attach as %s: %s", s->user, asked, why);
	return proc_seterr(E_PERM, "permission denied: %s may not attach as %s (%s)", s->user,
	                   asked, why);
}

int ninep_attach_user(struct ninep_conn *s, struct p9_str uname, uint32_t n_uname,
                      char out[LUX_UIDMAX])
{
	char asked[LUX_UIDMAX];

	if (s->d == P9_2000L && n_uname != P9_NONUNAME) {
		if (user_name(n_uname, asked) < 0) {
			char num[16];
			ksnprintf(num, sizeof num, "uid %u", n_uname);
			return refuse(s, num, "no such id in /adm/users");
		}
	} else if (uname.len > 0) {
		if (uname.len >= LUX_UIDMAX || !user_valid_name(uname.s, uname.len))
			return refuse(s, "a bad name", "not a user name");
		kmemcpy(asked, uname.s, uname.len);
		asked[uname.len] = 0;
		if (!user_exists(asked))
			return refuse(s, asked, "no such user in /adm/users");
	} else {
		kstrlcpy(asked, s->user, sizeof asked);	/* "": whoever I am */
	}
	if (!s->trusted && kstrcmp(asked, s->user) != 0 && kstrcmp(asked, none) != 0)
		return refuse(s, asked,
		              s->transport == LUX_PEER_LOCAL
		                  ? "only the host owner's connections speak for others"
		                  : "authenticate first");
	kstrlcpy(out, asked, LUX_UIDMAX);
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const struct ninep_caveats *ninep_act_for(struct ninep_conn *s, const uint8_t *req)
{
	const struct ninep_caveats *cav = 0;
	struct proc *p = curproc();
	uint8_t type = req[4];

	/* every T-message but these names its fid first, after the header */
	if (type == P9_TVERSION || type == P9_TAUTH || type == P9_TATTACH || type == P9_TFLUSH ||
	    !ninep_fid_user(s, le32(req + P9_HDRSZ), p->cred.user, &cav)) {
		kstrlcpy(p->cred.user, s->user, sizeof p->cred.user);
		/* an attach on a token's connection is the token's too */
		cav = type == P9_TATTACH ? s->tok : 0;
	}
	/* a token holder may not mint wider tokens (/adm/tokens) */
	if (cav)
		p->cred.flags |= CRED_TOKEN;
	else
		p->cred.flags &= ~CRED_TOKEN;
	return cav;
}
