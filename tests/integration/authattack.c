/*
 * A hostile client of luxsim's authenticated 9P (docs/security.md, "The 9P
 * side of the protocol"), for auth_attack_test.py.  It authenticates for
 * real with the core's engine on the afid, as lux9p does, and then, by
 * mode, breaks the record stream or the handshake on purpose:
 *
 *   authattack ADDR HOST_PK_HEX KEYFILE USER MODE
 *
 * Record modes (after an honest handshake, attach and one Tstat answered):
 *   tamper-ct   a record with a byte of its ciphertext flipped
 *   tamper-tag  a record with a byte of its tag flipped
 *   tamper-len  a record whose length header is one less than its body
 *   replay      a record sent (and answered), then sent again
 *   reorder     two records sealed in order, sent swapped
 *   toolong     a length header past the largest record
 *   hangup-mid  half a record, then hang up
 *   hangup-boundary  hang up after a whole record, without a close record
 *   stall-mid   half a record, then nothing (connection kept open): the
 *               server's partial-message clock should close it
 *   afterclose  our close record, then a data record, in one write
 *   plaintext   a plaintext Tstat after the switch
 * Handshake modes:
 *   replay-proof  record one honest session; in a new one replay its hello
 *                 and user proof
 *   wrong-key     prove a key nobody authorized (USER exists)
 *   unknown-user  prove the real key for a user that does not exist (USER)
 *   attach-unfinished  Tattach through an afid fresh and half-way through
 *   second-attach  a second handshake and attach inside a sealed connection
 *   garbage     random bytes written to the afid as a handshake message
 *   tiny-read   Tread of the afid with a count of 1, then the handshake
 *   honest      authenticate, attach, Tstat, close record: all well
 *
 * Prints what it sees, then "verdict: ok ..." and exits 0 when the server
 * did what it must (closed, refused, with no answer to the attack), or
 * "verdict: BAD ..." and exits 1 when it did not; 2 for a failure of our
 * own (cannot connect, the honest part failed).  Every wait is bounded
 * (WAIT_MS): it never hangs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <lux/9p.h>
#include <lux/auth.h>
#include <lux/crypto.h>

#include "../../sim/lux9p/dial.h"
#include "../../sim/lux9p/keys.h"
#include "../../sim/lux9p/p9client.h"

#define MSIZE (8192u + P9_IOHDRSZ)
#define WAIT_MS 10000
#define STALL_WAIT_MS 6000	/* stall-mid: luxsim runs with --9p-partial-ms 2000 */

static int wait_ms = WAIT_MS;

static const char *addr, *mode, *user;
static uint8_t host_pk[32], user_pk[32], user_sk[64];

/* The messages we sent in the last handshake (replay-proof). */
static uint8_t sent[2][AUTH_MSG_MAX];
static size_t sentlen[2];

static _Noreturn void verdict(int rc, const char *fmt, ...)
{
	va_list ap;

	printf("verdict: %s ", rc == 0 ? "ok" : rc == 1 ? "BAD" : "ERROR");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(rc);
}

static int entropy(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

static int known_host(void *arg, const uint8_t pk[AUTH_KEY])
{
	(void)arg;
	return memcmp(pk, host_pk, AUTH_KEY) == 0 ? AUTH_HOST_KNOWN : AUTH_HOST_MISMATCH;
}

/* A connection that finished Tversion (9P2000). */
static void connect9p(struct p9c *c)
{
	char err[256];
	int fd = dial(addr, err, sizeof err);
	struct timeval tv = { WAIT_MS / 1000, 0 };
	struct sockaddr_storage me;
	socklen_t melen = sizeof me;
	char host[64] = "?";

	if (fd < 0)
		verdict(2, "cannot connect: %s", err);
	/* the test finds this connection's audit records by its address */
	if (getsockname(fd, (struct sockaddr *)&me, &melen) == 0 && me.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&me;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		printf("connection from tcp!%s!%u\n", host, ntohs(in->sin_port));
	}
	/* a server that never answers fails the test, it does not hang it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (p9c_start(c, fd, P9_2000, MSIZE) < 0)
		verdict(2, "Tversion: %s", c->err);
}

/* Replay the hello and user proof of the last session on afid: the
 * server's answer to the proof (type 5 confirm, 6 error) in *answer.
 * 0, or 1 when a request on the afid failed (c->err). */
static int replay_handshake(struct p9c *c, uint32_t afid, int *answer)
{
	static uint8_t in[AUTH_MSG_MAX];
	ssize_t got;

	*answer = -1;
	for (int k = 0; k < 2; k++) {
		printf("replaying message %d of the earlier session (%zu bytes)\n", k, sentlen[k]);
		if (p9c_write(c, afid, 0, sent[k], (uint32_t)sentlen[k]) != (ssize_t)sentlen[k])
			return 1;
		if ((got = p9c_read(c, afid, 0, in, sizeof in)) < 0)
			return 1;
		printf("the server answered %zd bytes, type %d\n", got, got > 0 ? in[0] : -1);
		if (got > 0)
			*answer = in[0];
		if (k == 0 && *answer != 2)
			return 0;	/* no proof: a refusal already */
	}
	return 0;
}

/* Step the engine over afid: 0 done, else the engine's error (our
 * side), or 1 when a 9P request on the afid failed (c->err).  The hello
 * and user proof sent are kept for replay-proof. */
static int handshake(struct p9c *c, uint32_t afid, struct auth *a, bool tiny)
{
	static uint8_t out[AUTH_MSG_MAX], in[AUTH_MSG_MAX];
	size_t outlen = 0;
	ssize_t got;
	int r = auth_step(a, NULL, 0, out, sizeof out, &outlen), k = 0;

	for (;;) {
		if (r < 0)
			return r;
		if (outlen > 0) {
			if (k < 2) {
				memcpy(sent[k], out, outlen);
				sentlen[k] = outlen;
			}
			k++;
			if (p9c_write(c, afid, 0, out, (uint32_t)outlen) != (ssize_t)outlen)
				return 1;
		}
		if (r == AUTH_DONE)
			return 0;
		if (tiny) {
			tiny = false;
			if (p9c_read(c, afid, 0, in, 1) >= 0)
				verdict(1, "a 1-byte Tread of the afid was answered");
			printf("tiny read refused: %s\n", c->err);
		}
		if ((got = p9c_read(c, afid, 0, in, sizeof in)) < 0)
			return 1;
		outlen = 0;
		r = auth_step(a, in, (size_t)got, out, sizeof out, &outlen);
	}
}

static uint32_t last_afid = P9_NOFID;	/* the afid of the last Tauth */

/* Tauth and the whole handshake as user with the key pk/sk: the afid and
 * the session's keys, or P9_NOFID when refused (printing why). */
static uint32_t authenticate(struct p9c *c, const char *u, const uint8_t *pk, const uint8_t *sk,
                             bool tiny, struct auth_rec keys[2])
{
	struct auth_client_config cfg = {
		.method = AUTH_M_ED25519, .user = u, .user_pk = pk, .user_sk = sk,
		.known_host = known_host,
	};
	static struct auth a;
	uint32_t afid;
	int r;

	if (auth_client_init(&a, &cfg) < 0)
		verdict(2, "auth_client_init: %s", auth_why(&a));
	if (p9c_auth(c, u, P9_NONUNAME, "", &afid) < 0)
		verdict(2, "Tauth: %s", c->err);
	last_afid = afid;
	r = handshake(c, afid, &a, tiny);
	if (r == 1) {
		printf("handshake: the server refused a request: %s\n", c->err);
		auth_wipe(&a);
		return P9_NOFID;
	}
	if (r < 0) {
		printf("handshake: %s\n", auth_why(&a));
		auth_wipe(&a);
		return P9_NOFID;
	}
	if (auth_take_records(&a, &keys[0], &keys[1]) < 0)
		verdict(2, "auth_take_records: %s", auth_why(&a));
	auth_wipe(&a);
	return afid;
}

/* Tattach through afid; on a plaintext connection the stream is sealed
 * with keys from there on.  The root fid, or P9_NOFID with c->err. */
static uint32_t attach(struct p9c *c, uint32_t afid, struct auth_rec keys[2])
{
	uint32_t root;

	if (p9c_attach_afid(c, afid, user, P9_NONUNAME, "", &root) < 0)
		return P9_NOFID;
	if (c->sec == NULL && p9c_secure(c, &keys[0], &keys[1]) < 0)
		verdict(2, "p9c_secure: %s", c->err);
	return root;
}

/* An honest client up to a sealed, attached connection whose first
 * request (Tstat of the root) was answered. */
static uint32_t sealed(struct p9c *c)
{
	struct p9_msg t = { .type = P9_TSTAT };
	struct auth_rec keys[2];
	uint32_t afid, root;

	connect9p(c);
	if ((afid = authenticate(c, user, user_pk, user_sk, false, keys)) == P9_NOFID)
		verdict(2, "the honest handshake failed");
	if ((root = attach(c, afid, keys)) == P9_NOFID)
		verdict(2, "the honest attach failed: %s", c->err);
	t.u.tfid.fid = root;
	if (p9c_rpc(c, &t) < 0)
		verdict(2, "Tstat of the root over records: %s", c->err);
	printf("sealed: attached as %s through afid %u, Tstat answered\n", user, afid);
	return root;
}

/* ---- Raw records ------------------------------------------------------- */

static void send_raw(struct p9c *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(c->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {	/* the server may have closed already: say so, go on */
			printf("send: %s\n", strerror(errno));
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* One 9P message of ours, encoded (tag, fid) into m: its length. */
static size_t tstat(uint8_t *m, size_t cap, uint16_t tag, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TSTAT, .tag = tag };
	int n;

	t.u.tfid.fid = fid;
	if ((n = p9_encode(&t, m, cap, P9_2000)) < 0)
		verdict(2, "encode Tstat");
	return (size_t)n;
}

/* Seal a Tstat (tag, fid) into rec: its length. */
static size_t sealed_tstat(struct p9c *c, uint8_t *rec, size_t cap, uint16_t tag, uint32_t fid)
{
	uint8_t m[64];
	size_t n = tstat(m, sizeof m, tag, fid);
	long k = auth_seal(&c->sec->tx, m, n, rec, cap);

	if (k < 0)
		verdict(2, "auth_seal: %ld", k);
	return (size_t)k;
}

enum { GOT_DATA, GOT_CLOSE, GOT_EOF, GOT_TIMEOUT, GOT_BROKEN };

/* The next thing the server sends, within WAIT_MS: a data record (its 9P
 * type in *type), its close record, the end, or nothing. */
static int next_record(struct p9c *c, uint8_t *type, char *why, size_t cap)
{
	struct p9c_sec *sec = c->sec;
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t used = 0, got = 0;
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int r = 0;
		long left;
		ssize_t rd;

		if (sec->peer_closed && sec->rawlen > 0) {
			snprintf(why, cap, "%zu bytes after the server's close record", sec->rawlen);
			return GOT_BROKEN;
		}
		if (!sec->peer_closed)
			r = auth_open(&sec->rx, sec->raw, sec->rawlen, sec->pt, AUTH_OPEN_BUF, &used,
			              &got);
		memmove(sec->raw, sec->raw + used, sec->rawlen - used);
		sec->rawlen -= used;
		if (r < 0 && r != AUTH_ESPACE) {
			snprintf(why, cap, "%s", auth_rec_why(&sec->rx));
			return GOT_BROKEN;
		}
		if (got > 0) {
			*type = got > 4 ? sec->pt[4] : 0;
			snprintf(why, cap, "a %zu-byte data record (9P type %u)", got, *type);
			return GOT_DATA;
		}
		if (r == AUTH_REC_CLOSE) {
			sec->peer_closed = true;
			snprintf(why, cap, "the server's close record");
			return GOT_CLOSE;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = wait_ms - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			snprintf(why, cap, "nothing for %d ms: the connection is still open", wait_ms);
			return GOT_TIMEOUT;
		}
		rd = read(c->fd, sec->raw + sec->rawlen, AUTH_REC_MAX - sec->rawlen);
		if (rd < 0 && errno == EINTR)
			continue;
		if (rd < 0) {
			snprintf(why, cap, "%s", strerror(errno));
			return errno == ECONNRESET ? GOT_EOF : GOT_BROKEN;
		}
		if (rd == 0) {
			snprintf(why, cap, "end of the stream");
			return GOT_EOF;
		}
		sec->rawlen += (size_t)rd;
	}
}

/* After an attack: the server must answer nothing more, end its side
 * (its close record, then the end of the stream), and do it in time. */
/* told: an error reply saying why (Rerror/Rlerror) may come before the
 * close, as a timeout's goodbye does. */
static _Noreturn void expect_closed_told(struct p9c *c, const char *attack, bool told_ok)
{
	char why[256];
	uint8_t type;
	bool closed = false, told = false;

	for (;;) {
		int g = next_record(c, &type, why, sizeof why);

		printf("after %s: %s\n", attack, why);
		switch (g) {
		case GOT_DATA:
			if (told_ok && !told && (type == P9_RERROR || type == P9_RLERROR)) {
				told = true;
				continue;
			}
			verdict(1, "the server answered after %s: %s", attack, why);
		case GOT_CLOSE:
			closed = true;
			continue;
		case GOT_EOF:
			verdict(0, "the server closed the connection after %s%s%s", attack,
			        told ? " (told why)" : "", closed ? " (its close record first)" : "");
		case GOT_TIMEOUT:
			verdict(1, "the server kept the connection open after %s: %s", attack, why);
		default:
			verdict(1, "the server's stream broke after %s: %s", attack, why);
		}
	}
}

static _Noreturn void expect_closed(struct p9c *c, const char *attack)
{
	expect_closed_told(c, attack, false);
}

/* The answer to one sealed request must come, as data. */
static void expect_answer(struct p9c *c, uint8_t want)
{
	char why[256];
	uint8_t type = 0;
	int g = next_record(c, &type, why, sizeof why);

	if (g != GOT_DATA || type != want)
		verdict(2, "an honest sealed request was not answered: %s", why);
	printf("answered: %s\n", why);
}

static void record_mode(void)
{
	static struct p9c c;
	static uint8_t a[256], b[256];
	uint32_t root = sealed(&c);
	size_t na, nb;

	if (strcmp(mode, "tamper-ct") == 0 || strcmp(mode, "tamper-tag") == 0 ||
	    strcmp(mode, "tamper-len") == 0) {
		na = sealed_tstat(&c, a, sizeof a, 100, root);
		if (mode[7] == 'c')
			a[AUTH_REC_HDR + 2] ^= 0x01;	/* inside the ciphertext of the Tstat */
		else if (mode[7] == 't')
			a[na - 1] ^= 0x80;		/* the last byte of the tag */
		else
			a[0]--;				/* claims one byte less */
		send_raw(&c, a, na);
		expect_closed(&c, mode);
	}
	if (strcmp(mode, "replay") == 0) {
		na = sealed_tstat(&c, a, sizeof a, 100, root);
		send_raw(&c, a, na);
		expect_answer(&c, P9_RSTAT);
		send_raw(&c, a, na);	/* the same bytes again */
		expect_closed(&c, "a replayed record");
	}
	if (strcmp(mode, "reorder") == 0) {
		na = sealed_tstat(&c, a, sizeof a, 100, root);
		nb = sealed_tstat(&c, b, sizeof b, 101, root);
		send_raw(&c, b, nb);
		send_raw(&c, a, na);
		expect_closed(&c, "two records swapped");
	}
	if (strcmp(mode, "toolong") == 0) {
		uint32_t len = AUTH_REC_PAYLOAD_MAX + 1 + LC_AEAD_TAG + 1;
		uint8_t h[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
		                 (uint8_t)(len >> 24) };

		printf("a record header claiming %u bytes\n", len);
		send_raw(&c, h, 4);
		expect_closed(&c, "a record past the maximum");
	}
	if (strcmp(mode, "hangup-mid") == 0 || strcmp(mode, "hangup-boundary") == 0) {
		na = sealed_tstat(&c, a, sizeof a, 100, root);
		if (strcmp(mode, "hangup-mid") == 0) {
			send_raw(&c, a, na / 2);
			usleep(200 * 1000);	/* the half arrives on its own */
			printf("sent %zu of the %zu bytes of a record; hanging up\n", na / 2, na);
		} else {
			send_raw(&c, a, na);
			expect_answer(&c, P9_RSTAT);
			printf("hanging up after a whole record, without a close record\n");
		}
		close(c.fd);	/* no close record: what the server says is in the audit */
		verdict(0, "hung up (%s)", mode);
	}
	if (strcmp(mode, "stall-mid") == 0) {
		na = sealed_tstat(&c, a, sizeof a, 100, root);
		send_raw(&c, a, na / 2);
		printf("sent %zu of the %zu bytes of a record; waiting\n", na / 2, na);
		wait_ms = STALL_WAIT_MS;
		expect_closed_told(&c, "half a record and silence", true);
	}
	if (strcmp(mode, "afterclose") == 0) {
		struct auth_rec more = c.sec->tx;	/* to seal past our own close */
		long k = auth_seal_close(&c.sec->tx, a, sizeof a);
		uint8_t m[64];
		size_t n = tstat(m, sizeof m, 100, root);
		long k2;

		more.seq++;	/* the record right after the close, validly sealed */
		if (k < 0 || (k2 = auth_seal(&more, m, n, a + k, sizeof a - (size_t)k)) < 0)
			verdict(2, "sealing the close and the record after it");
		auth_rec_wipe(&more);
		send_raw(&c, a, (size_t)(k + k2));	/* in one write: they arrive together */
		expect_closed(&c, "a data record after our close record");
	}
	if (strcmp(mode, "plaintext") == 0) {
		na = tstat(a, sizeof a, 100, root);
		printf("a plaintext Tstat of %zu bytes after the switch\n", na);
		send_raw(&c, a, na);
		expect_closed(&c, "plaintext 9P after the switch");
	}
	verdict(2, "unknown mode %s", mode);
}

/* ---- Handshake modes --------------------------------------------------- */

/* A Tattach through afid must be refused with a 9P error, the connection
 * still up. */
static void expect_attach_refused(struct p9c *c, uint32_t afid, const char *what)
{
	struct auth_rec none[2];

	memset(none, 0, sizeof none);
	if (attach(c, afid, none) != P9_NOFID)
		verdict(1, "the server attached through %s", what);
	printf("attach through %s refused: %s\n", what, c->err);
	if (c->dead)
		verdict(1, "the connection died instead of refusing the attach: %s", c->err);
}

/* A connection still answers, then we close it properly. */
static void still_works(struct p9c *c, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TSTAT };

	t.u.tfid.fid = fid;
	if (p9c_rpc(c, &t) < 0)
		verdict(1, "the connection no longer answers: %s", c->err);
	printf("the connection still answers\n");
}

static void handshake_mode(void)
{
	static struct p9c c;
	struct auth_rec keys[2];
	uint32_t afid, root;

	if (strcmp(mode, "honest") == 0) {
		root = sealed(&c);
		still_works(&c, root);
		p9c_close(&c);
		verdict(0, "honest session done");
	}
	if (strcmp(mode, "replay-proof") == 0) {
		root = sealed(&c);	/* records its hello and user proof */
		p9c_close(&c);
		printf("session 1 done: hello %zu bytes, user proof %zu bytes recorded\n", sentlen[0],
		       sentlen[1]);
		connect9p(&c);
		{
			int answer;

			if (p9c_auth(&c, user, P9_NONUNAME, "", &afid) < 0)
				verdict(2, "Tauth: %s", c.err);
			if (replay_handshake(&c, afid, &answer) == 1)
				printf("the server refused a request: %s\n", c.err);
			if (answer == 5)
				verdict(1, "the server confirmed a replayed proof");
		}
		/* whatever the server said, the afid must not attach */
		expect_attach_refused(&c, afid, "the afid of the replayed proof");
		p9c_close(&c);
		verdict(0, "replayed proof refused");
	}
	if (strcmp(mode, "wrong-key") == 0 || strcmp(mode, "unknown-user") == 0) {
		uint8_t seed[32], pk[32], sk[64];
		bool wrong = strcmp(mode, "wrong-key") == 0;

		if (wrong && (entropy(seed, sizeof seed) < 0 ||
		              lc_ed25519_seed_keypair(pk, sk, seed) < 0))
			verdict(2, "a fresh key");
		connect9p(&c);
		afid = authenticate(&c, user, wrong ? pk : user_pk, wrong ? sk : user_sk, false,
		                    keys);
		if (afid != P9_NOFID)
			verdict(1, "the server accepted %s", wrong ? "a key nobody authorized"
			                                           : "a user that does not exist");
		expect_attach_refused(&c, last_afid, "the refused afid");
		p9c_close(&c);
		verdict(0, "%s refused", mode);
	}
	if (strcmp(mode, "attach-unfinished") == 0) {
		struct auth_client_config cfg = {
			.method = AUTH_M_ED25519, .user = user, .user_pk = user_pk,
			.user_sk = user_sk, .known_host = known_host,
		};
		static struct auth a;
		static uint8_t out[AUTH_MSG_MAX], in[AUTH_MSG_MAX];
		size_t outlen = 0;

		connect9p(&c);
		if (p9c_auth(&c, user, P9_NONUNAME, "", &afid) < 0)
			verdict(2, "Tauth: %s", c.err);
		expect_attach_refused(&c, afid, "a fresh afid");
		if (auth_client_init(&a, &cfg) < 0 ||
		    auth_step(&a, NULL, 0, out, sizeof out, &outlen) < 0)
			verdict(2, "hello: %s", auth_why(&a));
		if (p9c_write(&c, afid, 0, out, (uint32_t)outlen) != (ssize_t)outlen ||
		    p9c_read(&c, afid, 0, in, sizeof in) <= 0)
			verdict(2, "hello and server proof: %s", c.err);
		expect_attach_refused(&c, afid, "an afid half-way through");
		auth_wipe(&a);
		p9c_close(&c);
		verdict(0, "unfinished afids do not attach");
	}
	if (strcmp(mode, "second-attach") == 0) {
		uint32_t afid2, first_afid;

		root = sealed(&c);
		first_afid = last_afid;
		/* a whole second handshake, over records, may finish... */
		afid2 = authenticate(&c, user, user_pk, user_sk, false, keys);
		if (afid2 == P9_NOFID)
			verdict(2, "the second handshake failed: %s", c.err);
		printf("a second handshake finished on afid %u inside the sealed stream\n", afid2);
		/* ...but no attach through it may change the keys, nor one
		 * through the first afid again */
		expect_attach_refused(&c, afid2, "a second afid on a sealed connection");
		expect_attach_refused(&c, first_afid, "the first afid again");
		auth_rec_wipe(&keys[0]);
		auth_rec_wipe(&keys[1]);
		still_works(&c, root);
		p9c_close(&c);
		verdict(0, "no second attach on a sealed connection");
	}
	if (strcmp(mode, "garbage") == 0) {
		uint8_t junk[64];
		ssize_t n;

		connect9p(&c);
		if (p9c_auth(&c, user, P9_NONUNAME, "", &afid) < 0)
			verdict(2, "Tauth: %s", c.err);
		if (entropy(junk, sizeof junk) < 0)
			verdict(2, "entropy");
		junk[0] = 0xee;	/* no message type */
		if (p9c_write(&c, afid, 0, junk, sizeof junk) < 0) {
			printf("garbage Twrite refused: %s\n", c.err);
		} else {
			n = p9c_read(&c, afid, 0, junk, sizeof junk);
			printf("garbage Twrite taken; the server's answer: %zd bytes%s%s\n", n,
			       n < 0 ? ": " : "", n < 0 ? c.err : "");
			if (n > 0 && junk[0] != 6)
				verdict(1, "the server answered garbage with a message of type %u",
				        junk[0]);
		}
		expect_attach_refused(&c, afid, "an afid fed garbage");
		p9c_close(&c);
		verdict(0, "garbage refused");
	}
	if (strcmp(mode, "tiny-read") == 0) {
		connect9p(&c);
		afid = authenticate(&c, user, user_pk, user_sk, true, keys);
		if (afid == P9_NOFID)
			verdict(1, "after a tiny read the handshake did not finish");
		if ((root = attach(&c, afid, keys)) == P9_NOFID)
			verdict(1, "after a tiny read the attach failed: %s", c.err);
		still_works(&c, root);
		p9c_close(&c);
		verdict(0, "a tiny read is an error, and the handshake goes on");
	}
	verdict(2, "unknown mode %s", mode);
}

int main(int argc, char **argv)
{
	char err[256];
	uint8_t seed[32];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 6) {
		fprintf(stderr, "usage: authattack ADDR HOST_PK_HEX KEYFILE USER MODE\n");
		return 2;
	}
	addr = argv[1];
	user = argv[4];
	mode = argv[5];
	if (lc_init(entropy) < 0)
		verdict(2, "lc_init");
	if (hex_decode32(argv[2], strlen(argv[2]), host_pk) < 0)
		verdict(2, "bad host key %s", argv[2]);
	if (key_load(argv[3], seed, err, sizeof err) < 0)
		verdict(2, "%s", err);
	if (lc_ed25519_seed_keypair(user_pk, user_sk, seed) < 0)
		verdict(2, "keypair");
	lc_wipe(seed, sizeof seed);
	if (strncmp(mode, "tamper-", 7) == 0 || strcmp(mode, "replay") == 0 ||
	    strcmp(mode, "reorder") == 0 || strcmp(mode, "toolong") == 0 ||
	    strncmp(mode, "hangup-", 7) == 0 || strcmp(mode, "afterclose") == 0 ||
	    strcmp(mode, "stall-mid") == 0 ||
	    strcmp(mode, "plaintext") == 0)
		record_mode();
	handshake_mode();
}
