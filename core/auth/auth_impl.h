/*
 * What the handshake's files share: the message layout, the bounds-
 * checked reader and the writer, the transcript, the key schedule and the
 * sticky failure.  Private to core/auth/.
 */
#ifndef LUX_AUTH_IMPL_H
#define LUX_AUTH_IMPL_H

#include <lux/auth.h>

/* Message types: the first byte of every handshake message, then a
 * 2-byte little-endian body length, then the body. */
enum {
	MSG_HELLO = 1,		/* C->S */
	MSG_SERVER = 2,		/* S->C: nonce, ephemeral, host key, signature */
	MSG_USERPROOF = 3,	/* C->S, ed25519: user key, signature */
	MSG_TOKEN = 4,		/* C->S, token: sealed token */
	MSG_CONFIRM = 5,	/* S->C: key confirmation MAC */
	MSG_ERROR = 6,		/* S->C: reason */
};
#define MSG_HDR 3

/* Phases (a->phase). */
enum {
	PH_HELLO,		/* client: write the hello; server: read it */
	PH_PROOF,		/* client: read the server's proof; server: read the user's */
	PH_CONFIRM,		/* client: read the confirmation */
	PH_DONE,
	PH_DEAD,
};

/* Domain separation: every signed or MACed hash is prefixed by one of
 * these (with its NUL), so no signature made for one purpose verifies
 * for another. */
#define LABEL_SERVER AUTH_PROTOCOL " server"
#define LABEL_CLIENT AUTH_PROTOCOL " client"
#define KDF_HS "luxauthH"	/* keys from the transcript through the server's proof */
#define KDF_MS "luxauthM"	/* keys from the final transcript */
enum { KID_TOKEN = 1, KID_C2S = 1, KID_S2C = 2, KID_CONFIRM = 3 };

/* A cursor over one message: every read checks against end once, and the
 * first short read makes the reader bad for good (later reads get zeros
 * or null) and remembers which field it was. */
struct rd {
	const uint8_t *p, *end;
	const char *bad;	/* the first field that did not fit, or null */
};

void rd_init(struct rd *r, const uint8_t *p, size_t n);
unsigned rd_u8(struct rd *r, const char *field);
unsigned rd_u16(struct rd *r, const char *field);
const uint8_t *rd_bytes(struct rd *r, size_t n, const char *field);
/* A u8-length string of 1..max bytes; *len gets its length. */
const uint8_t *rd_str(struct rd *r, size_t max, size_t *len, const char *field);

struct wr {
	uint8_t *p, *start, *end;
	bool bad;
};

void wr_init(struct wr *w, uint8_t *p, size_t cap);
void wr_u8(struct wr *w, unsigned v);
void wr_u16(struct wr *w, unsigned v);
void wr_bytes(struct wr *w, const void *p, size_t n);
void wr_str(struct wr *w, const char *s, size_t n);
/* Open a message of type t: returns where its header is, to close it. */
uint8_t *wr_msg(struct wr *w, unsigned t);
void wr_end(struct wr *w, uint8_t *hdr);

/* Record the failure: a->err, a->why (printf-style), phase dead.
 * Returns err, for "return fail(...)". */
int fail(struct auth *a, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Check the message header: type t, body length matching n exactly.  0,
 * or a failure (malformed) naming what.  On success r covers the body. */
int msg_open(struct auth *a, struct rd *r, const uint8_t *in, size_t n, unsigned t,
             const char *what);
/* After the last field: nothing left over, no field short. */
int msg_close(struct auth *a, struct rd *r, const char *what);
/* Copy s into out as printable ASCII ('?' for anything else), for why-
 * strings that quote the peer. */
void printable(char *out, size_t cap, const uint8_t *s, size_t n);
bool user_name_ok(const uint8_t *s, size_t n);

/* The transcript: feed every message, whole, in order. */
void th_add(struct auth *a, const void *p, size_t n);
/* The hash so far (BLAKE2b-512), the running state untouched. */
void th_peek(const struct auth *a, uint8_t h[64]);
/* label || NUL || hash: what a signature covers. */
size_t signed_blob(uint8_t out[96], const char *label, const uint8_t h[64]);

/* The ciphers a config asks for (0: all), less what this CPU cannot run;
 * AUTH_ECIPHER (failed) when none is left or the mask has unknown bits. */
int ciphers_of(struct auth *a, unsigned asked);
/* The lc_aead_alg of one AUTH_C_*. */
enum lc_aead_alg cipher_alg(unsigned cipher);

/* X25519 of our ephemeral secret with the peer's, into a->shared. */
int dh(struct auth *a, const uint8_t peer[AUTH_KEY]);
/* A 32-byte key from a->shared and a transcript hash: keyed BLAKE2b
 * under the shared secret, then lc_kdf_derive(id, ctx). */
int derive(const struct auth *a, const uint8_t h[64], const char ctx[8], uint64_t id,
           uint8_t out[32]);
/* Master key from the final transcript, the record keys and the confirm MAC. */
int finish_keys(struct auth *a, uint8_t mac[32]);

int client_step(struct auth *a, const uint8_t *in, size_t inlen, struct wr *w);
int server_step(struct auth *a, const uint8_t *in, size_t inlen, struct wr *w);

#endif
