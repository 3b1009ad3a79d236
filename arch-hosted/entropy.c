/* Entropy from the Linux kernel's getrandom(2). */
#include <errno.h>

#include <lux/arch.h>

#include "hostcalls.h"
#include "internal.h"

int arch_entropy(void *buf, size_t n)
{
	unsigned char *p = buf;

	if (hosted_deterministic)
		return hosted_sim_entropy(buf, n);
	while (n > 0) {
		ssize_t r = hostcalls.getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}
