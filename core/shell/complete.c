/*
 * Tab completion for the console (cons_set_completer): the first word of
 * a command completes to a built-in's name, any other word to a path in
 * the reading proc's namespace, absolute as every path is (whatever is bound or mounted there,
 * unions included, since it reads the directory as ls does).
 *
 * One match is inserted whole, followed by a space (or a '/' for a
 * directory, so the next Tab goes inside); several insert what they all
 * share; when they share nothing more, they are listed and the line is
 * shown again.  Quotes are not understood: a word is what lies between
 * blanks and ; & > |, as the parser sees an unquoted line.
 */
#include <lux/cons.h>
#include <lux/dev.h>
#include <lux/string.h>
#include <lux/sysfile.h>

#include "shell.h"

#define LIST_CUT "  ...\n"	/* ends a list that had no room for every name */

struct matches {
	const char *prefix;	/* what the word has already */
	size_t plen;
	int count;
	char first[LUX_NAMEMAX + 1];	/* the first match, cut to what all share */
	size_t common;		/* bytes of first all matches share */
	bool firstdir;
	struct cons_completion *c;
	bool full;		/* the list had no room for another name */
};

static void add(struct matches *m, const char *name, bool dir)
{
	struct cons_completion *c = m->c;
	size_t n = kstrlen(name), room;

	if (n < m->plen || kmemcmp(name, m->prefix, m->plen) != 0)
		return;
	if (m->count++ == 0) {
		kstrlcpy(m->first, name, sizeof m->first);
		m->common = kstrlen(m->first);
		m->firstdir = dir;
	} else {
		size_t i = 0;
		while (i < m->common && name[i] == m->first[i])
			i++;
		m->common = i;
	}
	/* the list, in case nothing can be inserted: "a  b/  c", with room
	 * always kept for the end, "  ...\n" */
	room = sizeof c->list - c->nlist;
	if (m->full || n + 3 + sizeof LIST_CUT > room) {
		m->full = true;
		return;
	}
	if (c->nlist) {
		kmemcpy(c->list + c->nlist, "  ", 2);
		c->nlist += 2;
	}
	kmemcpy(c->list + c->nlist, name, n);
	c->nlist += n;
	if (dir)
		c->list[c->nlist++] = '/';
}

/* Turn the matches into what the console applies. */
static void finish(struct matches *m)
{
	struct cons_completion *c = m->c;
	size_t n;

	if (m->count == 0) {
		c->nlist = 0;	/* nothing matches: the tab does nothing */
		return;
	}
	n = m->common - m->plen;
	if (n > sizeof c->insert - 2)
		n = sizeof c->insert - 2;
	kmemcpy(c->insert, m->first + m->plen, n);
	if (m->count == 1)
		c->insert[n++] = m->firstdir ? '/' : ' ';
	c->ninsert = n;
	if (n == 0) {	/* several, nothing more in common: show them */
		if (m->full) {
			kmemcpy(c->list + c->nlist, LIST_CUT, sizeof LIST_CUT - 1);
			c->nlist += sizeof LIST_CUT - 1;
		} else {
			c->list[c->nlist++] = '\n';
		}
	} else {
		c->nlist = 0;
	}
}

static void builtins(struct matches *m)
{
	size_t n;
	const struct sh_builtin *b = sh_builtins(&n);

	for (size_t i = 0; i < n; i++)
		add(m, b[i].name, false);
}

/* The word is a path: list the directory it is in. */
static void paths(struct matches *m, const char *word, size_t wlen)
{
	char dir[SH_LINEMAX + 2];
	const char *slash = 0;
	struct lux_dir d;
	int fd;

	size_t dlen;

	if (wlen == 0 || word[0] != '/')
		return;	/* every path is absolute here: nothing to start from */
	for (size_t i = 0; i < wlen; i++)
		if (word[i] == '/')
			slash = word + i;
	dlen = (size_t)(slash - word) + 1;	/* keep the '/': "/" stays "/" */
	kmemcpy(dir, word, dlen);
	dir[dlen] = 0;
	m->prefix = slash + 1;
	m->plen = wlen - (size_t)(m->prefix - word);
	fd = sys_open(dir, OREAD);
	if (fd < 0)
		return;	/* no such directory, not one, not ours: nothing to offer */
	for (size_t i = 0; sys_dirent(fd, i, &d) > 0; i++)
		add(m, d.name, (d.mode & DMDIR) != 0);
	sys_close(fd);
}

static bool separates(char c)
{
	return c == ' ' || c == '\t' || c == ';' || c == '&' || c == '>' || c == '|';
}

void sh_complete(struct cons_completion *c)
{
	struct matches m = { .c = c };
	size_t start = c->len, before;

	while (start > 0 && !separates(c->line[start - 1]))
		start--;
	before = start;
	while (before > 0 && (c->line[before - 1] == ' ' || c->line[before - 1] == '\t'))
		before--;
	c->nlist = c->ninsert = 0;
	if (before == 0 || c->line[before - 1] == ';' || c->line[before - 1] == '&') {
		m.prefix = c->line + start;
		m.plen = c->len - start;
		builtins(&m);
	} else {
		paths(&m, c->line + start, c->len - start);
	}
	finish(&m);
}
