/*
 * The user table (<lux/users.h>).  Small and fixed: USERS_MAX entries of
 * names, no pointers, so a copy is a consistent snapshot and nothing here
 * allocates.  Every reader and writer holds the spinlock for a few
 * compares; nothing sleeps under it, so permission checks may ask from
 * anywhere a proc runs.
 *
 * Names, not ids, are the identity inside the kernel (Plan 9's choice):
 * files keep their owner's name, so deleting and re-creating a user with
 * another id does not hand the new one someone else's files by number.
 */
#include <lux/auth.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/lock.h>
#include <lux/quota.h>
#include <lux/string.h>
#include <lux/users.h>

const char eve[] = "eve";
const char none[] = "none";

struct user {
	bool used;
	uint32_t id;
	char name[USER_NAMEMAX];
	char leader[USER_NAMEMAX];	/* "" : every member leads */
	size_t nmember;
	char member[USER_MEMBERS][USER_NAMEMAX];
	size_t nkey;
	uint8_t key[USER_AUTHKEYS][32];	/* authorized Ed25519 public keys */
};

static struct user table[USERS_MAX];

/* Servers the kernel mounts with authentication, and their host keys. */
struct knownhost {
	bool used;
	char addr[128];
	uint8_t pk[32];
};
static struct knownhost hosts[KNOWNHOSTS_MAX];
/* the user table and hosts[]: /adm writes and every permission check */
static struct spinlock lock = SPINLOCK_INIT("users");

static void defaults_locked(int64_t hostuid);

/* Before users_init (unit tests that boot no kernel) the table still
 * has its two users. */
static void ensure_locked(void)
{
	if (!table[0].used)
		defaults_locked(0);
}

/* Append to buf[n, size) as ksnprintf would, counting what did not fit
 * too (the formatters return the whole length, like ksnprintf). */
static size_t appendf(char *buf, size_t size, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t appendf(char *buf, size_t size, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = kvsnprintf(n < size ? buf + n : 0, n < size ? size - n : 0, fmt, ap);
	va_end(ap);
	return (size_t)r;
}

/* A "NAME HEX" line of a 32-byte key (/adm/keys, /adm/knownhosts). */
static size_t key_line(char *buf, size_t size, size_t n, const char *name, const uint8_t *pk)
{
	char hex[65];

	khex(hex, pk, 32);
	return appendf(buf, size, n, "%s %s\n", name, hex);
}

static struct user *find(const char *name)
{
	ensure_locked();
	for (size_t i = 0; i < USERS_MAX; i++)
		if (table[i].used && kstrcmp(table[i].name, name) == 0)
			return &table[i];
	return 0;
}

static struct user *find_id(uint32_t id)
{
	ensure_locked();
	for (size_t i = 0; i < USERS_MAX; i++)
		if (table[i].used && table[i].id == id)
			return &table[i];
	return 0;
}

static struct user *add(const char *name, uint32_t id)
{
	for (size_t i = 0; i < USERS_MAX; i++) {
		if (!table[i].used) {
			kmemset(&table[i], 0, sizeof table[i]);
			table[i].used = true;
			table[i].id = id;
			kstrlcpy(table[i].name, name, USER_NAMEMAX);
			return &table[i];
		}
	}
	return 0;
}

static void defaults_locked(int64_t hostuid)
{
	uint32_t eveid = hostuid >= 0 && hostuid <= 0xfffffffell ? (uint32_t)hostuid : 0;
	/* none is nobody, unless the host owner is nobody */
	uint32_t noneid = eveid == USER_NONE_ID ? USER_NONE_ID - 1 : USER_NONE_ID;

	kmemset(table, 0, sizeof table);
	kmemset(hosts, 0, sizeof hosts);
	add(eve, eveid);
	add(none, noneid);
}

void users_init(int64_t hostuid)
{
	spin_lock(&lock);
	defaults_locked(hostuid);
	spin_unlock(&lock);
}

bool user_valid_name(const char *name, size_t len)
{
	if (len == 0 || len >= USER_NAMEMAX || name[0] == '-' || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

bool user_exists(const char *name)
{
	bool r;

	spin_lock(&lock);
	r = find(name) != 0;
	spin_unlock(&lock);
	return r;
}

int user_id(const char *name, uint32_t *id)
{
	struct user *u;
	int err = E_NOENT;

	spin_lock(&lock);
	if ((u = find(name)) != 0) {
		*id = u->id;
		err = 0;
	}
	spin_unlock(&lock);
	return err;
}

int user_name(uint32_t id, char out[USER_NAMEMAX])
{
	struct user *u;
	int err = E_NOENT;

	spin_lock(&lock);
	if ((u = find_id(id)) != 0) {
		kstrlcpy(out, u->name, USER_NAMEMAX);
		err = 0;
	}
	spin_unlock(&lock);
	return err;
}

static bool ismember(const struct user *g, const char *user)
{
	for (size_t i = 0; i < g->nmember; i++)
		if (kstrcmp(g->member[i], user) == 0)
			return true;
	return false;
}

bool user_ingroup(const char *user, const char *group)
{
	struct user *g;
	bool r;

	if (kstrcmp(user, group) == 0)
		return true;
	spin_lock(&lock);
	r = (g = find(group)) != 0 && ismember(g, user);
	spin_unlock(&lock);
	return r;
}

bool user_leads(const char *user, const char *group)
{
	struct user *g;
	bool r = false;

	spin_lock(&lock);
	if ((g = find(group)) != 0) {
		if (g->leader[0])
			r = kstrcmp(g->leader, user) == 0;
		else
			r = kstrcmp(g->name, user) == 0 || ismember(g, user);
	}
	spin_unlock(&lock);
	return r;
}

size_t users_format(char *buf, size_t size)
{
	size_t n = 0;

	if (size)
		buf[0] = 0;
	spin_lock(&lock);
	ensure_locked();
	for (size_t i = 0; i < USERS_MAX; i++) {
		const struct user *u = &table[i];
		if (!u->used)
			continue;
		n += appendf(buf, size, n, "%u:%s:%s:", u->id, u->name, u->leader);
		for (size_t m = 0; m < u->nmember; m++)
			n += appendf(buf, size, n, "%s%s", m ? "," : "", u->member[m]);
		n += appendf(buf, size, n, "\n");
	}
	spin_unlock(&lock);
	return n;
}

size_t users_names(char (*out)[USER_NAMEMAX], size_t max)
{
	size_t n = 0;

	spin_lock(&lock);
	ensure_locked();
	for (size_t i = 0; i < USERS_MAX && n < max; i++)
		if (table[i].used)
			kstrlcpy(out[n++], table[i].name, USER_NAMEMAX);
	spin_unlock(&lock);
	return n;
}

bool user_key_ok(const char *user, const uint8_t *pk)
{
	struct user *u;
	bool r = false;

	spin_lock(&lock);
	if ((u = find(user)) != 0)
		for (size_t i = 0; i < u->nkey && !r; i++)
			r = kmemcmp(u->key[i], pk, 32) == 0;
	spin_unlock(&lock);
	return r;
}

size_t users_keys_format(char *buf, size_t size)
{
	size_t n = 0;

	if (size)
		buf[0] = 0;
	spin_lock(&lock);
	ensure_locked();
	for (size_t i = 0; i < USERS_MAX; i++) {
		const struct user *u = &table[i];
		for (size_t k = 0; u->used && k < u->nkey; k++)
			n += key_line(buf, size, n, u->name, u->key[k]);
	}
	spin_unlock(&lock);
	return n;
}

int host_known(const char *addr, const uint8_t *pk)
{
	int r = AUTH_HOST_UNKNOWN;

	spin_lock(&lock);
	for (size_t i = 0; i < KNOWNHOSTS_MAX; i++) {
		if (!hosts[i].used || kstrcmp(hosts[i].addr, addr) != 0)
			continue;
		if (kmemcmp(hosts[i].pk, pk, 32) == 0) {
			r = AUTH_HOST_KNOWN;
			break;
		}
		r = AUTH_HOST_MISMATCH;	/* unless another line has this key */
	}
	spin_unlock(&lock);
	return r;
}

size_t knownhosts_format(char *buf, size_t size)
{
	size_t n = 0;

	if (size)
		buf[0] = 0;
	spin_lock(&lock);
	for (size_t i = 0; i < KNOWNHOSTS_MAX; i++) {
		if (hosts[i].used)
			n += key_line(buf, size, n, hosts[i].addr, hosts[i].pk);
	}
	spin_unlock(&lock);
	return n;
}

/* ---- The ctl language -------------------------------------------------- */

static int fail(char *why, size_t whylen, int err, const char *what, const char *name)
{
	ksnprintf(why, whylen, "users: %s%s%s", what, name ? ": " : "", name ? name : "");
	return err;
}

static bool protected_user(const char *name)
{
	return kstrcmp(name, eve) == 0 || kstrcmp(name, none) == 0;
}

/* uname NAME ID | :LEADER | +MEMBER | -MEMBER, under the lock. */
static int uname_locked(char **w, char *why, size_t whylen)
{
	struct user *u = find(w[1]), *m;
	const char *arg = w[2];
	long long id;

	if (arg[0] != ':' && arg[0] != '+' && arg[0] != '-') {
		if (u)
			return fail(why, whylen, E_EXIST, "user exists", w[1]);
		if (kstrtoll(arg, &id) < 0 || id < 0 || id > 0xfffffffell)
			return fail(why, whylen, E_INVAL, "want a numeric id 0..4294967294", arg);
		if (find_id((uint32_t)id))
			return fail(why, whylen, E_EXIST, "id in use", arg);
		if (add(w[1], (uint32_t)id) == 0)
			return fail(why, whylen, E_NOSPC, "table full (64 users)", w[1]);
		return 0;
	}
	if (u == 0)
		return fail(why, whylen, E_NOENT, "no such user", w[1]);
	if (arg[0] == ':') {
		if (arg[1] && !find(arg + 1))
			return fail(why, whylen, E_NOENT, "no such user", arg + 1);
		kstrlcpy(u->leader, arg + 1, USER_NAMEMAX);
		return 0;
	}
	if ((m = find(arg + 1)) == 0)
		return fail(why, whylen, E_NOENT, "no such user", arg + 1);
	if (arg[0] == '+') {
		if (ismember(u, m->name))
			return 0;
		if (u->nmember == USER_MEMBERS)
			return fail(why, whylen, E_NOSPC, "group full (16 members)", w[1]);
		kstrlcpy(u->member[u->nmember++], m->name, USER_NAMEMAX);
		return 0;
	}
	for (size_t i = 0; i < u->nmember; i++) {
		if (kstrcmp(u->member[i], m->name) == 0) {
			kmemmove(u->member[i], u->member[i + 1],
			         (u->nmember - i - 1) * USER_NAMEMAX);
			u->nmember--;
			return 0;
		}
	}
	return fail(why, whylen, E_NOENT, "not a member", arg + 1);
}

static int unhex32(const char *s, uint8_t out[32])
{
	return kstrlen(s) == 64 && kunhex(s, 64, out, 32, 0) == 32 ? 0 : -1;
}

/* authkey NAME +HEX | -HEX, under the lock. */
static int authkey_locked(const char *name, const char *arg, char *why, size_t whylen)
{
	struct user *u = find(name);
	uint8_t pk[32];

	if (u == 0)
		return fail(why, whylen, E_NOENT, "no such user", name);
	if ((arg[0] != '+' && arg[0] != '-') || unhex32(arg + 1, pk) < 0)
		return fail(why, whylen, E_INVAL, "want authkey NAME +HEX or -HEX (64 hex digits)",
		            0);
	for (size_t i = 0; i < u->nkey; i++) {
		if (kmemcmp(u->key[i], pk, 32) == 0) {
			if (arg[0] == '-') {
				kmemmove(u->key[i], u->key[i + 1], (u->nkey - i - 1) * 32);
				u->nkey--;
			}
			return 0;
		}
	}
	if (arg[0] == '-')
		return fail(why, whylen, E_NOENT, "no such key for", name);
	if (u->nkey == USER_AUTHKEYS)
		return fail(why, whylen, E_NOSPC, "4 keys already authorized for", name);
	kmemcpy(u->key[u->nkey++], pk, 32);
	return 0;
}

/* knownhost ADDR +HEX | -HEX, under the lock. */
static int knownhost_locked(const char *addr, const char *arg, char *why, size_t whylen)
{
	struct knownhost *free = 0;
	uint8_t pk[32];

	if (kstrlen(addr) >= sizeof hosts[0].addr || kstrchr(addr, '!') == 0)
		return fail(why, whylen, E_INVAL, "want an address like tcp!HOST!PORT", addr);
	if ((arg[0] != '+' && arg[0] != '-') || unhex32(arg + 1, pk) < 0)
		return fail(why, whylen, E_INVAL,
		            "want knownhost ADDR +HEX or -HEX (64 hex digits)", 0);
	for (size_t i = 0; i < KNOWNHOSTS_MAX; i++) {
		struct knownhost *h = &hosts[i];
		if (!h->used) {
			free = free ? free : h;
			continue;
		}
		if (kstrcmp(h->addr, addr) == 0 && kmemcmp(h->pk, pk, 32) == 0) {
			if (arg[0] == '-')
				h->used = false;
			return 0;
		}
	}
	if (arg[0] == '-')
		return fail(why, whylen, E_NOENT, "no such known host", addr);
	if (free == 0)
		return fail(why, whylen, E_NOSPC, "known hosts full (16)", addr);
	free->used = true;
	kstrlcpy(free->addr, addr, sizeof free->addr);
	kmemcpy(free->pk, pk, 32);
	return 0;
}

static int deluser_locked(const char *name, char *why, size_t whylen)
{
	struct user *u = find(name);

	if (u == 0)
		return fail(why, whylen, E_NOENT, "no such user", name);
	if (protected_user(name))
		return fail(why, whylen, E_PERM, "cannot delete", name);
	/* out of every group too, so a new user of that name starts clean */
	for (size_t i = 0; i < USERS_MAX; i++) {
		struct user *g = &table[i];
		for (size_t m = 0; g->used && m < g->nmember; m++) {
			if (kstrcmp(g->member[m], name) == 0) {
				kmemmove(g->member[m], g->member[m + 1],
				         (g->nmember - m - 1) * USER_NAMEMAX);
				g->nmember--;
				break;
			}
		}
		if (g->used && kstrcmp(g->leader, name) == 0)
			g->leader[0] = 0;
	}
	u->used = false;
	quota_forget(name);	/* its bytes stay charged until its files go */
	return 0;
}

/* BYTES, with an optional K, M or G (binary): 0..2^62 bytes, or -1. */
static int64_t parse_bytes(const char *s)
{
	char num[24];
	size_t len = kstrlen(s), shift = 0;
	long long v;

	if (len == 0 || len >= sizeof num)
		return -1;
	kstrlcpy(num, s, sizeof num);
	switch (num[len - 1]) {
	case 'k':
	case 'K': shift = 10; break;
	case 'm':
	case 'M': shift = 20; break;
	case 'g':
	case 'G': shift = 30; break;
	}
	if (shift)
		num[len - 1] = 0;
	if (num[0] < '0' || num[0] > '9' || kstrtoll(num, &v) < 0 || v < 0 ||
	    (unsigned long long)v > (1ull << 62) >> shift)
		return -1;
	return (int64_t)v << shift;
}

/* quota NAME BYTES | default, under the lock. */
static int quota_locked(const char *name, const char *arg, char *why, size_t whylen)
{
	int64_t limit = kstrcmp(arg, "default") == 0 ? -1 : parse_bytes(arg);

	if (find(name) == 0)
		return fail(why, whylen, E_NOENT, "no such user", name);
	if (limit < 0 && kstrcmp(arg, "default") != 0)
		return fail(why, whylen, E_INVAL,
		            "want quota NAME BYTES (K, M, G: binary) or "
		            "quota NAME default",
		            arg);
	quota_set(name, limit);
	return 0;
}

static int command(char *line, char *why, size_t whylen)
{
	char *w[4];
	int n = kwords(line, w, 4), err;

	if (n == 0)
		return 0;
	if (n < 0)
		return fail(why, whylen, E_SYNTAX, "too many words", 0);
	if (n == 3 && kstrcmp(w[0], "knownhost") == 0) {
		spin_lock(&lock);
		err = knownhost_locked(w[1], w[2], why, whylen);
		spin_unlock(&lock);
		return err;
	}
	if (n == 3 && kstrcmp(w[0], "authkey") == 0) {
		if (!user_valid_name(w[1], kstrlen(w[1])))
			return fail(why, whylen, E_INVAL, "bad user name", w[1]);
		spin_lock(&lock);
		err = authkey_locked(w[1], w[2], why, whylen);
		spin_unlock(&lock);
		return err;
	}
	for (int i = 1; i < n; i++) {
		const char *name = w[i][0] == ':' || w[i][0] == '+' || (i == 2 && w[i][0] == '-')
		                       ? w[i] + 1
		                       : w[i];
		bool numeric = i == 2 && w[i][0] >= '0' && w[i][0] <= '9';
		if (!numeric && !(w[i][0] == ':' && name[0] == 0) &&
		    !user_valid_name(name, kstrlen(name)))
			return fail(why, whylen, E_INVAL, "bad user name", w[i]);
	}
	spin_lock(&lock);
	if (kstrcmp(w[0], "uname") == 0 && n == 3)
		err = uname_locked(w, why, whylen);
	else if (kstrcmp(w[0], "deluser") == 0 && n == 2)
		err = deluser_locked(w[1], why, whylen);
	else if (kstrcmp(w[0], "quota") == 0 && n == 3)
		err = quota_locked(w[1], w[2], why, whylen);
	else
		err = fail(why, whylen, E_SYNTAX,
		           "want uname NAME ID|:LEADER|+MEMBER|-MEMBER, deluser NAME, "
		           "quota NAME BYTES|default, authkey NAME +HEX|-HEX or "
		           "knownhost ADDR +HEX|-HEX",
		           0);
	spin_unlock(&lock);
	return err;
}

struct ctlarg {
	char *why;
	size_t whylen;
};

static int ctl_line(char *line, void *arg)
{
	struct ctlarg *a = arg;

	return command(line, a->why, a->whylen);
}

int users_ctl(const char *text, size_t len, char *why, size_t whylen)
{
	enum { LINEMAX = 128 };
	struct ctlarg a = { why, whylen };
	char line[LINEMAX];
	int err;

	why[0] = 0;
	err = kforlines(text, len, line, sizeof line, ctl_line, &a);
	/* the framing's own refusals have no sentence yet (a command's do) */
	if (err == E_NAMETOOLONG && !why[0])
		return fail(why, whylen, err, "line too long", 0);
	if (err == E_SYNTAX && !why[0])
		return fail(why, whylen, err, "NUL byte in a line", 0);
	return err;
}
