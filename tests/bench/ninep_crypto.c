/*
 * bench-9pcrypto: SHA-256 and AEAD through /secure/crypto over 9P, against
 * the same libsodium called in this process on the same bytes, in one run
 * (docs/style.md, "Measuring").
 *
 * A plain C client (lux9p's, sim/lux9p/p9client.c: one request at a time,
 * the kernel's codec) so the client's own cost is small beside the
 * server's and the round trip, which a Python client's is not at 4 KiB.
 * For each chunk size (4 KiB, 64 KiB, 1 MiB) and TOTAL bytes:
 *
 *   SHA-256: the 9P side writes TOTAL bytes to hash/sha256 in Twrites of
 *     the chunk (at most the iounit, 64 KiB: a 1 MiB chunk is 16 Twrites)
 *     and reads the digest; in-process, crypto_hash_sha256_update per
 *     chunk.  The digests must agree.
 *   AEAD seal: XChaCha20-Poly1305 of TOTAL bytes as messages of the chunk
 *     size (an AEAD message is sealed whole): per message a `nonce` line on
 *     N/ctl, the message written to N/data, the ciphertext and tag read
 *     back; in-process, crypto_aead_xchacha20poly1305_ietf_encrypt per
 *     message with the same key and nonces.  Every ciphertext must agree.
 *
 * The floor: the AEAD rows' requests and bytes with no crypto, against
 *   /dev/null and /dev/zero: per message a Twrite of the nonce line's
 *   length and the message's Twrites to /dev/null, and Treads of the
 *   ciphertext and tag's length from /dev/zero, in the same pieces.  What
 *   luxsim spends on it is what moving the bytes through the socket and
 *   the server costs; the last table sets it beside the cipher's own CPU
 *   (the in-process column) and says what ratio that leaves possible.
 *
 * The two sides alternate run by run (9P, then in-process), ROUNDS times
 * after a warm-up; medians.  Ratio = in-process time / 9P time (1.00x:
 * the files over 9P cost nothing).  Wall time over 9P includes two
 * processes woken per request, so the CPU columns say what the work costs
 * each side apart from that: luxsim's threads (-p PID, from
 * /proc/PID/task/N/schedstat) against this thread's.
 *
 * -F: the floor alone, against any 9P2000.L server at -s (PID its pid):
 *   against bench-9pceiling (tests/bench/ninep_ceiling.c), a responder that
 *   keeps nothing and sends reads from one zero buffer, it is what the
 *   socket crossings cost with no file service at all.
 *
 * usage: bench-9pcrypto -s unix!PATH -p LUXSIM_PID [-t TOTAL_MIB] [-r ROUNDS] [-F]
 * exit 1 on any failure or disagreement.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "dial.h"
#include "p9client.h"

#define IOUNIT 65536u
#define MAXROUNDS 15

static struct p9c c;
static uint32_t root;
static int luxpid;
static uint8_t key[32];
static uint8_t prefix[16];	/* nonces: this run's prefix, then a counter */
static uint64_t nonces_used;

static _Noreturn void die(const char *what, const char *why)
{
	fprintf(stderr, "bench-9pcrypto: %s: %s\n", what, why);
	exit(1);
}

/* luxsim's CPU so far (every thread), ns. */
static uint64_t server_cpu_ns(void)
{
	char path[64], line[128];
	uint64_t total = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%d/task", luxpid);
	if (!(d = opendir(path)))
		die(path, strerror(errno));
	while ((e = readdir(d))) {
		char p[300];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "/proc/%d/task/%s/schedstat", luxpid, e->d_name);
		if ((f = fopen(p, "r"))) {	/* a thread may have just ended */
			if (fgets(line, sizeof line, f))
				total += strtoull(line, NULL, 10);
			fclose(f);
		}
	}
	closedir(d);
	return total;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t open_path(const char *path, int mode)
{
	uint32_t fid;

	if (p9c_walk(&c, root, path, &fid) < 0 || p9c_open(&c, fid, mode, NULL) < 0)
		die(path, c.err);
	return fid;
}

static void write_all(uint32_t fid, uint64_t off, const uint8_t *p, size_t n, size_t chunk)
{
	while (n) {
		uint32_t k = (uint32_t)(n < chunk ? n : chunk);
		ssize_t w;

		if (k > IOUNIT)
			k = IOUNIT;
		if ((w = p9c_write(&c, fid, off, p, k)) != (ssize_t)k)
			die("write", w < 0 ? c.err : "short write");
		p += k, off += k, n -= k;
	}
}

static void ctl(uint32_t fid, const char *line)
{
	if (p9c_write(&c, fid, 0, line, (uint32_t)strlen(line)) < 0)
		die(line, c.err);
}

/* ---- SHA-256 ---- */

static void sha_9p(const uint8_t *data, size_t total, size_t chunk, char hex[65])
{
	uint32_t f = open_path("secure/crypto/hash/sha256", OWRITE | OTRUNC);
	ssize_t n;

	write_all(f, 0, data, total, chunk);
	p9c_clunk(&c, f);
	f = open_path("secure/crypto/hash/sha256", OREAD);
	if ((n = p9c_read(&c, f, 0, hex, 64)) != 64)
		die("read digest", n < 0 ? c.err : "short digest");
	hex[64] = 0;
	p9c_clunk(&c, f);
}

static void sha_local(const uint8_t *data, size_t total, size_t chunk, char hex[65])
{
	crypto_hash_sha256_state st;
	uint8_t d[32];

	crypto_hash_sha256_init(&st);
	for (size_t off = 0; off < total; off += chunk)
		crypto_hash_sha256_update(&st, data + off, chunk);
	crypto_hash_sha256_final(&st, d);
	sodium_bin2hex(hex, 65, d, 32);
}

/* ---- AEAD seal ---- */

static void nonce_of(uint64_t i, uint8_t n[24])
{
	memcpy(n, prefix, 16);
	for (int b = 0; b < 8; b++)
		n[16 + b] = (uint8_t)(i >> (56 - 8 * b));
}

/* Messages nonce first..first+count-1: one session, as a connection's
 * crypto pebbles (32 MiB) bound what one session may seal. */
static void aead_9p(const uint8_t *data, size_t total, size_t chunk, uint64_t first, uint8_t *out)
{
	uint32_t cl = open_path("secure/crypto/aead/clone", OREAD), cf, df;
	char num[32], path[96], line[96];
	ssize_t n = p9c_read(&c, cl, 0, num, sizeof num - 1);

	if (n <= 0)
		die("aead clone", n < 0 ? c.err : "empty");
	num[n] = 0;
	num[strcspn(num, "\n")] = 0;
	snprintf(path, sizeof path, "secure/crypto/aead/%s/ctl", num);
	cf = open_path(path, OWRITE);
	ctl(cf, "key benchaead\n");
	ctl(cf, "alg xchacha20poly1305\n");
	ctl(cf, "encrypt\n");
	snprintf(path, sizeof path, "secure/crypto/aead/%s/data", num);
	df = open_path(path, ORDWR);
	for (size_t off = 0, i = 0; off < total; off += chunk, i++) {
		uint8_t nonce[24], *o = out + off + 16 * i;
		size_t got = 0;

		nonce_of(first + i, nonce);
		strcpy(line, "nonce ");
		sodium_bin2hex(line + 6, 49, nonce, 24);
		strcat(line, "\n");
		ctl(cf, line);
		write_all(df, 0, data + off, chunk, chunk);
		/* the answer from where the write ended (docs/crypto.md) */
		while (got < chunk + 16) {
			uint32_t want = chunk + 16 - got > IOUNIT ? IOUNIT : (uint32_t)(chunk + 16 - got);

			if ((n = p9c_read(&c, df, chunk + got, o + got, want)) <= 0)
				die("aead read", n < 0 ? c.err : "short ciphertext");
			got += (size_t)n;
		}
	}
	ctl(cf, "close\n");
	p9c_clunk(&c, df);
	p9c_clunk(&c, cf);
	p9c_clunk(&c, cl);
}

/* The floor: aead_9p's requests, to /dev/null and from /dev/zero. */
static void floor_9p(const uint8_t *data, size_t total, size_t chunk, uint8_t *scratch)
{
	uint32_t nf = open_path("dev/null", OWRITE), df = open_path("dev/null", OWRITE);
	uint32_t zf = open_path("dev/zero", OREAD);
	char line[96];
	ssize_t n;

	memset(line, 'n', 6 + 48);	/* "nonce " and 48 hex digits */
	line[6 + 48] = '\n';
	for (size_t off = 0; off < total; off += chunk) {
		size_t got = 0;

		if (p9c_write(&c, nf, 0, line, 6 + 48 + 1) != 6 + 48 + 1)
			die("/dev/null", c.err);
		write_all(df, 0, data + off, chunk, chunk);
		while (got < chunk + 16) {
			uint32_t want = chunk + 16 - got > IOUNIT ? IOUNIT : (uint32_t)(chunk + 16 - got);

			if ((n = p9c_read(&c, zf, chunk + got, scratch, want)) <= 0)
				die("/dev/zero", n < 0 ? c.err : "short read");
			got += (size_t)n;
		}
	}
	p9c_clunk(&c, nf);
	p9c_clunk(&c, df);
	p9c_clunk(&c, zf);
}

static void aead_local(const uint8_t *data, size_t total, size_t chunk, uint64_t first,
	uint8_t *out)
{
	for (size_t off = 0, i = 0; off < total; off += chunk, i++) {
		uint8_t nonce[24];
		unsigned long long clen;

		nonce_of(first + i, nonce);
		crypto_aead_xchacha20poly1305_ietf_encrypt(out + off + 16 * i, &clen, data + off,
		                                           chunk, NULL, 0, NULL, nonce, key);
	}
}

/* ---- Runs and the table ---- */

struct times {
	double wall9[MAXROUNDS], cpu9[MAXROUNDS], wall[MAXROUNDS], cpu[MAXROUNDS];
};

static double median(double *v, int n)
{
	double s[MAXROUNDS];

	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof s[0], cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void row(const char *what, size_t chunk, size_t total, struct times *t, int n)
{
	double w9 = median(t->wall9, n), c9 = median(t->cpu9, n);
	double w = median(t->wall, n), cp = median(t->cpu, n);

	printf("%-22s %8zu %9.1f %9.1f %6.2fx %9.1f %9.1f %6.2fx %8.0f\n", what, chunk >> 10, w9, w,
	       w / w9, c9, cp, cp / c9, (double)total / (1 << 20) / (w9 / 1000));
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	int rounds = 5, opt, fd;
	size_t total = 8u << 20;
	static const size_t chunks[] = {4096, 65536, 1 << 20};
	char err[512], line[128], h9[65], hl[65];
	uint8_t *data, *o9, *ol, *scratch;
	uint32_t kf;
	/* per chunk: the floor's medians and the AEAD rows' (ms) */
	double fwall[3], fcpu[3], acpu9[3], acpu[3];

	bool flooronly = false;

	while ((opt = getopt(argc, argv, "s:p:t:r:F")) != -1) {
		switch (opt) {
		case 'F': flooronly = true; break;
		case 's': addr = optarg; break;
		case 'p': luxpid = atoi(optarg); break;
		case 't': total = (size_t)atoi(optarg) << 20; break;
		case 'r': rounds = atoi(optarg); break;
		default: addr = NULL; break;
		}
	}
	if (!addr || luxpid <= 0 || total < (1u << 20) || total > (256u << 20) || rounds < 1 ||
	    rounds > MAXROUNDS) {
		fprintf(stderr, "usage: bench-9pcrypto -s unix!PATH -p LUXSIM_PID [-t TOTAL_MIB 1..256]"
		        " [-r ROUNDS 1..%d] [-F]\n", MAXROUNDS);
		return 64;
	}
	if (sodium_init() < 0)
		die("sodium_init", "failed");
	/* the whole run's data, and room for the ciphertexts of 4 KiB messages */
	data = malloc(total);
	o9 = malloc(total + 16 * (total / 4096));
	ol = malloc(total + 16 * (total / 4096));
	scratch = malloc(IOUNIT);	/* the floor's reads */
	if (!data || !o9 || !ol || !scratch)
		die("malloc", "out of memory");
	randombytes_buf(data, total);
	randombytes_buf(key, sizeof key);
	randombytes_buf(prefix, sizeof prefix);
	if ((fd = dial(addr, err, sizeof err)) < 0)
		die("dial", err);
	if (p9c_start(&c, fd, flooronly ? P9_2000L : P9_2000, IOUNIT + P9_IOHDRSZ) < 0)
		die("version", c.err);
	if (c.msize < IOUNIT + P9_IOHDRSZ)
		die("version", "msize below 64 KiB + 24");
	/* uname "": as whoever the connection is (docs/security.md) */
	if (p9c_attach(&c, "", P9_NONUNAME, "", &root) < 0)
		die("attach", c.err);
	if (flooronly) {
		printf("the floor alone (9P2000.L), %zu MiB per run, median of %d runs after a "
		       "warm-up\n%-9s  %13s  %13s\n", total >> 20, rounds, "chunk KiB",
		       "floor wall ms", "server CPU ms");
		for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
			struct times tf;

			for (int r = -1; r < rounds; r++) {
				uint64_t s0 = server_cpu_ns(), w0 = now_ns(), w1;

				floor_9p(data, total, chunks[k], scratch);
				w1 = now_ns();
				if (r >= 0) {
					tf.wall9[r] = (double)(w1 - w0) / 1e6;
					tf.cpu9[r] = (double)(server_cpu_ns() - s0) / 1e6;
				}
			}
			printf("%-9zu  %13.1f  %13.1f\n", chunks[k] >> 10, median(tf.wall9, rounds),
			       median(tf.cpu9, rounds));
		}
		p9c_close(&c);
		return 0;
	}
	kf = open_path("secure/crypto/keys/ctl", OWRITE);
	strcpy(line, "import benchaead aead ");
	sodium_bin2hex(line + strlen(line), 65, key, 32);
	strcat(line, "\n");
	ctl(kf, line);
	p9c_clunk(&c, kf);

	printf("crypto over 9P (unix socket, msize 64 KiB + 24, one request at a time) vs libsodium "
	       "in-process;\n%zu MiB per run, median of %d runs after a warm-up; ratio = in-process / 9P "
	       "(goal >= 0.80x)\n", total >> 20, rounds);
	printf("%-22s %8s %9s %9s %7s %9s %9s %7s %8s\n", "", "chunk", "wall ms", "wall ms", "",
	       "CPU ms", "CPU ms", "", "9P");
	printf("%-22s %8s %9s %9s %7s %9s %9s %7s %8s\n", "operation", "KiB", "9P", "in-proc",
	       "ratio", "luxsim", "in-proc", "ratio", "MB/s");
	for (int op = 0; op < 2; op++) {
		for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
			size_t chunk = chunks[k];
			struct times t, tf;

			for (int r = -1; r < rounds; r++) {	/* r = -1: the warm-up */
				uint64_t s0 = server_cpu_ns(), w0 = now_ns(), w1, c0, c1;
				uint64_t first = nonces_used, nmsg = total / chunk;

				if (op == 0)
					sha_9p(data, total, chunk, h9);
				else
					aead_9p(data, total, chunk, first, o9);
				w1 = now_ns();
				if (r >= 0) {
					t.wall9[r] = (double)(w1 - w0) / 1e6;
					t.cpu9[r] = (double)(server_cpu_ns() - s0) / 1e6;
				}
				c0 = thread_cpu_ns(), w0 = now_ns();
				if (op == 0)
					sha_local(data, total, chunk, hl);
				else
					aead_local(data, total, chunk, first, ol);
				w1 = now_ns(), c1 = thread_cpu_ns();
				if (r >= 0) {
					t.wall[r] = (double)(w1 - w0) / 1e6;
					t.cpu[r] = (double)(c1 - c0) / 1e6;
				}
				if (op == 1) {	/* the floor, in the same round */
					s0 = server_cpu_ns(), w0 = now_ns();
					floor_9p(data, total, chunk, scratch);
					w1 = now_ns();
					if (r >= 0) {
						tf.wall9[r] = (double)(w1 - w0) / 1e6;
						tf.cpu9[r] = (double)(server_cpu_ns() - s0) / 1e6;
					}
				}
				nonces_used += nmsg;	/* given nonces must rise */
				if (op == 0 ? strcmp(h9, hl) != 0 :
				    memcmp(o9, ol, total + 16 * nmsg) != 0)
					die(op == 0 ? "SHA-256" : "XChaCha20-Poly1305",
					    "the 9P answer differs from libsodium's in-process");
			}
			row(op == 0 ? "SHA-256" : "XChaCha20-Poly1305 seal", chunk, total, &t, rounds);
			if (op == 1) {
				fwall[k] = median(tf.wall9, rounds), fcpu[k] = median(tf.cpu9, rounds);
				acpu9[k] = median(t.cpu9, rounds), acpu[k] = median(t.cpu, rounds);
			}
		}
	}
	/* What the bytes' trip costs beside the cipher: luxsim must at least
	 * move them (the floor) and seal them (at best what libsodium takes
	 * in-process), so in-process / (floor + cipher) is the most CPU ratio
	 * any AEAD file server behind this socket could reach. */
	printf("\nthe floor: the AEAD rows' requests and bytes to /dev/null and from /dev/zero (no "
	       "crypto), same rounds;\nmost = in-process / (floor + in-process): the best CPU ratio "
	       "with the bytes crossing the socket twice\n");
	printf("%-9s  %13s  %12s  %14s  %14s  %12s  %10s  %10s\n", "chunk KiB", "floor wall ms",
	       "floor CPU ms", "AEAD 9P CPU ms", "in-proc CPU ms", "floor / AEAD", "most ratio",
	       "AEAD ratio");
	for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++)
		printf("%-9zu  %13.1f  %12.1f  %14.1f  %14.1f  %11.0f%%  %9.2fx  %9.2fx\n", chunks[k] >> 10,
		       fwall[k], fcpu[k], acpu9[k], acpu[k], 100 * fcpu[k] / acpu9[k],
		       acpu[k] / (fcpu[k] + acpu[k]), acpu[k] / acpu9[k]);
	p9c_close(&c);
	free(data), free(o9), free(ol), free(scratch);
	return 0;
}
