/*
 * What the unit tests link the core against: the fake machine
 * (tests/fakearch/fake_machine.h, shared with the 9P server fuzzer) and
 * the CMocka helpers of fake_unit.c: a namespace for the running proc,
 * and EXPECT_PANIC, which runs a statement in a forked child (see
 * fake_unit.c for why) and asserts on the status and the panic message.
 */
#ifndef LUX_TESTS_FAKE_ARCH_H
#define LUX_TESTS_FAKE_ARCH_H

#include <sys/types.h>

#include "fake_machine.h"

/* ---- Namespaces ------------------------------------------------------- */

struct dev;

/* Give the current proc a fresh ramfs root and fd table (asserting). */
void fake_namespace(void);
/* Make directory path and mount a new attach of dev on it (asserting). */
void fake_mount(const struct dev *dev, const char *path);

/* ---- Panics --------------------------------------------------------- */

#define FAKE_NO_PANIC 200	/* child exit status: the statement returned */

pid_t fake_panic_fork(void);
_Noreturn void fake_panic_child_exit(int status);
void fake_panic_check(pid_t pid, const char *stmt, const char *substr,
                      const char *file, int line);

/*
 * Run stmt; it must end in lux_panic() with a message containing substr.
 * lux_panic() keeps a "panicking" flag that is never reset (a kernel never
 * comes back from a panic), and a panic leaves the state it found (irq
 * flag off, a half-done free) as it was: so each panic happens in a
 * forked child, whose arch_halt() longjmps back here and reports the
 * status and console text to the parent through a pipe.
 */
#define EXPECT_PANIC(stmt, substr)                                             \
	do {                                                                   \
		pid_t pid_ = fake_panic_fork();                                \
		if (pid_ == 0) {                                               \
			if (setjmp(fake_halt_env) == 0) {                      \
				fake_halt_armed = true;                        \
				stmt;                                          \
				fake_panic_child_exit(FAKE_NO_PANIC);          \
			}                                                      \
			fake_panic_child_exit(fake_halt_status);               \
		}                                                              \
		fake_panic_check(pid_, #stmt, (substr), __FILE__, __LINE__);   \
	} while (0)

#endif
