/*
 * `ktest fault-null`, `fault-stack`, `fault-rodata`, `fault-nx`: faults made
 * on purpose, to prove that an arch which says it catches them
 * (LUX_CAP_GUARDED) does, and names them.  Each one ends the kernel: the
 * arch's panic report, then its halt status, so a boot test runs one per
 * boot and reads the report (tests/boot).  Without the capability (luxsim)
 * they refuse: there the stack overflow would write over whatever lies
 * below the stack, and the others would kill the process with a signal.
 *
 * The compiler must not see the bad pointer: a null or const object it can
 * prove lets it treat the access as unreachable and emit a trap instead,
 * which would prove nothing.  opaque() hides the value behind an empty asm.
 */
#include <lux/fmt.h>
#include <lux/kern.h>
#include <lux/ktest.h>
#include <lux/proc.h>

static uintptr_t opaque(uintptr_t v)
{
	__asm__ volatile("" : "+r"(v));
	return v;
}

static bool guarded(char *msg, size_t size)
{
	if (lux_bootinfo && (lux_bootinfo->caps & LUX_CAP_GUARDED))
		return true;
	ksnprintf(msg, size,
	          "refused: this arch does not catch faults (no guard "
	          "pages, no W^X), the access would corrupt or kill the kernel");
	return false;
}

/* Reads address 8: a field of a struct reached through a null pointer. */
int ktest_fault_null(char *msg, size_t size)
{
	volatile const uint64_t *p = (volatile const uint64_t *)opaque(8);
	uint64_t v;

	if (!guarded(msg, size))
		return -1;
	v = *p;
	ksnprintf(msg, size,
	          "read 0x%llx at address 8: a null dereference went "
	          "unnoticed",
	          (unsigned long long)v);
	return -1;
}

static const char rodata[] = "read-only: a write here must fault";

int ktest_fault_rodata(char *msg, size_t size)
{
	volatile char *p = (volatile char *)opaque((uintptr_t)rodata);

	if (!guarded(msg, size))
		return -1;
	*p = '!';
	ksnprintf(msg, size, "wrote to read-only data: not write-protected");
	return -1;
}

/* Writable data, so never executable.  Filled with return instructions of
 * the arch this runs on (0xC3 on the one that sets LUX_CAP_GUARDED today)
 * so that a fetch that wrongly succeeds comes straight back and the test
 * fails, rather than running off into the data. */
static unsigned char datacode[16] = {
	0xC3, 0xC3, 0xC3, 0xC3, 0xC3, 0xC3, 0xC3, 0xC3,
	0xC3, 0xC3, 0xC3, 0xC3, 0xC3, 0xC3, 0xC3, 0xC3,
};

int ktest_fault_nx(char *msg, size_t size)
{
	void (*fn)(void) = (void (*)(void))opaque((uintptr_t)datacode);

	if (!guarded(msg, size))
		return -1;
	fn();
	ksnprintf(msg, size, "ran code from writable data: no NX");
	return -1;
}

/* Half a KiB a frame, and not a tail call: the stack must grow until it
 * runs into its guard page.  The bound is never reached (it would be
 * 512 MiB of stack); it keeps the compiler from calling this endless. */
static unsigned deep(unsigned n, unsigned limit)
{
	volatile char pad[512];

	pad[0] = (char)n;
	pad[511] = (char)n;
	if (n >= limit)
		return n;
	return deep(n + 1, limit) + (unsigned)pad[0] + (unsigned)pad[511];
}

static unsigned depth_reached;

static void overflow(void *arg)
{
	USED(arg);
	depth_reached = deep(0, (unsigned)opaque(1u << 20));
}

int ktest_fault_stack(char *msg, size_t size)
{
	struct proc *p;

	if (!guarded(msg, size))
		return -1;
	if ((p = proc_create("overflow", PRIO_NORMAL, overflow, 0, 0)) == 0) {
		ksnprintf(msg, size, "could not create the proc");
		return -1;
	}
	proc_join(p);
	ksnprintf(msg, size,
	          "recursed %u frames of 512 bytes and came back: "
	          "no guard page",
	          depth_reached);
	return -1;
}
