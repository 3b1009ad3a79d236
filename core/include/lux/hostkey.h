/*
 * The host's identity: one Ed25519 key the 9P server proves itself with
 * (docs/security.md).  On hosted it is made at first start and kept in a
 * 0600 file in luxsim's state directory (the arch hands the seed over at
 * boot); where nothing keeps it (metal, until the store exists; a
 * deterministic run) it is made at boot and the banner says it is
 * ephemeral, since clients' known-hosts entries will not match next time.
 */
#ifndef LUX_HOSTKEY_H
#define LUX_HOSTKEY_H

#include <lux/types.h>

/* From seed (32 bytes) or, when seed is 0, fresh randomness. */
int hostkey_init(const uint8_t *seed);
bool hostkey_ready(void);
bool hostkey_ephemeral(void);
const uint8_t *hostkey_public(void);	/* 32 bytes */
const uint8_t *hostkey_secret(void);	/* 64 bytes (libsodium's sk), secure memory */
/* "SHA256:..." into out (AUTH_FP_MAX bytes). */
int hostkey_fingerprint(char *out, size_t cap);

#endif
