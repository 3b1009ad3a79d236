/*
 * Kernel procs and the scheduler.
 *
 * A proc is a kernel thread with its own stack, namespace, file table,
 * credentials and (with pebbles) a budget.  Scheduling is preemptive by
 * priority: NPRIO fixed levels, round-robin within a level, a time slice
 * from the arch's one-shot timer.  On metal the timer interrupt preempts
 * the running proc wherever it is (lux_preempt at interrupt exit); on
 * hosted the core preempts at its preemption points, where it also lets
 * the arch deliver pending events (arch_poll).  The boot context becomes
 * the idle loop; it owns no proc and runs only when nothing else can.
 *
 * Sleep/wakeup follows Plan 9's rendezvous: the sleeper tests its
 * condition with upcalls disabled, so a wakeup from an upcall cannot slip
 * between the test and the sleep.  An interruptible sleep returns E_INTR
 * when the proc is killed; a proc must not hold a lock across one.
 */
#ifndef LUX_PROC_H
#define LUX_PROC_H

#include <lux/arch.h>
#include <lux/list.h>
#include <lux/types.h>

#define NPRIO 8		/* priority levels: 0 lowest .. NPRIO-1 highest */
enum { PRIO_LOW = 2, PRIO_NORMAL = 4, PRIO_HIGH = 6 };

#define SLICE_NS (10ull * 1000 * 1000)	/* 10 ms */

/* PROC_SERVED: a principal (proc_principal_new), which never runs. */
enum procstate { PROC_READY, PROC_RUNNING, PROC_SLEEPING, PROC_DEAD, PROC_SERVED };

struct ns;
struct fdtab;
struct budget;
struct pebbles;

#define ERRMAX 128	/* a detailed error message, NUL included */

struct qlock;

struct waitq {
	struct list sleepers;
};

#define WAITQ_INIT(q) \
	{ \
		LIST_INIT((q).sleepers) \
	}

/* Whom a proc acts for (docs/security.md).  Permission checks read the
 * running proc's; a 9P worker takes the identity of each request's fid. */
enum {
	CRED_CONSOLE = 1u << 0,	/* console input may be read: the console
				 * owner's procs, never a remote client's */
	CRED_TOKEN = 1u << 1,	/* acting through a capability token (a 9P
				 * fid bounded by one): may not mint tokens */
};
struct cred {
	char user[28];		/* USER_NAMEMAX: a name in the user table */
	uint32_t flags;		/* CRED_* */
};

struct proc {
	arch_ctx ctx;		/* saved context while not running */
	int pid;
	char name[32];
	enum procstate state;
	int prio;		/* 0 .. NPRIO-1 */
	struct list link;	/* on a run queue or a wait queue */
	struct list all;	/* on the list of every proc */
	struct proc *parent;	/* 0 once detached or orphaned */
	struct list children;	/* procs whose parent we are */
	struct list sibling;	/* on the parent's children */
	struct waitq childexit;	/* where we wait for children */
	void *stack;		/* page run */
	size_t stackpages;
	void (*entry)(void *);
	void *arg;
	int status;		/* exit status once DEAD */
	bool detached;		/* nobody waits: freed at exit */
	bool killed;		/* kill requested: leave at the next chance */
	bool intr;		/* an interrupt note (the console's ^C): like a
				 * kill for sleeps and preemption points, but the
				 * proc lives on and clears it (proc_clear_interrupt) */
	bool interruptible;	/* asleep in an interruptible sleep */
	int nlocks;		/* sleeping locks held (must be 0 at exit) */
	int preempt_off;	/* > 0: the timer does not preempt us */
	struct waitq *waiting;	/* the queue we sleep on, if any */
	uint64_t cpu_ns;	/* CPU time used */
	uint64_t dispatches;	/* times given the CPU */
	uint64_t run_start;	/* when it last got the CPU */
	struct ns *ns;
	struct fdtab *fds;
	struct cred cred;
	struct budget *budget;	/* pebbles: see docs/pebbles.md */
	int errcode;		/* the error errstr details, or 0 */
	char errstr[ERRMAX];	/* Plan 9's errstr: the last detailed error */
	/* Whose per-proc state the file calls of this proc use (the crypto
	 * sessions of /secure/crypto and their pebbles): its own (0), or the
	 * proc it works for, which outlives it (a 9P connection's workers
	 * work for its reader, so one client's requests find one set of
	 * sessions whichever worker runs them).  Procs working for one
	 * principal may run such calls at once: they hold actlock around
	 * them, since the state assumes one thread per owner. */
	struct proc *principal;
	struct qlock *actlock;
	/* A principal's (proc_principal_new): what a kill of it does. */
	void (*onkill)(void *);
	void *onkillarg;
};

/* The proc whose per-proc state p's file calls use: p->principal or p. */
static inline struct proc *proc_principal(struct proc *p)
{
	return p && p->principal ? p->principal : p;
}

enum { PROC_DETACHED = 1 };

/* A principal: a proc that never runs and has no stack, only what a
 * client served by other procs is (a 9P connection, served by a shared
 * pool of workers): its pid, identity, namespace, budget and the
 * per-proc state its workers use on its behalf (crypto sessions,
 * /dev/pid, minted tokens).  ps lists it, state "served".  Its budget is
 * capped at *cap and drawn from payer as it spends (budget_cap), so an
 * idle client reserves nothing; it shares the creator's namespace and
 * identity, as a spawned proc does.  A kill of it calls onkill(arg) with
 * upcalls off (its server ends it).  0 and *err = E_NOMEM on failure. */
struct proc *proc_principal_new(const char *name, struct budget *payer, const struct pebbles *cap,
                                void (*onkill)(void *), void *arg, int *err);
/* Free a principal, from a proc (its namespace may be the last reference
 * to a tree, whose close may sleep).  Its budget must hold nothing. */
void proc_principal_free(struct proc *p);

/* An empty queue to sleep on (WAITQ_INIT for a static one). */
void waitq_init(struct waitq *q);

/* The running proc, or 0 in the idle loop. */
struct proc *curproc(void);

/* Create a ready child of the current proc running entry(arg) at prio.
 * It shares the creator's namespace and file table.  0 when out of memory. */
struct proc *proc_create(const char *name, int prio, void (*entry)(void *), void *arg, int flags);
/* The same, saying why it failed: *err = E_NOMEM, or E_BUDGET with the
 * error string set.  The creator's budget pays 1 proc and the stack
 * pages; the child's budget is *grant taken from the creator's (0: the
 * default grant; see docs/pebbles.md). */
struct proc *proc_spawn(const char *name, int prio, void (*entry)(void *), void *arg, int flags,
                        const struct pebbles *grant, int *err);
_Noreturn void proc_exit(int status);
/* Wait for a child to exit; returns its status and frees it, or E_INTR if
 * we were killed meanwhile (the child is then detached). */
int proc_join(struct proc *p);
/* Ask proc pid to exit: it leaves at its next preemption point or
 * interruptible sleep with status PROC_KILLED.  0 or E_NOPROC. */
int proc_kill(int pid);
#define PROC_KILLED 137
/* The same on behalf of the running proc's user: only the proc's owner
 * (or the host owner) may, else E_PERM with the sentence and an audit
 * record.  What the shell's kill and /proc/N/ctl use; the kernel's own
 * kills (a Tflush ending a worker) use proc_kill. */
int proc_kill_checked(int pid);

/* Interrupt proc pid, Plan 9's "interrupt" note: its current or next
 * interruptible sleep and its next preemption point return E_INTR, until
 * it calls proc_clear_interrupt.  A command that checks for E_INTR (as it
 * must for a kill) stops; the proc does not exit.  The console's ^C uses
 * it on the shell.  Safe from upcalls.  0 or E_NOPROC. */
int proc_interrupt(int pid);
/* Whether the running proc has an interrupt pending; and forget it. */
bool proc_interrupted(void);
void proc_clear_interrupt(void);

/* Give the CPU to the next runnable proc; back when our turn comes. */
void proc_yield(void);
/* A place where a long-running proc may be preempted (hosted) and where
 * it learns it was killed or interrupted: returns E_INTR then, else 0. */
int preempt_point(void);

/* Sleep on q until cond(arg) holds.  Interruptible: E_INTR if killed or
 * interrupted (proc_interrupt). */
int sleep_on(struct waitq *q, bool (*cond)(void *), void *arg);
/* The same, not interruptible (locks; never while the proc can be stuck). */
void sleep_on_unint(struct waitq *q, bool (*cond)(void *), void *arg);
/* Make every sleeper on q runnable; safe from upcalls. */
void wakeup(struct waitq *q);

/* Called once from lux_main: becomes the idle loop.  Never returns. */
_Noreturn void sched_idle_loop(void);
/* Stop the machine: in a deterministic run, print the trace hash first. */
_Noreturn void lux_halt(int status);
/* A service run (lux_boot.serve; core/kern/serve.c): tell the arch the
 * machine serves, wait for lux_halt_request, answer the 9P requests in
 * flight, halt with 0.  init calls it instead of the shell. */
_Noreturn void serve_until_halt(void);

/* A consistent copy of a proc's public state, for ps and /proc. */
struct procinfo {
	int pid, ppid, prio;
	enum procstate state;
	char name[32];
	uint64_t cpu_ns, dispatches;
	char user[28];		/* whom it acts for now (cred.user) */
};
/* Up to max procs in pid order; returns how many. */
size_t proc_list(struct procinfo *out, size_t max);
int proc_info(int pid, struct procinfo *out);	/* 0 or E_NOPROC */
/* Proc pid's namespace with a reference the caller puts, or 0. */
struct ns *proc_ns(int pid);
const char *proc_state_name(enum procstate s);
struct budget_info;
/* A copy of proc pid's budget counters: 0 or E_NOPROC. */
int proc_pebbles(int pid, struct budget_info *out);

/* Set the current proc's error string for err (printf-style); returns err.
 * From the idle loop it goes to a kernel-wide string. */
int proc_seterr(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The current proc's error string if it details err, else lux_errstr(err). */
const char *proc_errstr(int err);

/* Procs alive now (principals included). */
size_t proc_count(void);
/* Pages held by proc stacks: for page accounting in simulations. */
size_t proc_stack_pages(void);
uint64_t sched_switches(void);
uint64_t sched_trace_hash(void);
/* Mix an event into the trace hash (scheduling decisions, upcalls). */
void sched_trace(uint64_t event);

/* Test and simulation hooks: the run queues' consistency (0 or a message). */
const char *sched_check(void);

#endif
