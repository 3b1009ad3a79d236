/*
 * Key fingerprints for banners, logs and known-hosts files: "SHA256:"
 * and the SHA-256 of the 32 raw key bytes in unpadded base64.  (OpenSSH
 * hashes its own key blob instead, so the two never coincide: the
 * fingerprint names a Lux9 key, not an ssh one.)
 */
#include "auth_impl.h"

#include <lux/string.h>

int auth_fingerprint(const uint8_t pk[AUTH_KEY], char *out, size_t cap)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t h[32];
	size_t o = 7;

	if (cap < AUTH_FP_MAX) {
		if (cap)
			out[0] = 0;
		return AUTH_ESPACE;
	}
	if (lc_hash(LC_SHA256, pk, AUTH_KEY, h) < 0) {
		out[0] = 0;
		return AUTH_ECRYPTO;
	}
	kmemcpy(out, "SHA256:", 7);
	for (size_t i = 0; i < sizeof h; i += 3) {
		uint32_t v = (uint32_t)h[i] << 16;
		size_t left = sizeof h - i;

		if (left > 1)
			v |= (uint32_t)h[i + 1] << 8;
		if (left > 2)
			v |= h[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		if (left > 1)
			out[o++] = b64[v >> 6 & 63];
		if (left > 2)
			out[o++] = b64[v & 63];
	}
	out[o] = 0;
	return (int)o;
}
