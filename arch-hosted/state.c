/*
 * What luxsim keeps on the host's disk until the kernel has a store of
 * its own (docs/security.md): its state directory, --state-dir or
 * $XDG_STATE_HOME/lux9 or ~/.local/state/lux9, mode 0700, holding
 *   host_ed25519      the host key's 32-byte seed as 64 hex digits, 0600,
 *                     made at first start
 *   host_ed25519.pub  its public half, the same way, for clients' known
 *                     hosts (lux9p, another luxsim)
 *   users             optional: /adm/users commands run at boot (uname,
 *                     authkey lines), written by the host owner
 * A file the owner's umask or a mistake left readable by others is
 * refused, as ssh refuses such a private key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lux/crypto.h>
#include <lux/upcall.h>

#include "hosted.h"
#include "hostcalls.h"
#include "internal.h"

#define USERS_MAX (64 * 1024)

static uint8_t seed[32];
static char where[600];
static char *users;

/* mkdir -p with mode 0700 for the parts we make. */
static int make_dir(const char *path)
{
	char tmp[512];

	if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (hostcalls.mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return hostcalls.mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static void state_dir(const struct hosted_config *cfg, char *out, size_t cap)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (cfg->state_dir)
		snprintf(out, cap, "%s", cfg->state_dir);
	else if (xdg && *xdg)
		snprintf(out, cap, "%s/lux9", xdg);
	else
		snprintf(out, cap, "%s/.local/state/lux9", home && *home ? home : "/tmp");
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int write_file(const char *path, const char *text, int mode)
{
	int fd = hostcalls.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t n = strlen(text);

	if (fd < 0)
		return -1;
	if (hostcalls.write(fd, text, n) != (ssize_t)n) {
		hostcalls.close(fd);
		hostcalls.unlink(path);
		return -1;
	}
	return hostcalls.close(fd);
}

/* Read up to cap-1 bytes of path, NUL-terminated: length, or -1. */
static long read_file(const char *path, char *buf, size_t cap, struct stat *st)
{
	int fd = hostcalls.open(path, O_RDONLY | O_CLOEXEC, 0);
	long n = 0, r;

	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0) {
		hostcalls.close(fd);
		return -1;
	}
	while ((size_t)n < cap - 1 && (r = hostcalls.read(fd, buf + n, cap - 1 - (size_t)n)) > 0)
		n += r;
	hostcalls.close(fd);
	buf[n] = 0;
	return n;
}

/* The host key: read it, or make it the first time. */
static int host_key(const char *dir, struct lux_boot *boot)
{
	char path[600], pub[600], text[130];
	uint8_t pk[32], sk[64];
	struct stat st;
	long n;

	snprintf(path, sizeof path, "%s/host_ed25519", dir);
	snprintf(pub, sizeof pub, "%s/host_ed25519.pub", dir);
	if ((n = read_file(path, text, sizeof text, &st)) < 0 && errno == ENOENT) {
		if (hostcalls.getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
			return -1;
		for (size_t i = 0; i < 32; i++)
			snprintf(text + 2 * i, 3, "%02x", seed[i]);
		strcat(text, "\n");
		if (write_file(path, text, 0600) != 0 && errno != EEXIST) {
			hosted_warn("luxsim: warning: cannot write %s: %s\n", path,
			            strerror(errno));
			return -1;
		}
		/* another luxsim may have made it first: read whichever won */
		n = read_file(path, text, sizeof text, &st);
	}
	if (n < 0) {
		hosted_warn("luxsim: warning: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		hosted_warn("luxsim: warning: %s is readable by others (mode %03o): not using "
		            "it; chmod 600 it\n",
		            path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	if (n < 64 || unhex(text, seed, 32) < 0) {
		hosted_warn("luxsim: warning: %s is not 64 hex digits\n", path);
		return -1;
	}
	/* the public half for clients: derived here, so the two always agree */
	if (lc_ed25519_seed_keypair(pk, sk, seed) == 0) {
		for (size_t i = 0; i < 32; i++)
			snprintf(text + 2 * i, 3, "%02x", pk[i]);
		strcat(text, "\n");
		hostcalls.unlink(pub);
		write_file(pub, text, 0644);
	}
	memset(sk, 0, sizeof sk);
	snprintf(where, sizeof where, "%s", path);
	boot->hostkey_seed = seed;
	boot->hostkey_where = where;
	return 0;
}

static void users_file(const char *dir, struct lux_boot *boot)
{
	char path[600];
	struct stat st;
	long n;

	snprintf(path, sizeof path, "%s/users", dir);
	if ((users = malloc(USERS_MAX)) == NULL)
		return;
	if ((n = read_file(path, users, USERS_MAX, &st)) < 0) {
		if (errno != ENOENT)
			hosted_warn("luxsim: warning: cannot read %s: %s\n", path, strerror(errno));
		return;
	}
	if (st.st_mode & 022) {
		hosted_warn("luxsim: warning: %s is writable by others: not using it\n", path);
		return;
	}
	boot->users = users;
}

void hosted_state_load(const struct hosted_config *cfg, struct lux_boot *boot)
{
	char dir[512];

	if (cfg->deterministic)
		return;	/* a replayable run touches no disk: an ephemeral key */
	state_dir(cfg, dir, sizeof dir);
	if (make_dir(dir) != 0) {
		hosted_warn("luxsim: warning: cannot make the state directory %s: %s; the host "
		            "key is ephemeral\n",
		            dir, strerror(errno));
		return;
	}
	host_key(dir, boot);
	users_file(dir, boot);
}
