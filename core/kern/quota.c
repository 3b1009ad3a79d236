/*
 * Per-user quotas of file memory (<lux/quota.h>, docs/quotas.md).
 *
 * Why not pebbles: a pebble budget belongs to a live client (a proc, a
 * 9P connection) and is a grant out of its parent's, conserved up to the
 * machine's root, so budgets can never promise more than exists and they
 * close when the client goes.  File data outlives the client that wrote
 * it and belongs to the file's owner, a name; the host owner's limits are
 * deliberately overcommitted (every user may be promised most of the
 * machine), and what keeps the kernel alive is the reserve check instead.
 * What is shared with pebbles is the discipline: charge before allocating,
 * release exactly what was charged (a release of more panics: a double
 * release), counters touched only with upcalls off, and a refusal that
 * names the user and the numbers in the proc's error string.
 *
 * Accounts are keyed by name, like file ownership: deleting a user keeps
 * its account while its files hold bytes, so their release still lands
 * somewhere; a new user of the same name finds it (and the files).
 */
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/quota.h>
#include <lux/string.h>
#include <lux/users.h>

#define MIB (1ull << 20)

struct account {
	bool used;
	bool limited;		/* the host owner set limit; else the default */
	char name[USER_NAMEMAX];
	uint64_t held;		/* bytes charged by files owned by name */
	uint64_t limit;
};

static struct account accounts[QUOTA_ACCOUNTS];
/* accounts[]: every user's usage and limit */
static struct spinlock lock = SPINLOCK_INIT("quota");
/* quota_format's snapshot of the user table: too big for a proc's stack */
static char names[USERS_MAX][USER_NAMEMAX];
static struct qlock fmtlock = QLOCK_INIT(fmtlock, "quota_format");

size_t quota_reserve_pages(void)
{
	size_t total = page_total(), r = total / 8, floor = (size_t)(2 * MIB / PAGE_SIZE);

	if (r < floor)
		r = floor;
	return r < total / 2 ? r : total / 2;
}

uint64_t quota_default(const char *user)
{
	uint64_t room = (uint64_t)(page_total() - quota_reserve_pages()) * PAGE_SIZE;

	return kstrcmp(user, eve) == 0 ? room : room / 2;
}

static struct account *find_locked(const char *name)
{
	for (size_t i = 0; i < QUOTA_ACCOUNTS; i++)
		if (accounts[i].used && kstrcmp(accounts[i].name, name) == 0)
			return &accounts[i];
	return 0;
}

static struct account *find_or_add_locked(const char *name)
{
	struct account *a = find_locked(name);

	for (size_t i = 0; a == 0 && i < QUOTA_ACCOUNTS; i++) {
		if (!accounts[i].used) {
			a = &accounts[i];
			kmemset(a, 0, sizeof *a);
			a->used = true;
			kstrlcpy(a->name, name, sizeof a->name);
		}
	}
	return a;
}

/* An account with nothing to remember is a free slot again. */
static void tidy_locked(struct account *a)
{
	if (a->held == 0 && !a->limited)
		a->used = false;
}

static uint64_t limit_of(const struct account *a)
{
	return a->limited ? a->limit : quota_default(a->name);
}

/* "16.0" for 16 MiB in units of MiB: to the nearest tenth, no floating
 * point. */
static void tenths(char *out, size_t size, uint64_t bytes, uint64_t unit)
{
	uint64_t whole = bytes / unit, tenth = (bytes % unit * 10 + unit / 2) / unit;

	if (tenth == 10) {
		whole++;
		tenth = 0;
	}
	ksnprintf(out, size, "%llu.%llu", (unsigned long long)whole, (unsigned long long)tenth);
}

/* "quota exceeded: bob 16.0/16.0 MiB": in KiB for a limit under 1 MiB,
 * so a small quota does not read 0.0/0.1; the amount wanted when it
 * shows (a write of many blocks refused at once). */
static int exceeded(const char *user, uint64_t held, uint64_t limit, uint64_t want)
{
	uint64_t unit = limit >= MIB || held >= MIB ? MIB : 1024;
	const char *u = unit == MIB ? "MiB" : "KiB";
	char h[24], l[24], w[24];

	tenths(h, sizeof h, held, unit);
	tenths(l, sizeof l, limit, unit);
	tenths(w, sizeof w, want, unit);
	if (want >= unit / 10 * 5)
		return proc_seterr(E_QUOTA, "quota exceeded: %s %s/%s %s, %s %s more wanted", user,
		                   h, l, u, w, u);
	return proc_seterr(E_QUOTA, "quota exceeded: %s %s/%s %s", user, h, l, u);
}

/* Room for bytes more in the account of user (lock held)?  The user
 * must exist: a deleted owner's files may shrink but not grow. */
static int charge_locked(const char *user, bool exists, uint64_t bytes)
{
	struct account *a;
	uint64_t limit;

	if (!exists)
		return proc_seterr(E_QUOTA, "quota exceeded: %s is not a user (/adm/users)", user);
	if ((a = find_or_add_locked(user)) == 0)
		return proc_seterr(E_QUOTA, "quota exceeded: no account free for %s (%d in use)",
		                   user, QUOTA_ACCOUNTS);
	limit = limit_of(a);
	if (a->held > limit || bytes > limit - a->held) {
		int err = exceeded(user, a->held, limit, bytes);
		tidy_locked(a);
		return err;
	}
	a->held += bytes;
	return 0;
}

int quota_charge(const char *user, uint64_t bytes)
{
	bool exists = user_exists(user);	/* users' lock first, never inside ours */
	int err;

	if (bytes == 0)
		return 0;
	spin_lock(&lock);
	err = charge_locked(user, exists, bytes);
	spin_unlock(&lock);
	return err;
}

static void release_locked(const char *user, uint64_t bytes)
{
	struct account *a = find_locked(user);

	/*
	 * Giving back what was never charged means a file's charge and its
	 * owner went out of step (a chown that did not move it, a free that
	 * ran twice): the counters would wrap and hand out memory.
	 */
	if (a == 0 || a->held < bytes)
		panic("quota_release: %llu bytes released by %s, %llu held: a double release",
		      (unsigned long long)bytes, user, (unsigned long long)(a ? a->held : 0));
	a->held -= bytes;
	tidy_locked(a);
}

void quota_release(const char *user, uint64_t bytes)
{
	if (bytes == 0)
		return;
	spin_lock(&lock);
	release_locked(user, bytes);
	spin_unlock(&lock);
}

int quota_move(const char *from, const char *to, uint64_t bytes)
{
	bool exists = user_exists(to);
	int err = 0;

	if (bytes == 0 || kstrcmp(from, to) == 0)
		return 0;
	spin_lock(&lock);
	if ((err = charge_locked(to, exists, bytes)) == 0)
		release_locked(from, bytes);
	spin_unlock(&lock);
	return err;
}

void quota_set(const char *user, int64_t limit)
{
	struct account *a;

	spin_lock(&lock);
	if ((a = limit < 0 ? find_locked(user) : find_or_add_locked(user)) != 0) {
		a->limited = limit >= 0;
		a->limit = limit >= 0 ? (uint64_t)limit : 0;
		tidy_locked(a);
	}
	spin_unlock(&lock);
	/* a full table (128 accounts, 64 of them users) cannot happen for a
	 * user of the table: each user needs one slot at most */
}

void quota_forget(const char *user)
{
	quota_set(user, -1);
}

void quota_get(const char *user, uint64_t *used, uint64_t *limit)
{
	struct account *a;

	spin_lock(&lock);
	a = find_locked(user);
	*used = a ? a->held : 0;
	*limit = a && a->limited ? a->limit : quota_default(user);
	spin_unlock(&lock);
}

int quota_room(size_t pages)
{
	size_t reserve = quota_reserve_pages(), free = page_free_count();
	char r[24];

	if (free >= pages && free - pages >= reserve)
		return 0;
	tenths(r, sizeof r, (uint64_t)reserve * PAGE_SIZE, MIB);
	return proc_seterr(E_NOSPC,
	                   "no space: the machine's memory is full "
	                   "(%s MiB kept for the kernel)",
	                   r);
}

size_t quota_format(char *buf, size_t size)
{
	size_t n = 0, nu;

	if (size)
		buf[0] = 0;
	qlock(&fmtlock);
	nu = users_names(names, USERS_MAX);
	for (size_t i = 0; i < nu; i++) {
		uint64_t used, limit;
		quota_get(names[i], &used, &limit);
		n += (size_t)ksnprintf(n < size ? buf + n : 0, n < size ? size - n : 0,
		                       "%s %llu %llu\n", names[i], (unsigned long long)used,
		                       (unsigned long long)limit);
	}
	/* owners no longer in the table whose files still hold bytes */
	for (size_t i = 0; i < QUOTA_ACCOUNTS; i++) {
		struct account a;
		bool listed = false;
		spin_lock(&lock);
		a = accounts[i];
		spin_unlock(&lock);
		if (!a.used || a.held == 0)
			continue;
		for (size_t k = 0; k < nu && !listed; k++)
			listed = kstrcmp(names[k], a.name) == 0;
		if (!listed)
			n += (size_t)ksnprintf(n < size ? buf + n : 0, n < size ? size - n : 0,
			                       "%s %llu 0\n", a.name, (unsigned long long)a.held);
	}
	qunlock(&fmtlock);
	return n;
}

void quota_reset(void)
{
	spin_lock(&lock);
	kmemset(accounts, 0, sizeof accounts);
	spin_unlock(&lock);
}
