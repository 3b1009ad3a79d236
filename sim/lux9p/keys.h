/*
 * lux9p's key files and known hosts (docs/security.md, "Using it from
 * Linux: lux9p").  The parsers are pure (text in, result out) so unit
 * tests drive them without files; key_load and the path helpers are the
 * only parts that touch the file system.
 *
 *   key file     one line: 64 hex characters, the 32-byte Ed25519 seed;
 *                mode 0600 (a key others may read is refused, like ssh)
 *   known_hosts  lines "ADDRESS HEX": the dial string as given on the
 *                command line (tcp!127.0.0.1!5640) and the server's
 *                Ed25519 host key in hex; blank lines and # comments are
 *                skipped
 */
#ifndef LUX9P_KEYS_H
#define LUX9P_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEY_BYTES 32
#define KEY_HEX (2 * KEY_BYTES)
#define KEY_FILE_MAX 256	/* a key file longer than this is not one */

/* Exactly 64 hex digits (either case) to 32 bytes: 0, or -1. */
int hex_decode32(const char *s, size_t n, uint8_t out[KEY_BYTES]);
/* 32 bytes to 64 lowercase hex digits and a NUL. */
void hex_encode32(const uint8_t in[KEY_BYTES], char out[KEY_HEX + 1]);

/* A key file's text: one line of 64 hex digits, a final newline (or
 * CRLF) allowed, nothing else.  0 with the seed, or -1 with a phrase in
 * why ("expected one line of 64 hex digits, found 63 characters"). */
int key_parse(const char *text, size_t n, uint8_t seed[KEY_BYTES], char *why, size_t cap);

/* Read the key file at path: a regular file, not readable or writable by
 * group or others, at most KEY_FILE_MAX bytes, then key_parse.  0, or -1
 * with a whole sentence in err naming the file. */
int key_load(const char *path, uint8_t seed[KEY_BYTES], char *err, size_t cap);

/* Known hosts. */
enum { KH_KNOWN, KH_UNKNOWN, KH_MISMATCH };

struct kh_result {
	int status;		/* KH_* */
	unsigned line;		/* KNOWN: the line that matched; MISMATCH: the first
				 * line for the address (the one to remove) */
	uint8_t expected[KEY_BYTES];	/* MISMATCH: that line's key */
	unsigned bad_line;	/* the first malformed line, 0 if none */
	unsigned nbad;		/* how many malformed lines */
};

/* Look addr and pk up in the text of a known_hosts file (text may be
 * null when n is 0: no file).  Addresses compare exactly.  Any line for
 * addr with pk is KNOWN; lines for addr with other keys only is
 * MISMATCH; no line for addr is UNKNOWN.  Malformed lines are skipped and
 * counted. */
void kh_lookup(const char *text, size_t n, const char *addr, const uint8_t pk[KEY_BYTES],
               struct kh_result *r);

/* The line to append for addr and pk, "ADDR HEX\n": its length, or -1
 * when addr could not be read back (empty, or with a space, tab, newline
 * or '#' first) or out is too small. */
int kh_format(const char *addr, const uint8_t pk[KEY_BYTES], char *out, size_t cap);

/* lux9p's configuration directory: $XDG_CONFIG_HOME/lux9 when that is
 * set to an absolute path, else $HOME/.config/lux9.  0, or -1 when
 * neither is known or out is too small. */
int config_dir(char *out, size_t cap);

#endif
