#!/usr/bin/env python3
"""The known-answer vectors of tests/kat/*.txt, and the shell script that
feeds them through /secure/crypto (docs/crypto.md, "Proof").

    kat.py check                 cross-check every vector with Python's own
                                 implementations (hashlib, hmac, OpenSSL via
                                 python3-cryptography): exit 1 on any mismatch
    kat.py script   [--kinds K]  the shell commands, one line each
    kat.py expected [--kinds K]  what they must print (see below)
    kat.py list                  the vectors: name, kind, source

K is a comma-separated list of the kinds to run (hash, ed25519, aead, hmac,
x25519; default: all).  The file format is in tests/kat/README.md.

The script runs on a freshly started kernel (luxsim, or the x86_64 image in
QEMU) and is plain shell: every vector ends with `echo '== SECTION'`
followed by the command that prints the answer.  The expected output is the
same sections, each with the line that must appear in it:

    == sha256-abc
    ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad

compare() splits a run's output at lines starting with "== " and checks
that each expected line is one of its section's lines (for a refusal, the
only one: no plaintext may come with "aead: authentication failed").  Lines of the run
that belong to no expected section (a typed command echoed by the console,
prompts) are ignored, so the same expected text serves luxsim and QEMU.

The expected lines come from the vector files (the standards' text), never
from the code under test; `check` proves the files against independent
implementations.
"""
import glob
import hashlib
import hmac
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CRYPTO = "/secure/crypto"
KINDS = ("hash", "ed25519", "aead", "hmac", "x25519")

# What keys/ctl accepts (core/include/lux/keystore.h): a vector whose key
# the keystore refuses cannot go through the files.  It is left out of the
# script and listed by not_run(), never silently dropped.
MAC_KEY_MIN, MAC_KEY_MAX = 16, 64

# A shell line is at most SH_LINEMAX (1024) bytes (core/shell/shell.h):
# long messages are written in pieces with `unhex ... >>`.
HEX_PER_LINE = 768


def parse(paths=None):
    """Every vector of the files, in file order: a list of dicts."""
    vectors = []
    for path in paths or sorted(glob.glob(os.path.join(HERE, "*.txt"))):
        cur = None
        with open(path) as f:
            for n, raw in enumerate(f, 1):
                line = raw.rstrip("\n")
                if line.startswith("#"):
                    continue
                if not line.strip():
                    cur = None
                    continue
                if " = " not in line and not line.endswith(" ="):
                    raise ValueError("%s:%d: not 'field = value': %r" % (path, n, line))
                key, _, val = line.partition(" =")
                val = val[1:] if val.startswith(" ") else val
                if cur is None:
                    if key != "name":
                        raise ValueError("%s:%d: a vector starts with 'name ='" % (path, n))
                    cur = {"file": os.path.basename(path)}
                    vectors.append(cur)
                if key in cur:
                    raise ValueError("%s:%d: %s given twice" % (path, n, key))
                cur[key] = val
    names = [v["name"] for v in vectors]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise ValueError("vector names used twice: %s" % ", ".join(sorted(dup)))
    for v in vectors:
        if v.get("kind") not in KINDS:
            raise ValueError("%s: kind must be one of %s" % (v["name"], ", ".join(KINDS)))
        if "source" not in v:
            raise ValueError("%s: no source" % v["name"])
    return vectors


def data(v, field):
    """A byte field: FIELD (hex) or FIELD_ascii, repeated `repeat` times
    for the message."""
    if field + "_ascii" in v:
        b = v[field + "_ascii"].encode()
    else:
        b = bytes.fromhex(v[field])
    if field in ("msg", "pt") and "repeat" in v:
        b *= int(v["repeat"])
    return b


# ---- independent cross-check ---------------------------------------------

def _rotl(x, n):
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


def hchacha20(key, nonce16):
    """HChaCha20 (draft-irtf-cfrg-xchacha section 2.2), for the check only:
    XChaCha20-Poly1305 is ChaCha20-Poly1305 under the HChaCha20 subkey with
    the nonce 00000000 || nonce[16:24] (section 2.3), and OpenSSL has no
    XChaCha.  This is test code, not the kernel's cryptography."""
    import struct
    s = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = _rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = _rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = _rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = _rotl(s[b] ^ s[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def independent(v):
    """What Python's implementations say for v: a dict field -> hex."""
    k = v["kind"]
    if k == "hash":
        h = {"sha256": hashlib.sha256, "sha512": hashlib.sha512,
             "blake2b": hashlib.blake2b}[v["alg"]]
        return {"digest": h(data(v, "msg")).hexdigest()}
    if k == "hmac":
        key, msg = bytes.fromhex(v["key"]), data(v, "msg")
        return {"hmac-sha256": hmac.new(key, msg, hashlib.sha256).hexdigest(),
                "hmac-sha512": hmac.new(key, msg, hashlib.sha512).hexdigest()}
    if k == "ed25519":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives import serialization as ser
        sk = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v["seed"]))
        pk = sk.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
        return {"public": pk.hex(), "sig": sk.sign(data(v, "msg")).hex()}
    if k == "x25519":
        from cryptography.hazmat.primitives.asymmetric.x25519 import (
            X25519PrivateKey, X25519PublicKey)
        from cryptography.hazmat.primitives import serialization as ser
        sk = X25519PrivateKey.from_private_bytes(bytes.fromhex(v["private"]))
        pk = sk.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
        shared = sk.exchange(X25519PublicKey.from_public_bytes(bytes.fromhex(v["peer"])))
        return {"public": pk.hex(), "shared": shared.hex()}
    if k == "aead":
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305, AESGCM
        key, nonce = bytes.fromhex(v["key"]), bytes.fromhex(v["nonce"])
        ad, pt = bytes.fromhex(v.get("ad", "")), data(v, "pt")
        if v["alg"] == "chacha20poly1305":
            ct = ChaCha20Poly1305(key).encrypt(nonce, pt, ad)
        elif v["alg"] == "xchacha20poly1305":
            sub = hchacha20(key, nonce[:16])
            ct = ChaCha20Poly1305(sub).encrypt(b"\0" * 4 + nonce[16:], pt, ad)
        elif v["alg"] == "aes256gcm":
            ct = AESGCM(key).encrypt(nonce, pt, ad)
        else:
            raise ValueError("%s: unknown aead alg %s" % (v["name"], v["alg"]))
        return {"ct": ct.hex()}
    raise ValueError(k)


def check(vectors):
    bad = 0
    for v in vectors:
        got = independent(v)
        for field, want in got.items():
            if v[field] != want:
                bad += 1
                print("MISMATCH %s %s:\n  file   %s\n  python %s" % (v["name"], field, v[field], want))
    print("%d vectors, %d mismatches" % (len(vectors), bad))
    return bad == 0


# ---- the shell script ----------------------------------------------------

def not_run(vectors):
    """(vector, reason) for vectors the files cannot take as they are."""
    out = []
    for v in vectors:
        if v["kind"] == "hmac":
            n = len(bytes.fromhex(v["key"]))
            if not MAC_KEY_MIN <= n <= MAC_KEY_MAX:
                out.append((v, "a %d-byte key: keys/ctl takes mac keys of %d..%d bytes"
                            % (n, MAC_KEY_MIN, MAC_KEY_MAX)))
    return out


def write_bytes(b, path, repeat=1):
    """Shell lines that make PATH's message exactly b * repeat (the first
    opens with OTRUNC, which starts an empty message)."""
    if not b:
        return ["echo -n > %s" % path]
    if repeat > 1:
        return ["unhex -r %d %s > %s" % (repeat, b.hex(), path)]
    h = b.hex()
    pieces = [h[i:i + HEX_PER_LINE] for i in range(0, len(h), HEX_PER_LINE)]
    return ["unhex %s %s %s" % (p, ">" if i == 0 else ">>", path) for i, p in enumerate(pieces)]


def message(v, field, path):
    if "repeat" in v:
        one = v[field + "_ascii"].encode() if field + "_ascii" in v else bytes.fromhex(v[field])
        return write_bytes(one, path, int(v["repeat"]))
    return write_bytes(data(v, field), path)


class Script:
    def __init__(self):
        self.lines = []
        self.expected = []	# (section, line)
        self.only = set()	# sections whose answer must be their only line
        self.nsessions = 0	# clone sessions made so far

    def run(self, *cmds):
        self.lines.extend(cmds)

    def answer(self, section, cmd, want, only=False):
        """cmd must print want in the section; with only, nothing else
        (a refusal that must come with no output)."""
        self.lines.append("echo '== %s'; %s" % (section, cmd))
        self.expected.append((section, want))
        if only:
            self.only.add(section)

    def session(self, kind):
        """A new session of KIND (aead, mac, sign, verify, kx) for one
        vector, so nothing carries over from the last: reading clone prints
        its number.  On a fresh kernel the numbers count from 1, one counter
        for every kind (docs/crypto.md), so the script knows them in advance
        and checks them.  close() ends it."""
        self.nsessions += 1
        self.answer("%s-clone-%d" % (kind, self.nsessions),
                    "cat %s/%s/clone" % (CRYPTO, kind), str(self.nsessions))
        return "%s/%s/%d" % (CRYPTO, kind, self.nsessions)

    def close(self, d):
        self.run("echo close > %s/ctl" % d)

    def key(self, name, alg, secret_hex, exportable=False):
        self.run("echo import %s %s %s%s > %s/keys/ctl"
                 % (name, alg, secret_hex, " exportable" if exportable else "", CRYPTO))


def script(vectors, kinds=KINDS):
    s = Script()
    skip = {v["name"] for v, _ in not_run(vectors)}
    for v in vectors:
        if v["kind"] not in kinds or v["name"] in skip:
            continue
        name, k = v["name"], v["kind"]
        if k == "hash":
            f = "%s/hash/%s" % (CRYPTO, v["alg"])
            s.run(*message(v, "msg", f))
            s.answer(name, "cat " + f, v["digest"])
        elif k == "ed25519":
            s.key(name, "ed25519", v["seed"])
            s.answer(name + "-public", "cat %s/keys/%s" % (CRYPTO, name), "public " + v["public"])
            d = s.session("sign")
            s.run("echo key %s > %s/ctl" % (name, d), *message(v, "msg", d + "/data"))
            s.answer(name + "-sign", "cat %s/data" % d, v["sig"])
            s.close(d)
            d = s.session("verify")
            s.run("echo pubkey %s > %s/ctl" % (v["public"], d),
                  "echo sig %s > %s/ctl" % (v["sig"], d), *message(v, "msg", d + "/data"))
            s.answer(name + "-verify", "cat %s/data" % d, "ok")
            s.close(d)
            # and the same signature over a changed message is refused
            d = s.session("verify")
            s.run("echo pubkey %s > %s/ctl" % (v["public"], d),
                  "echo sig %s > %s/ctl" % (v["sig"], d),
                  *write_bytes(data(v, "msg") + b"!", d + "/data"))
            s.answer(name + "-verify-changed", "cat %s/data" % d,
                     "cat: %s/data: verify: bad signature" % d, only=True)
            s.close(d)
        elif k == "hmac":
            s.key(name, "mac", v["key"])
            for alg in ("hmac-sha256", "hmac-sha512"):
                d = s.session("mac")
                s.run("echo key %s > %s/ctl" % (name, d), "echo alg %s > %s/ctl" % (alg, d),
                      *message(v, "msg", d + "/data"))
                s.answer("%s-%s" % (name, alg[5:]), "cat %s/data" % d, v[alg])
                s.close(d)
        elif k == "aead":
            s.key(name, "aead", v["key"])
            setup = ["echo key %s > %%s/ctl" % name, "echo alg %s > %%s/ctl" % v["alg"],
                     "echo nonce %s > %%s/ctl" % v["nonce"]]
            if v.get("ad"):
                setup.append("echo ad %s > %%s/ctl" % v["ad"])
            d = s.session("aead")
            s.run(*[l % d for l in setup], "echo encrypt > %s/ctl" % d,
                  *message(v, "pt", d + "/data"))
            s.answer(name + "-encrypt", "hex %s/data" % d, v["ct"])
            s.close(d)
            d = s.session("aead")
            s.run(*[l % d for l in setup], "echo decrypt > %s/ctl" % d,
                  *write_bytes(bytes.fromhex(v["ct"]), d + "/data"))
            s.answer(name + "-decrypt", "hex %s/data" % d, data(v, "pt").hex())
            s.close(d)
            # one bit of the tag flipped: refused, and no plaintext
            ct = bytearray.fromhex(v["ct"])
            ct[-1] ^= 1
            d = s.session("aead")
            s.run(*[l % d for l in setup], "echo decrypt > %s/ctl" % d,
                  *write_bytes(bytes(ct), d + "/data"))
            s.answer(name + "-tampered", "hex %s/data" % d,
                     "hex: %s/data: aead: authentication failed" % d, only=True)
            s.close(d)
        elif k == "x25519":
            s.key(name, "x25519", v["private"], exportable=True)
            s.answer(name + "-public", "cat %s/keys/%s" % (CRYPTO, name), "public " + v["public"])
            d = s.session("kx")
            s.run("echo key %s > %s/ctl" % (name, d), "echo peer %s > %s/ctl" % (v["peer"], d))
            s.answer(name + "-shared", "cat %s/data" % d, "shared " + v["shared"])
            s.close(d)
    return s


def expected_text(s):
    return "".join("== %s\n%s\n" % (sec, line) for sec, line in s.expected)


def sections(text):
    """Output text -> {section: [lines]} (CR dropped, lines stripped)."""
    out, cur = {}, None
    for line in text.replace("\r", "").split("\n"):
        line = line.strip()
        if line.startswith("== "):
            cur = line[3:].strip()
            out.setdefault(cur, [])
        elif cur is not None and line:
            out[cur].append(line)
    return out


def compare(s, output):
    """The expected lines missing from output: [] when every vector passed."""
    got = sections(output)
    missing = []
    for sec, want in s.expected:
        lines = got.get(sec)
        if lines is None:
            missing.append("%s: no output section" % sec)
        elif want not in lines:
            missing.append("%s: want %s, got %s" % (sec, want, " | ".join(lines[:4]) or "nothing"))
        elif sec in s.only:
            # a console echoes typed lines: those are not the command's output
            extra = [l for l in lines if l != want and not l.startswith("lux%")]
            if extra:
                missing.append("%s: want only %s, also got %s" % (sec, want, " | ".join(extra[:4])))
    return missing


def main(argv):
    if not argv or argv[0] not in ("check", "script", "expected", "list"):
        sys.exit(__doc__)
    kinds = KINDS
    if "--kinds" in argv:
        kinds = tuple(argv[argv.index("--kinds") + 1].split(","))
    vectors = parse()
    if argv[0] == "check":
        return 0 if check(vectors) else 1
    if argv[0] == "list":
        skip = dict((v["name"], why) for v, why in not_run(vectors))
        for v in vectors:
            print("%-32s %-8s %s%s" % (v["name"], v["kind"], v["source"],
                                       "  [not run: %s]" % skip[v["name"]] if v["name"] in skip else ""))
        return 0
    s = script(vectors, kinds)
    sys.stdout.write("\n".join(s.lines) + "\n" if argv[0] == "script" else expected_text(s))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
