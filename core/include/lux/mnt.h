/*
 * The 9P client as a device, after Plan 9's devmnt: a mount is one
 * dialed connection to a 9P2000.L file server, and its files are chans of
 * mnt_dev that turn every device operation into 9P requests.  Many procs
 * share one mount; tags multiplex their requests.  When the connection
 * breaks the mount redials and re-walks each open fid by its path; a fid
 * that cannot be restored answers E_STALE from then on.  docs/9p.md,
 * "Client (mnt)".
 */
#ifndef LUX_MNT_H
#define LUX_MNT_H

#include <lux/dev.h>

/* Dial addr ("unix!/path" or "tcp!host!port"), negotiate 9P2000.L, and
 * attach to the tree aname ("" for the server's default) as the root of a
 * new mount.  On success *out holds a chan on the root, referenced once
 * (chan_put() it, or bind it into a namespace).  Returns 0 or a negative
 * lux error (E_* in <lux/error.h>). */
int mnt_attach(const char *addr, const char *aname, const char *key, struct chan **out);

extern const struct dev mnt_dev;

#endif
