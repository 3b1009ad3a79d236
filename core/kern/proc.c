/*
 * Procs and the preemptive priority scheduler (see <lux/proc.h>).
 *
 * Invariants, checked at the top of sched() (xv6 style) and by
 * sched_check() in tests and simulations:
 *  - upcalls are disabled across a switch, so the run queues and the
 *    sleepers are only touched by one context at a time;
 *  - the proc switching away is not RUNNING any more (it is READY on a run
 *    queue, SLEEPING on a wait queue, or DEAD);
 *  - a READY proc is on the run queue of its priority exactly once, and
 *    nready counts them;
 *  - a proc never exits or sleeps interruptibly holding a sleeping lock;
 *  - a proc never sleeps or yields holding a spinlock (the lock-order
 *    checker panics: the next proc to take it would deadlock).
 *
 * The scheduler masks upcalls bare (arch_irq_save), not with a spinlock,
 * and that is the point: the masked state is carried across a switch
 * (sleep_common masks, switches away, and the proc switched to restores
 * its own saved state), which no lock can be, and upcalls themselves
 * (wakeup from an interrupt) enter the run queues.  So the run queues,
 * the sleepers, the parent/child links and every proc's state fields are
 * protected by masking, in this file only (tests/lint/irq_masking.sh).
 * The proc table (allprocs, the pids and counts) has a lock of its own,
 * procs_lock, for the calls that only read or change the table.
 */
#include <lux/borrow.h>
#include <lux/devcrypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/lock.h>
#include <lux/lockdep.h>
#include <lux/ns.h>
#include <lux/page.h>
#include <lux/perm.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/rand.h>
#include <lux/string.h>
#include <lux/sysfile.h>
#include <lux/timer.h>
#include <lux/users.h>

#define STACK_PAGES 8	/* 32 KiB: the shell and the crypto KATs fit well */

static struct list runq[NPRIO];
static size_t nready;
static struct list allprocs = LIST_INIT(allprocs);
/* allprocs, nextpid, nprocs, nprincipals: the table.  Taken inside the
 * scheduler's masked sections when they change it, alone by the calls
 * that only look (ps, /proc); before pebble.  lux_stack_owner reads the
 * list without it: a fault's panic may come from anywhere. */
static struct spinlock procs_lock = SPINLOCK_INIT("procs");
static struct list dead = LIST_INIT(dead);	/* detached, waiting to be freed */
static struct proc *current;
static arch_ctx idlectx;
static int nextpid = 1;
static size_t nprocs;
static size_t nprincipals;	/* of nprocs: no stack, never run */
static uint64_t nswitches;
static bool need_resched;
static struct ktimer slicetimer;
static uint64_t trace = 0xcbf29ce484222325ull;	/* FNV-1a offset basis */

void waitq_init(struct waitq *q)
{
	list_init(&q->sleepers);
}
struct proc *curproc(void)
{
	return current;
}
size_t proc_count(void)
{
	return nprocs;
}
size_t proc_stack_pages(void)
{
	return (nprocs - nprincipals) * STACK_PAGES;
}
uint64_t sched_switches(void)
{
	return nswitches;
}

int lux_stack_owner(uintptr_t addr, const char **name, uintptr_t *stack)
{
	struct list *l;

	list_for_each(l, &allprocs) {
		struct proc *p = list_entry(l, struct proc, all);
		uintptr_t base = (uintptr_t)p->stack;

		if (p->stack && addr >= base && addr - base < p->stackpages * PAGE_SIZE) {
			*name = p->name;
			*stack = base;
			return p->pid;
		}
	}
	return -1;
}
uint64_t sched_trace_hash(void)
{
	return trace;
}

void sched_trace(uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8) {
		trace ^= v & 0xff;
		trace *= 0x100000001b3ull;	/* FNV-1a prime */
	}
}

static bool deterministic(void)
{
	return lux_bootinfo && (lux_bootinfo->caps & LUX_CAP_DETERMINISTIC);
}

static void runq_init(void)
{
	static bool done;

	if (!done) {
		for (int i = 0; i < NPRIO; i++)
			list_init(&runq[i]);
		done = true;
	}
}

static int highest_ready(void)
{
	for (int i = NPRIO - 1; i >= 0; i--)
		if (!list_empty(&runq[i]))
			return i;
	return -1;
}

/* Put p on its run queue; upcalls disabled.  A proc of higher priority
 * than the running one asks for a preemption. */
static void make_ready(struct proc *p)
{
	p->state = PROC_READY;
	list_push_back(&runq[p->prio], &p->link);
	nready++;
	if (current && p->prio > current->prio)
		need_resched = true;
}

static struct proc *take_ready(void)
{
	int prio = highest_ready();
	struct list *l;

	if (prio < 0)
		return 0;
	l = list_pop_front(&runq[prio]);
	nready--;
	return list_entry(l, struct proc, link);
}

static void slice_expired(void *arg)
{
	USED(arg);
	need_resched = true;
	sched_trace(0x51ce);
}

/* A time slice: fixed, or jittered from the seeded generator in a
 * deterministic run so different seeds interleave differently. */
static uint64_t slice_len(void)
{
	if (deterministic())
		return SLICE_NS / 2 + krand_below(SLICE_NS);
	return SLICE_NS;
}

/* Account the outgoing proc and give the CPU to next (or to idle). */
static void switch_to(struct proc *prev, struct proc *next)
{
	uint64_t now = arch_time_ns();

	if (prev)
		prev->cpu_ns += now - prev->run_start;
	nswitches++;
	need_resched = false;
	current = next;
	if (next) {
		next->state = PROC_RUNNING;
		next->run_start = now;
		next->dispatches++;
		sched_trace((uint64_t)next->pid);
		if (deterministic())
			sched_trace(now);
		ktimer_start(&slicetimer, now + slice_len(), slice_expired, 0);
	} else {
		ktimer_cancel(&slicetimer);
	}
	arch_ctx_switch(prev ? &prev->ctx : &idlectx, next ? &next->ctx : &idlectx);
}

/* Give the CPU to the best ready proc, or to the idle loop.  Called with
 * upcalls disabled by a proc that has already left the RUNNING state. */
static void sched(void)
{
	struct proc *prev = current, *next;

	kassert(prev != 0);
	kassert(prev->state != PROC_RUNNING);
	kassert(prev->state != PROC_DEAD || prev->nlocks == 0);
	next = take_ready();
	if (next == prev) {
		prev->state = PROC_RUNNING;
		need_resched = false;
		return;
	}
	switch_to(prev, next);
	/* back: someone switched to us */
}

static void proc_free(struct proc *p)
{
	spin_lock(&procs_lock);
	list_remove(&p->all);
	nprocs--;
	spin_unlock(&procs_lock);
	devcrypto_procexit(p->pid);	/* its /secure/crypto sessions */
	tokens_procexit(p->pid);	/* a minted token it did not read */
	ns_put(p->ns);
	fdtab_put(p->fds);
	arch_ctx_destroy(&p->ctx);
	page_free(p->stack, p->stackpages);
	/* the creator's budget paid for us; ours keeps it open until now */
	budget_release(p->budget->parent, PB_PAGES, p->stackpages);
	budget_release(p->budget->parent, PB_PROCS, 1);
	budget_put(p->budget);
	kfree(p);
}

/* First code every proc runs: its entry, then exit with status 0. */
static void trampoline(void *arg)
{
	struct proc *p = arg;

	/* the arch enabled upcalls before calling us (see arch_ctx_init) */
	p->entry(p->arg);
	proc_exit(0);
}

/* Pay for p out of the creator's budget (the root for the kernel's own
 * procs, which then get everything it has white) and grant p its own. */
static int proc_budget(struct proc *p, const struct pebbles *grant)
{
	struct budget *payer = current ? current->budget : pebble_root();
	struct pebbles all;
	int err;

	if ((err = budget_charge(payer, PB_PROCS, 1)) < 0)
		return err;
	if ((err = budget_charge(payer, PB_PAGES, STACK_PAGES)) < 0) {
		budget_release(payer, PB_PROCS, 1);
		return err;
	}
	if (grant == 0 && current == 0) {
		budget_white(payer, &all);
		grant = &all;
	}
	if ((p->budget = budget_grant(payer, grant, &err)) == 0) {
		budget_release(payer, PB_PAGES, STACK_PAGES);
		budget_release(payer, PB_PROCS, 1);
	}
	return err;
}

struct proc *proc_create(const char *name, int prio, void (*entry)(void *), void *arg, int flags)
{
	int err;

	return proc_spawn(name, prio, entry, arg, flags, 0, &err);
}

struct proc *proc_spawn(const char *name, int prio, void (*entry)(void *), void *arg, int flags,
                        const struct pebbles *grant, int *err)
{
	struct proc *p = kzalloc(sizeof *p);
	arch_irqstate s;

	*err = E_NOMEM;
	if (p == 0)
		return 0;
	if ((*err = proc_budget(p, grant)) < 0) {
		kfree(p);
		return 0;
	}
	p->stack = page_alloc(STACK_PAGES);
	if (p->stack == 0) {
		budget_release(p->budget->parent, PB_PAGES, STACK_PAGES);
		budget_release(p->budget->parent, PB_PROCS, 1);
		budget_put(p->budget);
		kfree(p);
		*err = E_NOMEM;
		return 0;
	}
	p->stackpages = STACK_PAGES;
	kstrlcpy(p->name, name, sizeof p->name);
	p->prio = prio < 0 ? 0 : prio >= NPRIO ? NPRIO - 1 : prio;
	p->entry = entry;
	p->arg = arg;
	p->detached = flags & PROC_DETACHED;
	list_init(&p->link);
	list_init(&p->children);
	list_init(&p->sibling);
	waitq_init(&p->childexit);
	/* made by the boot code: the host owner at the console */
	kstrlcpy(p->cred.user, "eve", sizeof p->cred.user);
	p->cred.flags = CRED_CONSOLE;
	arch_ctx_init(&p->ctx, p->stack, STACK_PAGES * PAGE_SIZE, trampoline, p);
	s = arch_irq_save();
	runq_init();
	if (current) {	/* share the creator's namespace, files and identity */
		p->ns = current->ns;
		p->fds = current->fds;
		if (p->ns)
			__atomic_add_fetch(&p->ns->ref, 1, __ATOMIC_ACQ_REL);
		if (p->fds)
			__atomic_add_fetch(&p->fds->ref, 1, __ATOMIC_ACQ_REL);
		p->cred = current->cred;
		if (!p->detached) {
			p->parent = current;
			list_push_back(&current->children, &p->sibling);
		}
	}
	spin_lock(&procs_lock);
	p->pid = nextpid++;
	list_push_back(&allprocs, &p->all);
	nprocs++;
	spin_unlock(&procs_lock);
	make_ready(p);
	arch_irq_restore(s);
	return p;
}

struct proc *proc_principal_new(const char *name, struct budget *payer, const struct pebbles *cap,
                                void (*onkill)(void *), void *arg, int *err)
{
	struct proc *p = kzalloc(sizeof *p);

	*err = E_NOMEM;
	if (p == 0)
		return 0;
	if ((p->budget = budget_cap(payer, cap, err)) == 0) {
		kfree(p);
		return 0;
	}
	kstrlcpy(p->name, name, sizeof p->name);
	p->prio = PRIO_NORMAL;
	p->detached = true;
	p->state = PROC_SERVED;
	p->onkill = onkill;
	p->onkillarg = arg;
	list_init(&p->link);
	list_init(&p->children);
	list_init(&p->sibling);
	waitq_init(&p->childexit);
	if (current) {	/* current's own fields: nobody else changes them */
		p->ns = current->ns;
		if (p->ns)
			__atomic_add_fetch(&p->ns->ref, 1, __ATOMIC_ACQ_REL);
		p->cred = current->cred;
	}
	spin_lock(&procs_lock);	/* it never runs: only the table knows it */
	p->pid = nextpid++;
	list_push_back(&allprocs, &p->all);
	nprocs++;
	nprincipals++;
	spin_unlock(&procs_lock);
	*err = 0;
	return p;
}

void proc_principal_free(struct proc *p)
{
	struct ns *ns;

	kassert(p->state == PROC_SERVED && p != current);
	borrow_proc_exit(p);	/* what its workers borrowed in its name */
	devcrypto_procexit(p->pid);
	tokens_procexit(p->pid);
	spin_lock(&procs_lock);
	list_remove(&p->all);
	nprocs--;
	nprincipals--;
	ns = p->ns;
	p->ns = 0;
	spin_unlock(&procs_lock);
	ns_put(ns);
	budget_put(p->budget);
	kfree(p);
}

void proc_yield(void)
{
	arch_irqstate s;

	lockdep_might_sleep("proc_yield", __FILE__, __LINE__, false);
	s = arch_irq_save();

	make_ready(current);
	sched();
	arch_irq_restore(s);
}

void lux_preempt(void)
{
	int best;

	if (current == 0 || !need_resched || current->preempt_off)
		return;
	need_resched = false;
	best = highest_ready();
	if (best < current->prio) {
		/* nothing as important is waiting: a new slice, same proc */
		ktimer_start(&slicetimer, arch_time_ns() + slice_len(), slice_expired, 0);
		return;
	}
	make_ready(current);
	sched();
}

int preempt_point(void)
{
	arch_irqstate s;

	arch_poll();
	if (current == 0)
		return 0;
	s = arch_irq_save();
	lux_preempt();
	arch_irq_restore(s);
	return current->killed || current->intr ? E_INTR : 0;
}

static int sleep_common(struct waitq *q, bool (*cond)(void *), void *arg, bool intr)
{
	arch_irqstate s;
	int err = 0;

	/* masked is not checked: qlock sleeps here with upcalls masked, by
	 * design (the test and the take must be atomic) */
	lockdep_might_sleep("sleep", __FILE__, __LINE__, false);
	s = arch_irq_save();

	kassert(current != 0);
	while (!cond(arg)) {
		if (intr && (current->killed || current->intr)) {
			err = E_INTR;
			break;
		}
		if (intr && current->nlocks)
			panic("proc %d (%s): interruptible sleep holding %d lock(s)", current->pid,
			      current->name, current->nlocks);
		current->state = PROC_SLEEPING;
		current->waiting = q;
		current->interruptible = intr;
		list_push_back(&q->sleepers, &current->link);
		sched();
	}
	arch_irq_restore(s);
	return err;
}

int sleep_on(struct waitq *q, bool (*cond)(void *), void *arg)
{
	return sleep_common(q, cond, arg, true);
}

void sleep_on_unint(struct waitq *q, bool (*cond)(void *), void *arg)
{
	sleep_common(q, cond, arg, false);
}

static void unsleep(struct proc *p)
{
	kassert(p->state == PROC_SLEEPING);
	list_remove(&p->link);
	p->waiting = 0;
	p->interruptible = false;
	make_ready(p);
}

/* Wake everyone on q.  The order they join the run queue is a choice
 * among equals, so it comes from the seeded generator. */
void wakeup(struct waitq *q)
{
	arch_irqstate s = arch_irq_save();
	size_t n = list_length(&q->sleepers);

	while (n > 0) {
		struct list *l = q->sleepers.next;
		for (uint64_t k = n > 1 ? krand_below(n) : 0; k; k--)
			l = l->next;
		unsleep(list_entry(l, struct proc, link));
		n--;
	}
	arch_irq_restore(s);
}

/* procs_lock held (or, from the scheduler's masked sections,
 * lookup_locked takes it). */
static struct proc *lookup(int pid)
{
	struct list *l;

	list_for_each(l, &allprocs) {
		struct proc *p = list_entry(l, struct proc, all);
		if (p->pid == pid)
			return p;
	}
	return 0;
}

static struct proc *lookup_locked(int pid)
{
	struct proc *p;

	spin_lock(&procs_lock);
	p = lookup(pid);
	spin_unlock(&procs_lock);
	return p;
}

int proc_kill(int pid)
{
	arch_irqstate s = arch_irq_save();	/* the scheduler's: p's state, its sleep */
	struct proc *p = lookup_locked(pid);

	if (p == 0 || p->state == PROC_DEAD) {
		arch_irq_restore(s);
		return E_NOPROC;
	}
	p->killed = true;
	if (p->state == PROC_SLEEPING && p->interruptible)
		unsleep(p);
	if (p->state == PROC_SERVED && p->onkill)
		p->onkill(p->onkillarg);	/* it never runs: its server ends it */
	sched_trace(0xdead0000ull | (uint64_t)pid);
	arch_irq_restore(s);
	return 0;
}

int proc_interrupt(int pid)
{
	arch_irqstate s = arch_irq_save();	/* the scheduler's: p's state, its sleep */
	struct proc *p = lookup_locked(pid);

	if (p == 0 || p->state == PROC_DEAD || p->state == PROC_SERVED) {
		arch_irq_restore(s);
		return E_NOPROC;	/* a principal never runs: nothing to stop */
	}
	p->intr = true;
	if (p->state == PROC_SLEEPING && p->interruptible)
		unsleep(p);
	sched_trace(0x1e7e0000ull | (uint64_t)pid);
	arch_irq_restore(s);
	return 0;
}

bool proc_interrupted(void)
{
	return current != 0 && current->intr;
}

void proc_clear_interrupt(void)
{
	arch_irqstate s = arch_irq_save();

	if (current)
		current->intr = false;
	arch_irq_restore(s);
}

_Noreturn void proc_exit(int status)
{
	struct proc *p = current;
	struct list *l, *tmp;

	arch_irq_save();
	if (p->nlocks)
		panic("proc %d (%s) exits holding %d lock(s)", p->pid, p->name, p->nlocks);
	borrow_proc_exit(p);	/* return its borrows, drop what it owns (docs/borrow.md) */
	p->status = p->killed && status == 0 ? PROC_KILLED : status;
	/* orphans are detached: nobody will wait for them */
	list_for_each_safe(l, tmp, &p->children) {
		struct proc *c = list_entry(l, struct proc, sibling);
		list_remove(&c->sibling);
		c->parent = 0;
		c->detached = true;
		if (c->state == PROC_DEAD)
			list_push_back(&dead, &c->link);
	}
	p->state = PROC_DEAD;
	if (p->detached || p->parent == 0)
		list_push_back(&dead, &p->link);
	else
		wakeup(&p->parent->childexit);
	sched();
	panic("proc_exit: dead proc %d was scheduled", p->pid);
}

static bool is_dead(void *arg)
{
	return ((struct proc *)arg)->state == PROC_DEAD;
}

int proc_join(struct proc *p)
{
	arch_irqstate s;
	int err, status;

	kassert(p->parent == current);
	err = sleep_on(&current->childexit, is_dead, p);
	s = arch_irq_save();
	list_remove(&p->sibling);
	p->parent = 0;
	if (err < 0) {	/* killed while waiting: let it go */
		p->detached = true;
		if (p->state == PROC_DEAD)
			list_push_back(&dead, &p->link);
		arch_irq_restore(s);
		return err;
	}
	status = p->status;
	proc_free(p);
	arch_irq_restore(s);
	return status;
}

/* Free detached procs that have exited: a proc cannot free its own stack. */
static void reap(void)
{
	struct list *l;

	while ((l = list_pop_front(&dead)) != 0)
		proc_free(list_entry(l, struct proc, link));
}

_Noreturn void sched_idle_loop(void)
{
	runq_init();
	for (;;) {
		arch_irqstate s = arch_irq_save();
		struct proc *p;

		reap();
		p = take_ready();
		if (p) {
			switch_to(0, p);
			current = 0;
		} else {
			arch_idle();	/* upcalls still off: see arch_idle */
		}
		arch_irq_restore(s);
	}
}

_Noreturn void lux_halt(int status)
{
	if (deterministic())
		kprintf("trace %016llx\n", (unsigned long long)trace);
	arch_halt(status);
}

struct ns *proc_ns(int pid)
{
	struct proc *p;
	struct ns *ns;

	spin_lock(&procs_lock);	/* a proc in the table still has its ns */
	p = lookup(pid);
	ns = p && p->state != PROC_DEAD ? p->ns : 0;
	if (ns)
		__atomic_add_fetch(&ns->ref, 1, __ATOMIC_ACQ_REL);
	spin_unlock(&procs_lock);
	return ns;
}

int proc_pebbles(int pid, struct budget_info *out)
{
	struct proc *p;

	spin_lock(&procs_lock);	/* procs -> pebble */
	p = lookup(pid);
	if (p)
		budget_snapshot(p->budget, out);
	spin_unlock(&procs_lock);
	return p ? 0 : E_NOPROC;
}

static int kerrcode;
static char kerrstr[ERRMAX];	/* the idle loop's and boot's */

int proc_seterr(int err, const char *fmt, ...)
{
	struct proc *p = current;
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(p ? p->errstr : kerrstr, ERRMAX, fmt, ap);
	va_end(ap);
	*(p ? &p->errcode : &kerrcode) = err;
	return err;
}

const char *proc_errstr(int err)
{
	struct proc *p = current;

	if ((p ? p->errcode : kerrcode) == err && err < 0)
		return p ? p->errstr : kerrstr;
	return lux_errstr(err);
}

const char *proc_state_name(enum procstate s)
{
	switch (s) {
	case PROC_READY: return "ready";
	case PROC_RUNNING: return "running";
	case PROC_SLEEPING: return "sleeping";
	case PROC_DEAD: return "dead";
	case PROC_SERVED: return "served";
	}
	return "?";
}

static void fill_info(const struct proc *p, struct procinfo *out)
{
	out->pid = p->pid;
	out->ppid = p->parent ? p->parent->pid : 0;
	out->prio = p->prio;
	out->state = p->state;
	out->cpu_ns = p->cpu_ns + (p == current ? arch_time_ns() - p->run_start : 0);
	out->dispatches = p->dispatches;
	kstrlcpy(out->name, p->name, sizeof out->name);
	/* a 9P worker acts for each request's user in turn, but the proc is
	 * its connection's (the principal's): a guest on a trusted connection
	 * must not own the connection's namespace or its procs */
	kstrlcpy(out->user, proc_principal((struct proc *)p)->cred.user, sizeof out->user);
}

size_t proc_list(struct procinfo *out, size_t max)
{
	struct list *l;
	size_t n = 0;

	spin_lock(&procs_lock);
	list_for_each(l, &allprocs) {	/* pids only grow: the list is in pid order */
		if (n == max)
			break;
		fill_info(list_entry(l, struct proc, all), &out[n++]);
	}
	spin_unlock(&procs_lock);
	return n;
}

int proc_info(int pid, struct procinfo *out)
{
	struct proc *p;

	spin_lock(&procs_lock);
	p = lookup(pid);
	if (p)
		fill_info(p, out);
	spin_unlock(&procs_lock);
	return p ? 0 : E_NOPROC;
}

const char *sched_check(void)
{
	arch_irqstate s = arch_irq_save();
	const char *err = 0;
	size_t ready = 0, onq = 0, all = 0;
	struct list *l;

	for (int i = 0; i < NPRIO && !err; i++) {
		list_for_each(l, &runq[i]) {
			struct proc *p = list_entry(l, struct proc, link);
			onq++;
			if (p->state != PROC_READY)
				err = "a proc on a run queue is not ready";
			else if (p->prio != i)
				err = "a proc is on the run queue of another priority";
		}
	}
	list_for_each(l, &allprocs) {
		struct proc *p = list_entry(l, struct proc, all);
		all++;
		if (p->state == PROC_READY)
			ready++;
		if (p->state == PROC_RUNNING && p != current)
			err = "a proc is running but not current";
		if (p->nlocks < 0)
			err = "a proc holds a negative number of locks";
	}
	if (!err && (ready != onq || ready != nready))
		err = "ready procs, run queue entries and the ready count disagree";
	if (!err && all != nprocs)
		err = "the proc list and the proc count disagree";
	arch_irq_restore(s);
	return err;
}

int proc_kill_checked(int pid)
{
	struct procinfo pi;
	char what[48];

	if (proc_info(pid, &pi) < 0)
		return E_NOPROC;
	/* none is everyone unproven: it owns nothing, not even another none's
	 * connection */
	if (!perm_is_eve() &&
	    (kstrcmp(curproc()->cred.user, pi.user) != 0 || kstrcmp(pi.user, none) == 0)) {
		ksnprintf(what, sizeof what, "proc %d (%s's)", pid, pi.user);
		return perm_deny("kill", what);
	}
	return proc_kill(pid);
}
