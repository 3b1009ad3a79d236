/*
 * Version negotiation, version(5): the server answers a Tversion with the
 * highest version both ends speak and the smaller msize, or "unknown".
 */
#include <lux/9p.h>
#include <lux/string.h>

static bool is(const char *v, size_t n, const char *lit)
{
	return n == kstrlen(lit) && kmemcmp(v, lit, n) == 0;
}

/*
 * "If the client string contains one or more period characters, the
 * initial substring up to but not including any single period in the
 * version string defines a version of the protocol."  That base must be
 * 9Pnnnn with nnnn >= 2000, and the server may then answer 9P2000.
 */
static bool base_9p2000(const char *v, size_t n)
{
	const char *dot = n ? kmemchr(v, '.', n) : 0;
	size_t base = dot ? (size_t)(dot - v) : n;
	unsigned num = 0;
	size_t i;

	if (base != 6 || v[0] != '9' || v[1] != 'P')
		return false;
	for (i = 2; i < 6; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		num = num * 10 + (unsigned)(v[i] - '0');
	}
	return num >= 2000;
}

int p9_version_pick(const char *client_version, size_t n, uint32_t client_msize,
                    uint32_t server_max, unsigned speak, struct p9_version *out)
{
	enum p9_dialect d = P9_NONE;
	uint32_t msize = client_msize;

	if (!out || (!client_version && n) || server_max < P9_MSIZE_MIN ||
	    !(speak & (P9_SPEAK(P9_2000) | P9_SPEAK(P9_2000L))))
		return P9_E_ARG;
	if (msize > server_max)
		msize = server_max;
	if (msize > P9_MSIZE_MAX)
		msize = P9_MSIZE_MAX;
	out->dialect = P9_NONE;
	out->version = "unknown";
	out->msize = msize;

	if ((speak & P9_SPEAK(P9_2000L)) && is(client_version, n, "9P2000.L"))
		d = P9_2000L;
	else if ((speak & P9_SPEAK(P9_2000)) && base_9p2000(client_version, n))
		d = P9_2000;
	if (d == P9_NONE)
		return 0;
	if (client_msize < P9_MSIZE_MIN)
		return P9_E_MSIZE_MIN;
	out->dialect = d;
	out->version = p9_dialect_name(d);
	return 0;
}

enum p9_dialect p9_dialect_of(const char *version, size_t n)
{
	if (!version)
		return P9_NONE;
	if (is(version, n, "9P2000.L"))
		return P9_2000L;
	if (is(version, n, "9P2000"))
		return P9_2000;
	return P9_NONE;
}
