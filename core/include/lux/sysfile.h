/*
 * File calls for kernel procs: descriptors over chans, resolved in the
 * calling proc's namespace.  These are what the shell uses today and what
 * system calls will wrap when user processes arrive.  Errors are negative
 * lux_err codes.
 */
#ifndef LUX_SYSFILE_H
#define LUX_SYSFILE_H

#include <lux/lock.h>
#include <lux/dev.h>

#define NFD 32

struct fdtab {
	struct chan *fd[NFD];
	int ref;		/* atomic */
	struct spinlock lock;	/* fd[]: procs sharing the table race for slots */
};

/* A proc's descriptor table: a new empty one, and drop a reference (the
 * last closes every descriptor). */
struct fdtab *fdtab_new(void);
void fdtab_put(struct fdtab *t);

/* As Plan 9's open, create, read, write, close, stat and fstat, with
 * a negative lux_err for an error; sys_seek_end moves fd's offset to
 * the file's end (appending). */
int sys_open(const char *path, int omode);
int sys_create(const char *path, int omode, uint32_t perm);
long sys_read(int fd, void *buf, size_t n);
long sys_write(int fd, const void *buf, size_t n);
int sys_seek_end(int fd);
int sys_close(int fd);
int sys_stat(const char *path, struct lux_dir *d);
int sys_fstat(int fd, struct lux_dir *d);
/* Entry i of the directory open on fd: 1 and *d, 0 at the end, or error. */
int sys_dirent(int fd, size_t i, struct lux_dir *d);
int sys_remove(const char *path);

#endif
