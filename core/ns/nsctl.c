/*
 * The namespace command language, shared by the shell's built-ins and
 * the ctl file /proc/N/ns (docs/namespaces.md):
 *
 *	bind [-abc] new old		new: a path, or #dev for a fresh attach
 *	mount [-abc] [-k key] spec old [aname]	spec: #dev, unix!PATH or tcp!HOST!PORT
 *	unmount [new] old
 *
 * Plan 9's order: the thing bound or mounted first, the place second.
 * -b and -a make old a union directory (new in front of or behind what
 * is there), -c lets creates in it go to new.
 */
#include <lux/error.h>
#include <lux/fmt.h>
#include <lux/kern.h>
#include <lux/mnt.h>
#include <lux/ns.h>
#include <lux/proc.h>
#include <lux/perm.h>
#include <lux/string.h>
#include <lux/users.h>

#define NSCTL_MAXARGS 8

static const struct dev *const devices[] = { &ramfs_dev,  &cons_dev,  &proc_dev,
	                                     &crypto_dev, &users_dev, &pipe_dev };

const struct dev *dev_lookup(const char *name)
{
	for (size_t i = 0; i < nelem(devices); i++)
		if (kstrcmp(devices[i]->name, name) == 0)
			return devices[i];
	return 0;
}

/* The sentence: fmt takes a, b and then err's own sentence (a format may
 * stop before using all three). */
static int fail(char *why, size_t whylen, int err, const char *fmt, const char *a, const char *b)
{
	ksnprintf(why, whylen, fmt, a, b, proc_errstr(err));
	return err;
}

/* "-a", "-bc", ...: into *flags; 0, or E_SYNTAX. */
static int parse_flags(const char *arg, int *flags)
{
	for (const char *p = arg + 1; *p; p++) {
		switch (*p) {
		case 'a': *flags |= MAFTER; break;
		case 'b': *flags |= MBEFORE; break;
		case 'c': *flags |= MCREATE; break;
		default: return E_SYNTAX;
		}
	}
	return (*flags & MORDER) == MORDER || arg[1] == 0 ? E_SYNTAX : 0;
}

/* What "new" or "spec" names: #dev (an attach), an address (mount only),
 * or a path in ns (bind only). */
static int source(struct ns *ns, const char *src, const char *aname, const char *key, bool mount,
                  struct chan **out)
{
	const struct dev *d;

	if (src[0] == '#') {
		if ((d = dev_lookup(src + 1)) == 0)
			return E_NOENT;
		return dev_attach(d, aname ? aname : "", out);
	}
	if (mount) {
		if (kstrchr(src, '!') == 0)
			return E_BADPATH;	/* neither #dev nor an address */
		/* making the kernel dial out is an authority of its own: a
		 * client must not turn the machine into its proxy */
		if (!perm_is_eve())
			return perm_deny("dial", src);
		return mnt_attach(src, aname ? aname : "", key, out);
	}
	return namec(ns, src, NAMEC_WALK, 0, 0, out);
}

static int bind_or_mount(struct ns *ns, int argc, char **argv, char *why, size_t whylen)
{
	bool mount = kstrcmp(argv[0], "mount") == 0;
	int flags = MREPL, i = 1, err;
	struct chan *to;
	struct ns_src src = { .mounted = mount };

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (mount && kstrcmp(argv[i], "-k") == 0 && i + 1 < argc) {
			src.key = argv[++i];	/* authenticate with this key */
			if (kstrnlen(src.key, 32) == 32)
				return fail(why, whylen, E_NAMETOOLONG, "%s: %s: %s", argv[0],
				            src.key);
			continue;
		}
		if (parse_flags(argv[i], &flags) < 0)
			return fail(why, whylen, E_SYNTAX, "%s: bad flag %s: %s", argv[0], argv[i]);
	}
	if (argc - i != 2 && !(mount && argc - i == 3))
		return fail(why, whylen, E_SYNTAX, "%s: %s: %s", argv[0],
		            mount ? "usage: mount [-abc] [-k key] spec old [aname]"
		                  : "usage: bind [-abc] new old");
	if (src.key && kstrchr(argv[i], '!') == 0)
		return fail(why, whylen, E_SYNTAX, "%s: %s: %s", argv[0],
		            "-k authenticates to a 9P server: spec must be an address");
	src.src = argv[i];
	src.aname = mount && argc - i == 3 ? argv[i + 2] : 0;
	if (kstrnlen(src.src, NS_SRCMAX) == NS_SRCMAX ||
	    (src.aname && kstrnlen(src.aname, NS_SRCMAX) == NS_SRCMAX))
		return fail(why, whylen, E_NAMETOOLONG, "%s: %s: %s", argv[0], argv[i]);
	if ((err = source(ns, src.src, src.aname, src.key, mount, &to)) < 0)
		return fail(why, whylen, err, "%s: %s: %s", argv[0], argv[i]);
	err = ns_bind(ns, to, argv[i + 1], flags, &src);
	chan_put(to);
	if (err < 0)
		return fail(why, whylen, err, "%s: %s: %s", argv[0], argv[i + 1]);
	return 0;
}

/* After an unmount said E_NOENT: do the names exist (so it is the mount
 * that is missing, not a file)? */
static bool mounted_nothing(struct ns *ns, char **argv, int argc)
{
	struct chan *c;

	for (int i = 1; i < argc; i++) {
		if (namec(ns, argv[i], NAMEC_WALK, 0, 0, &c) < 0)
			return false;
		chan_put(c);
	}
	return true;
}

int ns_command(struct ns *ns, int argc, char **argv, char *why, size_t whylen)
{
	int err;

	why[0] = 0;
	if (argc < 1)
		return 0;
	if (kstrcmp(argv[0], "bind") == 0 || kstrcmp(argv[0], "mount") == 0)
		return bind_or_mount(ns, argc, argv, why, whylen);
	if (kstrcmp(argv[0], "unmount") == 0) {
		if (argc != 2 && argc != 3)
			return fail(why, whylen, E_SYNTAX, "%s: %s: %s", "unmount",
			            "usage: unmount [new] old");
		err = ns_unmount(ns, argc == 3 ? argv[1] : 0, argv[argc - 1]);
		if (err == E_NOENT && mounted_nothing(ns, argv, argc))
			return fail(why, whylen, err, "unmount: %s: %s", argv[argc - 1],
			            argc == 3 ? "not mounted there" : "not mounted");
		if (err < 0)
			return fail(why, whylen, err, "unmount: %s: %s", argv[argc - 1],
			            proc_errstr(err));
		return 0;
	}
	return fail(why, whylen, E_SYNTAX, "%s: %s%s", argv[0],
	            "not a namespace command (bind, mount, unmount): ");
}

/* Split one line into words: blanks separate, '...' quotes (so a line
 * /proc/N/ns printed reads back, and '#' is an ordinary character). */
static int split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line, *w;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 0)
			return argc;
		if (argc == max)
			return E_SYNTAX;
		argv[argc++] = w = p;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'') {
				char *end = kstrchr(p + 1, '\'');
				if (end == 0)
					return E_SYNTAX;
				kmemmove(w, p + 1, (size_t)(end - p - 1));
				w += end - p - 1;
				p = end + 1;
			} else {
				*w++ = *p++;
			}
		}
		if (*p)
			p++;
		*w = 0;
	}
}

struct ctlarg {
	struct ns *ns;
	char *why;
	size_t whylen;
};

static int ctl_line(char *line, void *arg)
{
	struct ctlarg *a = arg;
	char *argv[NSCTL_MAXARGS];
	int argc;

	if ((argc = split(line, argv, NSCTL_MAXARGS)) < 0)
		return fail(a->why, a->whylen, E_SYNTAX, "ns: %s%s: %s",
		            "unbalanced quote or too many words", "");
	return ns_command(a->ns, argc, argv, a->why, a->whylen);
}

int ns_ctl(struct ns *ns, const char *text, size_t len, char *why, size_t whylen)
{
	enum { LINEMAX = 512 };
	struct ctlarg a = { ns, why, whylen };
	char line[LINEMAX];
	int err;

	why[0] = 0;
	err = kforlines(text, len, line, sizeof line, ctl_line, &a);
	/* the framing's own refusals have no sentence yet (a command's do) */
	if (err == E_NAMETOOLONG && !why[0])
		return fail(why, whylen, err, "ns: %s%s: %s", "line too long", "");
	if (err == E_SYNTAX && !why[0])
		return fail(why, whylen, err, "ns: %s%s: %s", "NUL byte in a line", "");
	return err;
}
