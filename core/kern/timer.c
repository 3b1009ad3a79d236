/* Kernel timers (see <lux/timer.h>). */
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/timer.h>

static struct list timers = LIST_INIT(timers);	/* sorted by deadline */

static void rearm(void)
{
	if (list_empty(&timers))
		arch_timer_arm(0);
	else
		arch_timer_arm(list_entry(timers.next, struct ktimer, link)->deadline);
}

void ktimer_start(struct ktimer *t, uint64_t deadline, void (*fn)(void *), void *arg)
{
	arch_irqstate s = arch_irq_save();
	struct list *pos;

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
	arch_irq_restore(s);
}

void ktimer_cancel(struct ktimer *t)
{
	arch_irqstate s = arch_irq_save();

	if (t->armed) {
		list_remove(&t->link);
		t->armed = false;
		rearm();
	}
	arch_irq_restore(s);
}

void lux_timer_expired(void)
{
	uint64_t now = arch_time_ns();

	while (!list_empty(&timers)) {
		struct ktimer *t = list_entry(timers.next, struct ktimer, link);
		if (t->deadline > now)
			break;
		list_remove(&t->link);
		t->armed = false;
		sched_trace(t->deadline);
		t->fn(t->arg);
	}
	rearm();
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
