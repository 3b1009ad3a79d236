/*
 * The cost of a shared borrow + return pair (core/kern/borrow.c), against
 * the uncontended pthread mutex lock + unlock pair it replaces as "safe
 * access to a shared object", measured in the same run.  borrow.c is
 * compiled in as is; the few arch and proc calls it makes go to stand-ins
 * here the way hosted would do them (upcalls off/on is a flag).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lux/audit.h>
#include <lux/borrow.h>
#include <lux/lock.h>
#include <lux/proc.h>

static struct proc me = { .pid = 1, .name = "bench", .state = PROC_RUNNING };

struct proc *curproc(void) { return &me; }
/* the upcall mask and the spinlock: bench_lock.c */
void audit_log(const struct proc *who, const char *op, uint32_t obj, const char *objdesc,
               const char *fmt, ...) { (void)who; (void)op; (void)obj; (void)objdesc; (void)fmt; }
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
size_t kstrlcpy(char *dst, const char *src, size_t size)
{
	snprintf(dst, size, "%s", src);
	return strlen(src);
}
void *kmemset(void *d, int c, size_t n) { return memset(d, c, n); }
_Noreturn void lux_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

static void nothing(void *obj, size_t size) { (void)obj; (void)size; }
static const struct bclass cls = { "bench", "bytes", nothing };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 1000 : 20000000;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	static char object[64];
	volatile long sink = 0;
	double t0, tb, tm;
	bhandle h;
	void *p;

	if (borrow_new(&cls, object, sizeof object, &h) != 0)
		return 1;
	t0 = now();
	for (long i = 0; i < n; i++) {
		if (borrow_shared(h, &p) != 0 || borrow_return(h) != 0)
			return 1;
		sink += p == object;
	}
	tb = (now() - t0) / n;
	t0 = now();
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&m);
		sink += object[0] == 0;
		pthread_mutex_unlock(&m);
	}
	tm = (now() - t0) / n;
	if (borrow_drop(h) != 0 || sink != 2 * n)
		return 1;
	printf("shared borrow + return pair (%ld pairs)\n", n);
	printf("%-40s %8.1f ns\n", "borrow_shared + borrow_return", tb);
	printf("%-40s %8.1f ns   (baseline)\n", "pthread_mutex_lock + unlock", tm);
	printf("%-40s %8.2fx\n", "ratio", tb / tm);
	return 0;
}
