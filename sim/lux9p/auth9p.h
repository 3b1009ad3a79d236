/*
 * lux9p's side of Lux9 authentication (docs/security.md, "Using it from
 * Linux: lux9p"): the core's client engine (<lux/auth.h>) driven through
 * a 9P auth fid, the server's host key checked against known_hosts, then
 * an attach with the afid and records from there on.
 */
#ifndef LUX9P_AUTH9P_H
#define LUX9P_AUTH9P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p9client.h"

struct auth9p {
	const char *addr;		/* the dial string as given: known_hosts' key */
	const char *user;		/* who we authenticate as */
	const char *aname;
	const char *known_hosts;	/* the file */
	bool accept_new;		/* --accept-new-host: trust a host seen first */
	bool verbose;			/* -v: say who answered and the record cipher */
	unsigned ciphers;		/* AUTH_C_* to offer; 0: all this CPU runs */
	uint8_t pk[32], sk[64];		/* the user's Ed25519 key pair */
	const uint8_t *token;		/* or a capability token (wire form): */
	size_t token_len;		/* the token method (-t, -T) */
};

/* lc_init with getrandom as the entropy: 0, or -1 with err set. */
int auth9p_crypto_init(char *err, size_t cap);

/* Is this a user name the protocol takes (1..31 of A-Z a-z 0-9 . _ -)? */
bool auth9p_user_ok(const char *user);

/* Tauth, the handshake over the afid, Tattach with it, then records.
 * 0 with the root fid, or -1 after printing why to stderr (one or more
 * lines starting with "lux9p: "). */
int auth9p_attach(struct p9c *c, struct auth9p *o, uint32_t *root);

/* mkdir -p for the directory part of path, mode 0700 for what is made.
 * 0, or -1 with errno. */
int auth9p_mkparents(const char *path);

#endif
