/*
 * One harness for unit tests whose body must run in a proc (it sleeps,
 * opens files, acts for a principal): PROC_TEST(name) { ... } defines a
 * CMocka test that runs its body in a proc under the core's scheduler
 * (fake_run_in_proc) and then insists that
 *   - the body ran to its end (a failed assert inside it says so first),
 *   - kalloc holds exactly what it held before the body (no leak),
 *   - interrupts are enabled again.
 * A test file may add its own steps around that through proc_test_hooks:
 * setup (in the proc, before the baseline is taken: a namespace, mounts,
 * fakes), check (in the proc, after the body: what its subsystem must be
 * back to, e.g. no crypto session left) and teardown (in the proc, after
 * the leak check: let go of what setup made).
 */
#ifndef LUX_TEST_PROC_TEST_H
#define LUX_TEST_PROC_TEST_H

struct proc_test_hooks {
	void (*setup)(void);
	void (*check)(void);
	void (*teardown)(void);
};

/* Run body in a proc with hooks (0: none); fails the CMocka test if the
 * body does not end, leaks kalloc memory or leaves interrupts off. */
void proc_test_run(const struct proc_test_hooks *hooks, void (*body)(void));

/* A file's hooks are named proc_test_hooks_of_this_file (define it, or
 * #define PROC_TEST_HOOKS 0 before including this header for none). */
#ifndef PROC_TEST_HOOKS
#define PROC_TEST_HOOKS (&proc_test_hooks_of_this_file)
#endif

#define PROC_TEST(name)                                                        \
	static void name##_body(void);                                         \
	static void name(void **state)                                         \
	{                                                                      \
		(void)state;                                                   \
		proc_test_run(PROC_TEST_HOOKS, name##_body);                   \
	}                                                                      \
	static void name##_body(void)

#endif
