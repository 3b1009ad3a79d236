/*
 * Tokens that speak for a user (/adm/tokens; docs/security.md, "Tokens").
 *
 *   mint [USER] [ro] [path /PREFIX] [expiry SECONDS]
 *	a capability token (captoken_mint) whose object is USER's id
 *	(USER_TOKEN_OBJECT), on a fresh slot, then attenuated with a PATH
 *	and an EXPIRY caveat when asked.  USER defaults to the caller; only
 *	eve mints for another user, and nobody mints through a token.  ro:
 *	the root rights are read and exec only.  The text form ("lux1.")
 *	waits for the minting proc (its principal: a 9P connection's
 *	reader) to read it back from the same file.
 *   revoke TOKEN
 *	revoke the slot of TOKEN (its text form): it, and everything
 *	attenuated from it, fails from now on, on live 9P connections too.
 *	The user it speaks for, or eve.
 *
 * Every mint and revoke is audited ("token-mint", "token-revoke"), with
 * the slot, never the token.  Slots are per boot and finite (CT_SLOTS):
 * a token lives until the machine restarts or it is revoked.
 */
#include <lux/arch.h>
#include <lux/audit.h>
#include <lux/captoken.h>
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/lock.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/users.h>

#define TOKENS_WAITING 16	/* minted tokens waiting to be read, one per proc */
#define TOKEN_TEXT 512		/* a minted token's text: id, path, expiry, tag */
#define TOKEN_EXPIRY_MAX (10ull * 366 * 24 * 3600)	/* seconds: ten years */

struct waiting {
	int pid;		/* 0: free */
	uint64_t seq;		/* age, for eviction */
	size_t len;
	char text[TOKEN_TEXT];
};

static struct waiting waiting[TOKENS_WAITING];
static uint64_t seqno;
/* waiting[] and seqno: the tokens offered and not yet taken */
static struct spinlock lock = SPINLOCK_INIT("tokens");

static void put_waiting(int pid, const char *text, size_t len)
{
	struct waiting *w = 0;

	spin_lock(&lock);
	for (size_t i = 0; i < TOKENS_WAITING && !w; i++)
		if (waiting[i].pid == pid)
			w = &waiting[i];
	for (size_t i = 0; i < TOKENS_WAITING && !w; i++)
		if (waiting[i].pid == 0)
			w = &waiting[i];
	if (w == 0) {	/* full: the oldest goes */
		w = &waiting[0];
		for (size_t i = 1; i < TOKENS_WAITING; i++)
			if (waiting[i].seq < w->seq)
				w = &waiting[i];
	}
	lc_wipe(w->text, sizeof w->text);
	w->pid = pid;
	w->seq = ++seqno;
	w->len = len;
	kmemcpy(w->text, text, len);
	spin_unlock(&lock);
}

size_t tokens_read(int pid, char *buf, size_t cap)
{
	size_t n = 0;

	spin_lock(&lock);
	for (size_t i = 0; i < TOKENS_WAITING; i++) {
		if (waiting[i].pid == pid) {
			n = waiting[i].len < cap ? waiting[i].len : cap;
			kmemcpy(buf, waiting[i].text, n);
			break;
		}
	}
	spin_unlock(&lock);
	return n;
}

void tokens_procexit(int pid)
{
	spin_lock(&lock);
	for (size_t i = 0; i < TOKENS_WAITING; i++) {
		if (waiting[i].pid == pid) {
			lc_wipe(&waiting[i], sizeof waiting[i]);
			waiting[i].pid = 0;
		}
	}
	spin_unlock(&lock);
}

static int fail(char *why, size_t whylen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t whylen, int err, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ksnprintf(why, whylen, "tokens: %s", msg);
	return err;
}


/* A PATH prefix: "/" and elements, no "." or "..", no empty element; a
 * trailing '/' dropped.  "/" itself: no caveat (returns 0 in *len). */
static int clean_path(char *p, size_t *len, char *why, size_t whylen)
{
	size_t n = kstrlen(p);

	if (p[0] != '/')
		return fail(why, whylen, E_INVAL, "path %s: want an absolute path", p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
	if (n > CT_PATH_MAX)
		return fail(why, whylen, E_NAMETOOLONG, "path longer than 255 bytes");
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '/' && (p[i + 1] == '/' ||
		    (p[i + 1] == '.' && (i + 2 == n || p[i + 2] == '/' ||
		     (p[i + 2] == '.' && (i + 3 == n || p[i + 3] == '/'))))))
			return fail(why, whylen, E_BADPATH, "path %s: no empty, . or .. elements", p);
	*len = n == 1 ? 0 : n;
	return 0;
}

int tokens_mint(char *line, const char *caller, bool via_token, uint64_t now_ns, char *text,
                size_t cap, char *why, size_t whylen)
{
	char *w[8], *user = 0, *path = 0;
	uint8_t tok[CT_ID_BYTES + 1 + 2 + CT_PATH_MAX + 2 + 8 + CT_TAG];
	long long secs = -1;
	bool ro = false;
	size_t plen = 0, len;
	struct ct_cap slot;
	uint64_t expiry = 0;
	uint32_t id, rights;
	int n = kwords(line, w, 8), err, r;

	if (n < 1 || kstrcmp(w[0], "mint") != 0)
		return fail(why, whylen, E_SYNTAX, "want mint [USER] [ro] [path /PREFIX] [expiry SECONDS]");
	for (int i = 1; i < n; i++) {
		if (kstrcmp(w[i], "ro") == 0) {
			ro = true;
		} else if (kstrcmp(w[i], "path") == 0 && i + 1 < n && !path) {
			path = w[++i];
		} else if (kstrcmp(w[i], "expiry") == 0 && i + 1 < n && secs < 0) {
			if (kstrtoll(w[++i], &secs) < 0 || secs <= 0 || (uint64_t)secs > TOKEN_EXPIRY_MAX)
				return fail(why, whylen, E_INVAL, "expiry %s: want 1 to 316224000 seconds", w[i]);
		} else if (i == 1 && user_valid_name(w[i], kstrlen(w[i]))) {
			user = w[i];
		} else {
			return fail(why, whylen, E_SYNTAX, "%s: want mint [USER] [ro] [path /PREFIX] "
			            "[expiry SECONDS]", w[i]);
		}
	}
	if (user == 0)
		user = (char *)caller;
	if (via_token)
		return fail(why, whylen, E_PERM, "a token's holder may not mint tokens");
	if (user_id(user, &id) < 0)
		return fail(why, whylen, E_NOENT, "no such user: %s", user);
	if (kstrcmp(user, caller) != 0 && kstrcmp(caller, eve) != 0)
		return fail(why, whylen, E_PERM, "only eve mints tokens for another user (%s)", user);
	if (kstrcmp(user, none) == 0)
		return fail(why, whylen, E_PERM, "no tokens for none");
	if (path && (err = clean_path(path, &plen, why, whylen)) < 0)
		return err;
	if (secs > 0)
		expiry = now_ns + (uint64_t)secs * 1000000000ull;
	rights = ro ? CT_R_READ | CT_R_EXEC : CT_R_ALL & ~CT_R_DELEGATE;
	r = captoken_mint(USER_TOKEN_OBJECT(id), rights, &slot, tok, sizeof tok, &len);
	if (r == CT_OK && plen)
		r = captoken_attenuate(tok, len, CT_CAV_PATH, path, plen, tok, sizeof tok, &len);
	if (r == CT_OK && expiry)
		r = captoken_restrict_u64(tok, len, CT_CAV_EXPIRY, expiry, tok, sizeof tok, &len);
	if (r == CT_OK)
		r = captoken_to_text(tok, len, text, cap);
	lc_wipe(tok, sizeof tok);
	if (r != CT_OK) {
		if (r != CT_ENOSLOT)
			captoken_revoke(slot);
		return fail(why, whylen, captoken_lux_err(r), "%s", captoken_errstr(r));
	}
	audit_log(curproc(), "token-mint", slot.slot, "/adm/tokens",
	          "%s minted slot %u gen %u for %s: %s, path %s, expiry %llds", caller, slot.slot,
	          slot.gen, user, ro ? "read-only" : "read-write", plen ? path : "/", secs > 0 ? secs : 0);
	return 0;
}

int tokens_revoke(const char *arg, const char *caller, char *why, size_t whylen)
{
	uint8_t tok[CT_WIRE_MAX];
	char prefix[CT_PATH_MAX + 1] = "", user[USER_NAMEMAX];
	struct ct_request req = { 0 };
	struct ct_grant g;
	struct ct_view v;
	size_t len;
	int r;

	if ((r = captoken_from_text(arg, kstrlen(arg), tok, sizeof tok, &len)) != CT_OK ||
	    (r = captoken_decode(tok, len, &v)) != CT_OK)
		return fail(why, whylen, E_INVAL, "revoke: %s", captoken_errstr(r));
	for (unsigned i = 0; i < v.ncav; i++) {
		if (v.cav[i].kind == CT_CAV_PATH && v.cav[i].len > kstrlen(prefix)) {
			kmemcpy(prefix, v.cav[i].val, v.cav[i].len);
			prefix[v.cav[i].len] = 0;
		}
	}
	req.object = v.object;
	req.path = prefix[0] ? prefix : 0;
	/* now 0: an expired token may still be revoked */
	if ((r = captoken_verify(tok, len, &req, &g)) != CT_OK)
		return fail(why, whylen, captoken_lux_err(r), "revoke: %s", captoken_errstr(r));
	if ((v.object >> 32) != (USER_TOKEN_OBJECT(0) >> 32) ||
	    user_name((uint32_t)v.object, user) < 0)
		kstrlcpy(user, "?", sizeof user);
	if (kstrcmp(user, caller) != 0 && kstrcmp(caller, eve) != 0)
		return fail(why, whylen, E_PERM, "revoke: only eve revokes another user's tokens");
	if ((r = captoken_revoke(g.cap)) != CT_OK)
		return fail(why, whylen, captoken_lux_err(r), "revoke: %s", captoken_errstr(r));
	audit_log(curproc(), "token-revoke", g.cap.slot, "/adm/tokens",
	          "%s revoked slot %u gen %u (for %s)", caller, g.cap.slot, g.cap.gen, user);
	return 0;
}

int tokens_ctl(const char *buf, size_t n, char *why, size_t whylen)
{
	struct proc *p = curproc();
	char line[CT_TEXT_MAX > 600 ? 600 : CT_TEXT_MAX], text[TOKEN_TEXT];
	size_t len = n;
	int err;

	why[0] = 0;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (len >= sizeof line || kmemchr(buf, '\n', len) || kmemchr(buf, 0, len))
		return fail(why, whylen, E_INVAL, "one command per write, under 600 bytes");
	kmemcpy(line, buf, len);
	line[len] = 0;
	if (kstrncmp(line, "revoke ", 7) == 0) {
		const char *a = line + 7;
		while (*a == ' ')
			a++;
		return tokens_revoke(a, p->cred.user, why, whylen);
	}
	err = tokens_mint(line, p->cred.user, (p->cred.flags & CRED_TOKEN) != 0, arch_time_ns(), text,
	                  sizeof text - 1, why, whylen);
	if (err < 0) {
		audit_log(p, "token-mint", 0, "/adm/tokens", "refused: %s: %s", p->cred.user, why);
		return err;
	}
	len = kstrlen(text);
	text[len++] = '\n';
	put_waiting(proc_principal(p)->pid, text, len);
	lc_wipe(text, sizeof text);
	return 0;
}
