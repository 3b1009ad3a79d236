/*
 * The user table, in the spirit of Plan 9's /adm/users: every user is
 * also a group of the same name, with an optional leader and members.
 *
 * Two users always exist: the host owner, `eve` (on hosted the Linux user
 * who started luxsim, on metal whoever has the console), and `none`, the
 * unauthenticated.  A user's id is the number 9P2000.L speaks (n_uname,
 * getattr's uid and gid) and the host uid a local socket's peer maps to:
 * eve's id is the host owner's uid, so the socket's owner is eve.
 *
 * The host owner edits the table by writing commands to /adm/users
 * (fossil's `uname` language; docs/security.md):
 *   uname NAME ID        a new user NAME (and group NAME) with id ID
 *   uname NAME :LEADER   the group's leader (`uname NAME :` clears it)
 *   uname NAME +MEMBER   add a member to the group
 *   uname NAME -MEMBER   remove one
 *   deluser NAME         forget NAME (files it owns keep the name)
 *   quota NAME BYTES     NAME's files may hold BYTES (K, M, G suffixes,
 *                        binary); `quota NAME default` restores the
 *                        default (<lux/quota.h>; /adm/quota lists them)
 *   authkey NAME +HEX    authorize an Ed25519 public key (64 hex digits)
 *   authkey NAME -HEX    ... and take it back
 *   knownhost ADDR +HEX  the host key a server at ADDR must prove when the
 *                        kernel mounts it (`mount -k`); -HEX forgets it
 * and reads it back as `id:name:leader:members` lines; /adm/keys lists
 * the authorized keys as `NAME HEX` lines (SSH's authorized_keys).
 */
#ifndef LUX_USERS_H
#define LUX_USERS_H

#include <lux/types.h>

#define USER_NAMEMAX 28		/* a name, NUL included */
#define USERS_MAX 64		/* users (and so groups) in the table */
#define USER_MEMBERS 16		/* members of one group */
#define USER_NONE_ID 65534u	/* none's id (Linux's nobody) */
#define USER_AUTHKEYS 4		/* authorized Ed25519 keys per user */

extern const char eve[];	/* "eve": the host owner's name */
extern const char none[];	/* "none" */

/* Fill the table with eve (id hostuid, or 0 when the host has none) and
 * none.  Called once at boot, and by tests to start again. */
void users_init(int64_t hostuid);

/* Whether the user table has a user called name. */
bool user_exists(const char *name);
/* The id of name: 0 and *id, or E_NOENT. */
int user_id(const char *name, uint32_t *id);
/* The name of id into out: 0, or E_NOENT. */
int user_name(uint32_t id, char out[USER_NAMEMAX]);
/* Is user a member of group (the group of the same name counts)? */
bool user_ingroup(const char *user, const char *group);
/* May user act as group's leader (the leader, or any member when the
 * group has none)? */
bool user_leads(const char *user, const char *group);

/* The names of the table, up to max: how many. */
size_t users_names(char (*out)[USER_NAMEMAX], size_t max);
/* The table as lines, like ksnprintf: the full length. */
size_t users_format(char *buf, size_t size);
/* Run the commands of text (bounded, '\n'-separated), stopping at the
 * first bad one: 0, or an error with the sentence in why. */
int users_ctl(const char *text, size_t len, char *why, size_t whylen);

#define KNOWNHOSTS_MAX 16
/* The kernel's known hosts: AUTH_HOST_KNOWN, _UNKNOWN or _MISMATCH
 * (<lux/auth.h>) for a server at addr proving pk. */
int host_known(const char *addr, const uint8_t *pk);
size_t knownhosts_format(char *buf, size_t size);

/* Is pk (32 bytes) one of user's authorized keys? */
bool user_key_ok(const char *user, const uint8_t *pk);
/* The authorized keys as `NAME HEX` lines, like ksnprintf. */
size_t users_keys_format(char *buf, size_t size);

/* Is name a valid user name: 1..USER_NAMEMAX-1 bytes of [A-Za-z0-9_.-],
 * not starting with '-' or '.'. */
bool user_valid_name(const char *name, size_t len);

/* The object a capability token names when it speaks for the user of id
 * (/adm/tokens mints them; the 9P server's token method checks them). */
#define USER_TOKEN_OBJECT(id) (0x5553455200000000ull | (uint64_t)(uint32_t)(id))	/* "USER" */

/* /adm/tokens (core/authority/tokens.c; docs/security.md, "Tokens").  One
 * command per write, as the running proc (its cred):
 *   mint [USER] [ro] [path /PREFIX] [expiry SECONDS]
 *   revoke TOKEN
 * 0, or an error with the sentence in why; a mint's text form waits for
 * the proc's principal to read it (tokens_read). */
int tokens_ctl(const char *buf, size_t n, char *why, size_t whylen);
/* The parts, pure but for the slot table and the audit (unit tests):
 * mint for caller (via_token: acting through a token, refused) at
 * now_ns; the text form into text. */
int tokens_mint(char *line, const char *caller, bool via_token, uint64_t now_ns, char *text,
                size_t cap, char *why, size_t whylen);
int tokens_revoke(const char *arg, const char *caller, char *why, size_t whylen);
/* The token pid minted last, if it has not exited: its length. */
size_t tokens_read(int pid, char *buf, size_t cap);
void tokens_procexit(int pid);	/* forget (and wipe) what pid minted */

/* The /adm device: users, keys, hostkey, knownhosts, tokens. */
struct dev;
extern const struct dev users_dev;

#endif
