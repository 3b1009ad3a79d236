/*
 * Kernel procs and the scheduler.
 *
 * A proc is a kernel thread with its own stack, namespace and file table.
 * The foundation scheduler is cooperative and round-robin: a proc runs
 * until it sleeps, yields or exits.  The boot context becomes the idle
 * loop; it owns no proc and runs only when nothing else can.  (The
 * scheduler issue adds priorities, time slices and preemption.)
 *
 * Sleep/wakeup follows Plan 9's rendezvous: the sleeper tests its
 * condition with upcalls disabled, so a wakeup from an upcall cannot slip
 * between the test and the sleep.
 */
#ifndef LUX_PROC_H
#define LUX_PROC_H

#include <lux/arch.h>
#include <lux/list.h>
#include <lux/types.h>

enum procstate { PROC_READY, PROC_RUNNING, PROC_SLEEPING, PROC_DEAD };

struct ns;
struct fdtab;

struct proc {
	arch_ctx ctx;		/* saved stack pointer while not running */
	int pid;
	char name[32];
	enum procstate state;
	struct list link;	/* on the run queue or a wait queue */
	struct list all;	/* on the list of every proc */
	void *stack;		/* page run, or 0 for none */
	size_t stackpages;
	void (*entry)(void *);
	void *arg;
	int status;		/* exit status once DEAD */
	bool detached;		/* freed by the scheduler at exit, not by join */
	struct waitq *waiting;	/* the queue we sleep on, if any */
	struct ns *ns;
	struct fdtab *fds;
};

struct waitq {
	struct list sleepers;
};

#define WAITQ_INIT(q) { LIST_INIT((q).sleepers) }

void waitq_init(struct waitq *q);

/* The running proc, or 0 in the idle loop. */
struct proc *curproc(void);

/* Create a ready proc running entry(arg).  It shares the creator's
 * namespace and file table until given its own.  0 when out of memory. */
struct proc *proc_create(const char *name, void (*entry)(void *), void *arg,
                         bool detached);
_Noreturn void proc_exit(int status);
/* Wait for a non-detached proc to exit; returns its status and frees it. */
int proc_join(struct proc *p);

void proc_yield(void);
/* Sleep on q until cond(arg) holds. */
void sleep_on(struct waitq *q, bool (*cond)(void *), void *arg);
/* Make every sleeper on q runnable; safe from upcalls. */
void wakeup(struct waitq *q);

/* Called once from lux_main: becomes the idle loop.  Never returns. */
_Noreturn void sched_idle_loop(void);

size_t proc_count(void);
uint64_t sched_switches(void);

#endif
