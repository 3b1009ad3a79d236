/*
 * In-kernel tests of the scheduler and its locks, run from the shell
 * (`ktest NAME`) on every arch: the same code proves the same properties
 * under luxsim and on metal in QEMU.
 */
#ifndef LUX_KTEST_H
#define LUX_KTEST_H

#include <lux/types.h>

struct ktest {
	const char *name;
	const char *help;
	/* 0 on success; msg says what was checked or what broke */
	int (*run)(char *msg, size_t size);
};

/* The built-in kernel tests (the `ktest` console command): *n of them. */
const struct ktest *ktests(size_t *n);
int ktest_cryptobench(char *msg, size_t size);	/* core/test/cryptobench.c */
int ktest_keystore(char *msg, size_t size);	/* core/test/ktest_keystore.c */
/* core/test/ktest_fault.c: each ends the kernel where LUX_CAP_GUARDED */
int ktest_fault_null(char *msg, size_t size);
int ktest_fault_stack(char *msg, size_t size);
int ktest_fault_rodata(char *msg, size_t size);
int ktest_fault_nx(char *msg, size_t size);
int ktest_lockdep(char *msg, size_t size);	/* core/test/ktest_lockdep.c */
int ktest_lockdep_inversion(char *msg, size_t size);

#endif
