/*
 * Quotas: every byte of file data is somebody's (docs/quotas.md).
 *
 * ramfs charges what a file holds (its data pages, its block map, its
 * entry) to the file's owner, by name, the way a disk quota charges
 * blocks to a file's uid: the charge moves with chown and comes back when
 * the file is truncated or its last reference goes.  Each user may hold up
 * to a limit: a default derived from the machine's memory, or what the
 * host owner set with `quota NAME BYTES` on /adm/users.
 *
 * Limits may add up to more than the machine has (they are promises, not
 * reservations), so file growth also keeps the kernel's reserve free:
 * quota_room refuses when an allocation would leave fewer free pages than
 * the reserve, which is what procs, 9P connections and crypto sessions
 * live on.
 *
 * Counters change with upcalls off (a spinlock), so a charge is safe from
 * any proc; nothing here allocates or sleeps.
 */
#ifndef LUX_QUOTA_H
#define LUX_QUOTA_H

#include <lux/types.h>

/* Accounts: the users of the table plus owners deleted while their files
 * still held bytes (the files keep the name, Plan 9's rule). */
#define QUOTA_ACCOUNTS 128

/* Charge bytes to user: 0, or E_QUOTA with the proc's error string set to
 * "quota exceeded: bob 16.0/16.0 MiB" (nothing charged).  A name not in
 * the user table may hold nothing new. */
int quota_charge(const char *user, uint64_t bytes);
/* Give back bytes charged to user; more than user holds panics. */
void quota_release(const char *user, uint64_t bytes);
/* Move bytes from one owner to another (chown): 0, or E_QUOTA when to has
 * no room (nothing moves). */
int quota_move(const char *from, const char *to, uint64_t bytes);

/* The host owner's `quota NAME BYTES` (limit) and `quota NAME default`
 * (limit < 0).  The caller has checked that NAME is a user. */
void quota_set(const char *user, int64_t limit);
/* deluser: the name's explicit limit goes (a new user of the name starts
 * with the default); its bytes stay charged until its files go. */
void quota_forget(const char *user);
/* What user holds and may hold, in bytes. */
void quota_get(const char *user, uint64_t *used, uint64_t *limit);
/* The default limits: the host owner may fill everything but the
 * reserve; any other user half of that. */
uint64_t quota_default(const char *user);

/* The kernel's reserve, in pages: an eighth of memory, at least 2 MiB
 * (at most half of a very small machine). */
size_t quota_reserve_pages(void);
/* May file data take pages more pages?  0, or E_NOSPC with the error
 * string "no space: the machine's memory is full (...)". */
int quota_room(size_t pages);

/* /adm/quota: a `NAME USED LIMIT` line (bytes) per user of the table
 * and per account still holding bytes; like ksnprintf, the full length. */
size_t quota_format(char *buf, size_t size);

/* Tests: forget every account (what a fresh boot has). */
void quota_reset(void);

#endif
