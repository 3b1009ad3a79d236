#!/usr/bin/env python3
"""Cross-checks of /secure/crypto against independent implementations on
the host, and its negative tests (docs/crypto.md, "Proof").

Usage: crypto_proof_test.py PATH/TO/luxsim [unittest args]

Cross-checks: a signature made through /secure verifies with
`openssl pkeyutl -verify -rawin`, and one made by openssl verifies through
/secure/crypto/verify; SHA-256, SHA-512 and BLAKE2b-512 of a file written
over 9P match coreutils' sha256sum, sha512sum and b2sum; HMAC matches
`openssl dgst -mac HMAC`; AEAD and X25519 results open and agree with
OpenSSL (python3-cryptography).

Negative tests: tampered ciphertext, tag and associated data, the wrong
key, another 9P connection reaching for a session, deleting a key a
session uses, and a proc that exhausts its crypto budget.

A kind whose files have not landed yet is skipped, saying which.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "kat"))
import kat  # noqa: E402
import ninep_test as nt  # noqa: E402

LUXSIM = None
TIMEOUT = 120
C = "/secure/crypto"
OREAD, OWRITE, ORDWR, OTRUNC = 0, 1, 2, 0x10
ED25519_SPKI = bytes.fromhex("302a300506032b6570032100")	# DER prefix of a raw public key


def shell(lines, *args):
    """Pipe shell lines into a fresh luxsim; (status, stdout+stderr text)."""
    p = subprocess.run([LUXSIM, "-q", *args], input=("\n".join(lines) + "\nhalt\n").encode(),
                       capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


_landed = None


def need(*dirs):
    global _landed
    if _landed is None:
        _, out = shell(["ls %s" % C])
        _landed = {l.strip().rstrip("/") for l in out.split("\n") if l.strip()}
    missing = [d for d in dirs if d not in _landed]
    if missing:
        raise unittest.SkipTest("/secure/crypto/%s not there yet" % ", ".join(missing))


def grab(pat, text):
    m = re.search(pat, text)
    assert m, "%r not in:\n%s" % (pat, text[-2000:])
    return m.group(1)


def have_cryptography():
    try:
        import cryptography  # noqa: F401
        return True
    except ImportError:
        return False


class Files:
    """A 9P connection to a luxsim, with the few file operations the
    tests need (fids are handed out, never reused)."""

    def __init__(self, srv):
        self.c = nt.Client(srv.path, dialect="9P2000", msize=65560)
        self.c.tauth()  # the sentences, a Plan 9 client's (docs/9p.md "Errors")
        self.c.attach(0)
        self.next = 1
        self.chunk = self.c.msize - 24

    def close(self):
        self.c.close()

    def open(self, path, mode):
        fid, self.next = self.next, self.next + 1
        self.c.walk(0, fid, path.strip("/").split("/"))
        self.c.open(fid, mode)
        return fid

    def write_fid(self, fid, data, off=0):
        while data:
            n = self.c.write(fid, off, data[:self.chunk])
            assert n > 0
            off, data = off + n, data[n:]

    def read_fid(self, fid, off=0):
        out = b""
        while True:
            b = self.c.read(fid, off + len(out), self.chunk)
            if not b:
                return out
            out += b

    def put(self, path, data, mode=OWRITE | OTRUNC):
        fid = self.open(path, mode)
        self.write_fid(fid, data)
        self.c.clunk(fid)

    def get(self, path):
        fid = self.open(path, OREAD)
        try:
            return self.read_fid(fid)
        finally:
            self.c.clunk(fid)

    def ctl(self, path, *lines):
        fid = self.open(path, OWRITE)
        try:
            for l in lines:
                self.c.write(fid, 0, (l + "\n").encode())
        finally:
            self.c.clunk(fid)

    def clone(self, kind):
        return self.get("%s/%s/clone" % (C, kind)).decode().strip()


class ServerCase(nt.ServerTest):
    SCRIPT = ""  # a luxsim serving 9P, one for the class (ninep_test.ServerTest)

    def files(self):
        f = Files(self.srv)
        self.addCleanup(f.close)
        return f


# ---- cross-checks --------------------------------------------------------

@unittest.skipUnless(shutil.which("openssl"), "openssl not installed")
class OpenSSLSignatures(ServerCase):
    def openssl_verify(self, pk, msg, sig):
        d = tempfile.mkdtemp(prefix="kat-openssl-")
        self.addCleanup(shutil.rmtree, d, True)
        for name, b in (("pk.der", ED25519_SPKI + pk), ("msg", msg), ("sig", sig)):
            with open(os.path.join(d, name), "wb") as f:
                f.write(b)
        p = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pk.der",
                            "-keyform", "DER", "-rawin", "-in", "msg", "-sigfile", "sig"],
                           cwd=d, capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def test_shell_signature_verifies_with_openssl(self):
        msg = bytes(range(256)) + b"\n\0end"	# NULs, newlines, every byte
        rc, out = shell(["echo gen ed25519 host > %s/keys/ctl" % C, "cat %s/keys/host" % C,
                         "cat %s/sign/clone" % C, "echo key host > %s/sign/1/ctl" % C,
                         "unhex %s > %s/sign/1/data" % (msg.hex(), C), "cat %s/sign/1/data" % C])
        self.assertEqual(rc, 0, out)
        pk = bytes.fromhex(grab(r"public ([0-9a-f]{64})", out))
        sig = bytes.fromhex(grab(r"\n([0-9a-f]{128})\n", out))
        rc, said = self.openssl_verify(pk, msg, sig)
        self.assertEqual(rc, 0, said)
        self.assertIn("Signature Verified Successfully", said)
        # the check is not vacuous: one flipped bit fails in OpenSSL too
        rc, said = self.openssl_verify(pk, msg[:-1] + b"E", sig)
        self.assertNotEqual(rc, 0, said)

    def test_ninep_signature_of_60k_verifies_with_openssl(self):
        f = self.files()
        msg = os.urandom(60000)
        f.ctl(C + "/keys/ctl", "gen ed25519 over9p")
        pk = bytes.fromhex(grab(r"public ([0-9a-f]{64})", f.get(C + "/keys/over9p").decode()))
        n = f.clone("sign")
        f.ctl("%s/sign/%s/ctl" % (C, n), "key over9p")
        fid = f.open("%s/sign/%s/data" % (C, n), ORDWR)
        f.write_fid(fid, msg)
        sig = f.read_fid(fid).decode().strip()
        f.c.clunk(fid)
        rc, said = self.openssl_verify(pk, msg, bytes.fromhex(sig))
        self.assertEqual(rc, 0, said)

    def test_openssl_signature_verifies_through_files(self):
        need("verify")
        d = tempfile.mkdtemp(prefix="kat-openssl-")
        self.addCleanup(shutil.rmtree, d, True)
        msg = os.urandom(1000)
        with open(os.path.join(d, "msg"), "wb") as fh:
            fh.write(msg)
        for cmd in (["openssl", "genpkey", "-algorithm", "ed25519", "-out", "sk.pem"],
                    ["openssl", "pkey", "-in", "sk.pem", "-pubout", "-outform", "DER", "-out", "pk.der"],
                    ["openssl", "pkeyutl", "-sign", "-inkey", "sk.pem", "-rawin", "-in", "msg",
                     "-out", "sig"]):
            subprocess.run(cmd, cwd=d, check=True, capture_output=True)
        pk = open(os.path.join(d, "pk.der"), "rb").read()[-32:]
        sig = open(os.path.join(d, "sig"), "rb").read()
        f = self.files()
        for m, want in ((msg, "ok"), (msg[:-1] + bytes([msg[-1] ^ 1]), None)):
            n = f.clone("verify")
            f.ctl("%s/verify/%s/ctl" % (C, n), "pubkey " + pk.hex(), "sig " + sig.hex())
            f.put("%s/verify/%s/data" % (C, n), m)
            if want:
                self.assertEqual(f.get("%s/verify/%s/data" % (C, n)).decode().strip(), want)
            else:	# a bad signature is an error on read, never "ok"
                with self.assertRaises(nt.NinepError):
                    f.get("%s/verify/%s/data" % (C, n))


class Coreutils(ServerCase):
    """A file written over 9P in 64 KiB Twrites hashes as coreutils says."""

    def test_sha256sum_sha512sum_b2sum(self):
        d = tempfile.mkdtemp(prefix="kat-sum-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "blob")
        data = os.urandom(5 * 1024 * 1024 + 12345)
        with open(path, "wb") as fh:
            fh.write(data)
        f = self.files()
        for alg, tool in (("sha256", "sha256sum"), ("sha512", "sha512sum"), ("blake2b", "b2sum")):
            if not shutil.which(tool):
                continue
            with self.subTest(tool=tool):
                want = subprocess.run([tool, path], capture_output=True, text=True,
                                      check=True).stdout.split()[0]
                f.put("%s/hash/%s" % (C, alg), data)
                self.assertEqual(f.get("%s/hash/%s" % (C, alg)).decode(), want + "\n")


class OpenSSLMacAeadKx(ServerCase):
    def test_hmac_matches_openssl_dgst(self):
        need("keys", "mac")
        if not shutil.which("openssl"):
            self.skipTest("openssl not installed")
        f = self.files()
        key, msg = os.urandom(32), os.urandom(200000)
        f.ctl(C + "/keys/ctl", "import xmac mac %s" % key.hex())
        n = f.clone("mac")
        for alg, dg in (("hmac-sha256", "-sha256"), ("hmac-sha512", "-sha512")):
            with self.subTest(alg=alg):
                f.ctl("%s/mac/%s/ctl" % (C, n), "key xmac", "alg " + alg)
                f.put("%s/mac/%s/data" % (C, n), msg)
                got = f.get("%s/mac/%s/data" % (C, n)).decode().strip()
                p = subprocess.run(["openssl", "dgst", dg, "-mac", "HMAC", "-macopt",
                                    "hexkey:" + key.hex()], input=msg, capture_output=True,
                                   check=True)
                self.assertEqual(got, p.stdout.decode().split()[-1])

    @unittest.skipUnless(have_cryptography(), "python3-cryptography not installed")
    def test_aead_opens_in_openssl(self):
        need("keys", "aead")
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305, AESGCM
        f = self.files()
        key = os.urandom(32)
        f.ctl(C + "/keys/ctl", "import xaead aead %s" % key.hex())
        algs = {"xchacha20poly1305": 24, "chacha20poly1305": 12, "aes256gcm": 12}
        for i, (alg, nlen) in enumerate(algs.items()):
            with self.subTest(alg=alg):
                # given nonces must rise per key version (chacha20poly1305 and aes256gcm
                # share the 12-byte mark): the first byte orders them, the rest is random
                nonce = bytes([i + 1]) + os.urandom(nlen - 1)
                ad, pt = os.urandom(33), os.urandom(100000)
                n = f.clone("aead")
                try:
                    f.ctl("%s/aead/%s/ctl" % (C, n), "key xaead", "alg " + alg,
                          "nonce " + nonce.hex(), "ad " + ad.hex(), "encrypt")
                except nt.NinepError as e:
                    if alg == "aes256gcm" and "support" in str(e):
                        self.skipTest("AES-256-GCM: %s" % e)	# no AES-NI here
                    raise
                fid = f.open("%s/aead/%s/data" % (C, n), ORDWR)
                f.write_fid(fid, pt)
                ct = f.read_fid(fid)
                f.c.clunk(fid)
                if alg == "xchacha20poly1305":
                    back = ChaCha20Poly1305(kat.hchacha20(key, nonce[:16])).decrypt(
                        b"\0" * 4 + nonce[16:], ct, ad)
                elif alg == "chacha20poly1305":
                    back = ChaCha20Poly1305(key).decrypt(nonce, ct, ad)
                else:
                    back = AESGCM(key).decrypt(nonce, ct, ad)
                self.assertEqual(back, pt)

    @unittest.skipUnless(have_cryptography(), "python3-cryptography not installed")
    def test_x25519_agrees_with_openssl(self):
        need("keys", "kx")
        from cryptography.hazmat.primitives.asymmetric.x25519 import (
            X25519PrivateKey, X25519PublicKey)
        from cryptography.hazmat.primitives import serialization as ser
        raw = (ser.Encoding.Raw, ser.PublicFormat.Raw)
        f = self.files()
        # the shared secret is readable only from an exportable key
        f.ctl(C + "/keys/ctl", "import xkx x25519 %s exportable" % os.urandom(32).hex())
        ours = bytes.fromhex(grab(r"public ([0-9a-f]{64})", f.get(C + "/keys/xkx").decode()))
        peer = X25519PrivateKey.generate()
        n = f.clone("kx")
        f.ctl("%s/kx/%s/ctl" % (C, n), "key xkx",
              "peer " + peer.public_key().public_bytes(*raw).hex())
        want = peer.exchange(X25519PublicKey.from_public_bytes(ours))
        got = grab(r"shared ([0-9a-f]{64})", f.get("%s/kx/%s/data" % (C, n)).decode())
        self.assertEqual(got, want.hex())


# ---- negative tests -------------------------------------------------------

class Negative(ServerCase):
    def aead_session(self, f, keyname, nonce, ad, verb):
        n = f.clone("aead")
        f.ctl("%s/aead/%s/ctl" % (C, n), "key " + keyname, "alg xchacha20poly1305",
              "nonce " + nonce.hex(), "ad " + ad.hex(), verb)
        return n

    def seal(self, f, keyname, nonce, ad, pt):
        n = self.aead_session(f, keyname, nonce, ad, "encrypt")
        fid = f.open("%s/aead/%s/data" % (C, n), ORDWR)
        f.write_fid(fid, pt)
        ct = f.read_fid(fid)
        f.c.clunk(fid)
        return ct

    def open_fails(self, f, keyname, nonce, ad, ct):
        """Decrypt must fail with the clear error and give no plaintext."""
        n = self.aead_session(f, keyname, nonce, ad, "decrypt")
        fid = f.open("%s/aead/%s/data" % (C, n), ORDWR)
        f.write_fid(fid, ct)
        with self.assertRaises(nt.NinepError) as e:
            f.c.read(fid, 0, 4096)
        self.assertIn("aead: authentication failed", str(e.exception))
        f.c.clunk(fid)

    def test_tampered_ciphertext_tag_and_ad(self):
        need("keys", "aead")
        f = self.files()
        f.ctl(C + "/keys/ctl", "gen aead tamper")
        nonce, ad, pt = os.urandom(24), b"header", os.urandom(5000)
        ct = self.seal(f, "tamper", nonce, ad, pt)
        self.assertEqual(len(ct), len(pt) + 16)
        flip = lambda b, i: b[:i] + bytes([b[i] ^ 1]) + b[i + 1:]  # noqa: E731
        self.open_fails(f, "tamper", nonce, ad, flip(ct, 0))		# ciphertext
        self.open_fails(f, "tamper", nonce, ad, flip(ct, len(ct) - 1))	# tag
        self.open_fails(f, "tamper", nonce, b"headeR", ct)		# associated data
        self.open_fails(f, "tamper", flip(nonce, 3), ad, ct)		# nonce
        self.open_fails(f, "tamper", nonce, ad, ct[:-1])		# truncated
        # and the untouched message still opens
        n = self.aead_session(f, "tamper", nonce, ad, "decrypt")
        fid = f.open("%s/aead/%s/data" % (C, n), ORDWR)
        f.write_fid(fid, ct)
        self.assertEqual(f.read_fid(fid), pt)

    def test_wrong_key(self):
        need("keys", "aead")
        f = self.files()
        f.ctl(C + "/keys/ctl", "gen aead right", "gen aead wrong")
        nonce, ad = os.urandom(24), b""
        ct = self.seal(f, "right", nonce, ad, b"for the right key only")
        self.open_fails(f, "wrong", nonce, ad, ct)

    def test_shell_shows_the_error_and_no_plaintext(self):
        need("keys", "aead")
        k = "00" * 32
        setup = ["echo import sk aead %s > %s/keys/ctl" % (k, C), "cat %s/aead/clone" % C,
                 "echo key sk > %s/aead/1/ctl" % C, "echo nonce %s > %s/aead/1/ctl" % ("11" * 24, C),
                 "echo decrypt > %s/aead/1/ctl" % C,
                 "unhex %s > %s/aead/1/data" % ("ab" * 40, C), "hex %s/aead/1/data" % C]
        rc, out = shell(setup)
        self.assertIn("aead: authentication failed", out)
        self.assertNotRegex(out, r"\n[0-9a-f]{16,}\n")	# no plaintext in hex

    def test_other_connections_sessions_do_not_exist(self):
        need("sign")
        kinds = [k for k in ("sign", "aead", "mac", "verify", "kx") if k in _landed]
        a, b = self.files(), self.files()
        for kind in kinds:
            with self.subTest(kind=kind):
                n = a.clone(kind)
                # a walk that fails past its first element returns the qids it got
                self.assertEqual(len(b.c.walk(0, 900, ["secure", "crypto", kind, n, "data"])), 3)
                self.assertEqual(len(b.c.walk(0, 901, ["secure", "crypto", kind, n, "ctl"])), 3)
                listing = b.get("%s/%s" % (C, kind))
                self.assertNotIn(n.encode(), nt.stat_names(listing) if listing else [])
                # and the owner still reaches it
                self.assertEqual(len(a.c.walk(0, 902, ["secure", "crypto", kind, n, "ctl"])), 5)
                a.c.clunk(902)

    def test_delete_of_a_key_in_use_is_refused(self):
        need("keys", "aead")
        f = self.files()
        f.ctl(C + "/keys/ctl", "gen aead busy")
        n = f.clone("aead")
        f.ctl("%s/aead/%s/ctl" % (C, n), "key busy")
        with self.assertRaises(nt.NinepError) as e:
            f.ctl(C + "/keys/ctl", "delete busy")
        self.assertIn("in use", str(e.exception))
        self.assertIn(b"alg aead", f.get(C + "/keys/busy"))	# still there
        f.ctl("%s/aead/%s/ctl" % (C, n), "close")
        f.ctl(C + "/keys/ctl", "delete busy")
        with self.assertRaises(nt.NinepError) as e:
            f.get(C + "/keys/busy")
        with self.assertRaises(nt.NinepError) as e:
            f.ctl(C + "/keys/ctl", "delete busy")
        self.assertIn("no such key", str(e.exception))

    def test_crypto_budget_exhausts_and_others_go_on(self):
        """A 9P connection has NINEP_CONN_CRYPTO (32 MiB) of crypto
        pebbles; every byte a session's key processes is charged until the
        session lets the key go.  Encrypting 1 MiB messages in one session
        runs out; the refusal names the budget, nothing is returned, another
        connection is not touched, and closing the session gives it back."""
        need("keys", "aead")
        a, b = self.files(), self.files()
        a.ctl(C + "/keys/ctl", "gen aead spender")
        n = a.clone("aead")
        ctl = a.open("%s/aead/%s/ctl" % (C, n), OWRITE)
        for l in ("key spender", "encrypt"):
            a.c.write(ctl, 0, (l + "\n").encode())
        data = a.open("%s/aead/%s/data" % (C, n), ORDWR)
        msg = bytes(1 << 20)
        refused = None
        for i in range(64):		# 64 MiB > 32 MiB
            a.c.write(ctl, 0, b"nonce random\n")
            try:
                a.write_fid(data, msg)
                out = a.read_fid(data, len(msg))
                self.assertEqual(len(out), len(msg) + 16)
            except nt.NinepError as e:
                refused = (i, str(e))
                break
        self.assertIsNotNone(refused, "64 MiB encrypted on a 32 MiB budget")
        self.assertGreaterEqual(refused[0], 24)	# it was the budget, not an early failure
        self.assertIn("budget exhausted: crypto", refused[1])
        # another connection works meanwhile
        b.put(C + "/hash/sha256", b"abc")
        self.assertEqual(b.get(C + "/hash/sha256").decode().strip(),
                         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        # closing the session returns the pebbles: a new session encrypts again
        a.c.clunk(data)
        a.c.write(ctl, 0, b"close\n")
        a.c.clunk(ctl)
        n = a.clone("aead")
        a.ctl("%s/aead/%s/ctl" % (C, n), "key spender", "encrypt")
        fid = a.open("%s/aead/%s/data" % (C, n), ORDWR)
        a.write_fid(fid, msg)
        self.assertEqual(len(a.read_fid(fid, len(msg))), len(msg) + 16)

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: crypto_proof_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    nt.LUXSIM = LUXSIM
    unittest.main(verbosity=2)
