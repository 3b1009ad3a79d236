/*
 * luxsim --store-key FILE: the store's passphrase for unattended starts
 * (docs/store.md, "Keys at boot").  The file must be a regular file of
 * ours that nobody else may read or write (mode 0600 or stricter), as ssh
 * asks of a private key: a passphrase others can read is no secret, and
 * one others can write lets them choose the key a store is made with.
 * Its bytes, less one trailing newline, are the passphrase; the core
 * copies them and wipes this buffer (lux_boot.store_key, arch v17).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lux/upcall.h>

#include "hostcalls.h"
#include "internal.h"

#define KEYMAX 1024

static uint8_t key[KEYMAX + 1];

void hosted_store_key(const char *path, struct lux_boot *boot)
{
	struct stat st;
	ssize_t n = 0, r;
	int fd = hostcalls.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);

	if (fd < 0) {
		hosted_warn("luxsim: --store-key %s: %s; the store is not opened\n", path,
		            strerror(errno));
		return;
	}
	if (hostcalls.fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0) {
		hosted_warn(
		    "luxsim: --store-key %s: must be a regular file of yours with mode 0600 "
		    "(nobody else may read or write it); the store is not opened\n",
		    path);
		hostcalls.close(fd);
		return;
	}
	while (n <= KEYMAX && (r = hostcalls.read(fd, key + n, sizeof key - (size_t)n)) > 0)
		n += r;
	hostcalls.close(fd);
	if (n > 0 && key[n - 1] == '\n')
		n--;
	if (n <= 0 || n > KEYMAX) {
		memset(key, 0, sizeof key);
		hosted_warn(
		    "luxsim: --store-key %s: a passphrase is 1 to %d bytes; the store is not "
		    "opened\n",
		    path, KEYMAX);
		return;
	}
	boot->store_key = key;
	boot->store_keylen = (size_t)n;
}
