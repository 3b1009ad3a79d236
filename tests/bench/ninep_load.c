/*
 * bench-9pload: diodload's two workloads, with a lighter client.
 *
 * diodload(8) (diod's load generator) is the yardstick, but its
 * client library hands every request between the calling thread and a
 * reader thread, so at one connection the client's own thread switches
 * may cap what any server can show.  This program runs the identical
 * workloads with the plainest client there is -- one thread per
 * connection, a blocking socket, one request at a time, messages built
 * and parsed by the kernel's codec (sim/lux9p/p9client.c) -- so the
 * bench can show both and say which one bounds what.
 *
 * Same as diodload: attach aname "ctl" as the effective uid, then per
 * thread either Tgetattr of ctl:null in a loop (-g), or a read of msize
 * bytes at offset 0 from ctl:zero and a write of msize bytes at offset 0
 * to ctl:null per op (the count clipped to msize - 24 by the client, as
 * npclient does).  Unlike diodload the run is timed with a monotonic
 * clock and the rates are not truncated to whole seconds or MB.
 *
 * With -k KEY -u USER -K KNOWN_HOSTS every connection authenticates
 * (Ed25519 on the afid, docs/security.md) and is sealed, so the same
 * workload measures what encryption costs; with -A an op is a whole
 * attach instead: dial, version, (authenticate,) attach, clunk, hang up.
 *
 * usage: bench-9pload -s ADDR [-n THREADS] [-r SECONDS] [-m MSIZE] [-g|-A]
 *                     [-k KEY -u USER -K KNOWN_HOSTS [-c CIPHER]]
 *   ADDR: HOST:PORT (diodload's form), tcp!HOST!PORT or unix!PATH
 *   CIPHER: offer only aes256gcm or chacha20poly1305 (default: all the
 *           CPU runs; the server picks)
 * prints: 9pload: OPS ops/s, R rMB/s, W wMB/s   (or errors; exit 1)
 *         with -k followed by ", sealed with CIPHER": the server's pick
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "dial.h"
#include "auth9p.h"
#include "keys.h"
#include "p9client.h"

struct thd {
	pthread_t t;
	char addr[300];
	uint32_t msize;
	bool getattr;
	bool attaches;		/* -A: an op is a whole attach */
	struct auth9p *auth;	/* -k: authenticate and seal, or 0 */
	unsigned cipher;	/* -k: the records' AUTH_C_*, once attached */
	uint64_t ops, rbytes, wbytes;
	bool counted;		/* in `ready` already */
	char err[600];		/* empty: it worked */
};

static atomic_bool go, stop;
static atomic_int ready;

/* Set up, then wait for the others: the clock starts when all may go. */
static void start_line(struct thd *t)
{
	t->counted = true;
	atomic_fetch_add(&ready, 1);
	while (!atomic_load(&go))
		usleep(100);
}

static int fail(struct thd *t, const char *what, const char *why)
{
	snprintf(t->err, sizeof t->err, "%s: %s", what, why);
	return -1;
}

static int load(struct thd *t, struct p9c *c)
{
	uint32_t root, in, out, io;
	char *buf;

	if (t->auth ? auth9p_attach(c, t->auth, &root) < 0 :
	    p9c_attach(c, "bench", (uint32_t)geteuid(), "ctl", &root) < 0)
		return fail(t, "error attaching to aname=ctl", c->err);
	t->cipher = c->sec ? auth_rec_cipher(&c->sec->tx) : 0;
	if (t->getattr) {
		struct p9c_stat st;

		if (p9c_walk(c, root, "null", &in) < 0)
			return fail(t, "walk null", c->err);
		start_line(t);
		while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
			if (p9c_stat(c, in, &st) < 0)
				return fail(t, "getattr null", c->err);
			t->ops++;
		}
		return 0;
	}
	if (p9c_walk(c, root, "zero", &in) < 0 || p9c_open(c, in, OREAD, &io) < 0)
		return fail(t, "open zero", c->err);
	if (p9c_walk(c, root, "null", &out) < 0 || p9c_open(c, out, OWRITE, NULL) < 0)
		return fail(t, "open null", c->err);
	if (!(buf = calloc(1, t->msize)))
		return fail(t, "buffer", "out of memory");
	start_line(t);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		ssize_t n = p9c_read(c, in, 0, buf, t->msize);
		ssize_t w;

		if (n <= 0)
			return free(buf), fail(t, "read zero", n < 0 ? c->err : "end of file");
		t->rbytes += (uint64_t)n;
		if ((w = p9c_write(c, out, 0, buf, t->msize)) < 0)
			return free(buf), fail(t, "write null", c->err);
		t->wbytes += (uint64_t)w;
		t->ops++;
	}
	free(buf);
	return 0;
}

/* -A: dial, version, (authenticate,) attach, clunk, hang up -- per op. */
static int one_attach(struct thd *t)
{
	struct p9c c;
	char err[512];
	uint32_t root;
	int fd = dial(t->addr, err, sizeof err), r = -1;

	if (fd < 0)
		return fail(t, "connect", err);
	if (p9c_start(&c, fd, P9_2000L, t->msize) < 0)
		fail(t, "version", c.err);
	else if (t->auth ? auth9p_attach(&c, t->auth, &root) < 0 :
	         p9c_attach(&c, "bench", (uint32_t)geteuid(), "ctl", &root) < 0)
		fail(t, "attach", c.err);
	else if (p9c_clunk(&c, root) < 0)
		fail(t, "clunk", c.err);
	else
		r = 0;
	if (r == 0)
		t->cipher = c.sec ? auth_rec_cipher(&c.sec->tx) : 0;
	p9c_close(&c);
	return r;
}

static void *run(void *arg)
{
	struct thd *t = arg;
	struct p9c c;
	char err[512];
	int fd;

	if (t->attaches) {
		start_line(t);
		while (!atomic_load_explicit(&stop, memory_order_relaxed) && one_attach(t) == 0)
			t->ops++;
		return NULL;
	}
	fd = dial(t->addr, err, sizeof err);

	if (fd < 0) {
		fail(t, "connect", err);
		atomic_fetch_add(&ready, 1);
		return NULL;
	}
	/* diodload speaks 9P2000.L: so does this */
	if (p9c_start(&c, fd, P9_2000L, t->msize) < 0)
		fail(t, "error negotiating protocol with server", c.err);
	else if (load(t, &c) < 0 && !t->err[0])
		fail(t, "load", c.err);
	if (!t->counted)
		atomic_fetch_add(&ready, 1);	/* failed: do not keep main waiting */
	p9c_close(&c);
	return NULL;
}

/* diodload's HOST:PORT becomes tcp!HOST!PORT; dial strings pass as is. */
static void to_dial(const char *s, char *out, size_t cap)
{
	const char *colon = strrchr(s, ':');

	if (strchr(s, '!') || s[0] == '/' || !colon)
		snprintf(out, cap, "%s", s);
	else
		snprintf(out, cap, "tcp!%.*s!%s", (int)(colon - s), s, colon + 1);
}

int main(int argc, char **argv)
{
	int n = 16, secs = 10, opt, failed = 0;
	uint32_t msize = 65536;
	bool getattr = false, attaches = false;
	const char *server = "localhost:564", *keyfile = 0, *user = 0, *known = 0, *cipher = 0;
	struct auth9p auth = { 0 };
	uint8_t seed[32];
	char err[512];
	uint64_t ops = 0, rb = 0, wb = 0, t0, t1;
	unsigned cipher_seen = 0;
	struct thd *t;

	while ((opt = getopt(argc, argv, "s:n:r:m:gAk:u:K:c:")) != -1) {
		switch (opt) {
		case 's': server = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'r': secs = atoi(optarg); break;
		case 'm': msize = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'g': getattr = true; break;
		case 'A': attaches = true; break;
		case 'k': keyfile = optarg; break;
		case 'u': user = optarg; break;
		case 'K': known = optarg; break;
		case 'c': cipher = optarg; break;
		default:
			fprintf(stderr, "usage: bench-9pload -s ADDR [-n THREADS] [-r SECONDS] "
			        "[-m MSIZE] [-g|-A] [-k KEY -u USER -K KNOWN_HOSTS [-c CIPHER]]\n");
			return 64;
		}
	}
	if (keyfile) {	/* authenticated and sealed connections */
		if (!user || !known) {
			fprintf(stderr, "bench-9pload: -k needs -u USER and -K KNOWN_HOSTS\n");
			return 64;
		}
		if (auth9p_crypto_init(err, sizeof err) < 0 || key_load(keyfile, seed, err, sizeof err) < 0 ||
		    lc_ed25519_seed_keypair(auth.pk, auth.sk, seed) < 0) {
			fprintf(stderr, "bench-9pload: %s\n", err);
			return 1;
		}
		if (cipher && strcmp(cipher, auth_cipher_name(AUTH_C_AES256GCM)) == 0)
			auth.ciphers = AUTH_C_AES256GCM;
		else if (cipher && strcmp(cipher, auth_cipher_name(AUTH_C_CHACHA20POLY1305)) == 0)
			auth.ciphers = AUTH_C_CHACHA20POLY1305;
		else if (cipher) {
			fprintf(stderr, "bench-9pload: -c aes256gcm or chacha20poly1305, not '%s'\n", cipher);
			return 64;
		}
		if (auth.ciphers & ~auth_ciphers_available()) {
			fprintf(stderr, "bench-9pload: this CPU does not run %s\n", cipher);
			return 1;
		}
		auth.user = user;
		auth.aname = "ctl";
		auth.known_hosts = known;
	}
	if (n < 1 || n > 1024 || secs < 1 || msize < P9_MSIZE_MIN || msize > P9_MSIZE_MAX) {
		fprintf(stderr, "bench-9pload: -n 1..1024, -r >= 1, -m %u..%u\n", P9_MSIZE_MIN,
		        P9_MSIZE_MAX);
		return 64;
	}
	if (!(t = calloc((size_t)n, sizeof *t)))
		return perror("calloc"), 1;
	for (int i = 0; i < n; i++) {
		to_dial(server, t[i].addr, sizeof t[i].addr);
		t[i].msize = msize;
		t[i].getattr = getattr;
		t[i].attaches = attaches;
		if (keyfile) {
			t[i].auth = &auth;
			auth.addr = t[i].addr;	/* the same for every thread */
		}
		if ((errno = pthread_create(&t[i].t, NULL, run, &t[i])) != 0)
			return perror("pthread_create"), 1;
	}
	/* The clock runs from when every connection is set up. */
	while (atomic_load(&ready) < n)
		usleep(1000);
	atomic_store(&go, true);
	t0 = now_ns();
	usleep((useconds_t)secs * 1000000u);
	atomic_store(&stop, true);
	t1 = now_ns();
	for (int i = 0; i < n; i++) {
		pthread_join(t[i].t, NULL);
		if (t[i].err[0]) {
			fprintf(stderr, "bench-9pload: %s\n", t[i].err);
			failed = 1;
		}
		ops += t[i].ops;
		if (t[i].cipher)
			cipher_seen = t[i].cipher;
		rb += t[i].rbytes;
		wb += t[i].wbytes;
	}
	free(t);
	if (failed)
		return 1;
	double s = (double)(t1 - t0) / 1e9;
	printf("9pload: %.0f ops/s, %.1f rMB/s, %.1f wMB/s%s%s\n", (double)ops / s,
	       (double)rb / s / (1 << 20), (double)wb / s / (1 << 20),
	       keyfile ? ", sealed with " : "", keyfile ? auth_cipher_name(cipher_seen) : "");
	return 0;
}
