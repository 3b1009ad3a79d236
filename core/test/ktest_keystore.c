/*
 * `ktest keystore`: the keystore's rules checked inside the kernel, the
 * same code on luxsim and on metal (docs/crypto.md, "Keys"):
 *  - a pin keeps its version across a rotate, a new pin gets the new one;
 *  - delete of a key in use is refused, and succeeds once unpinned;
 *  - a proc with a 16 KiB crypto budget runs it out through key uses,
 *    gets "budget exhausted: crypto ...", and every pebble comes back
 *    when its pin is dropped; the shell that ran the test goes on.
 * The test key is deleted at the end; keys and versions return to what
 * they were.
 */
#include <lux/crypto.h>
#include <lux/error.h>
#include <lux/kern.h>
#include <lux/keystore.h>
#include <lux/ktest.h>
#include <lux/pebble.h>
#include <lux/proc.h>
#include <lux/string.h>

#define KNAME "ktest.keystore"
#define KBUDGET 16384	/* crypto pebbles of the budget proc */
#define KUSE 1024	/* bytes per use */

static struct {
	int uses, err;
	uint64_t held;
	char why[64];
} kb;

static uint64_t held_crypto(void)
{
	struct budget_info bi;

	budget_snapshot(curproc()->budget, &bi);
	return bi.held.n[PB_CRYPTO];
}

/* Runs with a KBUDGET grant: use the key until the budget says no. */
static void spender(void *arg)
{
	struct ks_ref *r;

	USED(arg);
	if ((kb.err = ks_take(KNAME, KS_AEAD, &r)) < 0)
		return;
	while (kb.uses <= KBUDGET / KUSE && (kb.err = ks_use(r, "ktest", KUSE)) == 0)
		kb.uses++;
	kstrlcpy(kb.why, proc_errstr(kb.err), sizeof kb.why);
	ks_drop(r);
	kb.held = held_crypto();	/* 0: the pin gave everything back */
}

/* Rotation and delete-in-use: 0, or what broke into msg. */
static int pins(char *msg, size_t size)
{
	struct ks_ref *r1 = 0, *r2 = 0;
	const uint8_t *s1, *s2;
	size_t n1, n2;
	uint32_t v = 0;
	int del, cur, err;

	if ((err = ks_take(KNAME, KS_AEAD, &r1)) < 0 || (err = ks_rotate(KNAME, &v)) < 0 ||
	    (err = ks_take(KNAME, KS_AEAD, &r2)) < 0) {
		ks_drop(r1);
		ksnprintf(msg, size, "take, rotate, take: %s", proc_errstr(err));
		return -1;
	}
	s1 = ks_secret(r1, &n1);
	s2 = ks_secret(r2, &n2);
	cur = ks_current(r1);
	del = ks_delete(KNAME);
	if (ks_version(r1) != 1 || ks_version(r2) != 2 || v != 2 || n1 != n2 ||
	    lc_equal(s1, s2, n1) || cur != E_STALE || ks_current(r2) != 0 || del != E_INUSE) {
		ksnprintf(msg, size, "pins: v%u and v%u, same key %d, stale %d, delete %d",
		          ks_version(r1), ks_version(r2), lc_equal(s1, s2, n1), cur, del);
		ks_drop(r1);
		ks_drop(r2);
		return -1;
	}
	ks_drop(r1);
	ks_drop(r2);
	return 0;
}

int ktest_keystore(char *msg, size_t size)
{
	struct pebbles g = { .n = { [PB_CRYPTO] = KBUDGET } };
	uint8_t m[KS_AEADKEY];
	size_t keys = ks_keys(), versions = ks_versions();
	struct proc *p;
	int err, ok;

	lc_random(m, sizeof m);
	err = ks_make(KNAME, KS_AEAD, m, sizeof m, false);
	lc_wipe(m, sizeof m);
	if (err < 0) {
		ksnprintf(msg, size, "cannot make key %s: %s", KNAME, proc_errstr(err));
		return -1;
	}
	if (pins(msg, size) < 0) {
		ks_delete(KNAME);
		return -1;
	}
	kmemset(&kb, 0, sizeof kb);
	if ((p = proc_spawn("ks-spender", PRIO_NORMAL, spender, 0, 0, &g, &err)) == 0) {
		ks_delete(KNAME);
		ksnprintf(msg, size, "no proc: %s", proc_errstr(err));
		return -1;
	}
	proc_join(p);
	err = ks_delete(KNAME);
	/* the pin's own bytes take part of the budget: one use fewer fits */
	ok = kb.err == E_BUDGET && kb.uses == KBUDGET / KUSE - 1 && kb.held == 0 &&
	     kstrncmp(kb.why, "budget exhausted: crypto", 24) == 0 && err == 0 &&
	     ks_keys() == keys && ks_versions() == versions;
	ksnprintf(msg, size,
	          "pin kept v1 over a rotate, delete in use refused; %d KiB budget: "
	          "%d uses, then \"%s\"",
	          KBUDGET / 1024, kb.uses, kb.why);
	return ok ? 0 : -1;
}
