/*
 * The record layer: what the TCP stream carries after the handshake (see
 * <lux/auth.h> for the format).  Each direction has its own key, so the
 * sequence number alone is a unique nonce; it is never sent, so a record
 * replayed, dropped or moved decrypts under the wrong nonce and fails its
 * tag.  A stream cut at a record boundary is caught by the missing close
 * record (auth_open_eof).  Any failure kills the direction for good.
 */
#include "auth_impl.h"

#include <lux/fmt.h>
#include <lux/string.h>

#define REC_MIN (1 + LC_AEAD_TAG)			/* type byte and tag */
#define REC_BODY_MAX (AUTH_REC_PAYLOAD_MAX + REC_MIN)

_Static_assert(AUTH_REC_PAYLOAD_MAX >= 65536 + 64, "one 9P message of msize 64 KiB + 24 fits");
_Static_assert(REC_BODY_MAX < 0xffffffffu, "length fits the 4-byte header");

static int rfail(struct auth_rec *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rfail(struct auth_rec *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
	r->err = err;
	lc_wipe(r->key, sizeof r->key);	/* a dead direction never decrypts again */
	return err;
}

/* The 12-byte nonce of either cipher (ChaCha20-Poly1305 IETF, AES-256-GCM):
 * 4 zero bytes, then the sequence number. */
static void nonce_of(uint8_t n[12], uint64_t seq)
{
	kmemset(n, 0, 4);
	for (int i = 0; i < 8; i++, seq >>= 8)
		n[4 + i] = (uint8_t)seq;
}

static bool valid_cipher(unsigned c)
{
	return c == AUTH_C_CHACHA20POLY1305 || c == AUTH_C_AES256GCM;
}

static long seal(struct auth_rec *tx, unsigned type, const void *pt, size_t n, uint8_t *out,
                 size_t cap)
{
	uint8_t nonce[12];
	size_t body = n + REC_MIN;

	if (!tx->keyed || !valid_cipher(tx->cipher))
		return AUTH_ESTATE;
	if (tx->err)
		return tx->err;
	if (tx->closed)
		return rfail(tx, AUTH_ECLOSED, "auth: record sealed after our close record");
	if (n > AUTH_REC_PAYLOAD_MAX)
		return AUTH_ETOOBIG;	/* the caller's mistake; nothing was sent */
	if (cap < AUTH_REC_SEALED(n))
		return AUTH_ESPACE;
	if (tx->seq == UINT64_MAX)
		return rfail(tx, AUTH_ESEQ, "auth: 2^64 records sealed; the nonce would repeat");
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(body >> 8 * i);
	/* pt may already sit at out + AUTH_REC_HDR: then this moves nothing
	 * and the cipher runs in place. */
	if (n && (const uint8_t *)pt != out + AUTH_REC_HDR)
		kmemmove(out + AUTH_REC_HDR, pt, n);
	out[AUTH_REC_HDR + n] = (uint8_t)type;
	nonce_of(nonce, tx->seq);
	if (lc_aead_encrypt(cipher_alg(tx->cipher), out + AUTH_REC_HDR, out + AUTH_REC_HDR, n + 1,
	                    out, AUTH_REC_HDR, nonce, tx->key) < 0)
		return rfail(tx, AUTH_ECRYPTO, "auth: sealing record %llu failed",
		             (unsigned long long)tx->seq);
	tx->seq++;
	if (type == AUTH_REC_CLOSE)
		tx->closed = true;
	return (long)AUTH_REC_SEALED(n);
}

long auth_seal(struct auth_rec *tx, const void *pt, size_t n, uint8_t *out, size_t cap)
{
	return seal(tx, AUTH_REC_DATA, pt, n, out, cap);
}

long auth_seal_close(struct auth_rec *tx, uint8_t *out, size_t cap)
{
	return seal(tx, AUTH_REC_CLOSE, 0, 0, out, cap);
}

/* One whole record at in (len bytes of body after the header) into out. */
static int open_one(struct auth_rec *rx, const uint8_t *in, size_t body, uint8_t *out, size_t *plen)
{
	uint8_t nonce[12];
	unsigned long long seq = rx->seq;
	unsigned type;

	if (rx->seq == UINT64_MAX)
		return rfail(rx, AUTH_ESEQ, "auth: 2^64 records opened; the nonce would repeat");
	nonce_of(nonce, rx->seq);
	if (lc_aead_decrypt(cipher_alg(rx->cipher), out, in + AUTH_REC_HDR, body, in, AUTH_REC_HDR,
	                    nonce, rx->key) < 0) {
		lc_wipe(out, body - LC_AEAD_TAG);
		return rfail(rx, AUTH_ERECORD,
		             "auth: record %llu failed authentication (tampered, replayed, "
		             "reordered or forged)",
		             seq);
	}
	rx->seq++;
	*plen = body - REC_MIN;
	type = out[*plen];
	if (type == AUTH_REC_DATA)
		return 0;
	if (type == AUTH_REC_CLOSE && *plen == 0) {
		rx->closed = true;
		return 0;
	}
	lc_wipe(out, body - LC_AEAD_TAG);
	return rfail(rx, AUTH_EMALFORMED,
	             "auth: record %llu has type %u and %zu bytes: not data, not close", seq, type,
	             *plen);
}

int auth_open(struct auth_rec *rx, const uint8_t *in, size_t inlen, uint8_t *out, size_t cap,
              size_t *consumed, size_t *outlen)
{
	size_t used = 0, got = 0;
	int r = 0;

	if (!rx->keyed || !valid_cipher(rx->cipher))
		return AUTH_ESTATE;
	while (rx->err == 0) {
		size_t left = inlen - used, body, plen = 0;
		const uint8_t *p;

		if (rx->closed) {
			if (left > 0)
				rfail(rx, AUTH_ECLOSED,
				      "auth: %zu bytes came after the peer's close record", left);
			break;
		}
		if (left < AUTH_REC_HDR)
			break;
		p = in + used;	/* only now: in may be null when inlen is 0 */
		body = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
		/* Judged on the header alone: a bad length never makes us wait
		 * for (or buffer) bytes that cannot be a record. */
		if (body < REC_MIN) {
			rfail(rx, AUTH_EMALFORMED,
			      "auth: record %llu is %zu bytes, shorter than type and tag",
			      (unsigned long long)rx->seq, body);
			break;
		}
		if (body > REC_BODY_MAX) {
			rfail(rx, AUTH_ETOOBIG,
			      "auth: record %llu claims %zu bytes, more than the %u a record may "
			      "have",
			      (unsigned long long)rx->seq, body, (unsigned)REC_BODY_MAX);
			break;
		}
		if (left - AUTH_REC_HDR < body)
			break;
		if (cap - got < body - LC_AEAD_TAG) {
			if (got == 0 && used == 0)
				r = AUTH_ESPACE;
			break;
		}
		if (open_one(rx, p, body, out + got, &plen) < 0)
			break;
		got += plen;
		used += AUTH_REC_HDR + body;
	}
	*consumed = used;
	*outlen = got;
	if (rx->err)
		return rx->err;
	if (r)
		return r;
	return rx->closed ? AUTH_REC_CLOSE : 0;
}

int auth_open_eof(struct auth_rec *rx)
{
	if (rx->err)
		return rx->err;
	if (!rx->closed)
		return rfail(
		    rx, AUTH_ETRUNCATED,
		    "auth: the stream ended after %llu records without a close record (truncated)",
		    (unsigned long long)rx->seq);
	return 0;
}

unsigned auth_rec_cipher(const struct auth_rec *r)
{
	return r->keyed ? r->cipher : 0;
}

const char *auth_rec_why(const struct auth_rec *r)
{
	return r->why;
}

void auth_rec_wipe(struct auth_rec *r)
{
	lc_wipe(r, sizeof *r);
}
