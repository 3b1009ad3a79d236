/*
 * The shell's namespace built-ins: bind, mount, unmount.  The language
 * is the one /proc/N/ns accepts (core/ns/nsctl.c, docs/namespaces.md);
 * the shell only hands over its words, so '#cons' must be quoted here
 * ('#' starts a comment in the shell).
 */
#include <lux/error.h>
#include <lux/ns.h>
#include <lux/proc.h>

#include "shell.h"

int sh_nscmd(struct sh *sh, int argc, char **argv)
{
	char why[160];

	USED(sh);
	if (ns_command(curproc()->ns, argc, argv, why, sizeof why) < 0) {
		sh_errorf("%s\n", why);
		return 1;
	}
	return 0;
}
