/*
 * The codec's errors as sentences a person can act on (style rule 11): one
 * fixed sentence per class for p9_strerror, and the same sentence with the
 * offending values of a failed decode filled in for p9_explain.
 */
#include <lux/9p.h>
#include <lux/error.h>
#include <lux/fmt.h>

static const struct {
	const char *msg;	/* p9_strerror */
	const char *fmt;	/* p9_explain: got, limit (both %llu), in that order */
} errs[] = {
	[-P9_E_ARG - 100] = { "9p: bad argument to the codec (null pointer or unknown dialect)",
	                      0 },
	[-P9_E_SHORT - 100] = { "9p: message shorter than the 7-byte header",
	                        "9p: message of %llu bytes is shorter than the %llu-byte header" },
	[-P9_E_SIZE - 100] = { "9p: size field does not match the bytes received",
	                       "9p: size field says %llu bytes but %llu were received" },
	[-P9_E_MSIZE - 100] = { "9p: message larger than the negotiated msize",
	                        "9p: message of %llu bytes exceeds msize %llu" },
	[-P9_E_TYPE - 100] = { "9p: unknown message type", "9p: unknown message type %llu" },
	[-P9_E_WANT_T - 100] = { "9p: R-message where a T-message was expected", 0 },
	[-P9_E_WANT_R - 100] = { "9p: T-message where an R-message was expected", 0 },
	[-P9_E_DIALECT - 100] = { "9p: message type not part of the negotiated dialect", 0 },
	[-P9_E_NOVERSION - 100] = { "9p: only Tversion is allowed before version negotiation", 0 },
	[-P9_E_TAG - 100] = { "9p: Tversion/Rversion must use NOTAG and other messages must not",
	                      "9p: tag %llu: Tversion/Rversion must use NOTAG (%llu) and other "
	                      "messages must not" },
	[-P9_E_TRUNC - 100] = { "9p: message ends inside a field",
	                        "9p: field needs %llu bytes but only %llu remain" },
	[-P9_E_STR -
	    100] = { "9p: string runs past end of message",
	             "9p: string of %llu bytes runs past end of message (%llu bytes left)" },
	[-P9_E_STRNUL - 100] = { "9p: string contains a NUL byte",
	                         "9p: string of %llu bytes has a NUL byte at index %llu" },
	[-P9_E_NWNAME - 100] = { "9p: nwname > 16", "9p: nwname %llu > %llu" },
	[-P9_E_NWQID - 100] = { "9p: nwqid > 16", "9p: nwqid %llu > %llu" },
	[-P9_E_COUNT - 100] = { "9p: count does not match the data bytes present",
	                        "9p: count %llu but %llu data bytes present" },
	[-P9_E_TRAILING - 100] = { "9p: trailing bytes after the last field",
	                           "9p: %llu trailing bytes after the last field" },
	[-P9_E_STATSIZE -
	    100] = { "9p: stat size fields disagree with each other or the entry",
	             "9p: stat size %llu disagrees with the %llu bytes of the entry" },
	[-P9_E_STATLONG - 100] = { "9p: stat entry longer than 65535 bytes", 0 },
	[-P9_E_STRLONG - 100] = { "9p: string longer than 65535 bytes", 0 },
	[-P9_E_NOSPACE - 100] = { "9p: message does not fit the buffer", 0 },
	[-P9_E_MSIZE_MIN - 100] = { "9p: msize below the minimum of 256 bytes", 0 },
};

static int idx(int err)
{
	if (err > P9_E_ARG || err <= P9_E_LAST)
		return -1;
	return -err - 100;
}

const char *p9_strerror(int err)
{
	int i = idx(err);

	return i < 0 ? lux_errstr(err) : errs[i].msg;
}

int p9_explain(char *buf, size_t cap, int err, const struct p9_msg *m)
{
	int i = idx(err), n;
	const char *tname;

	if (i < 0 || !m)
		return ksnprintf(buf, cap, "%s", p9_strerror(err));
	tname = p9_type_name(m->type);
	switch (err) {
	case P9_E_WANT_T:
	case P9_E_WANT_R:
		return ksnprintf(buf, cap, "9p: got %s (type %u) where %s-message was expected",
		                 tname, m->type, err == P9_E_WANT_T ? "a T" : "an R");
	case P9_E_DIALECT:
		return ksnprintf(buf, cap, "9p: %s is not part of %s", tname,
		                 p9_dialect_name((enum p9_dialect)m->bad.limit));
	case P9_E_NOVERSION:
		return ksnprintf(
		    buf, cap, "9p: %s before version negotiation; only Tversion is allowed", tname);
	}
	if (!errs[i].fmt)
		return ksnprintf(buf, cap, "%s", errs[i].msg);
	n = ksnprintf(buf, cap, errs[i].fmt, (unsigned long long)m->bad.got,
	              (unsigned long long)m->bad.limit);
	/* Where, for everything past the header. */
	if (n >= 0 && (size_t)n < cap && m->bad.off >= P9_HDRSZ)
		n += ksnprintf(buf + n, cap - (size_t)n, " (byte %u of %s)", (unsigned)m->bad.off,
		               tname);
	return n;
}
