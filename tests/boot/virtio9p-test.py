#!/usr/bin/env python3
"""9P over virtio-serial on metal: one QEMU boot of lux9.img, served to Linux clients.

    virtio9p-test.py [--log FILE] [--timeout S] [--luxsim PATH] LUX9P IMAGE

Boots IMAGE with arch-x86_64/qemu/run-qemu.py --listen unix!SOCK (a
socket in a fresh temporary directory, removed at the end), types into
the metal shell a command that writes /tmp/metal, and, once the shell
has answered, talks 9P to the kernel through the runner's socket (the
runner multiplexes its clients over the one virtio-serial port), first
one client after another (each one a connection the kernel opens and
closes):
  - diod's diodls lists /tmp (9P2000.L) and finds "metal",
  - diodcat reads it back,
  - lux9p (9P2000) lists /tmp and reads it,
  - lux9p writes 192 KiB to a new file and reads them back unchanged (the
    receive buffers recycled, the send ring wrapped, flow control),
  - the README's crypto example over 9P: lux9p -L rdwr on
    /secure/crypto/hash/sha256 writes the line "data" (without its newline)
    and reads the digest, which must equal hashlib.sha256(b"data") (and
    luxsim's `echo -n data` into the same file, with --luxsim),
then several at once, against the defects of a socket the guest cannot
tell clients apart on:
  - a client that has done its Tversion and sent half of a second one
    stays open while diodls and lux9p list /tmp, then gets its Rversion;
  - clients that send garbage and hang up at once, each followed at once
    by a client whose Tversion must be answered (their bytes are theirs);
  - a client that sends 3.8 MB of requests and never reads the replies
    does not hold up diodls;
  - a client that never sends Tversion gets the kernel's hang-up (end of
    file) when the handshake limit (5 s) passes;
  - 16 clients hold connections and are all answered; the 17th is
    refused by the runner (end of file, and a line on its stderr);
then closes the runner's input: the shell halts with 0 and the socket
is gone.  Every step has a time limit; the whole run, --timeout (default
90 s).  Exit 0 on success, 1 on failure (the serial log is named).
"""

import argparse
import hashlib
import os
import pwd
import re
import selectors
import shutil
import socket
import struct
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "..", "..", "arch-x86_64", "qemu", "run-qemu.py")
DIODLS = "/usr/sbin/diodls"
DIODCAT = "/usr/sbin/diodcat"
STEP_S = 20.0
TEXT = "hello from metal"
DATA = b"data\n"


class Guest:
    """The runner, its stdout collected as it comes."""

    def __init__(self, image, sock, log, timeout):
        self.out = b""
        self.p = subprocess.Popen(
            [sys.executable, RUNNER, "--image", image, "--listen", "unix!" + sock,
             "--log", log, "--timeout", str(timeout), "--timings"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        os.set_blocking(self.p.stdout.fileno(), False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)

    def wait_for(self, pattern, seconds):
        """True once pattern (bytes regex) is in the output."""
        until = time.monotonic() + seconds
        while not re.search(pattern, self.out):
            left = until - time.monotonic()
            if left <= 0 or self.p.poll() is not None:
                return False
            for _ in self.sel.select(timeout=min(left, 0.5)):
                data = self.p.stdout.read()
                if data:
                    self.out += data
        return True

    def type(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def end(self, seconds):
        """Close the input; the exit status, or None if it did not end."""
        self.p.stdin.close()
        self.wait_for(rb"(?!)", seconds)  # collect the output until it exits
        if self.p.poll() is None:
            self.kill()
            return None, ""
        return self.p.returncode, self.p.stderr.read().decode(errors="replace")

    def kill(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)  # the runner kills its QEMU
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()


def run(args, stdin=b""):
    """(status, stdout, stderr) of one client, bounded."""
    try:
        r = subprocess.run(args, input=stdin, capture_output=True, timeout=STEP_S)
    except subprocess.TimeoutExpired:
        return None, b"", b"no answer in %g s" % STEP_S
    return r.returncode, r.stdout, r.stderr


def tversion(msize=8192, version=b"9P2000"):
    body = struct.pack("<BHIH", 100, 0xffff, msize, len(version)) + version
    return struct.pack("<I", 4 + len(body)) + body


def connect(sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(STEP_S)
    s.connect(sock)
    return s


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        got = s.recv(n - len(b))
        if not got:
            return None
        b += got
    return b


def reply(s):
    """The type of the next 9P message on s, "eof", or "timeout"."""
    try:
        head = recv_exact(s, 4)
        if head is None:
            return "eof"
        size = struct.unpack("<I", head)[0]
        body = recv_exact(s, size - 4) if 4 < size <= 1 << 20 else None
        return "eof" if body is None else body[0]
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "eof"    # hung up with our bytes unread: a reset, as refused


RVERSION = 101
RERROR = 107
FLOOD = 200000      # Tversions: more than the runner buffers for a client


def mux_checks(lux9p, sock, fails):
    """Several clients at once; failures appended."""
    addr = "unix!" + sock
    silent = connect(sock)      # never speaks: the kernel must hang up
    t_silent = time.monotonic()
    a = connect(sock)
    a.sendall(tversion())
    if reply(a) != RVERSION:
        fails.append("the held client's first Rversion")
    second = tversion()
    a.sendall(second[:7])       # a request begun, left pending
    r = run([DIODLS, "-s", sock, "-a", "/", "/tmp"])
    if r[0] != 0 or "metal" not in r[1].decode().split():
        fails.append("diodls /tmp while another client holds a pending request: %r" % (r,))
    r = run([lux9p, "-a", addr, "ls", "/tmp"])
    if r[0] != 0 or "metal" not in r[1].decode().split():
        fails.append("lux9p ls /tmp while another client holds a pending request: %r" % (r,))
    a.sendall(second[7:])
    if reply(a) != RVERSION:
        fails.append("the held client's Rversion after the others were served")
    a.close()
    for i in range(3):
        g = connect(sock)
        g.sendall(b"x" * 4096)  # 0x78787878 as a size, if it reached the next one
        g.close()
        c = connect(sock)
        c.sendall(tversion())
        got = reply(c)
        c.close()
        if got != RVERSION:
            fails.append("Tversion right after a garbage client hung up (round %d): %s" % (i, got))
    flooded = flood_checks(sock, fails)
    silent.settimeout(max(0.1, t_silent + STEP_S - time.monotonic()))
    got = [reply(silent)]
    if got == [RERROR]:         # the server says why, then hangs up
        got.append(reply(silent))
    silent.close()
    if got[-1] != "eof":
        fails.append("end of file for a client that never sent Tversion (got %s)" % got)
    hung = time.monotonic() - t_silent
    limit_checks(sock, fails)
    return hung, flooded


def flood_checks(sock, fails):
    """A client that sends requests and never reads the replies holds up
    nobody else: the runner stops reading it (or the kernel pauses it)."""
    flood = connect(sock)
    flood.setblocking(False)
    data = memoryview(tversion() * FLOOD)   # 3.8 MB of requests, as many replies
    sent, stalled = 0, time.monotonic()
    while sent < len(data) and time.monotonic() - stalled < 1.0:
        try:
            sent += flood.send(data[sent:])
            stalled = time.monotonic()
        except BlockingIOError:
            time.sleep(0.02)
    r = run([DIODLS, "-s", sock, "-a", "/", "/tmp"])
    if r[0] != 0 or "metal" not in r[1].decode().split():
        fails.append("diodls /tmp while a client floods without reading (%d bytes sent): %r"
                     % (sent, r))
    flood.close()
    return sent


def limit_checks(sock, fails):
    """16 connections at once, all answered; the 17th refused."""
    held = [connect(sock) for _ in range(16)]
    for s in held:
        s.sendall(tversion())
    answers = [reply(s) for s in held]
    if answers != [RVERSION] * 16:
        fails.append("16 clients at once all answered (got %s)" % answers)
    extra = connect(sock)
    try:
        extra.sendall(tversion())
    except (BrokenPipeError, ConnectionResetError):
        pass            # already refused
    got = reply(extra)
    if got != "eof":
        fails.append("the 17th client refused with end of file (got %s)" % got)
    for s in held + [extra]:
        s.close()


def luxsim_digest(luxsim):
    r = subprocess.run([luxsim, "-c", "echo -n data > /secure/crypto/hash/sha256; "
                        "cat /secure/crypto/hash/sha256"], capture_output=True, timeout=STEP_S)
    return r.stdout.decode().strip()


def clients(lux9p, sock, luxsim, fails):
    """The 9P checks, each a client of its own; failures appended."""
    addr = "unix!" + sock
    big = bytes((i * 7 + i // 251) & 0xff for i in range(192 << 10))
    want = hashlib.sha256(DATA.rstrip(b"\n")).hexdigest()  # rdwr writes the line, not its newline

    def check(what, r, ok):
        status, out, err = r
        if status != 0 or not ok(out):
            fails.append("%s: status %s, out %r, err %r" % (what, status, out[:200], err[:200]))

    check("diodls /tmp", run([DIODLS, "-s", sock, "-a", "/", "/tmp"]),
          lambda o: "metal" in o.decode().split())
    check("diodcat /tmp/metal", run([DIODCAT, "-s", sock, "-a", "/", "/tmp/metal"]),
          lambda o: o.decode() == TEXT + "\n")
    check("lux9p ls /tmp", run([lux9p, "-a", addr, "ls", "/tmp"]),
          lambda o: "metal" in o.decode().split())
    check("lux9p read /tmp/metal", run([lux9p, "-a", addr, "read", "/tmp/metal"]),
          lambda o: o.decode() == TEXT + "\n")
    check("lux9p create /tmp/big", run([lux9p, "-a", addr, "create", "/tmp/big"]), lambda o: True)
    check("lux9p write /tmp/big (192 KiB)", run([lux9p, "-a", addr, "write", "/tmp/big"], big),
          lambda o: True)
    check("lux9p read /tmp/big (192 KiB back)", run([lux9p, "-a", addr, "read", "/tmp/big"]),
          lambda o: o == big)
    digests = []

    def digest_ok(out):
        digests.extend(out.decode().split("\n")[1:2])  # after the empty hash it read first
        return digests == [want]
    check("lux9p -L rdwr /secure/crypto/hash/sha256",
          run([lux9p, "-a", addr, "-L", "rdwr", "/secure/crypto/hash/sha256"], DATA), digest_ok)
    if luxsim:
        got = luxsim_digest(luxsim)
        if got != want:
            fails.append("luxsim's sha256 of 'data' is %r, hashlib's %s" % (got, want))
    return digests[0] if digests else None


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("lux9p")
    p.add_argument("image")
    p.add_argument("--log", default="last-virtio9p.log")
    p.add_argument("--timeout", type=float, default=90.0)
    p.add_argument("--luxsim", help="also compare the digest with luxsim's")
    a = p.parse_args(argv)
    for tool in (DIODLS, DIODCAT, a.lux9p):
        if not os.access(tool, os.X_OK):
            print("virtio9p-test: %s not found (diod is a Debian package; lux9p is "
                  "built with luxsim)" % tool)
            return 1
    log = os.path.abspath(a.log)
    tmp = tempfile.mkdtemp(prefix="lux9-virtio9p-")
    sock = os.path.join(tmp, "9p.sock")
    t0 = time.monotonic()
    fails = []
    g = Guest(a.image, sock, log, a.timeout)
    try:
        if not g.wait_for(rb"lux% ", a.timeout):
            fails.append("no shell prompt within %g s" % a.timeout)
            return report(fails, g, log, t0)
        if not re.search(rb"9p: serving / on virtio-serial!lux9\.9p", g.out):
            fails.append("the banner's '9p: serving / on virtio-serial!lux9.9p'")
        if os.getuid() != 0:  # eve is uid 0 on metal; diod attaches with our uid
            g.type("echo uname %s %d > /adm/users" % (pwd.getpwuid(os.getuid()).pw_name,
                                                      os.getuid()))
        g.type("echo %s > /tmp/metal; echo written" % TEXT)
        if not g.wait_for(rb"\nwritten\r?\n", STEP_S):
            fails.append("the shell's 'written' after writing /tmp/metal")
            return report(fails, g, log, t0)
        t9p = time.monotonic()
        digest = clients(a.lux9p, sock, a.luxsim, fails)
        t9p = time.monotonic() - t9p
        tmux = time.monotonic()
        hung, flooded = mux_checks(a.lux9p, sock, fails)
        tmux = time.monotonic() - tmux
        # the sequence still works once the others are gone
        check_again = run([a.lux9p, "-a", "unix!" + sock, "read", "/tmp/metal"])
        if check_again[0] != 0 or check_again[1].decode() != TEXT + "\n":
            fails.append("lux9p read /tmp/metal after the mux checks: %r" % (check_again,))
        status, err = g.end(STEP_S)
        if status != 0:
            fails.append("exit status 0 when input ends (got %s)" % status)
        if os.path.exists(sock):
            fails.append("the socket %s removed at the end" % sock)
        if "refusing a client" not in err:
            fails.append("the runner's line on the 17th client (stderr: %r)" % err[-300:])
        if not fails:
            timing = [l for l in err.split("\n") if "timings:" in l]
            print("virtio9p-test %s: PASS in %.1f s (9P clients %.2f s; clients at once "
                  "%.2f s, the silent one hung up on after %.2f s, the flood taken %d of %d bytes; "
                  "sha256 over 9P %s%s)%s"
                  % (os.path.basename(a.image), time.monotonic() - t0, t9p, tmux, hung, flooded,
                     len(tversion()) * FLOOD, digest,
                     ", = luxsim's" if a.luxsim else ", = hashlib's",
                     (" (" + timing[0].split("timings: ")[1].strip() + ")") if timing else ""))
            return 0
        print("  the runner's stderr:\n    " + "\n    ".join(err.strip().split("\n")[-10:]))
        return report(fails, g, log, t0)
    finally:
        g.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def report(fails, g, log, t0):
    print("virtio9p-test: FAIL after %.1f s" % (time.monotonic() - t0))
    for f in fails:
        print("  missing: " + f)
    tail = g.out.decode(errors="replace").replace("\r", "").split("\n")[-15:]
    print("  last lines the kernel printed:\n    " + "\n    ".join(tail))
    print("  serial log: " + log)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
