/*
 * Dial strings for lux9p: the same forms luxsim's --listen takes
 * (unix!PATH, tcp!HOST!PORT), plus a bare absolute path for a unix socket
 * as plan9port's 9p accepts.
 */
#ifndef LUX9P_DIAL_H
#define LUX9P_DIAL_H

#include <stddef.h>

/* Where luxsim listens by default (arch-hosted/conn.c's default_unix):
 * unix!$XDG_RUNTIME_DIR/lux9/luxsim.sock, or unix!/tmp/luxsim-$UID/9p.sock. */
void dial_default(char *out, size_t cap);

#define DIAL_FAILED (-1)	/* well-formed, but no one answered */
#define DIAL_BADADDR (-2)	/* malformed: the user's mistake */

/* Connect to addr.  Returns a connected socket, or DIAL_FAILED /
 * DIAL_BADADDR with a sentence in err[0..cap) ("cannot connect to
 * unix!/x: No such file or directory", "bad address 'x': want unix!PATH
 * or tcp!HOST!PORT"). */
int dial(const char *addr, char *err, size_t cap);

#endif
