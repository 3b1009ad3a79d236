"""The x86_64 kernel under QEMU as a target of the integration suites.

The suites that speak 9P or drive the shell (docs/testing.md, "One suite,
two targets") run against luxsim by default.  With LUX_TARGET=x86_64 and
LUX_IMAGE=PATH/lux9.img in the environment, ninep_test.Server boots that
image instead -- once per process, not per test or class: a boot under
TCG costs seconds -- with arch-x86_64/qemu/run-qemu.py --listen unix!SOCK,
and each Server(script) types its script into the running kernel's
shell.  What the metal kernel cannot do the test is told by SkipTest, with
the reason, never by a failure:
  - no TCP: 9P reaches the metal kernel only through the virtio-serial
    port behind QEMU's unix socket (srv.tcp, srv.port, srv.port_plain);
  - one client at a time: QEMU's socket serves the next client when the
    last one hangs up (Server.concurrent is False; tests that hold two
    connections at once ask for it with needs_concurrent());
  - no luxsim command-line options (--mem and the 9P server's clocks).
The kernel is halted when the process exits (its status must be 0).
"""
import atexit
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.environ.get("LUX_RUNNER") or os.path.join(HERE, "..", "..", "arch-x86_64", "qemu",
                                                       "run-qemu.py")
BOOT_S = 120.0   # to the first prompt under TCG, on a loaded 2-core host
STEP_S = 60.0    # one shell command


def target():
    """'luxsim' (the default) or 'x86_64'."""
    t = os.environ.get("LUX_TARGET", "luxsim")
    if t not in ("luxsim", "x86_64"):
        raise SystemExit("LUX_TARGET=%s: expected luxsim or x86_64" % t)
    return t


def on_metal():
    return target() == "x86_64"


def skip_on_metal(why):
    """Decorator: this test needs what the metal target has not (why)."""
    return unittest.skipIf(on_metal(), "x86_64 target: " + why)


def needs_concurrent():
    return skip_on_metal("one 9P client at a time (QEMU's socket serves the next when the "
                         "last hangs up)")


class Kernel:
    """One boot of the image, its serial line as the shell."""

    def __init__(self, image):
        if not os.path.exists(image):
            raise SystemExit("LUX_IMAGE=%s: no such image (./lux build --arch x86_64)" % image)
        self.dir = tempfile.mkdtemp(prefix="lux9-metal-")
        self.sock = os.path.join(self.dir, "9p.sock")
        self.log = os.path.join(self.dir, "serial.log")
        self.out = b""
        self.p = subprocess.Popen(
            [sys.executable, RUNNER, "--image", image, "--listen", "unix!" + self.sock,
             "--log", self.log, "--timeout", "3600"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        os.set_blocking(self.p.stdout.fileno(), False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)
        if not self.wait_for(rb"lux% ", BOOT_S):
            self.kill()
            raise AssertionError("x86_64 target: no shell prompt within %g s:\n%s"
                                 % (BOOT_S, self.out[-2000:].decode(errors="replace")))
        if os.getuid() != 0:   # eve is uid 0 on metal; Linux clients attach with our uid
            import pwd
            self.shell("echo uname %s %d > /adm/users" % (pwd.getpwuid(os.getuid()).pw_name,
                                                         os.getuid()))

    def wait_for(self, pattern, seconds, start=0):
        """The match of pattern (a bytes regex) in the output from start, or None."""
        until = time.monotonic() + seconds
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.out, start)
            if m:
                return m
            left = until - time.monotonic()
            if left <= 0 or self.p.poll() is not None:
                return None
            for _ in self.sel.select(timeout=min(left, 0.5)):
                data = self.p.stdout.read()
                if data:
                    self.out += data

    def shell(self, cmd):
        """Run cmd (one line) in the metal shell; its output lines.  The
        serial console echoes what is typed, so a command is typed only at
        a prompt, and its output is what comes between its echo and the
        next prompt."""
        if "\n" in cmd:
            out = []
            for line in cmd.split("\n"):
                if line.strip():
                    out += self.shell(line)
            return out
        start = len(self.out)
        self.p.stdin.write(cmd.encode() + b"\n")
        self.p.stdin.flush()
        m = self.wait_for(rb"lux% ", STEP_S, start)
        if m is None:
            raise AssertionError("x86_64 target: %r did not finish within %g s:\n%s"
                                 % (cmd, STEP_S, self.out[start:][-2000:].decode(errors="replace")))
        text = self.out[start:m.start()].decode(errors="replace").replace("\r", "")
        lines = text.split("\n")
        return [l for l in lines[1:] if l]   # lines[0]: the echo of cmd

    def halt(self):
        """End its input; (status, the rest of its output, its stderr)."""
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        self.wait_for(rb"(?!)", STEP_S)
        if self.p.poll() is None:
            self.kill()
        err = self.p.stderr.read().decode(errors="replace")
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.p.returncode, self.out.decode(errors="replace"), err

    def kill(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)   # the runner kills its QEMU
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()


_kernel = None


def _halt_at_exit():
    if _kernel is not None and _kernel.p.poll() is None:
        rc, out, err = _kernel.halt()
        if rc != 0:
            sys.stderr.write("x86_64 target: the kernel halted with %s\n%s\n%s\n"
                             % (rc, out[-2000:], err[-2000:]))
            os._exit(1)


def kernel():
    """The booted kernel of this process (booted on first use)."""
    global _kernel
    if _kernel is None or _kernel.p.poll() is not None:
        _kernel = Kernel(os.environ.get("LUX_IMAGE", ""))
        atexit.register(_halt_at_exit)
    return _kernel


def fresh_kernel():
    """Halt this process's kernel (its status must be 0) and boot another:
    for a script that assumes a kernel nobody has used yet."""
    global _kernel
    if _kernel is not None and _kernel.p.poll() is None:
        rc, out, err = _kernel.halt()
        if rc != 0:
            raise AssertionError("x86_64 target: the kernel halted with %s\n%s\n%s"
                                 % (rc, out[-2000:], err[-2000:]))
    _kernel = None
    return kernel()


def run_script(lines, fresh=False):
    """Type shell lines into the metal kernel (a fresh boot if fresh);
    (0, their output text).  The suites' one-shot luxsim runs (a script
    piped in, then halt) become commands of the booted kernel: its status
    is only read when it halts."""
    k = fresh_kernel() if fresh else kernel()
    out = []
    for line in lines:
        if line.strip():
            out += k.shell(line)
    return 0, "\n".join(out) + "\n"


def luxsim_only(cls):
    """Class decorator: these tests are about luxsim itself (its command
    line, its process), not the kernel both targets run."""
    return unittest.skipIf(on_metal(), "x86_64 target: tests luxsim's own command line or "
                           "process")(cls)


class Server:
    """ninep_test.Server's face on the metal kernel: a script typed into
    its shell, 9P on its virtio-serial socket."""

    concurrent = False

    def __init__(self, script, args=(), nofile=None):
        if args or nofile:
            raise unittest.SkipTest("x86_64 target: luxsim's options %s cannot be honoured"
                                    % " ".join(args or ["nofile"]))
        self.k = kernel()
        self.path = self.k.sock
        self.p = self.k.p
        self.dir = self.k.dir
        for line in script.split("\n"):
            if line.strip():
                self.k.shell(line)

    def shell(self, cmd):
        return self.k.shell(cmd)

    def _no_tcp(self):
        raise unittest.SkipTest("x86_64 target: no TCP (9P only over virtio-serial)")

    # srv.tcp is what most suites use for "another client": on metal that
    # is another client of the mux's socket (all are the host owner's, as
    # on luxsim's trusted listener); srv.port names a TCP port, which metal
    # has not
    tcp = property(lambda self: self.path)
    port = property(lambda self: self._no_tcp())
    port_plain = property(lambda self: self._no_tcp())

    def stop(self):
        """The kernel serves the next class; it halts when the process ends."""
        return 0, "", ""
