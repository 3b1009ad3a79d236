/*
 * Long pure computations, fairly (see <lux/offload.h>).
 *
 * Turns: a small table of users with work running; a user's next piece
 * waits until its previous one has returned (OFFLOAD_PER_USER), so a
 * loop from one user, over any number of connections, holds at most one
 * of the arch's threads while other users' work and every ordinary
 * request go on.  The work itself goes to the arch (arch_offload), or
 * runs in place where the arch cannot take it (metal, a deterministic
 * run: there the turns still order it, but the CPU is shared as before).
 */
#include <lux/arch.h>
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/offload.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/upcall.h>

struct turn {
	char user[sizeof((struct cred *)0)->user];
	int running;		/* 0: a free entry */
};

static struct turn turns[OFFLOAD_USERS];
/* turns[]: taken in turnq's sleep condition, so a spinlock */
static struct spinlock turn_lock = SPINLOCK_INIT("offload-turns");
static struct waitq turnq = WAITQ_INIT(turnq);
static uint64_t naway, ninplace;

/* One piece of work in flight: the upcall marks it done. */
struct piece {
	bool done;
	struct waitq wq;
};

void lux_offload_done(void *cookie)
{
	struct piece *w = cookie;

	w->done = true;
	wakeup(&w->wq);
}

/* The user's entry with room for one more, taken; 0 if none yet.
 * turn_lock held. */
static struct turn *take_turn(const char *user)
{
	struct turn *free = 0;

	for (size_t i = 0; i < OFFLOAD_USERS; i++) {
		struct turn *t = &turns[i];
		if (t->running && kstrcmp(t->user, user) == 0) {
			if (t->running >= OFFLOAD_PER_USER)
				return 0;
			t->running++;
			return t;
		}
		if (!t->running && free == 0)
			free = t;
	}
	if (free) {
		kstrlcpy(free->user, user, sizeof free->user);
		free->running = 1;
	}
	return free;
}

struct want {
	const char *user;
	struct turn *got;
};

static bool my_turn(void *arg)
{
	struct want *w = arg;

	spin_lock(&turn_lock);
	w->got = take_turn(w->user);
	spin_unlock(&turn_lock);
	return w->got != 0;
}

static bool is_done(void *arg)
{
	return ((struct piece *)arg)->done;
}

static void give_turn(struct turn *t)
{
	spin_lock(&turn_lock);
	t->running--;
	spin_unlock(&turn_lock);
	wakeup(&turnq);
}

int koffload(void (*fn)(void *), void *arg)
{
	struct want want = { curproc()->cred.user, 0 };
	struct piece piece = { false, WAITQ_INIT(piece.wq) };

	/* not interruptible: the caller may hold a sleeping lock (a 9P
	 * worker's turn at its connection's crypto sessions); each turn
	 * ends in bounded time, and a kill meanwhile skips the work */
	sleep_on_unint(&turnq, my_turn, &want);
	if (curproc()->killed) {
		give_turn(want.got);
		return E_INTR;
	}
	if (arch_offload(fn, arg, &piece) == 0) {
		sleep_on_unint(&piece.wq, is_done, &piece);
		naway++;
	} else {
		fn(arg);	/* nowhere else to run it */
		ninplace++;
	}
	give_turn(want.got);
	return 0;
}

void koffload_counts(uint64_t *away, uint64_t *inplace)
{
	*away = naway;
	*inplace = ninplace;
}
