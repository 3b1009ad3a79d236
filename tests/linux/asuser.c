/*
 * asuser UID GID[,GID...] COMMAND [ARG...]: run COMMAND as another Linux
 * user inside the test guest (tests/linux/guest.py).
 *
 * The guest's userland is busybox without a password database, so su and
 * chpst (which take names) cannot switch to a bare uid; this sets the
 * groups, gid and uid by number and execs.  The first GID is the primary
 * group, all of them are the supplementary groups.  Linked statically so it
 * runs in the initramfs without a libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXGROUPS 16

static unsigned long number(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0xfffffffful) {
		fprintf(stderr, "asuser: bad %s '%s'\n", what, s);
		exit(64);
	}
	return v;
}

int main(int argc, char **argv)
{
	gid_t groups[MAXGROUPS];
	char *list, *g;
	size_t n = 0;
	uid_t uid;

	if (argc < 4) {
		fprintf(stderr, "usage: asuser UID GID[,GID...] COMMAND [ARG...]\n");
		return 64;
	}
	uid = (uid_t)number(argv[1], "uid");
	list = argv[2];
	while ((g = strsep(&list, ",")) != NULL) {
		if (n == MAXGROUPS) {
			fprintf(stderr, "asuser: more than %d groups\n", MAXGROUPS);
			return 64;
		}
		groups[n++] = (gid_t)number(g, "gid");
	}
	/* groups and gid first: after setuid we may no longer change them */
	if (setgroups(n, groups) < 0 || setgid(groups[0]) < 0 || setuid(uid) < 0) {
		fprintf(stderr, "asuser: %s\n", strerror(errno));
		return 126;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "asuser: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
