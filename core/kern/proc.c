/*
 * Procs and the cooperative scheduler (see <lux/proc.h>).
 *
 * Invariants, checked at the top of sched() (xv6 style):
 *  - upcalls are disabled across a switch, so the run queue and the
 *    sleepers are only touched by one context at a time;
 *  - the proc switching away is not RUNNING any more (it is READY on the
 *    run queue, SLEEPING on a wait queue, or DEAD);
 *  - a READY proc is on the run queue exactly once.
 */
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/ns.h>
#include <lux/page.h>
#include <lux/proc.h>
#include <lux/string.h>
#include <lux/sysfile.h>

#define STACK_PAGES 8	/* 32 KiB: the shell and the crypto KATs fit well */

static struct list runq = LIST_INIT(runq);
static struct list allprocs = LIST_INIT(allprocs);
static struct list dead = LIST_INIT(dead);	/* detached, waiting to be freed */
static struct proc *current;
static arch_ctx idlectx;
static int nextpid = 1;
static size_t nprocs;
static uint64_t nswitches;

void waitq_init(struct waitq *q) { list_init(&q->sleepers); }
struct proc *curproc(void) { return current; }
size_t proc_count(void) { return nprocs; }
uint64_t sched_switches(void) { return nswitches; }

static void proc_free(struct proc *p)
{
	list_remove(&p->all);
	ns_put(p->ns);
	fdtab_put(p->fds);
	arch_ctx_destroy(&p->ctx);
	page_free(p->stack, p->stackpages);
	kfree(p);
	nprocs--;
}

/* First code every proc runs: its entry, then exit with status 0. */
static void trampoline(void *arg)
{
	struct proc *p = arg;

	/* the arch enabled upcalls before calling us (see arch_ctx_init) */
	p->entry(p->arg);
	proc_exit(0);
}

struct proc *proc_create(const char *name, void (*entry)(void *), void *arg,
                         bool detached)
{
	struct proc *p = kzalloc(sizeof *p);
	arch_irqstate s;

	if (p == 0)
		return 0;
	p->stack = page_alloc(STACK_PAGES);
	if (p->stack == 0) {
		kfree(p);
		return 0;
	}
	p->stackpages = STACK_PAGES;
	kstrlcpy(p->name, name, sizeof p->name);
	p->entry = entry;
	p->arg = arg;
	p->detached = detached;
	if (current) {	/* share the creator's namespace and files */
		p->ns = current->ns;
		p->fds = current->fds;
		if (p->ns)
			p->ns->ref++;
		if (p->fds)
			p->fds->ref++;
	}
	list_init(&p->link);
	arch_ctx_init(&p->ctx, p->stack, STACK_PAGES * PAGE_SIZE, trampoline, p);
	s = arch_irq_save();
	p->pid = nextpid++;
	p->state = PROC_READY;
	list_push_back(&allprocs, &p->all);
	list_push_back(&runq, &p->link);
	nprocs++;
	arch_irq_restore(s);
	return p;
}

/* Give the CPU to the next ready proc, or to the idle loop.  Called with
 * upcalls disabled by a proc that has already left the RUNNING state. */
static void sched(void)
{
	struct proc *prev = current, *next;
	struct list *l;

	kassert(prev != 0);
	kassert(prev->state != PROC_RUNNING);
	l = list_pop_front(&runq);
	next = l ? list_entry(l, struct proc, link) : 0;
	if (next == prev) {
		prev->state = PROC_RUNNING;
		return;
	}
	nswitches++;
	current = next;
	if (next) {
		kassert(next->state == PROC_READY);
		next->state = PROC_RUNNING;
		arch_ctx_switch(&prev->ctx, &next->ctx);
	} else {
		arch_ctx_switch(&prev->ctx, &idlectx);
	}
}

void proc_yield(void)
{
	arch_irqstate s = arch_irq_save();

	current->state = PROC_READY;
	list_push_back(&runq, &current->link);
	sched();
	arch_irq_restore(s);
}

void sleep_on(struct waitq *q, bool (*cond)(void *), void *arg)
{
	arch_irqstate s = arch_irq_save();

	kassert(current != 0);
	while (!cond(arg)) {
		current->state = PROC_SLEEPING;
		current->waiting = q;
		list_push_back(&q->sleepers, &current->link);
		sched();
	}
	arch_irq_restore(s);
}

void wakeup(struct waitq *q)
{
	arch_irqstate s = arch_irq_save();
	struct list *l;

	while ((l = list_pop_front(&q->sleepers)) != 0) {
		struct proc *p = list_entry(l, struct proc, link);
		kassert(p->state == PROC_SLEEPING);
		p->state = PROC_READY;
		p->waiting = 0;
		list_push_back(&runq, &p->link);
	}
	arch_irq_restore(s);
}

static struct waitq exited = WAITQ_INIT(exited);

_Noreturn void proc_exit(int status)
{
	arch_irq_save();
	current->status = status;
	current->state = PROC_DEAD;
	if (current->detached)
		list_push_back(&dead, &current->link);
	wakeup(&exited);
	sched();
	panic("proc_exit: dead proc %d was scheduled", current->pid);
}

static bool is_dead(void *arg)
{
	return ((struct proc *)arg)->state == PROC_DEAD;
}

int proc_join(struct proc *p)
{
	int status;

	kassert(!p->detached);
	sleep_on(&exited, is_dead, p);
	status = p->status;
	proc_free(p);
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
	for (;;) {
		arch_irqstate s = arch_irq_save();
		struct list *l;

		reap();
		l = list_pop_front(&runq);
		if (l) {
			struct proc *p = list_entry(l, struct proc, link);
			p->state = PROC_RUNNING;
			current = p;
			nswitches++;
			arch_ctx_switch(&idlectx, &p->ctx);
			current = 0;
			arch_irq_restore(s);
			continue;
		}
		arch_irq_restore(s);
		arch_idle();
	}
}
