/*
 * The crypto device's hash sessions (core/fs/devcrypto_sess.c), behind
 * the files in /secure/crypto/hash (core/fs/devcrypto.c; docs/crypto.md).
 *
 * A session is one proc's message for one algorithm, keyed by pid: at
 * most one per (pid, algorithm), so a proc holds at most 3, and at most
 * DEVCRYPTO_SESSIONS exist in the whole kernel.  proc_free drops a dead
 * proc's sessions (devcrypto_procexit).
 */
#ifndef LUX_DEVCRYPTO_H
#define LUX_DEVCRYPTO_H

#include <lux/crypto.h>
#include <lux/types.h>

#define DEVCRYPTO_SESSIONS 64		/* hash sessions, kernel-wide */
#define DEVCRYPTO_RANDOM_MAX 4096	/* bytes one open of random yields */

/* Append n bytes to pid's message for alg, starting a new one if none is
 * pending (none yet, or the last was read).  Returns n or an error:
 * E_NOSPC (with errstr) when the table is full. */
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

/* Named keys: the keys/ files (core/fs/devcrypto_keys.c) over the
 * keystore (<lux/keystore.h>).  A key's file is named by an id that
 * changes when its slot is reused (ks_slot_id), so an old qid is stale. */
#define DEVCRYPTO_KEYS 16	/* key slots, kernel-wide (KS_KEYS) */
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

/* Signing sessions (core/fs/devcrypto_sign.c), per proc like the hashes. */
#define DEVCRYPTO_SIGNS 32		/* sessions, kernel-wide */
#define DEVCRYPTO_SIGNS_PER_PROC 4	/* sessions one proc may hold */
#define DEVCRYPTO_SIGNMAX 65536		/* bytes of message per session */

/* A new session owned by pid: its number (> 0), or E_NOMEM / E_NOSPC. */
long devcrypto_sign_new(int pid);
/* 0 if session id exists and pid owns it, else E_NOENT. */
int devcrypto_sign_owned(int pid, uint32_t id);
/* N/ctl input, line-buffered: "key NAME" or "close". */
long devcrypto_sign_ctl(int pid, uint32_t id, const void *buf, size_t n);
/* N/data: append (a new message after a read), reset (OTRUNC), and read
 * (sign once, then the signature's hex text and a newline from off). */
long devcrypto_sign_write(int pid, uint32_t id, const void *buf, size_t n);
int devcrypto_sign_reset(int pid, uint32_t id);
long devcrypto_sign_read(int pid, uint32_t id, void *buf, size_t n, uint64_t off);
/* Drop pid's sessions (from devcrypto_procexit); count them all. */
void devcrypto_sign_procexit(int pid);
size_t devcrypto_signs(void);

#endif
