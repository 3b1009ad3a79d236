/*
 * Offloaded work on hosted (arch_offload, v9): a thread of libuv's pool
 * runs the computation while the loop thread, which is the kernel's CPU,
 * goes on; the completion comes back on the loop thread as the
 * lux_offload_done upcall.  The pool has UV_THREADPOOL_SIZE threads (4
 * unless the environment says otherwise); the core's turns keep one
 * user from taking more than one of them.  A deterministic run takes
 * nothing away: its time and order must come from the seed alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/error.h>
#include <lux/upcall.h>

#include "internal.h"

struct job {
	uv_work_t req;
	void (*fn)(void *);
	void *arg;
	void *cookie;
};

static void run(uv_work_t *req)
{
	struct job *j = req->data;

	j->fn(j->arg);
}

static void finished(uv_work_t *req, int status)
{
	struct job *j = req->data;

	(void)status;	/* never cancelled: the kernel waits for every job */
	hosted_upcall_begin();
	lux_offload_done(j->cookie);
	hosted_upcall_end();
	free(j);
}

int arch_offload(void (*fn)(void *), void *arg, void *cookie)
{
	struct job *j;

	if (hosted_deterministic || (j = malloc(sizeof *j)) == NULL)
		return E_NOTSUP;
	j->fn = fn;
	j->arg = arg;
	j->cookie = cookie;
	j->req.data = j;
	if (uv_queue_work(hosted_loop(), &j->req, run, finished) != 0) {
		free(j);
		return E_NOTSUP;
	}
	return 0;
}
