/*
 * lux9p: a command-line 9P client in the style of plan9port's 9p(1), for
 * luxsim and any other 9P2000 / 9P2000.L server (diod, Plan 9, u9fs).
 *
 *   lux9p [-a ADDR] [-A ANAME] [-L] [-u UNAME] [-k KEY | -t FILE | -T TOKEN] [--no-auth]
 *         [--accept-new-host] CMD PATH
 *   lux9p [-u USER] keygen [FILE]
 *
 * One connection, one attach, one command, then exit: 0 on success, 1
 * with the server's error text on stderr, 64 for a usage error.  Messages
 * are built and parsed by the kernel's own codec (p9client.c); there is
 * no second 9P parser here.  Over TCP with a user key, the connection is
 * authenticated and encrypted first (auth9p.c, the core's engine).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <lux/auth.h>
#include <lux/captoken.h>
#include <lux/crypto.h>

#include "auth9p.h"
#include "dial.h"
#include "keys.h"
#include "p9client.h"

#define EX_USAGE 64
/* What we ask for: the most luxsim offers (NINEP_MSIZE), and what diod
 * and Linux use. */
#define LUX9P_MSIZE (65536u + P9_IOHDRSZ)

static const char *argv0 = "lux9p";

static void usage(FILE *f)
{
	char def[512], cfg[512];

	dial_default(def, sizeof def);
	if (config_dir(cfg, sizeof cfg) < 0)
		snprintf(cfg, sizeof cfg, "~/.config/lux9");
	fprintf(
	    f,
	    "usage: lux9p [-a ADDR] [-A ANAME] [-L] [-u UNAME] [-k KEY | -t FILE | -T TOKEN]\n"
	    "             [-v] [--no-auth] [--accept-new-host] CMD PATH\n"
	    "       lux9p [-u USER] keygen [FILE]\n"
	    "\n"
	    "  ls [-l] PATH   list a directory (a file: its name); -l: mode, owner, size, time\n"
	    "  read PATH      copy the file to stdout\n"
	    "  write PATH     copy stdin to the file (opened with truncation)\n"
	    "  create PATH    make a new, empty file (fails if it exists)\n"
	    "  rm PATH        remove a file or an empty directory\n"
	    "  stat PATH      print the file's attributes\n"
	    "  rdwr PATH      open read-write; repeat: read at offset 0 and print it,\n"
	    "                 then write one line of stdin at offset 0 (until end of input)\n"
	    "  keygen [FILE]  make a user key (default %s/id_ed25519; never\n"
	    "                 overwritten) and print the line that authorizes it\n"
	    "\n"
	    "  -a ADDR    unix!PATH, tcp!HOST!PORT or /path/to/socket\n"
	    "             (default %s, where luxsim listens)\n"
	    "  -A ANAME   the tree to attach (default \"\", the server's root)\n"
	    "  -L         speak 9P2000.L (Linux, diod) instead of 9P2000\n"
	    "  -u UNAME   attach as UNAME (default: none named, so a Lux9 server\n"
	    "             takes who the connection is; with -L the uid is sent too);\n"
	    "             authenticating, the user to prove (default $USER)\n"
	    "  -k KEY     authenticate with this Ed25519 user key (tcp! addresses);\n"
	    "             without -k, %s/id_ed25519 is used when it exists\n"
	    "  -t FILE    authenticate with the capability token in FILE (its lux1. text,\n"
	    "             as read from the server's /adm/tokens; mode 0600) instead of a key\n"
	    "  -T TOKEN   ... the token itself (visible to ps: prefer -t)\n"
	    "  -v         authenticating, say the server's host key and the record\n"
	    "             cipher the handshake picked (aes256gcm, chacha20poly1305)\n"
	    "  --no-auth  do not authenticate, even with a key\n"
	    "  --accept-new-host\n"
	    "             trust a server not yet in %s/known_hosts and add\n"
	    "             its key there (a changed key is always refused)\n"
	    "\n"
	    "Over tcp! with a key the server must prove its host key (known_hosts: lines\n"
	    "'ADDR HEX', ADDR as given to -a) and the connection is encrypted.\n"
	    "\n"
	    "Exit status: 0 done, 1 an error (the server's words on stderr), 64 usage\n"
	    "(a malformed ADDR included).\n",
	    cfg, def, cfg, cfg);
}

static int die(struct p9c *c, const char *cmd, const char *path)
{
	fprintf(stderr, "%s: %s %s: %s\n", argv0, cmd, path, c->err);
	return 1;
}

/* ---- ls ---------------------------------------------------------------- */

struct lsctx {
	struct p9c *c;
	uint32_t dir;		/* the directory's fid, for walking to entries */
	bool longfmt;
	int status;
};

static void modestr(uint32_t mode, char out[12])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = (mode & DMDIR) ? 'd' : (mode & DMAPPEND) ? 'a' : '-';
	out[1] = (mode & DMEXCL) ? 'l' : '-';
	for (int i = 0; i < 9; i++)
		out[2 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	out[11] = 0;
}

static void print_long(const struct p9c_stat *st, const char *name)
{
	char mode[12], when[32] = "-";
	time_t t = (time_t)st->mtime;
	struct tm tm;

	modestr(st->mode, mode);
	if (localtime_r(&t, &tm))
		strftime(when, sizeof when, "%b %e %H:%M", &tm);
	printf("%s %s %s %llu %s %s\n", mode, st->uid, st->gid, (unsigned long long)st->length,
	       when, name);
}

static int ls_entry(void *arg, const struct p9c_stat *st)
{
	struct lsctx *x = arg;
	struct p9c_stat full;
	uint32_t fid;

	/* diod lists these under .L; a Plan 9 directory never has them. */
	if (strcmp(st->name, ".") == 0 || strcmp(st->name, "..") == 0)
		return 0;
	if (!x->longfmt) {
		printf("%s\n", st->name);
		return 0;
	}
	if (x->c->d != P9_2000L) {
		print_long(st, st->name);
		return 0;
	}
	/* .L directory entries carry only a name and a qid. */
	if (p9c_walk(x->c, x->dir, st->name, &fid) < 0 || p9c_stat(x->c, fid, &full) < 0) {
		fprintf(stderr, "%s: ls: %s: %s\n", argv0, st->name, x->c->err);
		x->status = 1;
		return 0;
	}
	p9c_clunk(x->c, fid);
	print_long(&full, st->name);
	return 0;
}

static const char *basename_of(const char *path)
{
	const char *end = path + strlen(path), *p;

	while (end > path && end[-1] == '/')
		end--;
	for (p = end; p > path && p[-1] != '/'; p--)
		;
	return *p && p < end ? p : "/";
}

static int cmd_ls(struct p9c *c, uint32_t root, const char *path, bool longfmt)
{
	struct lsctx x = { c, 0, longfmt, 0 };
	struct p9c_stat st;
	uint32_t fid, dir = 0;

	if (p9c_walk(c, root, path, &fid) < 0 || p9c_stat(c, fid, &st) < 0)
		return die(c, "ls", path);
	if (!(st.mode & DMDIR)) {
		if (longfmt)
			print_long(&st, path);
		else
			printf("%s\n", path);
		return 0;
	}
	/* A second fid on the directory to walk to entries from: the open
	 * one may not be walked under 9P2000 (walk(5)). */
	if (longfmt && c->d == P9_2000L && p9c_walk(c, fid, "", &dir) < 0)
		return die(c, "ls", path);
	x.dir = dir;
	if (p9c_open(c, fid, OREAD, NULL) < 0 || p9c_readdir(c, fid, ls_entry, &x) < 0)
		return die(c, "ls", path);
	return x.status;
}

/* ---- read, write, create, rm, stat, rdwr -------------------------------- */

static int cmd_read(struct p9c *c, uint32_t root, const char *path)
{
	uint32_t fid, iounit;
	uint64_t off = 0;
	char *buf;
	ssize_t n;

	if (p9c_walk(c, root, path, &fid) < 0 || p9c_open(c, fid, OREAD, &iounit) < 0)
		return die(c, "read", path);
	if (!(buf = malloc(iounit)))
		return fprintf(stderr, "%s: out of memory\n", argv0), 1;
	while ((n = p9c_read(c, fid, off, buf, iounit)) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			fprintf(stderr, "%s: read %s: writing stdout: %s\n", argv0, path,
			        strerror(errno));
			return 1;
		}
		off += (uint64_t)n;
	}
	free(buf);
	if (n < 0)
		return die(c, "read", path);
	return 0;
}

/* Write all n bytes at off, however the server splits them. */
static int write_all(struct p9c *c, uint32_t fid, uint64_t off, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = p9c_write(c, fid, off, p, (uint32_t)n);

		if (w < 0)
			return -1;
		if (w == 0) {
			snprintf(c->err, sizeof c->err, "the server wrote 0 bytes");
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int cmd_write(struct p9c *c, uint32_t root, const char *path)
{
	uint32_t fid, iounit;
	uint64_t off = 0;
	char *buf;
	ssize_t n;

	if (p9c_walk(c, root, path, &fid) < 0 || p9c_open(c, fid, OWRITE | OTRUNC, &iounit) < 0)
		return die(c, "write", path);
	if (!(buf = malloc(iounit)))
		return fprintf(stderr, "%s: out of memory\n", argv0), 1;
	while ((n = read(0, buf, iounit)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: write %s: reading stdin: %s\n", argv0, path,
			        strerror(errno));
			return 1;
		}
		if (write_all(c, fid, off, buf, (size_t)n) < 0)
			return die(c, "write", path);
		off += (uint64_t)n;
	}
	free(buf);
	if (p9c_clunk(c, fid) < 0)
		return die(c, "write", path);
	return 0;
}

/* "a/b/c" -> the directory "a/b" and the name "c" (trailing slashes go). */
static int split_last(const char *path, char *dir, size_t cap, char **name)
{
	size_t len = strlen(path);
	char *slash;

	while (len > 0 && path[len - 1] == '/')
		len--;
	if (len == 0 || len >= cap)
		return -1;
	memcpy(dir, path, len);
	dir[len] = 0;
	if (!(slash = strrchr(dir, '/'))) {
		*name = dir;
		return 1;	/* in the attach root: dir is the name itself */
	}
	*slash = 0;
	*name = slash + 1;
	return 0;
}

static int cmd_create(struct p9c *c, uint32_t root, const char *path)
{
	char dir[4096], *name;
	uint32_t fid;
	int r = split_last(path, dir, sizeof dir, &name);

	if (r < 0) {
		fprintf(stderr, "%s: create: bad path '%s'\n", argv0, path);
		return 1;
	}
	if (p9c_walk(c, root, r ? "" : dir, &fid) < 0 ||
	    p9c_create(c, fid, name, 0666, OREAD, NULL) < 0)
		return die(c, "create", path);
	return p9c_clunk(c, fid) < 0 ? die(c, "create", path) : 0;
}

static int cmd_rm(struct p9c *c, uint32_t root, const char *path)
{
	uint32_t fid;

	/* Tremove clunks the fid whether or not the removal worked. */
	if (p9c_walk(c, root, path, &fid) < 0 || p9c_remove(c, fid) < 0)
		return die(c, "rm", path);
	return 0;
}

static void qidtype(uint8_t t, char *out)
{
	if (t & QTDIR)
		*out++ = 'd';
	if (t & QTAPPEND)
		*out++ = 'a';
	if (t & QTEXCL)
		*out++ = 'l';
	if (t & QTAUTH)
		*out++ = 'A';
	*out = 0;
}

static int cmd_stat(struct p9c *c, uint32_t root, const char *path)
{
	struct p9c_stat st;
	char qt[8];
	uint32_t fid;

	if (p9c_walk(c, root, path, &fid) < 0 || p9c_stat(c, fid, &st) < 0)
		return die(c, "stat", path);
	if (!st.name[0])	/* .L: getattr has no name */
		snprintf(st.name, sizeof st.name, "%s", basename_of(path));
	qidtype(st.qid.type, qt);
	/* plan9port 9p's line (Plan 9's dirfmt) */
	printf("'%s' '%s' '%s' '%s' q (%016llx %u %s) m %#o at %llu mt %llu l %llu\n", st.name,
	       st.uid, st.gid, st.muid, (unsigned long long)st.qid.path, st.qid.vers, qt, st.mode,
	       (unsigned long long)st.atime, (unsigned long long)st.mtime,
	       (unsigned long long)st.length);
	return 0;
}

static int cmd_rdwr(struct p9c *c, uint32_t root, const char *path)
{
	uint32_t fid, iounit;
	char *buf, *line = NULL;
	size_t cap = 0;
	ssize_t n, len;

	if (p9c_walk(c, root, path, &fid) < 0 || p9c_open(c, fid, ORDWR, &iounit) < 0)
		return die(c, "rdwr", path);
	if (!(buf = malloc(iounit)))
		return fprintf(stderr, "%s: out of memory\n", argv0), 1;
	for (;;) {
		/* Like 9p rdwr: each read and write is at offset 0, one
		 * message each, as for a ctl file. */
		if ((n = p9c_read(c, fid, 0, buf, iounit)) < 0) {
			fprintf(stderr, "%s: rdwr %s: read: %s\n", argv0, path, c->err);
		} else {
			fwrite(buf, 1, (size_t)n, stdout);
			if (n == 0 || buf[n - 1] != '\n')
				fputc('\n', stdout);
		}
		fflush(stdout);
		if ((len = getline(&line, &cap, stdin)) < 0)
			break;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = 0;
		if (write_all(c, fid, 0, line, (size_t)len) < 0)
			fprintf(stderr, "%s: rdwr %s: write: %s\n", argv0, path, c->err);
		if (c->dead)	/* the server is gone: stop asking */
			break;
	}
	free(line);
	free(buf);
	return p9c_clunk(c, fid) < 0 ? die(c, "rdwr", path) : 0;
}

/* ---- main -------------------------------------------------------------- */

static int run(struct p9c *c, uint32_t root, const char *cmd, int argc, char **argv)
{
	bool longfmt = false;

	if (strcmp(cmd, "ls") == 0 && argc == 2 && strcmp(argv[0], "-l") == 0) {
		longfmt = true;
		argc--, argv++;
	}
	if (argc != 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(cmd, "ls") == 0)
		return cmd_ls(c, root, argv[0], longfmt);
	if (strcmp(cmd, "read") == 0)
		return cmd_read(c, root, argv[0]);
	if (strcmp(cmd, "write") == 0)
		return cmd_write(c, root, argv[0]);
	if (strcmp(cmd, "create") == 0)
		return cmd_create(c, root, argv[0]);
	if (strcmp(cmd, "rm") == 0)
		return cmd_rm(c, root, argv[0]);
	if (strcmp(cmd, "stat") == 0)
		return cmd_stat(c, root, argv[0]);
	if (strcmp(cmd, "rdwr") == 0)
		return cmd_rdwr(c, root, argv[0]);
	fprintf(stderr, "%s: unknown command '%s' (lux9p --help lists them)\n", argv0, cmd);
	return EX_USAGE;
}

static bool known(const char *cmd)
{
	static const char *const cmds[] = { "ls", "read", "write", "create", "rm", "stat", "rdwr" };

	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmd, cmds[i]) == 0)
			return true;
	return false;
}

/* ---- Keys -------------------------------------------------------------- */

/* Who we authenticate as: -u, else $USER, else the passwd name. */
static const char *login_name(const char *uname)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (*uname)
		return uname;
	if (u && *u)
		return u;
	pw = getpwuid(geteuid());
	return pw ? pw->pw_name : "";
}

static int check_user(const char *user)
{
	if (auth9p_user_ok(user))
		return 0;
	fprintf(stderr,
	        "%s: user name '%s' cannot authenticate (1 to %d of A-Z a-z 0-9 . _ -): "
	        "give one with -u\n",
	        argv0, user, AUTH_USER_MAX - 1);
	return -1;
}

static int write_file_excl(const char *path, const char *text, mode_t mode)
{
	size_t n = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return -1;
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) < 0) {
		int e = errno ? errno : EIO;

		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* keygen [FILE]: a new seed from getrandom, written 0600; never over an
 * existing file.  The public key goes to FILE.pub too. */
static int cmd_keygen(const char *path, const char *user)
{
	uint8_t seed[KEY_BYTES], pk[32], sk[64];
	char hex[KEY_HEX + 2], pub[KEY_HEX + 2], pubpath[4200], fp[AUTH_FP_MAX], err[256];

	if (snprintf(pubpath, sizeof pubpath, "%s.pub", path) >= (int)sizeof pubpath) {
		fprintf(stderr, "%s: keygen: path too long\n", argv0);
		return 1;
	}
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "%s: keygen: %s exists; not overwriting a key (remove it first)\n",
		        argv0, path);
		return 1;
	}
	if (errno != ENOENT) {
		fprintf(stderr, "%s: keygen: %s: %s\n", argv0, path, strerror(errno));
		return 1;
	}
	if (access(pubpath, F_OK) == 0) {
		fprintf(stderr, "%s: keygen: %s exists; not overwriting it (remove it first)\n",
		        argv0, pubpath);
		return 1;
	}
	if (auth9p_crypto_init(err, sizeof err) < 0) {
		fprintf(stderr, "%s: keygen: %s\n", argv0, err);
		return 1;
	}
	if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed ||
	    lc_ed25519_seed_keypair(pk, sk, seed) < 0) {
		fprintf(stderr, "%s: keygen: cannot make a key: %s\n", argv0, strerror(errno));
		return 1;
	}
	hex_encode32(seed, hex);
	strcat(hex, "\n");
	hex_encode32(pk, pub);
	lc_wipe(seed, sizeof seed);
	lc_wipe(sk, sizeof sk);
	if (auth9p_mkparents(path) < 0 || write_file_excl(path, hex, 0600) < 0) {
		fprintf(stderr, "%s: keygen: cannot write %s: %s\n", argv0, path, strerror(errno));
		lc_wipe(hex, sizeof hex);
		return 1;
	}
	lc_wipe(hex, sizeof hex);
	strcat(pub, "\n");
	if (write_file_excl(pubpath, pub, 0644) < 0)
		fprintf(stderr, "%s: keygen: cannot write %s: %s (the key itself is written)\n",
		        argv0, pubpath, strerror(errno));
	pub[KEY_HEX] = 0;
	auth_fingerprint(pk, fp, sizeof fp);
	printf("key: %s (public key in %s)\n", path, pubpath);
	printf("public key: %s\n", pub);
	printf("fingerprint: %s\n", fp);
	printf("to authorize it, the host owner writes this line to /adm/users:\n");
	printf("authkey %s +%s\n", *user ? user : "USER", pub);
	return 0;
}

/* The key file to use: -k, or the default one if it is there; null for
 * none. */
static const char *find_key(const char *kflag, char *buf, size_t cap)
{
	char dir[4096];

	if (kflag)
		return kflag;
	if (config_dir(dir, sizeof dir) < 0 || snprintf(buf, cap, "%s/id_ed25519", dir) >= (int)cap)
		return NULL;
	return access(buf, F_OK) == 0 ? buf : NULL;
}

/* -t FILE / -T TOKEN: the token's text form into wire (CT_WIRE_MAX).
 * 0, or -1 after saying why. */
static int load_token(const char *file, const char *text, uint8_t *wire, size_t *len)
{
	static char buf[CT_TEXT_MAX + 2];
	struct stat st;
	size_t n;
	int r;

	if (file) {
		FILE *f = fopen(file, "re");

		if (f == NULL) {
			fprintf(stderr, "%s: -t %s: %s\n", argv0, file, strerror(errno));
			return -1;
		}
		if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
			fprintf(stderr,
			        "%s: -t %s: permissions %04o are too open: a token is a "
			        "password (chmod 600)\n",
			        argv0, file, (unsigned)(st.st_mode & 07777));
			fclose(f);
			return -1;
		}
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		text = buf;
	}
	n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	if ((r = captoken_from_text(text, n, wire, CT_WIRE_MAX, len)) != CT_OK) {
		fprintf(stderr, "%s: %s%s: not a Lux9 token (%s...): %s\n", argv0,
		        file ? "-t " : "-T", file ? file : "", CT_TEXT_PREFIX, captoken_errstr(r));
		return -1;
	}
	return 0;
}

enum { OPT_NOAUTH = 256, OPT_ACCEPT };

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' },
		                                  { "no-auth", no_argument, NULL, OPT_NOAUTH },
		                                  { "accept-new-host", no_argument, NULL,
		                                    OPT_ACCEPT },
		                                  { 0 } };
	char addr[512], err[512], keybuf[4200], khbuf[4200], dir[4096];
	const char *aname = "", *uname = "", *kflag = NULL, *keypath, *tfile = NULL, *ttext = NULL;
	static uint8_t token[CT_WIRE_MAX];
	size_t token_len = 0;
	enum p9_dialect d = P9_2000;
	bool noauth = false, accept_new = false, verbose = false;
	static struct auth9p au;
	struct p9c c;
	uint32_t root;
	int opt, fd, status;

	dial_default(addr, sizeof addr);
	/* "+": options stop at the command, so "ls -l" keeps its -l. */
	while ((opt = getopt_long(argc, argv, "+a:A:Lu:k:t:T:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': snprintf(addr, sizeof addr, "%s", optarg); break;
		case 'A': aname = optarg; break;
		case 'L': d = P9_2000L; break;
		case 'u': uname = optarg; break;
		case 'k': kflag = optarg; break;
		case 't': tfile = optarg; break;
		case 'T': ttext = optarg; break;
		case 'v': verbose = true; break;
		case OPT_NOAUTH: noauth = true; break;
		case OPT_ACCEPT: accept_new = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[optind], "keygen") == 0) {
		const char *path = argc - optind > 1 ? argv[optind + 1] : kflag;

		if (argc - optind > 2) {
			usage(stderr);
			return EX_USAGE;
		}
		if (!path) {
			if (config_dir(dir, sizeof dir) < 0 ||
			    snprintf(keybuf, sizeof keybuf, "%s/id_ed25519", dir) >=
			        (int)sizeof keybuf) {
				fprintf(stderr, "%s: keygen: no home directory: give a FILE\n",
				        argv0);
				return 1;
			}
			path = keybuf;
		}
		return cmd_keygen(path, login_name(uname));
	}
	if (!known(argv[optind])) {
		fprintf(stderr, "%s: unknown command '%s' (lux9p --help lists them)\n", argv0,
		        argv[optind]);
		return EX_USAGE;
	}
	/* Authentication: over TCP, with a key given or found, unless
	 * --no-auth.  A unix socket's peer is known to the server already. */
	if ((tfile || ttext) && (kflag || noauth || (tfile && ttext))) {
		fprintf(stderr,
		        "%s: -t/-T: a token is one way to authenticate: not with -k, "
		        "--no-auth or each other\n",
		        argv0);
		return EX_USAGE;
	}
	if ((tfile || ttext) && strncmp(addr, "tcp!", 4) != 0) {
		fprintf(stderr, "%s: -t/-T: authentication is for tcp! addresses\n", argv0);
		return EX_USAGE;
	}
	keypath = noauth || tfile || ttext ? NULL : find_key(kflag, keybuf, sizeof keybuf);
	if (keypath && strncmp(addr, "tcp!", 4) != 0) {
		if (kflag) {
			fprintf(stderr,
			        "%s: -k: authentication is for tcp! addresses (the server "
			        "knows a unix socket's peer); --no-auth or drop -k\n",
			        argv0);
			return EX_USAGE;
		}
		keypath = NULL;	/* the default key: only where it is needed */
	}
	if (keypath || tfile || ttext) {
		uint8_t seed[KEY_BYTES];

		au.addr = addr;
		au.aname = aname;
		au.user = login_name(uname);
		au.accept_new = accept_new;
		au.verbose = verbose;
		if (check_user(au.user) < 0)
			return EX_USAGE;
		if (config_dir(dir, sizeof dir) < 0 ||
		    snprintf(khbuf, sizeof khbuf, "%s/known_hosts", dir) >= (int)sizeof khbuf) {
			fprintf(stderr, "%s: no home directory for known_hosts (set HOME)\n",
			        argv0);
			return 1;
		}
		au.known_hosts = khbuf;
		if (auth9p_crypto_init(err, sizeof err) < 0) {
			fprintf(stderr, "%s: %s\n", argv0, err);
			return 1;
		}
		if (!keypath) {
			if (load_token(tfile, ttext, token, &token_len) < 0)
				return 1;
			au.token = token;
			au.token_len = token_len;
		} else if (key_load(keypath, seed, err, sizeof err) < 0) {
			fprintf(stderr, "%s: %s\n", argv0, err);
			return 1;
		}
		if (keypath && lc_ed25519_seed_keypair(au.pk, au.sk, seed) < 0) {
			lc_wipe(seed, sizeof seed);
			fprintf(stderr, "%s: key %s: cannot derive the key pair\n", argv0, keypath);
			return 1;
		}
		lc_wipe(seed, sizeof seed);
	}
	/* A server that goes away is an error message, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	if ((fd = dial(addr, err, sizeof err)) < 0) {
		fprintf(stderr, "%s: %s\n", argv0, err);
		return fd == DIAL_BADADDR ? EX_USAGE : 1;
	}
	if (p9c_start(&c, fd, d, LUX9P_MSIZE) < 0) {
		fprintf(stderr, "%s: %s: version: %s\n", argv0, addr, c.err);
		p9c_close(&c);
		return 1;
	}
	if (keypath || au.token) {
		int r = auth9p_attach(&c, &au, &root);

		lc_wipe(au.sk, sizeof au.sk);
		if (r < 0) {
			p9c_close(&c);
			return 1;
		}
	} else if (p9c_attach(&c, uname, *uname ? P9_NONUNAME : (uint32_t)geteuid(), aname, &root) <
	           0) {
		/* diod finds the user by number under .L: send ours, as its
		 * tools do (luxsim ignores it).  n_uname: our uid, unless a
		 * name was asked for (then the name decides). */
		fprintf(stderr, "%s: %s: attach '%s': %s\n", argv0, addr, aname, c.err);
		p9c_close(&c);
		return 1;
	}
	status = run(&c, root, argv[optind], argc - optind - 1, argv + optind + 1);
	if (fflush(stdout) != 0 && status == 0) {
		fprintf(stderr, "%s: writing stdout: %s\n", argv0, strerror(errno));
		status = 1;
	}
	p9c_close(&c);
	return status;
}
