/* Kernel timers (see <lux/timer.h>). */
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/proc.h>
#include <lux/timer.h>

static struct list timers = LIST_INIT(timers);	/* sorted by deadline */
/* timers, every ktimer's link and armed, and the arch's one-shot; never
 * held while a timer's function runs (it may start a timer) */
static struct spinlock timer_lock = SPINLOCK_INIT("timer");

static void rearm(void)
{
	if (list_empty(&timers))
		arch_timer_arm(0);
	else
		arch_timer_arm(list_entry(timers.next, struct ktimer, link)->deadline);
}

void ktimer_start(struct ktimer *t, uint64_t deadline, void (*fn)(void *), void *arg)
{
	struct list *pos;

	spin_lock(&timer_lock);
	if (t->armed)
		list_remove(&t->link);
	t->deadline = deadline ? deadline : 1;
	t->fn = fn;
	t->arg = arg;
	t->armed = true;
	/* insert after the last timer due no later: equal deadlines stay FIFO */
	for (pos = timers.prev; pos != &timers; pos = pos->prev)
		if (list_entry(pos, struct ktimer, link)->deadline <= t->deadline)
			break;
	list_insert_after(pos, &t->link);
	rearm();
	spin_unlock(&timer_lock);
}

void ktimer_cancel(struct ktimer *t)
{
	spin_lock(&timer_lock);
	if (t->armed) {
		list_remove(&t->link);
		t->armed = false;
		rearm();
	}
	spin_unlock(&timer_lock);
}

/* An upcall.  Each due timer leaves the list under the lock and runs
 * without it, since its function may start or cancel timers. */
void lux_timer_expired(void)
{
	uint64_t now = arch_time_ns();

	spin_lock(&timer_lock);
	while (!list_empty(&timers)) {
		struct ktimer *t = list_entry(timers.next, struct ktimer, link);
		void (*fn)(void *) = t->fn;
		void *arg = t->arg;

		if (t->deadline > now)
			break;
		list_remove(&t->link);
		t->armed = false;
		sched_trace(t->deadline);
		spin_unlock(&timer_lock);
		fn(arg);
		spin_lock(&timer_lock);
	}
	rearm();
	spin_unlock(&timer_lock);
}

struct sleeper {
	struct waitq q;
	bool done;
};

static void sleeper_fire(void *arg)
{
	struct sleeper *s = arg;

	s->done = true;
	wakeup(&s->q);
}

static bool sleeper_done(void *arg)
{
	return ((struct sleeper *)arg)->done;
}

int tsleep_ns(uint64_t ns)
{
	struct sleeper s = { .done = false };
	struct ktimer t = { .armed = false };
	int err;

	waitq_init(&s.q);
	list_init(&t.link);
	ktimer_start(&t, arch_time_ns() + ns, sleeper_fire, &s);
	err = sleep_on(&s.q, sleeper_done, &s);
	ktimer_cancel(&t);	/* it lives on this stack: never leave it queued */
	return err;
}
