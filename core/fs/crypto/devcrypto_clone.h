/*
 * The clone-session framework's inside (core/fs/crypto/devcrypto_clone.c), shared
 * with the kinds (devcrypto_{aead,mac,sign,verify,kx,kdf,pwhash}.c).  Not
 * an interface for the rest of the core: that is <lux/devcrypto.h>.
 *
 * The framework owns what every kind has: the table, ownership by pid,
 * the line-buffered ctl and its generic commands ("key NAME", "close"),
 * the input buffer of one message and the output of one run, their
 * charges to the owner's crypto pebbles, and the write/read/new-message
 * cycle.  A kind supplies a struct dc_kind: its own ctl commands, the
 * operation (run) and its state lines.
 */
#ifndef LUX_DEVCRYPTO_CLONE_H
#define LUX_DEVCRYPTO_CLONE_H

#include <lux/devcrypto.h>
#include <lux/keystore.h>
#include <lux/types.h>

struct budget;
struct dc_sess;

/* A ctl line the kind does not know: the framework reports it. */
#define DC_UNKNOWN 1

struct dc_kind {
	const char *name;	/* the directory under /secure/crypto */
	int keyalg;		/* what "key NAME" pins (enum ks_alg); -1: the kind's ctl parses key */
	bool needkey;		/* run refuses without a key */
	size_t maxmsg;		/* input bytes per message, most in any state */
	size_t inroom;		/* room the kind wants after the message, within
				 * maxmsg (aead: the tag, sealed in place) */
	/* optional: the bound in s's present state when it is tighter than
	 * maxmsg (aead: plaintext to encrypt, plaintext + tag to decrypt):
	 * 0 if the message may grow to total bytes, else E_TOOBIG and errstr */
	int (*admit)(struct dc_sess *s, size_t total);
	size_t privsize;	/* the kind's state, zeroed at clone (s->priv) */
	const char *usage;	/* the kind's ctl commands, for errors */
	/* ctl "VERB ARG" (arg "" if none): 0, an error (errstr set), or DC_UNKNOWN */
	int (*ctl)(struct dc_sess *s, const char *verb, const char *arg);
	/* The message is whole: make the output with dc_output/dc_output_hex,
	 * or fail.  A failure that is the answer (a forgery, a bad signature)
	 * goes through dc_fail and is what every read then returns until the
	 * next message; any other error leaves the message to retry after
	 * fixing ctl. */
	int (*run)(struct dc_sess *s);
	/* The kind's state lines into buf (never a secret): ksnprintf-style length */
	size_t (*state)(struct dc_sess *s, char *buf, size_t size);
	void (*fini)(struct dc_sess *s);	/* optional: wipe/free what priv holds */
	/* Needed by a kind that answers with dc_output_sealed: turn the
	 * sealed message back into the message as written (with the key and
	 * settings it was sealed with) and clear s->sealed.  The framework
	 * calls it before it runs the operation again on the same message
	 * and before the pinned key changes.  0, or an error (the message
	 * stays sealed, the key is not changed). */
	int (*unseal)(struct dc_sess *s);
};

struct dc_sess {
	int pid;
	char user[28];		/* who opened it: on a 9P connection several users
				 * share the principal, and a session is one's */
	int kind;
	uint32_t id;
	const struct dc_kind *k;
	struct budget *budget;	/* the owner's: pays for in, out and charges */
	struct ks_ref *key;	/* the pinned key version, or 0 */
	uint8_t *in;		/* the message so far */
	size_t inlen, incap;
	uint8_t *out;		/* the last run's output */
	size_t outlen, outcap;
	bool sealed;		/* the kind sealed the message where it was written
				 * (dc_output_sealed): in holds no secret, the kind's
				 * unseal undoes it, and while done the answer is
				 * in[0..outlen) */
	bool done;		/* ran: out (or err) is the answer until a new message or ctl change */
	bool asked;		/* read since the last write: the next write starts a new message */
	int err;		/* done with a failure: its code and text */
	char errmsg[80];
	bool skipping;		/* ctl: dropping the rest of an overlong line */
	size_t ctln;
	char ctl[DEVCRYPTO_CTLMAX];
	void *priv;		/* the kind's state */
};

extern const struct dc_kind dc_aead, dc_mac, dc_sign, dc_verify, dc_kx, dc_kdf, dc_pwhash;

/* Output of n bytes (room charged to the owner): the buffer, or 0 with
 * *err set (E_BUDGET, E_NOMEM). */
uint8_t *dc_output(struct dc_sess *s, size_t n, int *err);
/* Room for n bytes in the message buffer (room charged to the owner, the
 * message kept): the buffer, or 0 with *err set (E_BUDGET, E_NOMEM).
 * n is at most the kind's maxmsg. */
uint8_t *dc_inroom(struct dc_sess *s, size_t n, int *err);
/* The answer is in[0..n): the kind overwrote the message with it in
 * place (aead: sealed), so the message buffer now holds no secret and is
 * not wiped when the message goes; the kind's unseal undoes it.
 * n is at most the room dc_inroom made. */
void dc_output_sealed(struct dc_sess *s, size_t n);
/* Output: the lower-case hex of p[0..n) and a newline.  0 or an error. */
int dc_output_hex(struct dc_sess *s, const uint8_t *p, size_t n);
/* Output: text (kernel strings, already formatted).  0 or an error. */
int dc_output_text(struct dc_sess *s, const char *text, size_t n);
/* The operation's answer is a failure (see run): records it; returns err. */
int dc_fail(struct dc_sess *s, int err, const char *msg);

/* Pin key NAME of alg for s (dropping the one it had). 0 or an error. */
int dc_setkey(struct dc_sess *s, const char *name, enum ks_alg alg);
/* Was the pinned key created exportable (so its derived secrets may be shown)? */
bool dc_exportable(const struct ks_ref *r);

/* Charge / release n crypto pebbles to s's owner (memory an operation
 * holds only while it runs, e.g. Argon2's). */
int dc_charge(struct dc_sess *s, size_t n);
void dc_release(struct dc_sess *s, size_t n);

/* Hex of exactly want bytes (want 0: 1..max bytes, *len set) into out:
 * 0, or E_INVAL with errstr "KIND: WHAT: ...". */
int dc_unhex(struct dc_sess *s, const char *what, const char *hex, uint8_t *out, size_t want,
             size_t max, size_t *len);
/* A decimal number in [lo, hi]: 0, or E_INVAL with errstr. */
int dc_number(struct dc_sess *s, const char *what, const char *arg, uint64_t lo, uint64_t hi,
              uint64_t *out);

#endif
