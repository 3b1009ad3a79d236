/*
 * lux9p's key files and known hosts (sim/lux9p/keys.c): the parsers on
 * text, and key_load's refusals on real files (permissions, size, type).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "keys.h"

#define HEXA "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HEXB "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static uint8_t keya[32], keyb[32];

static void test_hex(void **state)
{
	char out[KEY_HEX + 1];
	uint8_t k[32];

	(void)state;
	assert_int_equal(hex_decode32(HEXA, 64, k), 0);
	assert_int_equal(k[0], 0x00);
	assert_int_equal(k[15], 0xff);
	hex_encode32(k, out);
	assert_string_equal(out, HEXA);
	assert_int_equal(hex_decode32("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", 64, k), 0);
	hex_encode32(k, out);
	assert_string_equal(out, HEXA);
	assert_int_equal(hex_decode32(HEXA, 63, k), -1);
	assert_int_equal(hex_decode32("g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 64, k), -1);
}

static void test_key_parse(void **state)
{
	char why[128];
	uint8_t seed[32];

	(void)state;
	assert_int_equal(key_parse(HEXA "\n", 65, seed, why, sizeof why), 0);
	assert_memory_equal(seed, keya, 32);
	assert_int_equal(key_parse(HEXA, 64, seed, why, sizeof why), 0);
	assert_int_equal(key_parse(HEXA "\r\n", 66, seed, why, sizeof why), 0);
	assert_int_equal(key_parse(HEXA "\n\n", 66, seed, why, sizeof why), -1);
	assert_string_equal(why, "expected one line of 64 hex digits, found more than one line");
	assert_int_equal(key_parse(HEXA " \n", 66, seed, why, sizeof why), -1);
	assert_string_equal(why, "expected one line of 64 hex digits, found 65 characters");
	assert_int_equal(key_parse("", 0, seed, why, sizeof why), -1);
	assert_string_equal(why, "expected one line of 64 hex digits, found 0 characters");
	assert_int_equal(key_parse("z0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 64, seed, why, sizeof why), -1);
	assert_string_equal(why, "expected one line of 64 hex digits, found other characters");
	/* a NUL inside is not a line of hex */
	assert_int_equal(key_parse("0011\0" HEXA, 69, seed, why, sizeof why), -1);
}

static char dir[64];

static char *file(const char *name, const char *text, size_t n, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_key_load(void **state)
{
	char err[512], want[512], big[KEY_FILE_MAX + 10];
	uint8_t seed[32];
	char *p;

	(void)state;
	p = file("ok", HEXB "\n", 65, 0600);
	assert_int_equal(key_load(p, seed, err, sizeof err), 0);
	assert_memory_equal(seed, keyb, 32);
	p = file("ro", HEXB "\n", 65, 0400);
	assert_int_equal(key_load(p, seed, err, sizeof err), 0);
	/* readable by the group or the world: refused, like ssh */
	p = file("open", HEXB "\n", 65, 0640);
	assert_int_equal(key_load(p, seed, err, sizeof err), -1);
	snprintf(want, sizeof want, "key %s: permissions 0640 are too open: others may read or change the key (chmod 600 %s)", p, p);
	assert_string_equal(err, want);
	p = file("open", HEXB "\n", 65, 0604);
	assert_int_equal(key_load(p, seed, err, sizeof err), -1);
	p = file("bad", "ssh-ed25519 AAAA\n", 17, 0600);
	assert_int_equal(key_load(p, seed, err, sizeof err), -1);
	snprintf(want, sizeof want, "key %s: not a key file: expected one line of 64 hex digits, found 16 characters", p);
	assert_string_equal(err, want);
	memset(big, 'a', sizeof big);
	p = file("big", big, sizeof big, 0600);
	assert_int_equal(key_load(p, seed, err, sizeof err), -1);
	assert_non_null(strstr(err, "longer than 256 bytes"));
	assert_int_equal(key_load(dir, seed, err, sizeof err), -1);
	snprintf(want, sizeof want, "key %s: not a regular file", dir);
	assert_string_equal(err, want);
	snprintf(want, sizeof want, "%s/none", dir);
	assert_int_equal(key_load(want, seed, err, sizeof err), -1);
	assert_non_null(strstr(err, "No such file or directory"));
}

static void test_known_hosts(void **state)
{
	static const char kh[] =
		"# known hosts\n"
		"\n"
		"tcp!a!1 " HEXA "\n"
		"   tcp!b!2\t" HEXB "  \n"
		"tcp!c!3 " HEXA "\n"
		"tcp!c!3 " HEXB "\n"
		"tcp!d!4 " HEXA " trailing\n"
		"tcp!e!5 nothex\n"
		"tcp!a!10 " HEXB;	/* no final newline */
	struct kh_result r;

	(void)state;
	kh_lookup(kh, sizeof kh - 1, "tcp!a!1", keya, &r);
	assert_int_equal(r.status, KH_KNOWN);
	assert_int_equal(r.line, 3);
	assert_int_equal(r.bad_line, 0);	/* stopped at the match */
	kh_lookup(kh, sizeof kh - 1, "tcp!b!2", keyb, &r);
	assert_int_equal(r.status, KH_KNOWN);
	assert_int_equal(r.line, 4);
	/* two lines for one address: either key is known */
	kh_lookup(kh, sizeof kh - 1, "tcp!c!3", keyb, &r);
	assert_int_equal(r.status, KH_KNOWN);
	assert_int_equal(r.line, 6);
	/* another key for a known address: the first line to remove */
	kh_lookup(kh, sizeof kh - 1, "tcp!a!1", keyb, &r);
	assert_int_equal(r.status, KH_MISMATCH);
	assert_int_equal(r.line, 3);
	assert_memory_equal(r.expected, keya, 32);
	assert_int_equal(r.bad_line, 7);
	assert_int_equal(r.nbad, 2);
	/* exact match only: no prefix, no case folding */
	kh_lookup(kh, sizeof kh - 1, "tcp!a!", keya, &r);
	assert_int_equal(r.status, KH_UNKNOWN);
	kh_lookup(kh, sizeof kh - 1, "TCP!a!1", keya, &r);
	assert_int_equal(r.status, KH_UNKNOWN);
	kh_lookup(kh, sizeof kh - 1, "tcp!a!10", keyb, &r);
	assert_int_equal(r.status, KH_KNOWN);
	assert_int_equal(r.line, 9);
	/* malformed lines never match */
	kh_lookup(kh, sizeof kh - 1, "tcp!d!4", keya, &r);
	assert_int_equal(r.status, KH_UNKNOWN);
	/* no file */
	kh_lookup(NULL, 0, "tcp!a!1", keya, &r);
	assert_int_equal(r.status, KH_UNKNOWN);
	assert_int_equal(r.line, 0);
}

static void test_kh_format(void **state)
{
	char line[256];
	struct kh_result r;

	(void)state;
	assert_int_equal(kh_format("tcp!127.0.0.1!5640", keya, line, sizeof line), 19 + 64 + 1);
	assert_string_equal(line, "tcp!127.0.0.1!5640 " HEXA "\n");
	kh_lookup(line, strlen(line), "tcp!127.0.0.1!5640", keya, &r);
	assert_int_equal(r.status, KH_KNOWN);
	assert_int_equal(kh_format("tcp!a b!1", keya, line, sizeof line), -1);
	assert_int_equal(kh_format("tcp!a\n!1", keya, line, sizeof line), -1);
	assert_int_equal(kh_format("#x", keya, line, sizeof line), -1);
	assert_int_equal(kh_format("", keya, line, sizeof line), -1);
	assert_int_equal(kh_format("tcp!a!1", keya, line, 20), -1);
}

static void test_config_dir(void **state)
{
	char out[256];

	(void)state;
	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	assert_int_equal(config_dir(out, sizeof out), 0);
	assert_string_equal(out, "/x/cfg/lux9");
	setenv("XDG_CONFIG_HOME", "relative", 1);	/* ignored, as the spec says */
	setenv("HOME", "/home/u", 1);
	assert_int_equal(config_dir(out, sizeof out), 0);
	assert_string_equal(out, "/home/u/.config/lux9");
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(config_dir(out, 10), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_known_hosts),
		cmocka_unit_test(test_kh_format),
		cmocka_unit_test(test_config_dir),
	};
	int r;

	hex_decode32(HEXA, 64, keya);
	hex_decode32(HEXB, 64, keyb);
	snprintf(dir, sizeof dir, "/tmp/lux9p-keys-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	/* the files the tests made */
	for (const char *n = "ok\0ro\0open\0bad\0big\0"; *n; n += strlen(n) + 1) {
		char p[128];

		snprintf(p, sizeof p, "%s/%s", dir, n);
		unlink(p);
	}
	rmdir(dir);
	return r;
}
