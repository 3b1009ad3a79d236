/*
 * /adm: who exists and how they prove it (<lux/users.h>).
 *   users	the table as `id:name:leader:members` lines; writing runs
 *		`uname`, `deluser`, `quota` and `authkey` commands.  eve's, 0644, so the
 *		one permission check lets only the host owner change it
 *   quota	what each user's files hold and may hold: `NAME USED LIMIT`
 *		lines, bytes (docs/quotas.md); readable by all, as Plan 9
 *		shows everyone's files
 *   keys	the authorized user keys, `NAME HEX` lines
 *   hostkey	the host's public key and fingerprint, for known-hosts files
 *   knownhosts	servers the kernel mounts with authentication: `ADDR HEX`
 *   tokens	0666: write `mint [USER] [ro] [path /P] [expiry S]` or
 *		`revoke TOKEN`; read the token you minted last (tokens.c)
 */
#include <lux/dev.h>
#include <lux/auth.h>
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/hostkey.h>
#include <lux/kalloc.h>
#include <lux/kern.h>
#include <lux/proc.h>
#include <lux/quota.h>
#include <lux/string.h>
#include <lux/users.h>

enum { Qdir, Qusers, Qquota, Qkeys, Qhostkey, Qknownhosts, Qtokens, Qmax };

static const struct dirtab files[Qmax] = {
	[Qdir] = { "adm", DMDIR | 0555 }, [Qusers] = { "users", 0644 },
	[Qquota] = { "quota", 0444 },     [Qkeys] = { "keys", 0444 },
	[Qhostkey] = { "hostkey", 0444 }, [Qknownhosts] = { "knownhosts", 0444 },
	[Qtokens] = { "tokens", 0666 },
};

static int users_attach(struct chan *c, const char *spec)
{
	USED(spec);
	return dirtab_attach(c);
}

static int users_walk(struct chan *c, const char *name)
{
	return dirtab_walk(files, Qmax, c, name);
}

static int users_stat(struct chan *c, struct lux_dir *d)
{
	return dirtab_stat(files, c, d);
}

static int users_open(struct chan *c, int mode)
{
	return dirtab_open(files, c, mode);
}

static long hostkey_read(void *buf, size_t n, uint64_t off)
{
	char hex[65], fp[AUTH_FP_MAX], text[200];
	int len;

	if (!hostkey_ready())
		return E_NOENT;
	khex(hex, hostkey_public(), 32);
	hostkey_fingerprint(fp, sizeof fp);
	len = ksnprintf(text, sizeof text, "ed25519 %s\nfingerprint %s\n%s", hex, fp,
	                hostkey_ephemeral() ? "ephemeral\n" : "");
	return dev_readstr(off, buf, n, text, (size_t)len);
}

static size_t format(uint64_t q, char *buf, size_t size)
{
	return q == Qkeys         ? users_keys_format(buf, size)
	       : q == Qquota      ? quota_format(buf, size)
	       : q == Qknownhosts ? knownhosts_format(buf, size)
	                          : users_format(buf, size);
}

static long users_read(struct chan *c, void *buf, size_t n, uint64_t off)
{
	size_t len;
	char *text;
	long r;

	if (c->qid.path == Qdir)
		return E_ISDIR;
	if (c->qid.path == Qhostkey)
		return hostkey_read(buf, n, off);
	if (c->qid.path == Qtokens) {
		char tok[512];
		size_t len = tokens_read(proc_principal(curproc())->pid, tok, sizeof tok);
		r = dev_readstr(off, buf, n, tok, len);
		lc_wipe(tok, sizeof tok);
		return r;
	}
	len = format(c->qid.path, 0, 0);
	if ((text = kmalloc(len + 1)) == 0)
		return E_NOMEM;
	len = format(c->qid.path, text, len + 1);
	r = dev_readstr(off, buf, n, text, len);
	kfree(text);
	return r;
}

static long users_write(struct chan *c, const void *buf, size_t n, uint64_t off)
{
	char why[ERRMAX];
	int err;

	USED(off);
	if (c->qid.path == Qtokens) {
		if ((err = tokens_ctl(buf, n, why, sizeof why)) < 0)
			return proc_seterr(err, "%s", why);
		return (long)n;
	}
	if (c->qid.path != Qusers)
		return E_ISDIR;
	if ((err = users_ctl(buf, n, why, sizeof why)) < 0)
		return proc_seterr(err, "%s", why);
	return (long)n;
}

static int users_dirent(struct chan *c, size_t i, struct lux_dir *d)
{
	return dirtab_dirent(files, Qmax, c, i, d);
}

const struct dev users_dev = {
	.name = "adm",
	.attach = users_attach,
	.walk = users_walk,
	.stat = users_stat,
	.open = users_open,
	.read = users_read,
	.write = users_write,
	.dirent = users_dirent,
};
