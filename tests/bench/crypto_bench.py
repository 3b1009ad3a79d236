#!/usr/bin/env python3
"""Crypto over 9P against libsodium in-process (docs/style.md, "Measuring").

    crypto_bench.py PATH/TO/luxsim [--quick]

Starts luxsim serving 9P on a unix socket and, in the same run, times:

  SHA-256 of 64 MiB: 1024 Twrites of 64 KiB to /secure/crypto/hash/sha256
  then a Tread of the digest; baseline: crypto_hash_sha256_update on the
  same 1024 chunks, libsodium called in this process (ctypes).

  XChaCha20-Poly1305 of 64 MiB in 64 messages of 1 MiB (an AEAD message
  is sealed whole, so it is bounded): per message a nonce (a counter) on N/ctl, 16
  Twrites of 64 KiB to N/data, Treads of the 1 MiB + 16 ciphertext;
  baseline: crypto_aead_xchacha20poly1305_ietf_encrypt on the same 64
  messages in-process; a new session every 16 messages, as a session's
  key uses stay charged to the connection's 32 MiB of crypto pebbles.
  (Only once /secure/crypto/aead exists.)

Median of 5 runs each, alternating.  Ratio = in-process time / 9P time
(1.00x: 9P costs nothing; goal >= 0.8x).  Wall time over 9P includes
waiting for two processes to be scheduled once per request, which on a
loaded host dominates; so the table also gives luxsim's own CPU time for
the same work (the sum over its threads of /proc/PID/task/*/schedstat,
nanoseconds) and the ratio against that.  The results must agree byte for
byte with the baseline, else the bench fails.  --quick: 4 MiB, one run
(the bench-crypto smoke test; not a measurement).

luxsim is the same libsodium (Debian's libsodium23) the baseline loads.
"""
import ctypes
import ctypes.util
import os
import statistics
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import ninep_test as nt  # noqa: E402

CHUNK = 64 * 1024
MSG = 1024 * 1024
OREAD, OWRITE, ORDWR, OTRUNC = 0, 1, 2, 0x10


def sodium():
    lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    if lib.sodium_init() < 0:
        sys.exit("crypto_bench: sodium_init failed")
    lib.crypto_hash_sha256_statebytes.restype = ctypes.c_size_t
    return lib


class Conn:
    """The few 9P calls the bench makes, on one connection."""

    def __init__(self, path):
        self.c = nt.Client(path, dialect="9P2000", msize=CHUNK + 24)
        assert self.c.msize >= CHUNK + 24, "msize %d < 64 KiB + 24" % self.c.msize
        self.c.attach(0)
        self.fid = 1

    def open(self, names, mode):
        self.fid += 1
        self.c.walk(0, self.fid, names)
        self.c.open(self.fid, mode)
        return self.fid

    def write_all(self, fid, data):
        mv = memoryview(data)
        for off in range(0, len(data), CHUNK):
            n = self.c.write(fid, off, mv[off:off + CHUNK].tobytes())
            assert n == min(CHUNK, len(data) - off), n

    def read_all(self, fid, off=0):
        parts = []
        while True:
            b = self.c.read(fid, off, CHUNK)
            if not b:
                return b"".join(parts)
            parts.append(b)
            off += len(b)


def pipelined_writes(conn, fid, chunk, total, window):
    """total bytes of chunk in Twrites with up to window of them in flight
    (the server answers a connection's requests in order)."""
    sent = done = 0
    count = total // CHUNK
    while done < count:
        while sent < count and sent - done < window:
            conn.c.send(nt.msg(nt.TWRITE, 1 + sent % 60000,
                               struct.pack("<IQI", fid, sent * CHUNK, CHUNK) + chunk))
            sent += 1
        t, tag, body = conn.c.recv()
        assert (t, body) == (nt.TWRITE + 1, struct.pack("<I", CHUNK)), (t, body)
        done += 1


def sha256_ninep(conn, chunk, total, window=1):
    f = conn.open(["secure", "crypto", "hash", "sha256"], OWRITE | OTRUNC)
    if window == 1:
        for off in range(0, total, CHUNK):
            conn.c.write(f, off, chunk)
    else:
        pipelined_writes(conn, f, chunk, total, window)
    conn.c.clunk(f)
    f = conn.open(["secure", "crypto", "hash", "sha256"], OREAD)
    hexd = conn.read_all(f).decode().strip()
    conn.c.clunk(f)
    return hexd


def sha256_inproc(lib, chunk, total):
    st = ctypes.create_string_buffer(lib.crypto_hash_sha256_statebytes())
    out = ctypes.create_string_buffer(32)
    lib.crypto_hash_sha256_init(st)
    for _ in range(0, total, CHUNK):
        lib.crypto_hash_sha256_update(st, chunk, ctypes.c_ulonglong(CHUNK))
    lib.crypto_hash_sha256_final(st, out)
    return out.raw.hex()


def aead_session(conn, key_name, msgs, nonces):
    f = conn.open(["secure", "crypto", "aead", "clone"], OREAD)
    n = conn.read_all(f).decode().strip()
    ctl = conn.open(["secure", "crypto", "aead", n, "ctl"], OWRITE)
    conn.c.write(ctl, 0, b"key %s\n" % key_name.encode())
    conn.c.write(ctl, 0, b"alg xchacha20poly1305\n")
    conn.c.write(ctl, 0, b"encrypt\n")
    data = conn.open(["secure", "crypto", "aead", n, "data"], ORDWR)
    out = []
    for m, nonce in zip(msgs, nonces):
        conn.c.write(ctl, 0, b"nonce %s\n" % nonce.hex().encode())
        conn.write_all(data, m)
        out.append(conn.read_all(data, len(m)))
    conn.c.write(ctl, 0, b"close\n")
    conn.c.clunk(data)
    conn.c.clunk(ctl)
    conn.c.clunk(f)
    return out


# A session's key uses stay charged to the connection's crypto pebbles
# until it closes (NINEP_CONN_CRYPTO = 32 MiB, docs/crypto.md "Pebbles"):
# 16 messages of 1 MiB a session keeps the 64 MiB run within them.
SESSION_MSGS = 16


def aead_ninep(conn, key_name, msgs, nonces):
    out = []
    for i in range(0, len(msgs), SESSION_MSGS):
        out += aead_session(conn, key_name, msgs[i:i + SESSION_MSGS], nonces[i:i + SESSION_MSGS])
    return out


def aead_inproc(lib, key, msgs, nonces):
    out = []
    for m, nonce in zip(msgs, nonces):
        c = ctypes.create_string_buffer(len(m) + 16)
        clen = ctypes.c_ulonglong()
        lib.crypto_aead_xchacha20poly1305_ietf_encrypt(
            c, ctypes.byref(clen), m, ctypes.c_ulonglong(len(m)), None, ctypes.c_ulonglong(0),
            None, nonce, key)
        out.append(c.raw[:clen.value])
    return out


def cpu_ns(pid):
    """CPU time of every thread of process pid so far, in ns."""
    total = 0
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
            total += int(f.read().split()[0])
    return total


def timed(fn, *args):
    t0 = time.perf_counter_ns()
    r = fn(*args)
    return time.perf_counter_ns() - t0, r


class Runs:
    """Per configuration: wall and CPU time of the 9P runs (luxsim's CPU)
    and of the in-process runs (this thread's CPU)."""

    def __init__(self, pid):
        self.pid = pid
        self.wall9, self.cpu9, self.wall, self.cpu = [], [], [], []

    def ninep(self, fn, *args):
        c0 = cpu_ns(self.pid)
        ns, r = timed(fn, *args)
        self.cpu9.append(cpu_ns(self.pid) - c0)
        self.wall9.append(ns)
        return r

    def local(self, fn, *args):
        c0 = time.thread_time_ns()
        ns, r = timed(fn, *args)
        self.cpu.append(time.thread_time_ns() - c0)
        self.wall.append(ns)
        return r

    def row(self, what):
        w9, c9, w, c = (statistics.median(x) / 1e6 for x in (self.wall9, self.cpu9, self.wall, self.cpu))
        print("%-44s %8.1f %8.1f %6.2fx %8.1f %8.1f %6.2fx" % (what, w9, w, w / w9, c9, c, c / c9))


HEADER = ("%-44s %8s %8s %7s %8s %8s %7s\n%-44s %8s %8s %7s %8s %8s %7s" % (
    "", "wall ms", "", "", "CPU ms", "", "", "", "9P", "in-proc", "ratio", "luxsim", "in-proc",
    "ratio"))


def main(argv):
    if not argv:
        sys.exit(__doc__)
    nt.LUXSIM = argv[0]
    quick = "--quick" in argv
    total, reps = (4 << 20, 1) if quick else (64 << 20, 5)
    lib = sodium()
    srv = nt.Server("")
    status = 0
    try:
        conn = Conn(srv.path)
        chunk = os.urandom(CHUNK)
        sha256_ninep(conn, chunk, total)	# warm up both sides
        sha256_inproc(lib, chunk, total)
        print("crypto over 9P (unix socket, msize 64 KiB + 24) vs libsodium in-process, "
              "median of %d; ratio = in-process / 9P" % reps)
        print(HEADER)
        for window in (1, 4):
            runs = Runs(srv.p.pid)
            for _ in range(reps):
                d9 = runs.ninep(sha256_ninep, conn, chunk, total, window)
                di = runs.local(sha256_inproc, lib, chunk, total)
                if d9 != di:
                    sys.exit("crypto_bench: sha256 over 9P %s != in-process %s" % (d9, di))
            runs.row("SHA-256, %d MiB, 64 KiB Twrites, %d in flight" % (total >> 20, window))

        landed = conn.read_all(conn.open(["secure", "crypto"], OREAD))
        if b"aead" in landed:
            nmsg = total // MSG
            key = os.urandom(32)
            w = conn.open(["secure", "crypto", "keys", "ctl"], OWRITE)
            conn.c.write(w, 0, b"import benchaead aead %s\n" % key.hex().encode())
            conn.c.clunk(w)
            msgs = [os.urandom(MSG) for _ in range(nmsg)]
            runs = Runs(srv.p.pid)
            # given nonces must rise per key version (docs/crypto.md): a random
            # prefix and a big-endian counter that goes on across the runs
            prefix, sent = os.urandom(16), 0
            for r in range(reps):
                nonces = [prefix + (sent + i).to_bytes(8, "big") for i in range(nmsg)]
                sent += nmsg
                c9 = runs.ninep(aead_ninep, conn, "benchaead", msgs, nonces)
                ci = runs.local(aead_inproc, lib, key, msgs, nonces)
                if c9 != ci:
                    sys.exit("crypto_bench: XChaCha20-Poly1305 over 9P differs from in-process")
            runs.row("XChaCha20-Poly1305, %d x 1 MiB messages" % nmsg)
        else:
            print("XChaCha20-Poly1305: not run, /secure/crypto/aead is not there")
        conn.c.close()
    finally:
        rc, out, err = srv.stop()
        if rc != 0:
            print("crypto_bench: luxsim exited %s: %s" % (rc, err[-500:]))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
