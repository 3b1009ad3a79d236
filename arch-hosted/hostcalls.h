/*
 * Every host call arch-hosted makes goes through this one table, so tests
 * and the simulator can replace any of them to inject faults (the idea of
 * SQLite's aSyscall[] in os_unix.c).  Defaults are the real calls.
 */
#ifndef LUX_HOSTCALLS_H
#define LUX_HOSTCALLS_H

#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>

struct hostcalls {
	ssize_t (*write)(int fd, const void *buf, size_t n);
	ssize_t (*getrandom)(void *buf, size_t n, unsigned flags);
	int (*clock_gettime)(clockid_t clk, struct timespec *ts);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
	int (*isatty)(int fd);
	void (*exit)(int status);
	/* unix listening sockets (conn.c): the directory, stale files */
	int (*mkdir)(const char *path, mode_t mode);
	int (*stat)(const char *path, struct stat *st);
	int (*socket)(int domain, int type, int proto);
	int (*connect)(int fd, const struct sockaddr *sa, socklen_t len);
	int (*close)(int fd);
	int (*bind)(int fd, const struct sockaddr *sa, socklen_t len);
	/* F_DUPFD_CLOEXEC: a listener's spare descriptor (conn.c) */
	int (*fcntl)(int fd, int cmd, ...);
	int (*unlink)(const char *path);
	/* a unix peer's credentials (SO_PEERCRED) */
	int (*getsockopt)(int fd, int level, int name, void *val, socklen_t *len);
	/* the state directory's files (state.c) */
	int (*open)(const char *path, int flags, ...);
	ssize_t (*read)(int fd, void *buf, size_t n);
	/* --socket-group: the socket and its directory opened to a group */
	int (*chown)(const char *path, uid_t uid, gid_t gid);
	int (*chmod)(const char *path, mode_t mode);
	/* the process's settings at start (procsetup.c) */
	int (*sigaction)(int sig, const struct sigaction *act, struct sigaction *old);
	/* sd_notify's datagrams to the service manager (serve.c) */
	ssize_t (*sendto)(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
	                  socklen_t tolen);
	int (*getrlimit)(int res, struct rlimit *rl);
	int (*setrlimit)(int res, const struct rlimit *rl);
	/* the store's file (blk.c): its size, and a new one's */
	int (*fstat)(int fd, struct stat *st);
	int (*ftruncate)(int fd, off_t len);
	/* one machine per store file (blk.c) */
	int (*flock)(int fd, int op);
	/* the kernel's one-shot timer (time.c) */
	int (*timerfd_create)(int clk, int flags);
	int (*timerfd_settime)(int fd, int flags, const struct itimerspec *new,
	                       struct itimerspec *old);
	/* the terminal's raw mode (tty.c) */
	int (*tcgetattr)(int fd, struct termios *t);
	int (*tcsetattr)(int fd, int when, const struct termios *t);
	pid_t (*tcgetpgrp)(int fd);
};

extern struct hostcalls hostcalls;

#endif
