/*
 * The keystore (core/fs/crypto/devcrypto_keys.c): named keys behind
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

/* Keys belong to users (factotum is per user): a name is looked up among
 * the running proc's user's keys only, so another user's key does not
 * exist for anyone else -- not to use, read, export, rotate or delete. */
#define KS_KEYS 64		/* named keys, kernel-wide */
#define KS_USERKEYS 16		/* ... of them one user's: nobody fills the table */
#define KS_NAMELEN 32		/* longest key name + 1 */
#define KS_MACMIN 16		/* MAC key bytes, least */
#define KS_MACMAX 64		/* MAC key bytes, most */

struct ks_ref;	/* one pinned version of one key: what a session holds */

/* Pin the current version of key NAME for a session: takes a shared borrow.  E_NOENT ("no such key"),
 * or an error when alg does not match ("key NAME is not an aead key"). */
int ks_take(const char *name, enum ks_alg alg, struct ks_ref **out);
/* The same for owner's key, whoever runs: a mount whose redial may happen
 * in any proc using it signs with the key of the user who mounted. */
int ks_take_owned(const char *owner, const char *name, enum ks_alg alg, struct ks_ref **out);
/* The pinned version's material (kernel-internal; never copied to a user buffer).
 * ed25519: libsodium's 64-byte secret key (what lc_ed25519_sign takes). */
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
 * error string "key rotated: ..." (for operations that must use the
 * current version). */
int ks_current(const struct ks_ref *r);

/* Given AEAD nonces (docs/crypto.md, "aead").  A key version keeps the
 * greatest nonce given to it so far, one mark per nonce length (12 bytes:
 * chacha20poly1305 and aes256gcm share it; 24: xchacha20poly1305), and a
 * nonce is taken only when it is greater, as a big-endian number, than its
 * mark.  The mark is the version's, not a session's: every session of every
 * proc that pins the version climbs the same one, for the version's whole
 * life, so no (key, nonce) pair ever encrypts twice; a rotated version
 * starts with no mark.  ks_nonce_next takes nonce (len 12 or 24) and moves
 * the mark to it: KS_NONCE_OK, or why not (nothing changes). */
#define KS_NONCE_MAX 24
enum {
	KS_NONCE_OK,
	KS_NONCE_REUSED,	/* equal to the mark: used before */
	KS_NONCE_BELOW,		/* below the mark */
	KS_NONCE_SPENT,		/* the mark is the greatest nonce: none is left */
};
int ks_nonce_next(struct ks_ref *r, const uint8_t *nonce, size_t len);

/* ---- keys/ (devcrypto_keys.c) and tests ------------------------------- */

#define KS_AEADKEY 32		/* AEAD key bytes */
#define KS_VERSIONS 256		/* key versions alive at once, kernel-wide */

const char *ks_alg_name(enum ks_alg alg);	/* "ed25519", "x25519", "aead", "mac" */
int ks_alg_lookup(const char *s);		/* the alg called s, or -1 */
/* A good key name: 1..KS_NAMELEN-1 of A-Z a-z 0-9 - _ . (not starting
 * with ".", not "ctl"), n = its length. */
bool ks_goodname(const char *s, size_t n);
/* Is len bytes of material right for alg (ed25519: the 32-byte seed)? */
int ks_material_ok(enum ks_alg alg, size_t len);
/* A new key NAME from material, version 1: 0, or E_EXIST ("key NAME
 * already exists"), E_NOSPC, E_INVAL (wrong length), E_NOMEM. */
int ks_make(const char *name, enum ks_alg alg, const uint8_t *material, size_t len,
            bool exportable);
/* Delete NAME: 0, E_NOENT, or E_INUSE ("key NAME is in use") while any
 * session pins any version of it, or another update holds it. */
int ks_delete(const char *name);
/* A new current version of NAME from fresh random material; pinned old
 * versions stay as they are until dropped.  0 and *version, or an error. */
int ks_rotate(const char *name, uint32_t *version);

/* Slot numbers and ids: a slot is reused after a delete, so the files'
 * qids use an id = slot + KS_KEYS * (the slot's generation). */
int ks_lookup(const char *name);	/* slot, or E_NOENT */
int ks_slot_id(int slot);		/* the id of the key in slot, or E_NOENT */
int ks_id_slot(int id);			/* the slot if id is still its key's, or E_NOENT */

struct ks_info {
	char name[KS_NAMELEN];
	char owner[28];		/* the user whose key it is */
	enum ks_alg alg;
	bool exportable;
	uint32_t version;
	uint64_t uses;
	int pins;
	uint8_t pub[32];
	size_t plen;
	size_t slen;	/* bytes copied to secret: 0 unless exportable */
};
/* A snapshot of slot's key; its exportable material (what import takes)
 * into secret when secret is not 0 and size is enough.  0 or E_NOENT. */
int ks_info(int slot, struct ks_info *out, uint8_t *secret, size_t size);

/* Keys kept in the machine's store (core/fs/storesync_keys.c): every
 * key, whoever's, as its current version's material in the form ks_make
 * takes.  AEAD keys are not kept: the given-nonce marks that stop a nonce
 * being used twice change with every use and are not committed with it,
 * so a key restored after a crash could take a nonce again. */
struct ks_saved {
	char name[KS_NAMELEN];
	char owner[28];
	enum ks_alg alg;
	bool exportable;
	uint32_t version;
	size_t mlen;
	uint8_t material[KS_MACMAX];
};
/* Copy up to max keys into out (lc_secure memory: secrets); how many. */
size_t ks_save_all(struct ks_saved *out, size_t max);
/* Make k again, owner and version as saved: 0, or ks_make's errors. */
int ks_restore(const struct ks_saved *k);

size_t ks_keys(void);		/* keys now */
size_t ks_versions(void);	/* versions (secrets) alive now */
/* Test hook: called with each secret just wiped, before it is freed. */
void ks_test_wipe_hook(void (*fn)(const uint8_t *p, size_t n));

#endif
