/*
 * A stand-in Lux9 server for lux9p_auth_test.py: one TCP connection, the
 * server side of the core's authentication engine on the afid exactly as
 * the 9P server's contract says (docs/security.md, "Using it from Linux:
 * lux9p"), then records, and a tiny 9P2000 tree (a root directory holding
 * one file, "hello", that reads "hello\n").  It lets lux9p's half be tested
 * end to end without luxsim, and lets a test be a hostile server on
 * purpose.
 *
 *   lux9p_authsrv PORT HOST_SEED_HEX USER USER_PK_HEX MODE
 *
 * Prints "ready HOST_PK_HEX" once listening on 127.0.0.1:PORT.  MODE:
 *   ok          behave
 *   noauth      answer Tauth with "authentication not required"
 *   badrecord   flip a bit in the first sealed reply
 *   hugerecord  answer the first sealed request with a record header of 4 GiB
 *   truncate    hang up at the first sealed request, without a close record
 *   afterclose  send a close record, then more bytes
 * Exits 0 when the client ended with a close record (or the mode made it
 * end otherwise), 1 on a failure of its own, printing why.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <lux/9p.h>
#include <lux/auth.h>
#include <lux/crypto.h>

#define MSIZE (65536u + P9_IOHDRSZ)

static int fd;
static const char *mode;
static const char *user;
static uint8_t user_pk[32], host_pk[32], host_sk[64];
static struct auth_rec tx, rx;
static bool sealed;
static uint8_t raw[AUTH_REC_MAX * 2], pt[AUTH_OPEN_BUF];
static size_t rawlen, ptoff, ptlen;

static _Noreturn void die(const char *why)
{
	fprintf(stderr, "authsrv: %s\n", why);
	exit(1);
}

static int entropy(void *buf, size_t n)
{
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

static int hex32(const char *s, uint8_t out[32])
{
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 32; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return 0;
}

/* Exit only once the client has hung up: closing with its bytes unread
 * would reset the connection and lose what we sent (the client must see
 * the junk after the close record, not a reset). */
static void linger_exit(void)
{
	struct timeval tv = { 5, 0 };
	uint8_t sink[4096];

	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while (read(fd, sink, sizeof sink) > 0)
		;
	exit(0);
}

static void send_all(const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			die("send failed");
		p += w;
		n -= (size_t)w;
	}
}

/* n bytes of the stream: plaintext, or opened records once sealed.
 * false at the end of the stream. */
static bool recv_bytes(uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t used, got;
		ssize_t r;
		int e;

		if (!sealed || ptoff == ptlen) {
			if (sealed) {
				ptoff = ptlen = 0;
				e = auth_open(&rx, raw, rawlen, pt, sizeof pt, &used, &got);
				memmove(raw, raw + used, rawlen - used);
				rawlen -= used;
				ptlen = got;
				if (e == AUTH_REC_CLOSE && got == 0)
					return false;
				if (e < 0)
					die(auth_rec_why(&rx));
				if (got)
					continue;
			}
			r = read(fd, sealed ? raw + rawlen : p, sealed ? sizeof raw - rawlen : n);
			if (r <= 0)
				return false;
			if (sealed) {
				rawlen += (size_t)r;
				continue;
			}
			p += r;
			n -= (size_t)r;
			continue;
		}
		used = ptlen - ptoff < n ? ptlen - ptoff : n;
		memcpy(p, pt + ptoff, used);
		ptoff += used;
		p += used;
		n -= used;
	}
	return true;
}

static void reply(struct p9_msg *r, int sealed_reply_no)
{
	static uint8_t buf[MSIZE], rec[AUTH_REC_SEALED(MSIZE)];
	int n = p9_encode(r, buf, sizeof buf, P9_2000);
	long k;

	if (n < 0)
		die("encode failed");
	if (!sealed) {
		send_all(buf, (size_t)n);
		return;
	}
	if (sealed_reply_no == 0 && strcmp(mode, "hugerecord") == 0) {
		send_all((const uint8_t *)"\xff\xff\xff\xff", 4);
		exit(0);
	}
	if ((k = auth_seal(&tx, buf, (size_t)n, rec, sizeof rec)) < 0)
		die("seal failed");
	if (sealed_reply_no == 0 && strcmp(mode, "badrecord") == 0)
		rec[k - 1] ^= 1;
	send_all(rec, (size_t)k);
	if (sealed_reply_no == 0 && strcmp(mode, "afterclose") == 0) {
		if ((k = auth_seal_close(&tx, rec, sizeof rec)) < 0)
			die("seal failed");
		send_all(rec, (size_t)k);
		send_all((const uint8_t *)"junk", 4);
		linger_exit();
	}
}

static void error(struct p9_msg *r, const char *e)
{
	r->type = P9_RERROR;
	r->u.rerror.ename = p9_str_c(e);
}

static int user_key(void *arg, const char *u, const uint8_t pk[AUTH_KEY])
{
	(void)arg;
	if (strcmp(u, user) != 0)
		return AUTH_USER_UNKNOWN;
	return memcmp(pk, user_pk, 32) == 0 ? AUTH_USER_OK : AUTH_USER_KEY_REFUSED;
}

static void file_stat(struct p9_stat *st, bool dir)
{
	memset(st, 0, sizeof *st);
	st->qid.type = dir ? QTDIR : 0;
	st->qid.path = dir ? 1 : 2;
	st->mode = dir ? DMDIR | 0755 : 0644;
	st->length = dir ? 0 : 6;
	st->name = p9_str_c(dir ? "/" : "hello");
	st->uid = st->gid = st->muid = p9_str_c(user);
}

int main(int argc, char **argv)
{
	static struct auth a;
	static uint8_t msg[MSIZE], out[AUTH_MSG_MAX], data[MSIZE];
	struct auth_server_config cfg = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t seed[32];
	size_t outlen = 0;
	int ls, one = 1, authed = 0, nsealed = 0;
	uint32_t afid = P9_NOFID;
	static char kind[64];	/* by fid: 'd' the root, 'f' hello, 0 none */
	char hex[65];

	if (argc != 6 || hex32(argv[2], seed) < 0 || hex32(argv[4], user_pk) < 0)
		die("usage: lux9p_authsrv PORT HOST_SEED_HEX USER USER_PK_HEX MODE");
	user = argv[3];
	mode = argv[5];
	if (lc_init(entropy) < 0 || lc_ed25519_seed_keypair(host_pk, host_sk, seed) < 0)
		die("crypto");
	cfg.host_pk = host_pk;
	cfg.host_sk = host_sk;
	cfg.methods = AUTH_M_ED25519;
	cfg.user_key = user_key;
	if (auth_server_init(&a, &cfg) < 0)
		die("auth_server_init");
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(ls, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(ls, 1) < 0)
		die("listen");
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", host_pk[i]);
	printf("ready %s\n", hex);
	fflush(stdout);
	if ((fd = accept(ls, NULL, NULL)) < 0)
		die("accept");
	for (;;) {
		struct p9_msg t, r;
		uint32_t size;
		int e;

		if (!recv_bytes(msg, 4)) {
			if (sealed && !rx.closed) {
				if (strcmp(mode, "ok") != 0)
					return 0;	/* we broke the stream: the client may stop */
				die("the client hung up without a close record");
			}
			return 0;
		}
		size = (uint32_t)msg[0] | (uint32_t)msg[1] << 8 | (uint32_t)msg[2] << 16 |
		       (uint32_t)msg[3] << 24;
		if (size < 7 || size > MSIZE || !recv_bytes(msg + 4, size - 4))
			die("bad framing from the client");
		if ((e = p9_decode(msg, size, MSIZE, P9_2000, P9_TMSG, &t)) < 0)
			die("bad message from the client");
		if (sealed && strcmp(mode, "truncate") == 0)
			return 0;	/* hang up: no reply, no close record */
		memset(&r, 0, sizeof r);
		r.type = (uint8_t)(t.type + 1);
		r.tag = t.tag;
		switch (t.type) {
		case P9_TVERSION:
			r.u.version.msize = MSIZE;
			r.u.version.version = p9_str_c("9P2000");
			break;
		case P9_TAUTH:
			if (strcmp(mode, "noauth") == 0) {
				error(&r, "authentication not required");
				break;
			}
			afid = t.u.tauth.afid;
			r.u.rqid.qid.type = QTAUTH;
			break;
		case P9_TWRITE:
			if (t.u.twrite.fid != afid || authed) {
				error(&r, "not the afid");
				break;
			}
			outlen = 0;
			e = auth_step(&a, t.u.twrite.data, t.u.twrite.count, out, sizeof out, &outlen);
			if (e == AUTH_DONE)
				authed = 1;
			if (e < 0)
				fprintf(stderr, "authsrv: %s\n", auth_why(&a));
			if (e < 0 && outlen == 0) {
				error(&r, "authentication failed");
				break;
			}
			r.u.rwrite.count = t.u.twrite.count;
			break;
		case P9_TREAD:
			if (t.u.tread.fid == afid && !sealed) {
				if (outlen > t.u.tread.count) {
					error(&r, "read more");
					break;
				}
				memcpy(data, out, outlen);
				r.u.rread.count = (uint32_t)outlen;
				r.u.rread.data = data;
				outlen = 0;
				break;
			}
			if (t.u.tread.fid < 64 && kind[t.u.tread.fid] == 'd') {
				struct p9_stat st;
				int n = 0;

				file_stat(&st, false);
				if (t.u.tread.offset == 0 && (n = p9_stat_encode(&st, data, sizeof data)) < 0)
					die("stat encode");
				r.u.rread.count = (uint32_t)n;
			} else {
				static const char text[] = "hello\n";
				uint64_t off = t.u.tread.offset;
				size_t n = off < 6 ? 6 - off : 0;

				memcpy(data, text + (off < 6 ? off : 6), n);
				r.u.rread.count = (uint32_t)n;
			}
			r.u.rread.data = data;
			break;
		case P9_TATTACH:
			if (!authed || t.u.tattach.afid != afid ||
			    !p9_str_eq(t.u.tattach.uname, auth_user(&a))) {
				error(&r, "permission denied");
				break;
			}
			if (auth_take_records(&a, &tx, &rx) < 0)
				die("no records");
			r.u.rqid.qid.type = QTDIR;
			r.u.rqid.qid.path = 1;
			if (t.u.tattach.fid < 64)
				kind[t.u.tattach.fid] = 'd';
			reply(&r, -1);
			sealed = true;	/* from the next byte on */
			continue;
		case P9_TWALK:
			if (!sealed) {
				error(&r, "not attached");
				break;
			}
			if (t.u.twalk.fid >= 64 || t.u.twalk.newfid >= 64 || !kind[t.u.twalk.fid]) {
				error(&r, "unknown fid");
			} else if (t.u.twalk.nwname == 1 && p9_str_eq(t.u.twalk.wname[0], "hello")) {
				r.u.rwalk.nwqid = 1;
				r.u.rwalk.wqid[0].path = 2;
				kind[t.u.twalk.newfid] = 'f';
			} else if (t.u.twalk.nwname == 0) {
				kind[t.u.twalk.newfid] = kind[t.u.twalk.fid];
			} else {
				error(&r, "file does not exist");
			}
			break;
		case P9_TSTAT:
			file_stat(&r.u.rstat.stat, t.u.tfid.fid < 64 && kind[t.u.tfid.fid] == 'd');
			break;
		case P9_TOPEN:
			r.u.ropen.qid.type = t.u.topen.fid < 64 && kind[t.u.topen.fid] == 'd' ? QTDIR : 0;
			break;
		case P9_TCLUNK:
			break;
		default:
			error(&r, "not in this stand-in");
			break;
		}
		reply(&r, sealed ? nsealed++ : -1);
	}
}
