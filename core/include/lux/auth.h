/*
 * Authentication of 9P connections and the record layer that encrypts
 * them afterwards (docs/security.md, "Protocols").  A pure engine: it
 * does no I/O and keeps no pointer to anything but the caller's keys and
 * callbacks.  Handshake messages go in and come out as byte buffers (the
 * 9P glue moves them through the Tauth afid with Twrite/Tread); records
 * are sealed into, and opened from, the caller's buffers.
 *
 * Two methods, both starting with the server proving its Ed25519 host key
 * over a transcript that holds both nonces and both ephemeral X25519 keys:
 *
 *   "ed25519"  the client proves a user Ed25519 key the same way;
 *   "token"    the client sends a Lux9 capability token (captoken.h),
 *              sealed under a key only the two ends of this exchange hold.
 *
 *   client                                   server
 *   auth_client_init                         auth_server_init
 *   auth_step(0, 0)  -> hello      ------>   auth_step(hello)  -> proof
 *   auth_step(proof) -> user proof ------>   auth_step(..)     -> confirm, AUTH_DONE
 *   auth_step(confirm): AUTH_DONE  <------
 *   auth_take_records: one sealer, one opener each
 *
 * The hello also offers the record ciphers the client runs (AUTH_C_*); the
 * server picks AES-256-GCM when both ends run it, else ChaCha20-Poly1305,
 * and names its pick in its signed proof.  Both are in the transcript, so
 * a man in the middle who strikes a cipher from the offer breaks the
 * server's signature.
 *
 * Errors are negative AUTH_E* codes; auth_why() says what happened in a
 * sentence meant for an audit log ("auth: bad signature from user
 * alice").  An error is sticky: every later call returns it again.  A
 * server that refuses still puts an error message for the client in out
 * (*outlen > 0): send it, then close.
 */
#ifndef LUX_AUTH_H
#define LUX_AUTH_H

#include <lux/captoken.h>
#include <lux/crypto.h>
#include <lux/types.h>

#define AUTH_PROTOCOL "lux9-auth-2"	/* the version string in the hello (2: cipher negotiation) */
#define AUTH_KEY 32			/* Ed25519 and X25519 public keys */
#define AUTH_NONCE 32
#define AUTH_USER_MAX 32		/* user name bytes, with the NUL: 1..31 chars */
#define AUTH_WHY_MAX 160		/* auth_why() length, with the NUL */
#define AUTH_REASON_MAX 128		/* reason in a server's error message */

/* The largest handshake message: the token message (header, sealed
 * length, the longest wire token, the AEAD tag).  An out buffer this big
 * takes any message auth_step writes. */
#define AUTH_MSG_MAX (3 + 2 + CT_WIRE_MAX + LC_AEAD_TAG)

/* "SHA256:" + 43 characters of unpadded base64 + NUL. */
#define AUTH_FP_MAX 51

enum auth_method {
	AUTH_M_ED25519 = 1 << 0,
	AUTH_M_TOKEN = 1 << 1,
};

/* Record ciphers: the client's offer is a mask of these, the server's
 * pick exactly one. */
enum auth_cipher {
	AUTH_C_CHACHA20POLY1305 = 1 << 0,	/* RFC 8439 IETF: every CPU */
	AUTH_C_AES256GCM = 1 << 1,		/* only where lc_aead_available says so */
};
#define AUTH_C_ALL (AUTH_C_CHACHA20POLY1305 | AUTH_C_AES256GCM)

/* auth_step's results besides the errors. */
enum {
	AUTH_DONE = 0,		/* authenticated; send out if *outlen > 0, then records */
	AUTH_CONTINUE = 1,	/* send out, then step again with the peer's answer */
};

/* Errors: negative, sticky.  auth_why() has the details. */
enum auth_err {
	AUTH_EMALFORMED = -1,	/* a message or record that does not parse */
	AUTH_EVERSION = -2,	/* the peer speaks another protocol version */
	AUTH_EMETHOD = -3,	/* method unknown or not allowed here */
	AUTH_EUSERNAME = -4,	/* user name empty, too long, or bad characters */
	AUTH_EHOSTSIG = -5,	/* the server's signature does not verify */
	AUTH_EHOSTUNKNOWN = -6,	/* host key not in known hosts */
	AUTH_EHOSTMISMATCH = -7, /* known hosts has another key for this host */
	AUTH_EUSERSIG = -8,	/* the user's signature does not verify */
	AUTH_EUNKNOWNUSER = -9,	/* no such user */
	AUTH_EUSERKEY = -10,	/* the key is not authorized for that user */
	AUTH_ETOKEN = -11,	/* the token was refused (or did not unseal) */
	AUTH_EREFUSED = -12,	/* client: the server sent an error message */
	AUTH_ECONFIRM = -13,	/* client: key confirmation failed */
	AUTH_ECRYPTO = -14,	/* a primitive failed (e.g. a low-order X25519 key) */
	AUTH_ESTATE = -15,	/* called in the wrong state, or not done yet */
	AUTH_ESPACE = -16,	/* caller's output buffer too small */
	AUTH_EINVAL = -17,	/* bad argument */
	/* record layer */
	AUTH_ERECORD = -18,	/* record failed authentication */
	AUTH_ETOOBIG = -19,	/* record longer than AUTH_REC_PAYLOAD_MAX */
	AUTH_ECLOSED = -20,	/* a record after the peer's close, or sealing after ours */
	AUTH_ETRUNCATED = -21,	/* the stream ended without a close record */
	AUTH_ESEQ = -22,	/* 2^64 records: the sequence number would repeat */
	AUTH_ECIPHER = -23,	/* no record cipher both ends run (or one we did not offer) */
	AUTH_ENERR = -24
};

/* What the caller's callbacks answer. */
enum { AUTH_HOST_KNOWN, AUTH_HOST_UNKNOWN, AUTH_HOST_MISMATCH };
enum { AUTH_USER_OK, AUTH_USER_UNKNOWN, AUTH_USER_KEY_REFUSED };

struct auth_client_config {
	enum auth_method method;	/* exactly one of AUTH_M_* */
	const char *user;		/* 1..31 of A-Z a-z 0-9 . _ - */
	/* ed25519: the user's keys (lc_ed25519_seed_keypair's pk and sk) */
	const uint8_t *user_pk;
	const uint8_t *user_sk;
	/* token: the wire form (captoken_mint/attenuate), at most CT_WIRE_MAX */
	const uint8_t *token;
	size_t token_len;
	/* Is this the key of the host we dialed?  AUTH_HOST_*.  The caller
	 * knows the address and the known-hosts file; the engine only asks. */
	int (*known_host)(void *arg, const uint8_t pk[AUTH_KEY]);
	void *arg;
	/* AUTH_C_* to offer; 0: every cipher this CPU runs.  A cipher the
	 * CPU cannot run is left out; none left is AUTH_ECIPHER at init. */
	unsigned ciphers;
};

struct auth_server_config {
	const uint8_t *host_pk;		/* Ed25519 host key */
	const uint8_t *host_sk;
	unsigned methods;		/* AUTH_M_* allowed */
	/* May this key log in as user?  AUTH_USER_*.  ed25519 method. */
	int (*user_key)(void *arg, const char *user, const uint8_t pk[AUTH_KEY]);
	/* Verify a token for user (the kernel's captoken_verify, which holds
	 * the token key): CT_OK and *grant filled, or a CT_E* code.  token
	 * method. */
	int (*token_ok)(void *arg, const char *user, const uint8_t *tok, size_t n,
	                struct ct_grant *grant);
	void *arg;
	/* AUTH_C_* this server will pick from, as the client's ciphers. */
	unsigned ciphers;
};

/* ---- Record layer ------------------------------------------------------ */

/*
 * A record: a 4-byte little-endian length L, then L bytes of AEAD
 * ciphertext of (payload, type byte), tag last, under the cipher the
 * handshake picked (AES-256-GCM or ChaCha20-Poly1305 IETF: both take a
 * 12-byte nonce and give a 16-byte tag).  The nonce is the direction's
 * record count (never sent), the additional data the length header.  The type byte trails the payload so a record decrypts
 * straight into the caller's buffer with the payload at its start.
 */
#define AUTH_REC_HDR 4
#define AUTH_REC_PAYLOAD_MAX (65536 + 1024)	/* one 9P message of msize 65560 fits */
#define AUTH_REC_SEALED(n) ((size_t)AUTH_REC_HDR + (n) + 1 + LC_AEAD_TAG)
#define AUTH_REC_MAX AUTH_REC_SEALED(AUTH_REC_PAYLOAD_MAX)
/* An opener's out buffer of this size takes any record (payload + type). */
#define AUTH_OPEN_BUF (AUTH_REC_PAYLOAD_MAX + 1)

enum { AUTH_REC_DATA = 1, AUTH_REC_CLOSE = 2 };

/* One direction: its key and cipher, its next sequence number, its sticky
 * error. */
struct auth_rec {
	uint8_t key[LC_AEAD_KEY];
	uint8_t cipher;		/* one AUTH_C_* */
	uint64_t seq;
	int err;		/* 0, or the AUTH_E* that killed it */
	bool closed;		/* close sealed (tx) or opened (rx) */
	bool keyed;
	char why[AUTH_WHY_MAX];
};

/* Seal n bytes (n <= AUTH_REC_PAYLOAD_MAX) as one data record into out;
 * returns AUTH_REC_SEALED(n), or an error. */
long auth_seal(struct auth_rec *tx, const void *pt, size_t n, uint8_t *out, size_t cap);
/* The close record: the last thing sealed on this direction. */
long auth_seal_close(struct auth_rec *tx, uint8_t *out, size_t cap);

/*
 * Open whatever bytes arrived: consume whole records from in, in order,
 * while their payloads fit into out, and stop at the first incomplete
 * one.  *consumed: bytes of in used up (keep the rest and call again with
 * more appended); *outlen: payload bytes written to out.  Returns 0, or
 * AUTH_REC_CLOSE once the peer's close record is consumed (nothing after
 * it is read), or an error (sticky: the stream is dead).  AUTH_ESPACE
 * (not sticky) when the next whole record does not fit and nothing was
 * produced: give out AUTH_OPEN_BUF bytes.
 */
int auth_open(struct auth_rec *rx, const uint8_t *in, size_t inlen, uint8_t *out, size_t cap,
              size_t *consumed, size_t *outlen);
/* The byte stream ended: 0 if the close record came, else AUTH_ETRUNCATED. */
int auth_open_eof(struct auth_rec *rx);
const char *auth_rec_why(const struct auth_rec *r);
unsigned auth_rec_cipher(const struct auth_rec *r);	/* its AUTH_C_*, 0 unkeyed */
void auth_rec_wipe(struct auth_rec *r);

/* ---- Handshake -------------------------------------------------------- */

/*
 * The handshake state.  The caller allocates it (sizeof(struct auth),
 * about 10 KiB, most of it room for a token) and treats it as opaque;
 * auth_wipe() when done.  The config's keys, token and user string must
 * outlive the handshake: they are used in place, not copied.
 */
struct auth {
	uint8_t role;			/* 'c' or 's' */
	uint8_t phase;
	int err;
	enum auth_method method;
	struct auth_client_config cc;
	struct auth_server_config sc;
	char user[AUTH_USER_MAX];
	uint8_t nonce_c[AUTH_NONCE], nonce_s[AUTH_NONCE];
	uint8_t esk[LC_X25519_KEY];		/* our ephemeral secret */
	uint8_t epk_c[AUTH_KEY], epk_s[AUTH_KEY];
	uint8_t host_pk[AUTH_KEY];		/* the server's, as sent */
	uint8_t user_pk[AUTH_KEY];		/* the client's (ed25519) */
	uint8_t shared[LC_X25519_KEY];		/* X25519(esk, peer) */
	uint8_t confirm[32];			/* client: the MAC the server must send */
	unsigned ciphers;			/* AUTH_C_* we offer (client) or pick from (server) */
	unsigned cipher;			/* the server's pick, one AUTH_C_* */
	lc_hash_state th;			/* transcript: every message so far */
	struct auth_rec tx, rx;			/* ours once done */
	struct ct_grant grant;			/* token method, server */
	uint8_t token[CT_WIRE_MAX];		/* the token received (server) */
	size_t token_len;
	char why[AUTH_WHY_MAX];
};

/* Start a handshake as the client or the server, as cfg says: 0, or an
 * AUTH_E* code with a->why saying what in cfg is wrong. */
int auth_client_init(struct auth *a, const struct auth_client_config *cfg);
int auth_server_init(struct auth *a, const struct auth_server_config *cfg);
/* One message in (the client's first step takes none), one out.  Returns
 * AUTH_CONTINUE, AUTH_DONE or an error; *outlen is what to send. */
int auth_step(struct auth *a, const uint8_t *in, size_t inlen, uint8_t *out, size_t cap,
              size_t *outlen);
/* Total length of the handshake message starting at p (its header says),
 * 0 while fewer than 3 bytes are there, or AUTH_EMALFORMED: for callers
 * that must frame messages out of a byte stream. */
long auth_msg_len(const uint8_t *p, size_t n);

/* Once AUTH_DONE: who the peer is and what it holds. */
const char *auth_user(const struct auth *a);		/* the user name */
const uint8_t *auth_user_key(const struct auth *a);	/* ed25519, else null */
const uint8_t *auth_host_key(const struct auth *a);	/* the server's */
unsigned auth_cipher(const struct auth *a);		/* the records' AUTH_C_*, else 0 */
/* Token method, server: the grant the callback returned and the token
 * itself (decode it with captoken_decode for the caveats); null before. */
const struct ct_grant *auth_grant(const struct auth *a);
const uint8_t *auth_token(const struct auth *a, size_t *len);
/* Move the two record states out (tx seals what we send, rx opens what
 * we receive) and wipe them from a.  AUTH_ESTATE before AUTH_DONE. */
int auth_take_records(struct auth *a, struct auth_rec *tx, struct auth_rec *rx);

const char *auth_why(const struct auth *a);	/* "" when nothing failed */
const char *auth_errstr(int err);		/* a generic line per code */
int auth_lux_err(int err);			/* to an E_* of <lux/error.h> */
void auth_wipe(struct auth *a);			/* every secret, then all of it */

/* The AUTH_C_* this CPU runs (ChaCha20-Poly1305 always). */
unsigned auth_ciphers_available(void);
/* "aes256gcm", "chacha20poly1305" (lc_aead_name's words), "none" for 0,
 * "?" for anything else. */
const char *auth_cipher_name(unsigned cipher);

/* "SHA256:<base64 of SHA-256 of the 32 key bytes, unpadded>" for banners
 * and known-hosts files.  Returns the length, or AUTH_ESPACE. */
int auth_fingerprint(const uint8_t pk[AUTH_KEY], char *out, size_t cap);

#endif
