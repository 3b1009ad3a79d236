/* The one table of error messages (see <lux/error.h>). */
#include <lux/error.h>

static const char *const msgs[] = {
	[0] = "no error",
	[-E_NOENT] = "file does not exist",
	[-E_EXIST] = "file already exists",
	[-E_NOTDIR] = "not a directory",
	[-E_ISDIR] = "is a directory",
	[-E_NOMEM] = "out of memory",
	[-E_PERM] = "permission denied",
	[-E_INVAL] = "bad argument",
	[-E_NAMETOOLONG] = "name too long",
	[-E_NOTEMPTY] = "directory not empty",
	[-E_BADFD] = "bad file descriptor",
	[-E_MFILE] = "too many open files",
	[-E_IO] = "i/o error",
	[-E_BADMODE] = "file not open for that mode",
	[-E_NOSPC] = "no space left",
	[-E_INUSE] = "file in use",
	[-E_BADPATH] = "bad path name",
	[-E_TOOBIG] = "file too large",
	[-E_NOCMD] = "command not found",
	[-E_SYNTAX] = "syntax error",
	[-E_CRYPTO] = "crypto operation failed",
	[-E_INTR] = "interrupted: killed",
	[-E_NOPROC] = "no such process",
	[-E_BORROWED] = "object is borrowed",
	[-E_STALE] = "stale handle: the object was moved or dropped",
	[-E_NOTOWNER] = "not the owner of the object",
	[-E_NOTBORROWED] = "no borrow of that object to return",
	[-E_BUDGET] = "budget exhausted",
	[-E_NOTSUP] = "operation not supported by this device",
	[-E_XDEV] = "cannot rename across devices",
	[-E_NOCREATE] = "mounted directory forbids creation (bind or mount it with -c)",
	[-E_NOCONN] = "cannot dial: this machine makes no connections (metal, or a --seed run)",
	[-E_UNREACH] = "connection refused or address unreachable",
	[-E_PIPE] = "write to a pipe nobody reads",
	[-E_QUOTA] = "quota exceeded",
	[-E_DIRLINK] = "a directory has one name: no hard link to it",
};

const char *lux_errstr(int err)
{
	if (err > 0 || err <= E_LAST || msgs[-err] == 0)
		return "unknown error";
	return msgs[-err];
}
