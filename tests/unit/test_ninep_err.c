/*
 * 9P2000's error strings against Linux's 9P client (core/9p/srv/srv_err.c,
 * docs/9p.md "Errors").  Linux in legacy mode (mount -o version=9p2000)
 * turns an Rerror's string into an errno by looking the whole string up
 * in a fixed table (net/9p/error.c, p9_errstr2errno); anything else
 * becomes ESERVERFAULT (526).  So every error code whose .L errno has a
 * string in that table must send, in 9P2000, a string Linux maps to that
 * same errno.
 *
 * LINUX below is our own record of the pairs this server sends, each
 * checked by hand against Linux's net/9p/error.c (v6.x): the string, and
 * the errno Linux gives it.  Only the errnos Linux has no string for (or
 * a protocol violation, whose sentence is for a client's author) may go
 * without one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <lux/9p.h>
#include "9p/srv/9psrv.h"
#include <lux/error.h>

/* Linux errno values (the .L wire's) */
enum {
	EPERM_ = 1, ENOENT_ = 2, ESRCH_ = 3, EINTR_ = 4, EIO_ = 5, EBADF_ = 9,
	EAGAIN_ = 11, ENOMEM_ = 12, EACCES_ = 13, EBUSY_ = 16, EEXIST_ = 17,
	EXDEV_ = 18, ENOTDIR_ = 20, EISDIR_ = 21, EINVAL_ = 22, EMFILE_ = 24,
	EFBIG_ = 27, ENOSPC_ = 28, EPIPE_ = 32, ENAMETOOLONG_ = 36, ENOLCK_ = 37,
	ENOTEMPTY_ = 39, EPROTO_ = 71, EOPNOTSUPP_ = 95, ECONNREFUSED_ = 111,
	ESTALE_ = 116, EDQUOT_ = 122,
};

static const struct {
	const char *s;
	uint32_t linux_errno;
} LINUX[] = {
	{ "Operation not permitted", EPERM_ },
	{ "file does not exist", ENOENT_ },		/* fossil's, in Linux's table */
	{ "Interrupted system call", EINTR_ },
	{ "i/o error", EIO_ },
	{ "Bad file descriptor", EBADF_ },
	{ "fid unknown or out of range", EBADF_ },
	{ "fid already in use", EBADF_ },
	{ "bad use of fid", EBADF_ },
	{ "Resource temporarily unavailable", EAGAIN_ },
	{ "Cannot allocate memory", ENOMEM_ },
	{ "permission denied", EACCES_ },
	{ "Device or resource busy", EBUSY_ },
	{ "file already exists", EEXIST_ },
	{ "Invalid cross-device link", EXDEV_ },
	{ "not a directory", ENOTDIR_ },
	{ "Is a directory", EISDIR_ },
	{ "Invalid argument", EINVAL_ },
	{ "Too many open files", EMFILE_ },
	{ "File too large", EFBIG_ },
	{ "No space left on device", ENOSPC_ },
	{ "Broken pipe", EPIPE_ },
	{ "File name too long", ENAMETOOLONG_ },
	{ "No locks available", ENOLCK_ },
	{ "directory is not empty", ENOTEMPTY_ },
	{ "Operation not supported", EOPNOTSUPP_ },
	{ "Connection refused", ECONNREFUSED_ },
	{ "Disk quota exceeded", EDQUOT_ },
};

/* What Linux's client makes of s: its errno, or 526 (ESERVERFAULT). */
static uint32_t linux_maps(const char *s)
{
	for (size_t i = 0; i < sizeof LINUX / sizeof LINUX[0]; i++)
		if (strcmp(LINUX[i].s, s) == 0)
			return LINUX[i].linux_errno;
	return 526;
}

/* One code: its word maps to its .L errno, or it may have none. */
static void check(int err)
{
	const char *w = ninep_word(err);
	uint32_t e = ninep_errno(err);

	if (w == 0) {
		/* no string of Linux's means ESRCH or ESTALE; a protocol
		 * violation keeps its sentence */
		if (e != ESRCH_ && e != ESTALE_ && e != EPROTO_)
			fail_msg("code %d (.L errno %u): no 9P2000 word Linux maps", err, e);
		return;
	}
	if (err == NINEP_E_NOAUTH) {	/* every 9P2000 client's words (Linux never sends Tauth) */
		assert_string_equal(w, "authentication not required");
		return;
	}
	if (linux_maps(w) != e)
		fail_msg("code %d: 9P2000 says \"%s\", which Linux maps to %u, not %u (.L)", err, w,
		         linux_maps(w), e);
}

static void test_every_lux_err(void **state)
{
	(void)state;
	for (int err = -1; err > E_LAST; err--)
		check(err);
	check(E_LAST);	/* a code the table does not know yet: EIO, "i/o error" */
}

static void test_every_server_err(void **state)
{
	(void)state;
	for (int err = NINEP_E_NOFID; err > NINEP_E_LAST; err--)
		check(err);
}

static void test_the_common_ones(void **state)
{
	(void)state;
	/* what legacy-mode Linux meets most, by name */
	assert_string_equal(ninep_word(E_NOENT), "file does not exist");
	assert_string_equal(ninep_word(E_PERM), "permission denied");
	assert_string_equal(ninep_word(E_EXIST), "file already exists");
	assert_string_equal(ninep_word(E_NOTDIR), "not a directory");
	assert_string_equal(ninep_word(E_ISDIR), "Is a directory");
	assert_string_equal(ninep_word(E_NOTEMPTY), "directory is not empty");
	assert_string_equal(ninep_word(E_NOTOWNER), "Operation not permitted");
	assert_string_equal(ninep_word(E_QUOTA), "Disk quota exceeded");
	assert_string_equal(ninep_word(E_BUDGET), "Disk quota exceeded");
	assert_string_equal(ninep_word(NINEP_E_NFIDS), "Too many open files");
	assert_string_equal(ninep_word(NINEP_E_NOFID), "fid unknown or out of range");
}

static void test_protocol_violations_keep_their_sentence(void **state)
{
	(void)state;
	assert_null(ninep_word(P9_E_ARG));
	assert_null(ninep_word(P9_E_LAST + 1));
	assert_null(ninep_word(NINEP_E_TAG));
	assert_null(ninep_word(E_STALE));	/* Linux knows no string for ESTALE */
	assert_null(ninep_word(E_NOPROC));	/* nor for ESRCH */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_lux_err),
		cmocka_unit_test(test_every_server_err),
		cmocka_unit_test(test_the_common_ones),
		cmocka_unit_test(test_protocol_violations_keep_their_sentence),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
