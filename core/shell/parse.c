/*
 * The shell's parser (see shell.h).  It copies words into the line's own
 * buffer, so the input is never modified and every limit is checked in
 * one place.
 */
#include <lux/string.h>

#include "shell.h"

struct lexer {
	const char *p;
	char *w, *wend;		/* where the next word byte goes */
	const char *err;
};

/* Read one word into the buffer; returns a pointer to it or 0 on error. */
static char *word(struct lexer *lx)
{
	char *start = lx->w;

	while (*lx->p && !kstrchr(" \t\r\n;<>&|#", *lx->p)) {
		char q = *lx->p;
		if (q == '\'' || q == '"') {
			const char *end = kstrchr(lx->p + 1, q);
			if (end == 0) {
				lx->err = "unterminated quote";
				return 0;
			}
			for (lx->p++; lx->p < end; lx->p++) {
				if (lx->w + 1 >= lx->wend)
					goto toolong;
				*lx->w++ = *lx->p;
			}
			lx->p++;
			continue;
		}
		if (lx->w + 1 >= lx->wend)
			goto toolong;
		*lx->w++ = *lx->p++;
	}
	*lx->w++ = 0;
	return start;
toolong:
	lx->err = "line too long";
	return 0;
}

static void skip_space(struct lexer *lx)
{
	while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' || *lx->p == '\n')
		lx->p++;
}

/* Parse one command up to ';' or the end.  Returns 1 if it had words. */
static int command(struct lexer *lx, struct sh_cmd *c)
{
	c->argc = 0;
	c->redir = 0;
	c->append = false;
	c->background = false;
	for (;;) {
		skip_space(lx);
		switch (*lx->p) {
		case 0:
		case ';':
		case '#':
		case '&': goto done;
		case '>':
			if (c->redir) {
				lx->err = "more than one redirection";
				return -1;
			}
			c->append = lx->p[1] == '>';
			lx->p += c->append ? 2 : 1;
			skip_space(lx);
			if (*lx->p == 0 || kstrchr(";<>&|#", *lx->p)) {
				lx->err = "missing file name after '>'";
				return -1;
			}
			if ((c->redir = word(lx)) == 0)
				return -1;
			continue;
		case '<':
		case '|':
			lx->err = *lx->p == '<' ? "input redirection '<' is not supported"
			                        : "pipes '|' are not supported";
			return -1;
		}
		if (c->argc == SH_MAXARGS) {
			lx->err = "too many words";
			return -1;
		}
		if ((c->argv[c->argc++] = word(lx)) == 0)
			return -1;
	}
done:
	c->argv[c->argc] = 0;
	if (c->argc == 0 && c->redir) {
		lx->err = "redirection without a command";
		return -1;
	}
	return c->argc > 0;
}

int sh_parse(const char *line, struct sh_line *out, const char **err)
{
	struct lexer lx = { line, out->words, out->words + sizeof out->words, 0 };

	out->ncmds = 0;
	if (kstrnlen(line, SH_LINEMAX + 1) > SH_LINEMAX) {
		*err = "line too long";
		return -1;
	}
	for (;;) {
		struct sh_cmd c;
		int r = command(&lx, &c);
		if (r < 0) {
			*err = lx.err;
			return -1;
		}
		if (r > 0) {
			if (out->ncmds == SH_MAXCMDS) {
				*err = "too many commands on one line";
				return -1;
			}
			out->cmds[out->ncmds++] = c;
		}
		if (*lx.p == '&') {
			if (r == 0) {
				*err = "'&' without a command";
				return -1;
			}
			if (lx.p[1] == '&') {
				*err = "'&&' is not supported";
				return -1;
			}
			out->cmds[out->ncmds - 1].background = true;
			lx.p++;
			skip_space(&lx);
			if (*lx.p == ';')	/* "cmd &; cmd" reads as "cmd & cmd" */
				lx.p++;
			continue;
		}
		if (*lx.p == ';') {
			lx.p++;
			continue;
		}
		return 0;	/* end of line, or a comment */
	}
}
