/*
 * What the auth fuzz harness and its seed writer agree on: the first
 * input byte picks the engine under attack (mod FA_NMODES), the rest is
 * its input; records are sealed under a fixed key.
 */
#ifndef LUX_FUZZ_AUTH_H
#define LUX_FUZZ_AUTH_H

enum {
	FA_SERVER_HELLO,	/* a fresh server reads the messages */
	FA_CLIENT_PROOF,	/* a client that sent its hello reads them */
	FA_SERVER_USER,		/* a server past a real ed25519 hello reads them */
	FA_SERVER_TOKEN,	/* a server past a real token hello reads them */
	FA_CLIENT_CONFIRM,	/* a client that sent its proof reads them */
	FA_RECORDS,		/* a ChaCha20-Poly1305 opener reads the bytes as a stream */
	FA_RECORDS_AES,		/* the same, AES-256-GCM (ChaCha20 where the CPU lacks AES-NI) */
	FA_NMODES
};

/* The record key of FA_RECORDS*: 32 bytes of 0x5a. */
#define FA_REC_KEY_BYTE 0x5a

/* The record cipher of a FA_RECORDS* mode on this CPU. */
#define FA_REC_CIPHER(mode) ((mode) == FA_RECORDS_AES && (auth_ciphers_available() & AUTH_C_AES256GCM) \
                             ? AUTH_C_AES256GCM : AUTH_C_CHACHA20POLY1305)

#endif
