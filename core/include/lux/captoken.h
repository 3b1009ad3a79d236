/*
 * Capability tokens: what the kernel hands outside itself (to the shell,
 * to a 9P client) to name an object and the rights held on it.  See
 * docs/capabilities.md for the model; in short:
 *
 *  - A token names a capability slot, the slot's generation at minting, an
 *    object and the root rights.  tag_0 = MAC(hostkey, id).
 *  - Anyone holding a token may append caveats without the key:
 *    tag_i = MAC(tag_{i-1}, caveat_i).  Every caveat must hold at
 *    verification, so a caveat can only narrow, never widen.
 *  - Revoking a slot bumps its generation: every token minted on it, and
 *    every token derived from those, fails at once (O(1)).  A derivation
 *    that must be revocable alone gets its own slot, named by a REVOKER
 *    caveat (captoken_derive_revocable).
 *  - The host key is per boot, made by captoken_init() from lc_random();
 *    until then everything fails with CT_ENOKEY.
 *
 * Tokens are byte strings in the caller's buffer (the wire form below);
 * nothing here allocates.  The codec is hostile-input-safe: lengths are
 * checked once against the buffer, errors are sticky, bad counts are
 * rejected and never clamped.
 */
#ifndef LUX_CAPTOKEN_H
#define LUX_CAPTOKEN_H

#include <lux/types.h>

#define CT_VERSION 1			/* first byte of the wire form */
#define CT_TAG 32			/* MAC bytes (LC_MAC_BYTES) */
#define CT_ID_BYTES 19			/* version slot gen object rights */
#define CT_MAX_CAVEATS 32
#define CT_PATH_MAX 255			/* bytes of a path-prefix caveat */
#define CT_SLOTS 256			/* capability slots (per boot) */
/* The longest wire token: id, caveat count, 32 longest caveats, tag. */
#define CT_WIRE_MAX (CT_ID_BYTES + 1 + CT_MAX_CAVEATS * (2 + CT_PATH_MAX) + CT_TAG)
/* The text form: "lux1." then the wire bytes in unpadded base64url. */
#define CT_TEXT_PREFIX "lux1."
#define CT_TEXT_MAX (5 + (CT_WIRE_MAX * 4 + 2) / 3 + 1)	/* with the NUL */

/* Rights.  Bits outside CT_R_ALL are rejected at minting and in caveats. */
enum {
	CT_R_READ = 1u << 0,
	CT_R_WRITE = 1u << 1,
	CT_R_EXEC = 1u << 2,
	CT_R_CREATE = 1u << 3,
	CT_R_REMOVE = 1u << 4,
	CT_R_WSTAT = 1u << 5,
	CT_R_DELEGATE = 1u << 6,	/* may have a revocable child minted */
	CT_R_ALL = (1u << 7) - 1
};

/* Caveat kinds; the value's length is fixed except for PATH.  An unknown
 * kind fails verification (a caveat the kernel cannot check must not be
 * ignored). */
enum ct_caveat_kind {
	CT_CAV_RIGHTS = 1,	/* u32: rights &= value */
	CT_CAV_PATH = 2,	/* 1..255 bytes, "/..." : path within this prefix */
	CT_CAV_EXPIRY = 3,	/* u64: valid while now_ns < value */
	CT_CAV_BUDGET = 4,	/* u64: at most this many pebbles */
	CT_CAV_REVOKER = 5,	/* u16 slot, u32 gen: that slot still at that gen */
};

/* Why a call failed.  CT_OK is 0; the rest are positive. */
enum ct_result {
	CT_OK = 0,
	CT_EMALFORMED,	/* not a well-formed token */
	CT_EVERSION,	/* unknown wire version */
	CT_ETOOMANY,	/* more than CT_MAX_CAVEATS caveats */
	CT_EFORGED,	/* MAC does not match (forged, tampered, other boot) */
	CT_EREVOKED,	/* its capability (or a revoker) was revoked */
	CT_ERIGHTS,	/* asks for rights the token does not carry */
	CT_EPATH,	/* path outside a path-prefix caveat */
	CT_EEXPIRED,	/* past an expiry caveat */
	CT_EBUDGET,	/* asks for more than a budget caveat allows */
	CT_EOBJECT,	/* token names another object */
	CT_ENOSLOT,	/* no free capability slot */
	CT_ESPACE,	/* output buffer too small */
	CT_EINVAL,	/* bad argument (rights bits, caveat value) */
	CT_ENOKEY,	/* captoken_init has not run */
	CT_ECRYPTO,	/* the MAC failed */
	CT_NRESULT
};

/* A slot number plus its generation: what the kernel keeps for a minted
 * capability in order to revoke it. */
struct ct_cap {
	uint16_t slot;
	uint32_t gen;
};

/* What a verification asks for.  Every field is public data. */
struct ct_request {
	uint64_t object;	/* the object the caller is about to touch */
	uint32_t rights;	/* rights it needs (all of them) */
	const char *path;	/* path it touches, or null: then a PATH caveat fails */
	uint64_t budget;	/* pebbles it wants to spend */
	uint64_t now_ns;	/* arch_time_ns() at the check */
};

/* What a valid token grants: the narrowed view. */
struct ct_grant {
	uint64_t object;
	uint32_t rights;	/* root rights & every RIGHTS caveat */
	uint64_t budget;	/* least BUDGET caveat, or UINT64_MAX */
	uint64_t expiry_ns;	/* least EXPIRY caveat, or UINT64_MAX */
	struct ct_cap cap;	/* the root slot */
};

/* ---- The kernel's side ------------------------------------------------ */

/* New per-boot host key from lc_random() and an empty slot table.  Call
 * once after lc_init(), before anything mints or verifies.  CT_OK. */
int captoken_init(void);
/* A fixed key, for tests and deterministic simulation only. */
void captoken_init_key(const uint8_t key[32]);

/* Mint a root token on a fresh slot.  *len gets the wire length. */
int captoken_mint(uint64_t object, uint32_t rights, struct ct_cap *cap, uint8_t *out,
                  size_t cap_bytes, size_t *len);
/* Append one caveat (no key needed: the holder's side of attenuation).
 * in and out may be the same buffer. */
int captoken_attenuate(const uint8_t *in, size_t n, enum ct_caveat_kind kind, const void *val,
                       size_t vlen, uint8_t *out, size_t cap_bytes, size_t *len);
/* Helpers for the fixed-size kinds. */
int captoken_restrict_rights(const uint8_t *in, size_t n, uint32_t rights, uint8_t *out,
                             size_t cap_bytes, size_t *len);
int captoken_restrict_u64(const uint8_t *in, size_t n, enum ct_caveat_kind kind, uint64_t v,
                          uint8_t *out, size_t cap_bytes, size_t *len);
/* Kernel side: verify a token that carries CT_R_DELEGATE, give the child a
 * slot of its own and append a REVOKER caveat naming it.  Revoking *child
 * kills the child and what derives from it; revoking the root still kills
 * both. */
int captoken_derive_revocable(const uint8_t *in, size_t n, struct ct_cap *child, uint8_t *out,
                              size_t cap_bytes, size_t *len);

/* Check a token against a request.  grant may be null. */
int captoken_verify(const uint8_t *tok, size_t n, const struct ct_request *req,
                    struct ct_grant *grant);

/* Revoke a capability: O(1), every token on it dies.  The slot is reused
 * at the next generation; a slot whose generation would wrap is retired. */
int captoken_revoke(struct ct_cap cap);
/* Is cap still live (its slot at its generation, not revoked)?  For a
 * holder of a grant who keeps using it after the token was verified. */
bool captoken_live(struct ct_cap cap);
size_t captoken_slots_free(void);
/* Root slots minted for object and still live (not revoked): what a
 * caller that mints for others counts to give each object a share. */
size_t captoken_slots_live(uint64_t object);

/* ---- The codec (no key; shared with tools and the fuzzer) ------------- */

/* A caveat inside a decoded token: kind, len, then len value bytes. */
struct ct_caveat {
	uint8_t kind;
	uint8_t len;
	const uint8_t *val;	/* points into the token */
};

/* A decoded token.  Pointers are into the caller's buffer. */
struct ct_view {
	uint16_t slot;
	uint32_t gen;
	uint64_t object;
	uint32_t rights;	/* root rights */
	uint8_t ncav;
	struct ct_caveat cav[CT_MAX_CAVEATS];
	const uint8_t *tag;	/* the last CT_TAG bytes */
};

/* Parse and check the structure (not the MAC): CT_OK, CT_EVERSION,
 * CT_ETOOMANY or CT_EMALFORMED.  Every caveat must have a known kind and a
 * well-formed value; the token must end exactly after the tag. */
int captoken_decode(const uint8_t *p, size_t n, struct ct_view *v);
/* Check one caveat value for its kind: CT_OK or CT_EINVAL. */
int captoken_caveat_ok(unsigned kind, const uint8_t *val, size_t len);

/* Text form: "lux1." + base64url (no padding).  encode: CT_OK or
 * CT_ESPACE; decode: CT_OK, CT_EMALFORMED (bad prefix, alphabet,
 * non-canonical tail) or CT_ESPACE. */
int captoken_to_text(const uint8_t *tok, size_t n, char *out, size_t cap_bytes);
int captoken_from_text(const char *s, size_t slen, uint8_t *out, size_t cap_bytes, size_t *len);

const char *captoken_errstr(int r);	/* never null */
int captoken_lux_err(int r);		/* to an E_* of <lux/error.h> */

#endif
