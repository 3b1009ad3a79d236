/*
 * Block devices on hosted (arch contract v12): device 0 is a plain file
 * (luxsim --store PATH).  Reads and writes go through libuv's file
 * operations, which run on its thread pool, so the loop thread (the
 * kernel's CPU) goes on while the host's disk works; a flush is
 * fdatasync.  Completions come back on the loop thread as lux_blk_done
 * upcalls.  A fixed table of requests bounds what is in flight: the core
 * is told the bound (arch_blk_info) and never exceeds it.
 *
 * A deterministic run has no block devices (E_NOTSUP): the thread pool
 * would finish requests in an order the seed does not choose.  Its
 * scenarios simulate their devices in the core (core/test/scenario/blkdev.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <uv.h>

#include <lux/arch.h>
#include <lux/error.h>
#include <lux/upcall.h>

#include "hostcalls.h"
#include "internal.h"

#define SECTOR 512u
#define INFLIGHT 16u	/* libuv's pool has 4 threads; more waits there */

struct req {
	uv_fs_t fs;
	void *cookie;
	int busy;
	int op;
	uint64_t sector;
	size_t want;		/* bytes asked for (libuv moves its own copy) */
};

static struct {
	int fd;			/* -1: no device */
	char path[4096];
	uint64_t sectors;
	int created;
	struct req reqs[INFLIGHT];
} dev0 = { .fd = -1 };

int hosted_blk_open(const char *path, unsigned long long create_bytes)
{
	struct stat st;
	int fd, created = 0;

	if (strlen(path) >= sizeof dev0.path) {
		hosted_warn("luxsim: --store %.40s...: path too long\n", path);
		return -1;
	}
	fd = hostcalls.open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* O_EXCL: never take over a file someone made meanwhile */
		fd = hostcalls.open(path, O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, 0600);
		if (fd >= 0) {
			created = 1;
			if (hostcalls.ftruncate(fd, (off_t)create_bytes) < 0) {
				hosted_warn(
				    "luxsim: --store %s: cannot size it to %llu bytes: %s\n", path,
				    create_bytes, strerror(errno));
				hostcalls.close(fd);
				hostcalls.unlink(path);	/* ours: made a moment ago */
				return -1;
			}
		}
	}
	if (fd < 0) {
		hosted_warn("luxsim: --store %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* two machines writing one drive would each believe its own copy:
	 * the lock goes when the process does, however it ends */
	if (hostcalls.flock(fd, LOCK_EX | LOCK_NB) < 0) {
		hosted_warn("luxsim: --store %s: %s\n", path,
		            errno == EWOULDBLOCK
		                ? "in use by another process (it holds the file's lock)"
		                : strerror(errno));
		hostcalls.close(fd);
		return -1;
	}
	if (hostcalls.fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)SECTOR ||
	    st.st_size % SECTOR != 0) {
		hosted_warn("luxsim: --store %s: not a regular file whose size is a positive "
		            "multiple of %u bytes\n",
		            path, SECTOR);
		hostcalls.close(fd);
		return -1;
	}
	if (created)	/* said even under -c: a new file appeared on the host */
		hosted_warn("luxsim: --store %s: made a new file of %llu bytes\n", path,
		            create_bytes);
	dev0.fd = fd;
	dev0.sectors = (uint64_t)st.st_size / SECTOR;
	dev0.created = created;
	snprintf(dev0.path, sizeof dev0.path, "%s", path);
	return 0;
}

int arch_blk_info(int dev, struct arch_blk_info *info)
{
	if (hosted_deterministic)
		return E_NOTSUP;
	if (dev != 0 || dev0.fd < 0)
		return E_NOENT;
	info->sectors = dev0.sectors;
	info->sector_size = SECTOR;
	info->inflight = INFLIGHT;
	info->name = dev0.path;
	info->created = dev0.created;
	return 0;
}

static const char *opname(int op)
{
	return op == ARCH_BLK_READ ? "read" : op == ARCH_BLK_WRITE ? "write" : "flush";
}

static void finished(uv_fs_t *fs)
{
	struct req *r = fs->data;
	ssize_t res = fs->result;
	size_t want = r->want;
	int err = 0;

	if (res < 0) {
		hosted_warn("luxsim: store %s: %s at sector %llu failed: %s\n", dev0.path,
		            opname(r->op), (unsigned long long)r->sector, uv_strerror((int)res));
		err = res == UV_ENOSPC ? E_NOSPC : E_IO;
	} else if (r->op != ARCH_BLK_FLUSH && (size_t)res != want) {
		/* the file shrank under us, or the host wrote part: either way
		 * the request did not happen as asked */
		hosted_warn("luxsim: store %s: %s at sector %llu moved %zd of %zu bytes\n",
		            dev0.path, opname(r->op), (unsigned long long)r->sector, res, want);
		err = E_IO;
	}
	uv_fs_req_cleanup(fs);
	r->busy = 0;
	hosted_upcall_begin();
	lux_blk_done(r->cookie, err);
	hosted_upcall_end();
}

int arch_blk_submit(int dev, int op, uint64_t sector, void *buf, uint32_t nsect, void *cookie)
{
	struct req *r = 0;
	uv_buf_t b;
	int rc;

	if (hosted_deterministic)
		return E_NOTSUP;
	if (dev != 0 || dev0.fd < 0)
		return E_NOENT;
	if (op == ARCH_BLK_FLUSH ? (sector != 0 || nsect != 0)
	                         : (op != ARCH_BLK_READ && op != ARCH_BLK_WRITE) || nsect == 0 ||
	                               nsect > ARCH_BLK_MAXSECT || sector > dev0.sectors ||
	                               nsect > dev0.sectors - sector)
		return E_INVAL;
	for (unsigned i = 0; i < INFLIGHT && r == 0; i++)
		if (!dev0.reqs[i].busy)
			r = &dev0.reqs[i];
	if (r == 0)
		return E_MFILE;
	r->busy = 1;
	r->cookie = cookie;
	r->op = op;
	r->sector = sector;
	r->want = (size_t)nsect * SECTOR;
	r->fs.data = r;
	b = uv_buf_init(buf, nsect * SECTOR);
	if (op == ARCH_BLK_READ)
		rc = uv_fs_read(hosted_loop(), &r->fs, dev0.fd, &b, 1, (int64_t)(sector * SECTOR),
		                finished);
	else if (op == ARCH_BLK_WRITE)
		rc = uv_fs_write(hosted_loop(), &r->fs, dev0.fd, &b, 1, (int64_t)(sector * SECTOR),
		                 finished);
	else
		rc = uv_fs_fdatasync(hosted_loop(), &r->fs, dev0.fd, finished);
	if (rc != 0) {
		r->busy = 0;
		return E_NOMEM;
	}
	return 0;
}
