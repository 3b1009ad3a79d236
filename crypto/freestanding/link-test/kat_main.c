/*
 * Link and known-answer test for the freestanding libsodium: a static Linux
 * program with no libc at all, linked only against install/lib/libsodium.a
 * and the kernel's shim (arch-x86_64/libc/sodium_shim.c), so every symbol
 * libsodium needs must come from the shim.  Test-only: its own _start and
 * raw write/exit syscalls stand in for the kernel.
 *
 * Built with -DKAT_UNSET it instead calls sodium_init() without installing
 * a randombytes implementation, which must end in lux_crypto_panic()
 * (exit status 3 with the panic message), never in /dev/urandom.
 */
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "sodium_shim.h"

/* ---- the "kernel": syscalls, output, hooks ------------------------------ */

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c)
	                 : "rcx", "r11", "memory");
	return ret;
}

_Noreturn static void sys_exit(int status)
{
	for (;;)
		sys3(60 /* exit */, status, 0, 0);
}

static void put(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	sys3(1 /* write */, 1, (long)s, (long)n);
}

static void put_hex(const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[2 * 64 + 1];
	size_t i;

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++) {
		buf[2 * i] = digits[b[i] >> 4];
		buf[2 * i + 1] = digits[b[i] & 15];
	}
	buf[2 * n] = '\0';
	put(buf);
}

void lux_crypto_panic(const char *why)
{
	put("panic: ");
	put(why);
	put("\n");
	sys_exit(3);
}

/* A bump allocator over a static arena; free is a no-op.  16-byte aligned. */
static _Alignas(16) unsigned char arena[1 << 20];
static size_t arena_used;

void *lux_crypto_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (n > sizeof arena - arena_used)
		return NULL;
	p = &arena[arena_used];
	arena_used += n;
	return p;
}

void lux_crypto_free(void *p)
{
	(void)p;
}

/* ---- a deterministic randombytes implementation (test only!) ------------- */

static uint64_t rng_state = 0x6c75783921u;	/* xorshift64* */

static uint32_t kat_random(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static void kat_buf(void *const buf, const size_t size)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < size; i++)
		p[i] = (unsigned char)kat_random();
}

static const char *kat_name(void)
{
	return "kat-deterministic";
}

static randombytes_implementation kat_rng = {
	.implementation_name = kat_name,
	.random = kat_random,
	.buf = kat_buf,
};

/* ---- checks -------------------------------------------------------------- */

static int failures;

static int unhex(uint8_t *out, size_t n, const char *hex)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] << 4) | v : v);
	}
	return hex[2 * n] == '\0' ? 0 : -1;
}

static void check(const char *name, int ok)
{
	put(ok ? "PASS " : "FAIL ");
	put(name);
	put("\n");
	if (!ok)
		failures++;
}

static void check_hex(const char *name, const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[64];
	int ok = n <= sizeof w && unhex(w, n, want) == 0 && sodium_memcmp(got, w, n) == 0;

	check(name, ok);
	if (!ok) {
		put("  got  ");
		put_hex(got, n);
		put("\n  want ");
		put(want);
		put("\n");
	}
}

/* The shim has no header for these: libsodium gets them by name. */
void *memcpy(void *restrict, const void *restrict, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);
size_t strlen(const char *);
int strncmp(const char *, const char *, size_t);
char *strchr(const char *, int);
char *strrchr(const char *, int);

/* The shim's memmove, both directions with overlap, and memcpy/memset. */
static void check_shim(void)
{
	char a[16] = "0123456789";
	char b[16] = "0123456789";
	char c[8];
	int ok;

	memmove(a + 2, a, 8);	/* forward overlap: must copy backwards */
	memmove(b, b + 2, 8);	/* backward overlap */
	ok = memcmp(a, "0101234567", 10) == 0 && memcmp(b, "2345678989", 10) == 0;
	memset(c, 'x', sizeof c);
	memcpy(c, "ab", 2);
	ok = ok && memcmp(c, "abxxxxxx", 8) == 0 && strlen("abc") == 3 &&
	     strncmp("$argon2id$", "$argon2i$", 8) == 0 &&
	     strncmp("$argon2id$", "$argon2i$", 9) > 0 && strchr("a=b=c", '=') != NULL &&
	     *(strrchr("a=b=c", '=') + 1) == 'c';
	check("shim memmove/memcpy/memset/str*", ok);
}

static int kat_main(void)
{
	static const uint8_t abc[3] = { 'a', 'b', 'c' };
	uint8_t h[64], seed[32], pk[32], sk[64], sig[64], k[32], x[32];
	unsigned long long siglen;

#ifdef KAT_UNSET
	put("sodium_init without randombytes_set_implementation...\n");
	if (sodium_init() == 0)
		put("FAIL sodium_init returned 0\n");
	else
		put("FAIL sodium_init returned an error\n");
	return 1;
#endif
	check_shim();
	randombytes_set_implementation(&kat_rng);
	check("sodium_init", sodium_init() == 0);
	check("randombytes is the custom one", randombytes_implementation_name() == kat_name());
	put("info: cpu sse2/ssse3/sse41/avx/avx2/avx512f/aesni/pclmul = ");
	{
		char f[17] = "0/0/0/0/0/0/0/0\n";
		int v[8] = { sodium_runtime_has_sse2(),  sodium_runtime_has_ssse3(),
			     sodium_runtime_has_sse41(), sodium_runtime_has_avx(),
			     sodium_runtime_has_avx2(),  sodium_runtime_has_avx512f(),
			     sodium_runtime_has_aesni(), sodium_runtime_has_pclmul() };
		int i;

		for (i = 0; i < 8; i++)
			f[2 * i] = (char)('0' + (v[i] != 0));
		put(f);
	}

	crypto_hash_sha256(h, abc, sizeof abc);
	check_hex("SHA-256(abc)", h, 32,
	          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	crypto_hash_sha512(h, abc, sizeof abc);
	check_hex("SHA-512(abc)", h, 64,
	          "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	          "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");

	check("BLAKE2b-512 ok", crypto_generichash(h, 64, abc, sizeof abc, NULL, 0) == 0);
	check_hex("BLAKE2b-512(abc)", h, 64,
	          "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
	          "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");

	/* RFC 8032 7.1 test 1 */
	unhex(seed, 32, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
	check("ed25519 seed keypair", crypto_sign_seed_keypair(pk, sk, seed) == 0);
	check_hex("ed25519 public key", pk, 32,
	          "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	check("ed25519 sign",
	      crypto_sign_detached(sig, &siglen, (const uint8_t *)"", 0, sk) == 0 && siglen == 64);
	check_hex("ed25519 signature", sig, 64,
	          "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	          "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
	check("ed25519 verify", crypto_sign_verify_detached(sig, (const uint8_t *)"", 0, pk) == 0);
	sig[0] ^= 1;
	check("ed25519 verify rejects a bad signature",
	      crypto_sign_verify_detached(sig, (const uint8_t *)"", 0, pk) != 0);

	/* RFC 4231 test case 2 */
	{
		crypto_auth_hmacsha256_state st;

		crypto_auth_hmacsha256_init(&st, (const uint8_t *)"Jefe", 4);
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)"what do ya want for nothing?",
		                              28);
		crypto_auth_hmacsha256_final(&st, h);
		check_hex("HMAC-SHA-256 (RFC 4231 #2)", h, 32,
		          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	}

	/* RFC 7748 6.1 */
	unhex(k, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(x, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	check("x25519", crypto_scalarmult(h, k, x) == 0);
	check_hex("x25519 shared secret (RFC 7748)", h, 32,
	          "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

	/* From Debian's hosted libsodium 1.0.18: the same code built normally. */
	sodium_memzero(k, sizeof k);
	for (size_t i = 0; i < sizeof k; i++)
		k[i] = 7;
	crypto_kdf_derive_from_key(h, 32, 1, "luxtest!", k);
	check_hex("kdf (vs hosted libsodium)", h, 32,
	          "6c52b31e70d12419cfa92fdb999bec7f6ae547116eacae1813e0f6e5cc2c3475");
	check("argon2id (malloc, t=1, 8 KiB)",
	      crypto_pwhash(h, 32, "password", 8, (const uint8_t *)"0123456789abcdef", 1, 8192,
	                    crypto_pwhash_ALG_ARGON2ID13) == 0);
	check_hex("argon2id (vs hosted libsodium)", h, 32,
	          "771338d819573c67116b39e1788ae8e04b0eb0cf9dfbbfe2e6d746cf3e464fc7");
	{
		char str[crypto_pwhash_STRBYTES];

		check("argon2id str + verify (strlen, strncmp)",
		      crypto_pwhash_str(str, "pw", 2, 1, 8192) == 0 &&
		          crypto_pwhash_str_verify(str, "pw", 2) == 0 &&
		          crypto_pwhash_str_verify(str, "pX", 2) != 0);
	}

	/* Round trips: box_seal, xchacha20poly1305, secretbox (memmove) */
	{
		uint8_t bpk[32], bsk[32], ct[crypto_box_SEALBYTES + 5], pt[5];
		uint8_t key[32], nonce[24], ae[5 + 16];
		unsigned long long len;

		crypto_box_keypair(bpk, bsk);
		check("box_seal round trip",
		      crypto_box_seal(ct, (const uint8_t *)"hello", 5, bpk) == 0 &&
		          crypto_box_seal_open(pt, ct, sizeof ct, bpk, bsk) == 0 &&
		          memcmp(pt, "hello", 5) == 0);
		crypto_aead_xchacha20poly1305_ietf_keygen(key);
		randombytes_buf(nonce, sizeof nonce);
		check("xchacha20poly1305 round trip",
		      crypto_aead_xchacha20poly1305_ietf_encrypt(
			  ae, &len, (const uint8_t *)"hello", 5, NULL, 0, NULL, nonce, key) == 0 &&
		          crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &len, NULL, ae, sizeof ae,
		                                                     NULL, 0, nonce, key) == 0 &&
		          len == 5 && memcmp(pt, "hello", 5) == 0);
		check("secretbox_easy in place (memmove)",
		      (memcpy(ae, "hello", 5), crypto_secretbox_easy(ae, ae, 5, nonce, key) == 0) &&
		          crypto_secretbox_open_easy(ae, ae, sizeof ae, nonce, key) == 0 &&
		          memcmp(ae, "hello", 5) == 0);
		put(crypto_aead_aes256gcm_is_available()
		        ? "info: aes256gcm available (AES-NI + PCLMUL)\n"
		        : "info: aes256gcm not available on this CPU\n");
	}

	put(failures == 0 ? "ALL PASS\n" : "SOME FAILED\n");
	return failures == 0 ? 0 : 1;
}

/* Linux enters with %rsp 16-byte aligned and no return address. */
__asm__(".text\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "	xorl %ebp, %ebp\n"
        "	andq $-16, %rsp\n"
        "	call kat_start\n"
        "	ud2\n");

_Noreturn void kat_start(void);

_Noreturn void kat_start(void)
{
	sys_exit(kat_main());
}
