/* Lux9 authentication over a 9P auth fid, for lux9p (see auth9p.h). */
#include "auth9p.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lux/auth.h>
#include <lux/crypto.h>

#include "keys.h"

#define KNOWN_HOSTS_MAX (1u << 20)	/* a bigger known_hosts is refused */

static int entropy(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int auth9p_crypto_init(char *err, size_t cap)
{
	if (lc_init(entropy) < 0) {
		snprintf(err, cap, "cannot start the crypto library (libsodium, getrandom)");
		return -1;
	}
	return 0;
}

bool auth9p_user_ok(const char *user)
{
	size_t n = strlen(user);

	if (n == 0 || n >= AUTH_USER_MAX)
		return false;
	return strspn(user, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	       n;
}

int auth9p_mkparents(const char *path)
{
	char dir[4096];
	size_t n = strlen(path);

	if (n >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n + 1);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* ---- Known hosts ------------------------------------------------------- */

struct khctx {
	struct auth9p *o;
	struct kh_result res;
	uint8_t got[AUTH_KEY];		/* the key the server proved */
	bool asked, added;
	char err[512];			/* why the file could not be used */
};

/* The file's text (malloc'd; *n bytes), or null with *n 0 when there is
 * no file; -1 with ctx->err for a file that cannot be used. */
static int read_known(struct khctx *k, char **text, size_t *n)
{
	const char *path = k->o->known_hosts;
	struct stat st;
	size_t got = 0;
	int fd;

	*text = NULL;
	*n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(k->err, sizeof k->err, "known hosts %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > KNOWN_HOSTS_MAX) {
		snprintf(k->err, sizeof k->err,
		         "known hosts %s: not a regular file of at most %u bytes", path,
		         KNOWN_HOSTS_MAX);
		close(fd);
		return -1;
	}
	if (!(*text = malloc(KNOWN_HOSTS_MAX + 1))) {
		snprintf(k->err, sizeof k->err, "out of memory");
		close(fd);
		return -1;
	}
	while (got <= KNOWN_HOSTS_MAX) {
		ssize_t r = read(fd, *text + got, KNOWN_HOSTS_MAX + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(k->err, sizeof k->err, "known hosts %s: %s", path,
			         strerror(errno));
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!k->err[0] && got > KNOWN_HOSTS_MAX)
		snprintf(k->err, sizeof k->err, "known hosts %s: longer than %u bytes", path,
		         KNOWN_HOSTS_MAX);
	if (k->err[0]) {
		free(*text);
		*text = NULL;
		return -1;
	}
	*n = got;
	return 0;
}

/* Append "ADDR HEX" (after a newline if the file lacks its last one). */
static int add_known(struct khctx *k, bool need_nl)
{
	const char *path = k->o->known_hosts;
	char line[1024];
	int n = kh_format(k->o->addr, k->got, line, sizeof line), fd;
	ssize_t w;

	if (n < 0) {
		snprintf(k->err, sizeof k->err, "the address '%s' cannot be written to known hosts",
		         k->o->addr);
		return -1;
	}
	if (auth9p_mkparents(path) < 0 ||
	    (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644)) < 0) {
		snprintf(k->err, sizeof k->err, "cannot add the host to %s: %s", path,
		         strerror(errno));
		return -1;
	}
	if (need_nl && write(fd, "\n", 1) != 1)
		n = -1;
	if (n >= 0 && (w = write(fd, line, (size_t)n)) != n)
		n = -1;
	if (close(fd) < 0 || n < 0) {
		snprintf(k->err, sizeof k->err, "cannot add the host to %s: %s", path,
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* The engine asks once the server has proved it holds pk. */
static int known_host(void *arg, const uint8_t pk[AUTH_KEY])
{
	struct khctx *k = arg;
	char *text;
	size_t n;

	k->asked = true;
	memcpy(k->got, pk, AUTH_KEY);
	if (read_known(k, &text, &n) < 0)
		return AUTH_HOST_UNKNOWN;
	kh_lookup(text, n, k->o->addr, pk, &k->res);
	if (k->res.status == KH_UNKNOWN && k->o->accept_new) {
		bool need_nl = n > 0 && text[n - 1] != '\n';

		free(text);
		if (add_known(k, need_nl) < 0)
			return AUTH_HOST_UNKNOWN;
		k->added = true;
		return AUTH_HOST_KNOWN;
	}
	free(text);
	if (k->res.status == KH_KNOWN)
		return AUTH_HOST_KNOWN;
	return k->res.status == KH_MISMATCH ? AUTH_HOST_MISMATCH : AUTH_HOST_UNKNOWN;
}

static void say_host_refused(const struct khctx *k, int r)
{
	const struct auth9p *o = k->o;
	char got[AUTH_FP_MAX], want[AUTH_FP_MAX], hex[KEY_HEX + 1];

	auth_fingerprint(k->got, got, sizeof got);
	hex_encode32(k->got, hex);
	if (k->err[0]) {
		fprintf(stderr, "lux9p: %s: %s\n", o->addr, k->err);
		return;
	}
	if (r == AUTH_EHOSTMISMATCH) {
		auth_fingerprint(k->res.expected, want, sizeof want);
		fprintf(
		    stderr,
		    "lux9p: WARNING: host key for %s changed: expected %s, got %s; "
		    "if this is expected, remove the line %u of %s\n"
		    "lux9p: (otherwise another machine may be answering for %s; your key signed "
		    "nothing for it)\n",
		    o->addr, want, got, k->res.line, o->known_hosts, o->addr);
		return;
	}
	fprintf(stderr,
	        "lux9p: %s: unknown host: its key is %s\n"
	        "lux9p: if that is the server's key (luxsim prints \"host key: %s\" when it starts "
	        "and keeps the key in its state directory, host_ed25519.pub), run again with "
	        "--accept-new-host, or add this line to %s:\n"
	        "%s %s\n",
	        o->addr, got, got, o->known_hosts, o->addr, hex);
}

/* ---- The handshake over the afid -------------------------------------- */

/* Twrite the whole message at offset 0. */
static int send_msg(struct p9c *c, uint32_t afid, const uint8_t *m, size_t n)
{
	ssize_t w;

	if (n > c->msize - P9_IOHDRSZ) {
		snprintf(c->err, sizeof c->err,
		         "a %zu-byte handshake message does not fit msize %u", n, c->msize);
		return -1;
	}
	if ((w = p9c_write(c, afid, 0, m, (uint32_t)n)) < 0)
		return -1;
	if ((size_t)w != n) {
		snprintf(c->err, sizeof c->err,
		         "protocol error: the server took %zd of the %zu bytes "
		         "of a handshake message",
		         w, n);
		return -1;
	}
	return 0;
}

static void say_refused(const struct auth9p *o, const struct auth *a)
{
	char fp[AUTH_FP_MAX], hex[KEY_HEX + 1];
	const char *why = auth_why(a), *p = strstr(why, "server refused: ");

	if (o->token) {
		fprintf(
		    stderr,
		    "lux9p: %s: the server refused the token for %s: %s\n"
		    "lux9p: (a token lives until it expires, is revoked or the server restarts;\n"
		    "it speaks only for the user it was minted for: -u)\n",
		    o->addr, o->user, p ? p + strlen("server refused: ") : why);
		return;
	}
	auth_fingerprint(o->pk, fp, sizeof fp);
	hex_encode32(o->pk, hex);
	fprintf(stderr,
	        "lux9p: %s: the server refused to authenticate %s: %s\n"
	        "lux9p: (is the key %s authorized for %s?  The host owner writes\n"
	        "authkey %s +%s\n"
	        "to /adm/users)\n",
	        o->addr, o->user, p ? p + strlen("server refused: ") : why, fp, o->user, o->user,
	        hex);
}

/* Step the engine through Twrite/Tread on afid until it is done. */
static int handshake(struct p9c *c, struct auth9p *o, struct auth *a, uint32_t afid,
                     struct khctx *k)
{
	static uint8_t out[AUTH_MSG_MAX], in[AUTH_MSG_MAX];
	uint32_t count = c->msize - P9_IOHDRSZ < AUTH_MSG_MAX ? c->msize - P9_IOHDRSZ
	                                                      : AUTH_MSG_MAX;
	size_t outlen = 0;
	ssize_t got;
	int r = auth_step(a, NULL, 0, out, sizeof out, &outlen);

	for (;;) {
		if (r < 0) {
			if (r == AUTH_EHOSTUNKNOWN || r == AUTH_EHOSTMISMATCH)
				say_host_refused(k, r);
			else if (r == AUTH_EREFUSED)
				say_refused(o, a);
			else
				fprintf(stderr, "lux9p: %s: %s\n", o->addr, auth_why(a));
			return -1;
		}
		if (outlen > 0 && send_msg(c, afid, out, outlen) < 0) {
			fprintf(stderr,
			        "lux9p: %s: authentication: the server refused a handshake "
			        "message: %s\n",
			        o->addr, c->err);
			return -1;
		}
		if (r == AUTH_DONE)
			return 0;
		if ((got = p9c_read(c, afid, 0, in, count)) < 0) {
			fprintf(stderr,
			        "lux9p: %s: authentication: reading the server's answer: %s\n",
			        o->addr, c->err);
			return -1;
		}
		if (got == 0) {
			fprintf(stderr,
			        "lux9p: %s: authentication: the server had no answer to our "
			        "handshake message\n",
			        o->addr);
			return -1;
		}
		outlen = 0;
		r = auth_step(a, in, (size_t)got, out, sizeof out, &outlen);
	}
}

int auth9p_attach(struct p9c *c, struct auth9p *o, uint32_t *root)
{
	struct auth *a = malloc(sizeof *a);	/* ~10 KiB; callers may be threads */
	struct khctx k = { .o = o };
	struct auth_client_config cfg = {
		.method = o->token ? AUTH_M_TOKEN : AUTH_M_ED25519,
		.user = o->user,
		.user_pk = o->pk,
		.user_sk = o->sk,
		.token = o->token,
		.token_len = o->token_len,
		.known_host = known_host,
		.arg = &k,
		.ciphers = o->ciphers,
	};
	struct auth_rec tx, rx;
	uint32_t afid;
	int r = -1;

	if (a == NULL) {
		fprintf(stderr, "lux9p: out of memory\n");
		return -1;
	}
	if (auth_client_init(a, &cfg) < 0) {
		fprintf(stderr, "lux9p: %s: %s\n", o->addr, auth_why(a));
		goto out;
	}
	if (p9c_auth(c, o->user, P9_NONUNAME, o->aname, &afid) < 0) {
		fprintf(stderr,
		        "lux9p: %s: the server does not authenticate (Tauth: %s); "
		        "--no-auth connects without authentication\n",
		        o->addr, c->err);
		goto out;
	}
	if (!(c->r.u.rqid.qid.type & QTAUTH)) {
		fprintf(stderr,
		        "lux9p: %s: protocol error: Rauth's qid (type %#x) is not an "
		        "authentication file\n",
		        o->addr, c->r.u.rqid.qid.type);
		goto out;
	}
	if (handshake(c, o, a, afid, &k) < 0)
		goto out;
	if (k.added) {
		char fp[AUTH_FP_MAX];

		auth_fingerprint(k.got, fp, sizeof fp);
		fprintf(stderr, "lux9p: added the host key %s for %s to %s\n", fp, o->addr,
		        o->known_hosts);
	}
	if (o->verbose) {
		char fp[AUTH_FP_MAX];

		auth_fingerprint(auth_host_key(a), fp, sizeof fp);
		fprintf(stderr, "lux9p: %s: host key %s; %s authenticated; records %s\n", o->addr,
		        fp, o->user, auth_cipher_name(auth_cipher(a)));
	}
	if (auth_take_records(a, &tx, &rx) < 0) {
		fprintf(stderr, "lux9p: %s: %s\n", o->addr, auth_why(a));
		goto out;
	}
	if (p9c_attach_afid(c, afid, o->user, P9_NONUNAME, o->aname, root) < 0) {
		auth_rec_wipe(&tx);
		auth_rec_wipe(&rx);
		fprintf(stderr, "lux9p: %s: attach '%s' as %s: %s\n", o->addr, o->aname, o->user,
		        c->err);
		goto out;
	}
	if (p9c_secure(c, &tx, &rx) < 0) {
		fprintf(stderr, "lux9p: %s: %s\n", o->addr, c->err);
		goto out;
	}
	r = 0;
out:
	auth_wipe(a);
	free(a);
	return r;
}
