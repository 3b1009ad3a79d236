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
/* ... of one user's procs: eviction takes the user's own oldest, never
 * another user's.  When any user's mint evicted the oldest entry, carol
 * minting on 16 connections evicted bob's token before he read it, and its
 * slot, which nobody held the text to revoke, stayed live in bob's share:
 * after 16 such, bob could not mint until a restart
 * (tests/attacks/h_token_slots.py, part 2). */
#define TOKENS_WAITING_PER_USER (TOKENS_WAITING / 4)
#define TOKEN_TEXT 512		/* a minted token's text: id, path, expiry, tag */
#define TOKEN_EXPIRY_MAX (10ull * 366 * 24 * 3600)	/* seconds: ten years */
/* Live tokens a user may hold, eve's minting aside: slots are per boot and
 * freed only by revoke, so without it one user minting in a loop took all
 * CT_SLOTS and nobody could mint until a restart
 * (tests/attacks/h_token_slots.py). */
#define TOKENS_PER_USER (CT_SLOTS / 16)

struct waiting {
	int pid;		/* 0: free */
	uint64_t seq;		/* age, for eviction */
	char user[USER_NAMEMAX];	/* whose mint */
	struct ct_cap slot;	/* its slot: revoked if it goes unread */
	bool read;		/* read back at least once */
	size_t len;
	char text[TOKEN_TEXT];
};

static struct waiting waiting[TOKENS_WAITING];
static uint64_t seqno;
/* waiting[] and seqno: the tokens offered and not yet taken */
static struct spinlock lock = SPINLOCK_INIT("tokens");

/* w goes: wiped; its slot in *drop if it was never read (nobody holds the
 * token, so nobody could revoke it).  Lock held. */
static void let_go(struct waiting *w, struct ct_cap *drop, bool *dropit)
{
	*dropit = w->pid != 0 && !w->read;
	*drop = w->slot;
	lc_wipe(w, sizeof *w);
	w->pid = 0;
}

/* The entry for pid's new token (user's): pid's own, else a free one
 * within the user's share, else the user's own oldest; 0 when the table is
 * full of other users' tokens (eve then takes the oldest of all: four
 * users must not keep her from minting).  Lock held. */
static struct waiting *entry_for(int pid, const char *user)
{
	struct waiting *fr = 0, *oldest = 0, *any = &waiting[0];
	size_t mine = 0;

	for (size_t i = 0; i < TOKENS_WAITING; i++) {
		struct waiting *w = &waiting[i];
		if (w->pid == pid)
			return w;
		if (w->seq < any->seq)
			any = w;
		if (w->pid == 0) {
			fr = fr ? fr : w;
		} else if (kstrcmp(w->user, user) == 0) {
			mine++;
			if (oldest == 0 || w->seq < oldest->seq)
				oldest = w;
		}
	}
	if (mine < TOKENS_WAITING_PER_USER && fr)
		return fr;
	return oldest ? oldest : kstrcmp(user, eve) == 0 ? any : 0;
}

/* Keep text (the token on slot, user's) for pid to read: 0, or E_NOSPC
 * when other users' tokens fill the table. */
static int put_waiting(int pid, const char *user, struct ct_cap slot, const char *text, size_t len)
{
	struct waiting *w;
	struct ct_cap drop = { 0, 0 };
	bool dropit = false;

	spin_lock(&lock);
	if ((w = entry_for(pid, user)) != 0) {
		let_go(w, &drop, &dropit);
		w->pid = pid;
		w->seq = ++seqno;
		kstrlcpy(w->user, user, sizeof w->user);
		w->slot = slot;
		w->len = len;
		kmemcpy(w->text, text, len);
	}
	spin_unlock(&lock);
	if (dropit)
		captoken_revoke(drop);
	return w ? 0 : E_NOSPC;
}

size_t tokens_read(int pid, char *buf, size_t cap)
{
	size_t n = 0;

	spin_lock(&lock);
	for (size_t i = 0; i < TOKENS_WAITING; i++) {
		if (waiting[i].pid == pid) {
			n = waiting[i].len < cap ? waiting[i].len : cap;
			kmemcpy(buf, waiting[i].text, n);
			waiting[i].read = true;
			break;
		}
	}
	spin_unlock(&lock);
	return n;
}

void tokens_procexit(int pid)
{
	struct ct_cap drop = { 0, 0 };
	bool dropit = false;

	spin_lock(&lock);
	for (size_t i = 0; i < TOKENS_WAITING; i++)
		if (waiting[i].pid == pid)
			let_go(&waiting[i], &drop, &dropit);
	spin_unlock(&lock);
	if (dropit)
		captoken_revoke(drop);
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
		if (p[i] == '/' &&
		    (p[i + 1] == '/' ||
		     (p[i + 1] == '.' && (i + 2 == n || p[i + 2] == '/' ||
		                          (p[i + 2] == '.' && (i + 3 == n || p[i + 3] == '/'))))))
			return fail(why, whylen, E_BADPATH, "path %s: no empty, . or .. elements",
			            p);
	*len = n == 1 ? 0 : n;
	return 0;
}

/* May caller mint one more token for user (id)?  eve always may: she
 * administers, and her mints for a user count in that user's share. */
static int user_share(const char *user, uint32_t id, const char *caller, char *why, size_t whylen)
{
	size_t live;

	if (kstrcmp(caller, eve) == 0)
		return 0;
	live = captoken_slots_live(USER_TOKEN_OBJECT(id));
	if (live < TOKENS_PER_USER)
		return 0;
	return fail(why, whylen, E_BUDGET, "budget exhausted: tokens %zu/%u (%s's; revoke one)",
	            live, TOKENS_PER_USER, user);
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
		return fail(why, whylen, E_SYNTAX,
		            "want mint [USER] [ro] [path /PREFIX] [expiry SECONDS]");
	for (int i = 1; i < n; i++) {
		if (kstrcmp(w[i], "ro") == 0) {
			ro = true;
		} else if (kstrcmp(w[i], "path") == 0 && i + 1 < n && !path) {
			path = w[++i];
		} else if (kstrcmp(w[i], "expiry") == 0 && i + 1 < n && secs < 0) {
			if (kstrtoll(w[++i], &secs) < 0 || secs <= 0 ||
			    (uint64_t)secs > TOKEN_EXPIRY_MAX)
				return fail(why, whylen, E_INVAL,
				            "expiry %s: want 1 to 316224000 seconds", w[i]);
		} else if (i == 1 && user_valid_name(w[i], kstrlen(w[i]))) {
			user = w[i];
		} else {
			return fail(why, whylen, E_SYNTAX,
			            "%s: want mint [USER] [ro] [path /PREFIX] "
			            "[expiry SECONDS]",
			            w[i]);
		}
	}
	if (user == 0)
		user = (char *)caller;
	if (via_token)
		return fail(why, whylen, E_PERM, "a token's holder may not mint tokens");
	if (user_id(user, &id) < 0)
		return fail(why, whylen, E_NOENT, "no such user: %s", user);
	if (kstrcmp(user, caller) != 0 && kstrcmp(caller, eve) != 0)
		return fail(why, whylen, E_PERM, "only eve mints tokens for another user (%s)",
		            user);
	if (kstrcmp(user, none) == 0)
		return fail(why, whylen, E_PERM, "no tokens for none");
	if (path && (err = clean_path(path, &plen, why, whylen)) < 0)
		return err;
	if ((err = user_share(user, id, caller, why, whylen)) < 0)
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
	          slot.gen, user, ro ? "read-only" : "read-write", plen ? path : "/",
	          secs > 0 ? secs : 0);
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

/* Keep a minted token's text for its maker's principal to read; when the
 * table is full of other users' tokens, revoke it (nobody ever saw it). */
static int keep_for_reading(int pid, const char *user, const char *text, size_t len, char *why,
                            size_t whylen)
{
	uint8_t tok[CT_WIRE_MAX];
	struct ct_view v;
	struct ct_cap slot;
	size_t tlen;
	int r = captoken_from_text(text, len - 1, tok, sizeof tok, &tlen);

	if (r == CT_OK)
		r = captoken_decode(tok, tlen, &v);
	lc_wipe(tok, sizeof tok);
	if (r != CT_OK)	/* we made it: cannot happen */
		return fail(why, whylen, E_INVAL, "minted token: %s", captoken_errstr(r));
	slot = (struct ct_cap){ v.slot, v.gen };
	if (put_waiting(pid, user, slot, text, len) == 0)
		return 0;
	captoken_revoke(slot);
	return fail(why, whylen, E_NOSPC, "%d minted tokens wait to be read; read yours, try again",
	            TOKENS_WAITING);
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
	err = tokens_mint(line, p->cred.user, (p->cred.flags & CRED_TOKEN) != 0, arch_time_ns(),
	                  text, sizeof text - 1, why, whylen);
	if (err < 0) {
		audit_log(p, "token-mint", 0, "/adm/tokens", "refused: %s: %s", p->cred.user, why);
		return err;
	}
	len = kstrlen(text);
	text[len++] = '\n';
	err = keep_for_reading(proc_principal(p)->pid, p->cred.user, text, len, why, whylen);
	lc_wipe(text, sizeof text);
	return err;
}
