"""luxsim for the Linux guest tests: a shell on stdin, 9P on a unix socket
whose peer (QEMU, this process's uid) is the host owner, eve.

QEMU connects when it starts, but the guest's v9fs speaks only after the
kernel has booted (10-20 s under TCG), far past luxsim's 5 s for the first
Tversion, which would close the connection: the test passes
--9p-handshake-ms (docs/9p.md, limits) as anyone wiring a QEMU guest
to luxsim this way must.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import authsim  # noqa: E402  (halting luxsim, shared with the integration suites)

HANDSHAKE_MS = 300000


class Luxsim:
    def __init__(self, binary, users=(), script="", timeout=30):
        """users: (name, id) pairs written to /adm/users before serving;
        script: more shell lines, run as eve on the console."""
        self.dir = tempfile.mkdtemp(prefix="luxsim-linux-")
        self.path = os.path.join(self.dir, "9p.sock")
        self.timeout = timeout
        self.p = subprocess.Popen([binary, "-q", "--listen", "unix!" + self.path,
                                   "--9p-handshake-ms", str(HANDSHAKE_MS)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        setup = "".join("echo uname %s %d > /adm/users\n" % u for u in users) + script
        self.shell(setup)

    def shell(self, cmds):
        """Run shell lines on luxsim's console; their output lines."""
        self.p.stdin.write(cmds.encode() + b"\necho @@done@@\n")
        self.p.stdin.flush()
        lines, deadline = [], time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("luxsim ended: %s" % self.stop()[2])
            if line.strip() == b"@@done@@":
                return lines
            lines.append(line.decode(errors="replace").rstrip("\n"))
        raise RuntimeError("luxsim did not finish %r in %d s" % (cmds, self.timeout))

    def stop(self):
        """halt; (status, rest of stdout, stderr)."""
        got = authsim.halt_all(self.p, self.timeout)
        shutil.rmtree(self.dir, ignore_errors=True)
        return got
