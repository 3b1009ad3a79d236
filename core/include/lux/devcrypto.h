/*
 * The crypto device's hash sessions (core/fs/crypto/devcrypto_sess.c), behind
 * the files in /secure/crypto/hash (core/fs/crypto/devcrypto.c; docs/crypto.md).
 *
 * A session is one proc's message for one algorithm, keyed by pid: at
 * most one per (pid, algorithm), so a proc holds at most 3, and at most
 * DEVCRYPTO_SESSIONS exist in the whole kernel, at most
 * DEVCRYPTO_SESSIONS_PER_USER of one user's procs.  proc_free drops a dead
 * proc's sessions (devcrypto_procexit).
 */
#ifndef LUX_DEVCRYPTO_H
#define LUX_DEVCRYPTO_H

#include <lux/crypto.h>
#include <lux/types.h>

#define DEVCRYPTO_SESSIONS 64		/* hash sessions, kernel-wide */
#define DEVCRYPTO_SESSIONS_PER_USER \
	16 /* ... and one user's procs together: a
					 * quarter, so no user fills the table */

/* Append n bytes to pid's message for alg, starting a new one if none is
 * pending (none yet, or the last was read).  Returns n or an error:
 * E_NOSPC (with errstr) when the table is full, E_BUDGET when the
 * caller's user holds its share. */
long devcrypto_hash_write(int pid, enum lc_hash_alg alg, const void *buf, size_t n);
/* Finalise pid's pending message for alg if any, then copy the digest's
 * hex text (plus a newline) from offset off.  No message at all reads as
 * the digest of the empty message.  Returns the bytes copied (0 at end). */
long devcrypto_hash_read(int pid, enum lc_hash_alg alg, void *buf, size_t n, uint64_t off);
/* Forget pid's message for alg (open with OTRUNC).  0. */
int devcrypto_hash_reset(int pid, enum lc_hash_alg alg);
/* Drop every session of pid: called when the proc is freed. */
void devcrypto_procexit(int pid);
/* Sessions alive now (tests and bounds checks). */
size_t devcrypto_sessions(void);

/* Named keys: the keys/ files (core/fs/crypto/devcrypto_keys.c) over the
 * keystore (<lux/keystore.h>).  A key's file is named by an id that
 * changes when its slot is reused (ks_slot_id), so an old qid is stale. */
#define DEVCRYPTO_KEYS 64	/* key slots, kernel-wide (KS_KEYS) */
#define DEVCRYPTO_KEYNAME 32	/* longest key name + 1 (KS_NAMELEN) */

/* A write to keys/ctl: one command line (docs/crypto.md).  n, or an error with errstr. */
long devcrypto_key_ctl(const void *buf, size_t n);
/* The id of key NAME, or E_NOENT. */
int devcrypto_key_lookup(const char *name);
/* The id of the key in slot i (for listing), or E_NOENT. */
int devcrypto_key_slotid(int i);
/* Key id's name into out: 0, or E_NOENT when it is gone. */
int devcrypto_key_name(int id, char *out, size_t size);
/* Key id's text (attributes, public part; the secret only if exportable) from off. */
long devcrypto_key_read(int id, void *buf, size_t n, uint64_t off);

/* Keyed sessions, Plan 9's clone pattern (core/fs/crypto/devcrypto_clone.c; the
 * kinds in devcrypto_{aead,mac,sign,verify,kx,kdf,pwhash}.c): opening
 * KIND/clone makes session N owned by the opening proc (so by the 9P
 * connection, which is one proc), configured through KIND/N/ctl and fed
 * through KIND/N/data.  docs/crypto.md, "Sessions", is the contract. */
enum dc_kind_id { DC_AEAD, DC_MAC, DC_SIGN, DC_VERIFY, DC_KX, DC_KDF, DC_PWHASH, DC_NKINDS };

#define DEVCRYPTO_CLONES 64		/* sessions of all kinds, kernel-wide */
#define DEVCRYPTO_CLONES_PER_PROC 8	/* sessions one proc may hold */
#define DEVCRYPTO_CLONES_PER_USER \
	16 /* ... and one user's procs together: a
					 * quarter, so no user fills the table */
#define DEVCRYPTO_MSGMAX (1u << 20)	/* bytes of input per message (aead, mac, verify) */
#define DEVCRYPTO_CTLMAX 512		/* longest ctl line */
/* Signing keeps its own names (and its 64 KiB message) */
#define DEVCRYPTO_SIGNS DEVCRYPTO_CLONES
#define DEVCRYPTO_SIGNS_PER_PROC DEVCRYPTO_CLONES_PER_PROC
#define DEVCRYPTO_SIGNMAX 65536

/* The directory name of kind ("aead", ...), or 0. */
const char *devcrypto_kind_name(int kind);
/* A new session of kind owned by pid: its number (> 0), or E_NOSPC /
 * E_NOMEM with errstr. */
long devcrypto_clone_new(int pid, int kind);
/* 0 if session id of kind exists and pid owns it, else E_NOENT
 * ("no such session"). */
int devcrypto_clone_owned(int pid, int kind, uint32_t id);
/* N/ctl: line-buffered commands, a line's error is the error of the
 * write that completed it; a partial line waits for its newline, across
 * opens (the shell's echo writes word by word). */
long devcrypto_clone_ctl(int pid, int kind, uint32_t id, const void *buf, size_t n);
/* N/ctl read: the session's state as text lines (never a secret). */
long devcrypto_clone_state(int pid, int kind, uint32_t id, void *buf, size_t n, uint64_t off);
/* N/data: append (a new message after the output was read), reset
 * (OTRUNC), read (run the operation once, then the output from off). */
long devcrypto_clone_write(int pid, int kind, uint32_t id, const void *buf, size_t n);
int devcrypto_clone_reset(int pid, int kind, uint32_t id);
long devcrypto_clone_read(int pid, int kind, uint32_t id, void *buf, size_t n, uint64_t off);
/* Drop pid's sessions (from devcrypto_procexit). */
void devcrypto_clone_procexit(int pid);
size_t devcrypto_clones(void);		/* sessions alive, all kinds */
size_t devcrypto_clones_of(int kind);	/* of one kind */
size_t devcrypto_signs(void);		/* devcrypto_clones_of(DC_SIGN) */

#endif
