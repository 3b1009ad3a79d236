/*
 * The record layer (core/auth/record.c): round trips up to the largest
 * record, a byte stream fed in every split, and each attack the layer
 * exists to stop -- a tampered, replayed, reordered, truncated or
 * reflected record -- failing with its exact code, for good.  The whole
 * group runs once per record cipher this CPU runs (ChaCha20-Poly1305;
 * AES-256-GCM with AES-NI).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <cmocka.h>

#include <lux/auth.h>
#include <lux/crypto.h>

static int entropy(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

static struct auth_rec tx, rx;
static unsigned cipher;		/* the AUTH_C_* of this group run */
static uint8_t stream[4 * AUTH_REC_MAX], out[2 * AUTH_OPEN_BUF], pt[AUTH_REC_PAYLOAD_MAX + 8];

static int pair(void **state)
{
	uint8_t k[32];

	(void)state;
	memset(&tx, 0, sizeof tx);
	memset(&rx, 0, sizeof rx);
	lc_random(k, sizeof k);
	memcpy(tx.key, k, 32);
	memcpy(rx.key, k, 32);
	tx.keyed = rx.keyed = true;
	tx.cipher = rx.cipher = (uint8_t)cipher;
	for (size_t i = 0; i < sizeof pt; i++)
		pt[i] = (uint8_t)(i * 7 + 1);
	return 0;
}

/* Seal records of these sizes, back to back; the stream's length. */
static size_t seal_all(const size_t *sizes, size_t n, int close)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		long r = auth_seal(&tx, pt, sizes[i], stream + len, sizeof stream - len);

		assert_int_equal(r, AUTH_REC_SEALED(sizes[i]));
		len += (size_t)r;
	}
	if (close) {
		long r = auth_seal_close(&tx, stream + len, sizeof stream - len);

		assert_int_equal(r, AUTH_REC_SEALED(0));
		len += (size_t)r;
	}
	return len;
}

static void test_round_trip_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 100, 65536 + 24, AUTH_REC_PAYLOAD_MAX };
	size_t used, got;

	(void)state;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len = seal_all(&sizes[i], 1, 0);

		assert_int_equal(auth_open(&rx, stream, len, out, AUTH_OPEN_BUF, &used, &got), 0);
		assert_int_equal(used, len);
		assert_int_equal(got, sizes[i]);
		assert_memory_equal(out, pt, got);
		/* the ciphertext is not the plaintext */
		if (sizes[i] >= 16)
			assert_memory_not_equal(stream + AUTH_REC_HDR, pt, 16);
	}
	assert_int_equal(auth_seal(&tx, pt, AUTH_REC_PAYLOAD_MAX + 1, stream, sizeof stream), AUTH_ETOOBIG);
	assert_int_equal(auth_seal(&tx, pt, 10, stream, AUTH_REC_SEALED(10) - 1), AUTH_ESPACE);
	assert_int_equal(tx.err, 0);	/* the caller's mistakes do not kill the stream */
}

static void test_in_place_seal(void **state)
{
	size_t used, got;
	long n;

	(void)state;
	memcpy(stream + AUTH_REC_HDR, "in place", 8);
	n = auth_seal(&tx, stream + AUTH_REC_HDR, 8, stream, sizeof stream);
	assert_int_equal(n, AUTH_REC_SEALED(8));
	assert_int_equal(auth_open(&rx, stream, (size_t)n, out, AUTH_OPEN_BUF, &used, &got), 0);
	assert_memory_equal(out, "in place", 8);
}

/* The stream cut at every byte: the opener takes whole records only and
 * asks for the rest; fed in two pieces, the payloads come out in order. */
static void test_stream_every_split(void **state)
{
	static const size_t sizes[] = { 5, 0, 40, 300 };
	size_t len, total = 345;

	(void)state;
	len = seal_all(sizes, 4, 1);
	for (size_t cut = 0; cut <= len; cut++) {
		struct auth_rec r = rx;
		size_t used, got, used2, got2;
		int a, b;

		a = auth_open(&r, stream, cut, out, AUTH_OPEN_BUF, &used, &got);
		assert_true(a == 0 || (a == AUTH_REC_CLOSE && cut == len));
		assert_true(used <= cut);
		/* what is left over is less than a whole record */
		b = auth_open(&r, stream + used, len - used, out + got, AUTH_OPEN_BUF, &used2, &got2);
		assert_int_equal(b, AUTH_REC_CLOSE);
		assert_int_equal(used + used2, len);
		assert_int_equal(got + got2, total);
		assert_memory_equal(out, pt, 5);
		assert_memory_equal(out + 5, pt, 40);
		assert_memory_equal(out + 45, pt, 300);
		assert_int_equal(auth_open_eof(&r), 0);
	}
}

/* Out too small for the next record: say so, consume nothing, stay alive. */
static void test_output_space(void **state)
{
	static const size_t sizes[] = { 100, 100 };
	size_t len, used, got;

	(void)state;
	len = seal_all(sizes, 2, 0);
	assert_int_equal(auth_open(&rx, stream, len, out, 100, &used, &got), AUTH_ESPACE);
	assert_int_equal(used, 0);
	/* room for one: one comes out, the other waits */
	assert_int_equal(auth_open(&rx, stream, len, out, 101, &used, &got), 0);
	assert_int_equal(got, 100);
	assert_int_equal(used, len / 2);
	assert_int_equal(auth_open(&rx, stream + used, len - used, out, 101, &used, &got), 0);
	assert_int_equal(got, 100);
}

static void test_tampered(void **state)
{
	static const size_t sizes[] = { 30 };
	size_t len, used, got;
	char want[AUTH_WHY_MAX];

	(void)state;
	len = seal_all(sizes, 1, 0);
	/* every bit of the body and the tag */
	for (size_t i = AUTH_REC_HDR; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			struct auth_rec r = rx;

			stream[i] ^= (uint8_t)(1 << bit);
			assert_int_equal(auth_open(&r, stream, len, out, AUTH_OPEN_BUF, &used, &got),
			                 AUTH_ERECORD);
			assert_int_equal(got, 0);
			assert_int_equal(used, 0);
			stream[i] ^= (uint8_t)(1 << bit);
		}
	/* the header is additional data: a shorter length fails the tag */
	stream[0]--;
	assert_int_equal(auth_open(&rx, stream, len, out, AUTH_OPEN_BUF, &used, &got), AUTH_ERECORD);
	snprintf(want, sizeof want,
	         "auth: record 0 failed authentication (tampered, replayed, reordered or forged)");
	assert_string_equal(auth_rec_why(&rx), want);
	/* sticky: the untouched record does not open now either */
	stream[0]++;
	assert_int_equal(auth_open(&rx, stream, len, out, AUTH_OPEN_BUF, &used, &got), AUTH_ERECORD);
	assert_int_equal(auth_open_eof(&rx), AUTH_ERECORD);
	assert_string_equal(auth_rec_why(&rx), want);
}

static void test_bad_lengths(void **state)
{
	uint8_t h[AUTH_REC_HDR];
	size_t used, got;
	struct auth_rec r = rx;

	(void)state;
	/* judged on the header alone, before any body arrives */
	h[0] = 0xff, h[1] = 0xff, h[2] = 0xff, h[3] = 0x7f;
	assert_int_equal(auth_open(&r, h, 4, out, AUTH_OPEN_BUF, &used, &got), AUTH_ETOOBIG);
	assert_string_equal(auth_rec_why(&r),
	                    "auth: record 0 claims 2147483647 bytes, more than the 66577 a record may have");
	r = rx;
	h[0] = 16, h[1] = h[2] = h[3] = 0;
	assert_int_equal(auth_open(&r, h, 4, out, AUTH_OPEN_BUF, &used, &got), AUTH_EMALFORMED);
	assert_string_equal(auth_rec_why(&r), "auth: record 0 is 16 bytes, shorter than type and tag");
	/* the largest legal length waits for its body */
	r = rx;
	h[0] = (uint8_t)(AUTH_REC_MAX - 4), h[1] = (uint8_t)((AUTH_REC_MAX - 4) >> 8);
	h[2] = (uint8_t)((AUTH_REC_MAX - 4) >> 16);
	assert_int_equal(auth_open(&r, h, 4, out, AUTH_OPEN_BUF, &used, &got), 0);
	assert_int_equal(used, 0);
}

static void test_replayed(void **state)
{
	static const size_t sizes[] = { 10 };
	size_t len, used, got;

	(void)state;
	len = seal_all(sizes, 1, 0);
	assert_int_equal(auth_open(&rx, stream, len, out, AUTH_OPEN_BUF, &used, &got), 0);
	assert_int_equal(auth_open(&rx, stream, len, out, AUTH_OPEN_BUF, &used, &got), AUTH_ERECORD);
	assert_string_equal(auth_rec_why(&rx),
	                    "auth: record 1 failed authentication (tampered, replayed, reordered or forged)");
}

static void test_reordered(void **state)
{
	size_t a, b, used, got;
	uint8_t second[AUTH_REC_SEALED(10)];

	(void)state;
	a = (size_t)auth_seal(&tx, pt, 10, stream, sizeof stream);
	b = (size_t)auth_seal(&tx, pt + 1, 10, second, sizeof second);
	assert_int_equal(auth_open(&rx, second, b, out, AUTH_OPEN_BUF, &used, &got), AUTH_ERECORD);
	assert_int_equal(auth_open(&rx, stream, a, out, AUTH_OPEN_BUF, &used, &got), AUTH_ERECORD);
	/* and a dropped record: the next one fails in its place */
	pair(state);
	a = (size_t)auth_seal(&tx, pt, 10, stream, sizeof stream);
	b = (size_t)auth_seal(&tx, pt + 1, 10, second, sizeof second);
	assert_int_equal(auth_open(&rx, second, b, out, AUTH_OPEN_BUF, &used, &got), AUTH_ERECORD);
}

static void test_truncated(void **state)
{
	static const size_t sizes[] = { 10, 20 };
	size_t len, used, got;
	struct auth_rec r;

	(void)state;
	len = seal_all(sizes, 2, 1);
	/* cut at the boundary before the close record */
	r = rx;
	assert_int_equal(auth_open(&r, stream, len - AUTH_REC_SEALED(0), out, AUTH_OPEN_BUF, &used, &got), 0);
	assert_int_equal(got, 30);
	assert_int_equal(auth_open_eof(&r), AUTH_ETRUNCATED);
	assert_string_equal(auth_rec_why(&r),
	                    "auth: the stream ended after 2 records without a close record (truncated)");
	/* cut inside a record */
	r = rx;
	assert_int_equal(auth_open(&r, stream, 20, out, AUTH_OPEN_BUF, &used, &got), 0);
	assert_int_equal(auth_open_eof(&r), AUTH_ETRUNCATED);
	/* whole: closed cleanly */
	r = rx;
	assert_int_equal(auth_open(&r, stream, len, out, AUTH_OPEN_BUF, &used, &got), AUTH_REC_CLOSE);
	assert_int_equal(auth_open_eof(&r), 0);
	/* anything after the close is refused */
	assert_int_equal(auth_open(&r, stream, 4, out, AUTH_OPEN_BUF, &used, &got), AUTH_ECLOSED);
	assert_string_equal(auth_rec_why(&r), "auth: 4 bytes came after the peer's close record");
	/* and we seal nothing after ours */
	assert_int_equal(auth_seal(&tx, pt, 1, stream, sizeof stream), AUTH_ECLOSED);
	assert_string_equal(auth_rec_why(&tx), "auth: record sealed after our close record");
}

/* A record of an unknown type, sealed by hand with the real key. */
static void test_unknown_type(void **state)
{
	uint8_t rec[AUTH_REC_SEALED(3)], nonce[12] = { 0 };
	size_t used, got;

	(void)state;
	rec[0] = 3 + 17, rec[1] = rec[2] = rec[3] = 0;
	memcpy(rec + 4, "abc\x09", 4);
	assert_int_equal(lc_aead_encrypt(cipher == AUTH_C_AES256GCM ? LC_AES256GCM : LC_CHACHA20POLY1305,
	                                 rec + 4, rec + 4, 4, rec, 4, nonce, tx.key), 0);
	assert_int_equal(auth_open(&rx, rec, sizeof rec, out, AUTH_OPEN_BUF, &used, &got), AUTH_EMALFORMED);
	assert_string_equal(auth_rec_why(&rx), "auth: record 0 has type 9 and 3 bytes: not data, not close");
}

static void test_sequence_exhausted(void **state)
{
	size_t used, got;

	(void)state;
	tx.seq = UINT64_MAX;
	assert_int_equal(auth_seal(&tx, pt, 1, stream, sizeof stream), AUTH_ESEQ);
	tx.seq = UINT64_MAX - 1;
	rx.seq = UINT64_MAX - 1;
	assert_int_equal(auth_seal(&tx, pt, 1, stream, sizeof stream), AUTH_ESEQ);	/* sticky */
	pair(state);
	tx.seq = rx.seq = UINT64_MAX - 1;
	assert_int_equal(auth_seal(&tx, pt, 1, stream, sizeof stream), AUTH_REC_SEALED(1));
	assert_int_equal(auth_open(&rx, stream, AUTH_REC_SEALED(1), out, AUTH_OPEN_BUF, &used, &got), 0);
	assert_int_equal(auth_open(&rx, stream, AUTH_REC_SEALED(1), out, AUTH_OPEN_BUF, &used, &got),
	                 AUTH_ESEQ);
}

static void test_unkeyed(void **state)
{
	struct auth_rec z;
	size_t used, got;

	(void)state;
	memset(&z, 0, sizeof z);
	assert_int_equal(auth_seal(&z, pt, 1, stream, sizeof stream), AUTH_ESTATE);
	assert_int_equal(auth_open(&z, stream, 0, out, 1, &used, &got), AUTH_ESTATE);
	assert_int_equal(auth_rec_cipher(&z), 0);
	/* a key but no cipher (or two at once) is no state to seal with */
	z = tx;
	z.cipher = 0;
	assert_int_equal(auth_seal(&z, pt, 1, stream, sizeof stream), AUTH_ESTATE);
	z.cipher = AUTH_C_ALL;
	assert_int_equal(auth_open(&z, stream, 0, out, 1, &used, &got), AUTH_ESTATE);
	assert_int_equal(auth_rec_cipher(&tx), cipher);
}

/* The same key under the other cipher opens nothing: the cipher is part
 * of what a record is. */
static void test_other_cipher(void **state)
{
	static const size_t sizes[] = { 0, 100 };
	unsigned other = cipher == AUTH_C_AES256GCM ? AUTH_C_CHACHA20POLY1305 : AUTH_C_AES256GCM;
	struct auth_rec r = rx;
	size_t len, used, got;

	(void)state;
	if (!(auth_ciphers_available() & other))
		skip();
	len = seal_all(sizes, 2, 1);
	r.cipher = (uint8_t)other;
	assert_int_equal(auth_open(&r, stream, len, out, AUTH_OPEN_BUF, &used, &got), AUTH_ERECORD);
	assert_int_equal(got, 0);
	assert_int_equal(auth_open(&rx, stream, len, out, AUTH_OPEN_BUF, &used, &got), AUTH_REC_CLOSE);
	assert_int_equal(got, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_round_trip_sizes, pair),
		cmocka_unit_test_setup(test_in_place_seal, pair),
		cmocka_unit_test_setup(test_stream_every_split, pair),
		cmocka_unit_test_setup(test_output_space, pair),
		cmocka_unit_test_setup(test_tampered, pair),
		cmocka_unit_test_setup(test_bad_lengths, pair),
		cmocka_unit_test_setup(test_replayed, pair),
		cmocka_unit_test_setup(test_reordered, pair),
		cmocka_unit_test_setup(test_truncated, pair),
		cmocka_unit_test_setup(test_unknown_type, pair),
		cmocka_unit_test_setup(test_sequence_exhausted, pair),
		cmocka_unit_test_setup(test_unkeyed, pair),
		cmocka_unit_test_setup(test_other_cipher, pair),
	};
	int failed;

	if (lc_init(entropy) < 0)
		return 1;
	cipher = AUTH_C_CHACHA20POLY1305;
	failed = cmocka_run_group_tests_name("records, chacha20poly1305", tests, 0, 0);
	if (!(auth_ciphers_available() & AUTH_C_AES256GCM)) {
		print_message("no AES-NI here: the aes256gcm group is skipped\n");
		return failed;
	}
	cipher = AUTH_C_AES256GCM;
	failed += cmocka_run_group_tests_name("records, aes256gcm", tests, 0, 0);
	return failed;
}
