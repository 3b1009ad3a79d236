/*
 * The keystore (core/fs/devcrypto_keys.c): named keys behind
 * /secure/crypto/keys, and the one way a crypto session reaches key
 * material (docs/crypto.md, "Keys").
 *
 * A key has versions.  ks_take pins the current version for a session
 * (a shared borrow on it); rotate makes a new current version while the
 * old one stays alive, unchanged, until its last pin is dropped, then it
 * is wiped and freed (red-blue: docs/redblue.md).  delete and rotate take
 * the key entry exclusively: delete of a key with any pinned version
 * fails with "key NAME is in use".  Secrets live only in guarded memory
 * (lc_secure_alloc) and never reach a user buffer unless the key was
 * created exportable.
 */
#ifndef LUX_KEYSTORE_H
#define LUX_KEYSTORE_H

#include <lux/types.h>

enum ks_alg { KS_ED25519, KS_X25519, KS_AEAD, KS_MAC };	/* AEAD: 32-byte key; MAC: 16..64 bytes */

#define KS_KEYS 16		/* named keys, kernel-wide */
#define KS_NAMELEN 32		/* longest key name + 1 */
#define KS_MACMIN 16		/* MAC key bytes, least */
#define KS_MACMAX 64		/* MAC key bytes, most */

struct ks_ref;	/* one pinned version of one key: what a session holds */

/* Pin the current version of key NAME for a session: takes a shared borrow.  E_NOENT ("no such key"),
 * or an error when alg does not match ("key NAME is not an aead key"). */
int ks_take(const char *name, enum ks_alg alg, struct ks_ref **out);
/* The pinned version's material (kernel-internal; never copied to a user buffer). */
const uint8_t *ks_secret(const struct ks_ref *r, size_t *len);
const uint8_t *ks_public(const struct ks_ref *r, size_t *len);	/* ed25519/x25519; else 0 */
uint32_t ks_version(const struct ks_ref *r);
const char *ks_name(const struct ks_ref *r);
/* Record one use (an audit record: key, version, what, pid) and charge n crypto bytes to the
 * current proc's pebbles; E_BUDGET when exhausted.  Call before each operation. */
int ks_use(struct ks_ref *r, const char *what, size_t n);
void ks_drop(struct ks_ref *r);	/* unpin, return the borrow */
/* Store a new key made inside the kernel (kx/kdf results, "into NAME"). */
int ks_store(const char *name, enum ks_alg alg, const uint8_t *secret, size_t len, bool exportable);

/* Additions beyond the session interface. */

/* 0 if r still pins its key's current version, else E_STALE with the
 * error string "key rotated" (or "no such key" once deleted): for
 * operations that must use the current version. */
int ks_current(const struct ks_ref *r);
/* The algorithm's name as the ctl language spells it ("ed25519", ...). */
const char *ks_alg_name(enum ks_alg alg);
/* A write to keys/ctl (one command; see docs/crypto.md).  n, or an error with errstr. */
long ks_ctl(const void *buf, size_t n);
/* Slot i's key name into out: 0, or E_NOENT for an empty slot (directory listing). */
int ks_slot_name(int i, char *out, size_t size);
/* The slot of key NAME, or E_NOENT. */
int ks_lookup(const char *name);
/* Slot i's text (attributes, public part, the secret only if exportable) from off. */
long ks_read(int i, void *buf, size_t n, uint64_t off);
/* Keys and live versions now (tests and leak checks). */
size_t ks_keys(void);
size_t ks_versions(void);

#endif
