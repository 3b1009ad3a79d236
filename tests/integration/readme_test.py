#!/usr/bin/env python3
"""Every example in README.md, copied as written, does what the README says.

usage: readme_test.py SOURCE_DIR BUILD_DIR [unittest args]

The README is read at run time, so an example edited there is the example
tested here.  Each line of each code block is matched against the table
EXAMPLES below, which says how to run it and what the README promises
about it; a line no entry matches fails the test ("not covered"), so a
new example cannot be added without saying how it is checked.  The
transcripts (`lux% CMD` followed by its output) run in luxsim and must
print exactly that output; the banner shown must be what luxsim prints,
line for line in the same order (numbers may differ: memory counts and
versions); the built-ins the README lists must be exactly `help`'s.

Paths: `./lux run` builds build/hosted and then starts luxsim, and
`build/hosted/sim/...` are its programs; here both mean the programs of
the build under test (BUILD_DIR/sim/luxsim, BUILD_DIR/sim/lux9p/lux9p,
and for `--arch x86_64` the QEMU runner on BUILD_DIR/x86_64/lux9.img,
which is what `./lux run` executes).  Everything else is run as written,
by bash, with HOME and XDG_STATE_HOME in a temporary directory (the host
key and client keys are the test's own) and XDG_RUNTIME_DIR unset, as
the README's diodls line says.  The README's fixed addresses
(/tmp/luxsim-UID/9p.sock, tcp!127.0.0.1!5640, /tmp/lux9.sock) are used
as written, so CTest runs this test alone (RUN_SERIAL), and it stops
with a clear message when a luxsim of yours holds them.
"""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SRC = BUILD = None
TIMEOUT = 60


def code_blocks(text):
    """[(info, [lines])] of every fenced block."""
    blocks, cur, info = [], None, ""
    for line in text.splitlines():
        if line.startswith("```"):
            if cur is None:
                cur, info = [], line[3:].strip()
            else:
                blocks.append((info, cur))
                cur = None
        elif cur is not None:
            cur.append(line)
    return blocks


def split_comment(line):
    """'cmd   # why' -> ('cmd', 'why'); a '#' inside quotes is kept."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] == " "):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def normalize(line):
    """What differs between machines and releases: numbers (memory,
    versions), the host key and where it lives."""
    line = re.sub(r"SHA256:\S+ \(.*\)", "SHA256:KEY (PATH)", line)
    return re.sub(r"\b\d+\b", "N", re.sub(r"\s+", " ", line.strip()))


class Env:
    """The temporary home every example runs in."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="readme-")
        self.env = dict(os.environ, HOME=self.dir, XDG_STATE_HOME=os.path.join(self.dir, "state"))
        # the README's socket path is the one without XDG_RUNTIME_DIR
        self.env.pop("XDG_RUNTIME_DIR", None)
        self.env.pop("XDG_CONFIG_HOME", None)

    def rewrite(self, cmd):
        """The README's paths as the build under test's."""
        runner = "python3 %s --image %s" % (os.path.join(SRC, "arch-x86_64/qemu/run-qemu.py"),
                                            os.path.join(BUILD, "x86_64/lux9.img"))
        cmd = cmd.replace("./lux run --arch x86_64", runner)
        cmd = re.sub(r"\./lux run( --)?", os.path.join(BUILD, "sim/luxsim"), cmd)
        return cmd.replace("build/hosted/", BUILD + "/")

    def sh(self, cmd, stdin=b"", timeout=TIMEOUT):
        p = subprocess.run(["bash", "-c", self.rewrite(cmd)], input=stdin, cwd=SRC, env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Shell:
    """A luxsim with its default listeners (the README's), its shell on a
    pipe; run() returns what commands printed."""

    def __init__(self, env):
        sock = "/tmp/luxsim-%d/9p.sock" % os.getuid()
        if os.path.exists(sock):
            raise AssertionError("%s exists: is a luxsim of yours running? The README's "
                                 "examples use its default addresses; stop it first" % sock)
        self.p = subprocess.Popen([os.path.join(BUILD, "sim/luxsim"), "-q"], env=env.env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.n = 0
        self.run("")	# the shell is up, and with it the listeners

    def run(self, cmds):
        self.n += 1
        marker = "readme-marker-%d" % self.n
        self.p.stdin.write((cmds + "\necho " + marker + "\n").encode())
        self.p.stdin.flush()
        buf, fd = b"", self.p.stdout.fileno()
        deadline = time.monotonic() + TIMEOUT
        while (marker + "\n").encode() not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise AssertionError("luxsim: no answer to %r; got %r" % (cmds, buf))
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError("luxsim ended: %r" % self.p.stderr.read())
            buf += chunk
        return buf[:buf.index((marker + "\n").encode())].decode(errors="replace")

    def stop(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()
        return self.p.returncode


def wait_for(path):
    deadline = time.monotonic() + TIMEOUT
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise AssertionError("%s never appeared" % path)
        time.sleep(0.05)


class Readme(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(SRC, "README.md")) as f:
            cls.text = f.read()
        cls.blocks = code_blocks(cls.text)

    def setUp(self):
        self.env = Env()
        self.shell = None

    def tearDown(self):
        if self.shell:
            self.shell.stop()
        self.env.close()

    def luxsim(self):
        if self.shell is None:
            self.shell = Shell(self.env)
        return self.shell

    def sh_ok(self, cmd, stdin=b"", timeout=TIMEOUT):
        rc, out, err = self.env.sh(cmd, stdin, timeout)
        self.assertEqual(rc, 0, "%s: exit %d\n%s%s" % (cmd, rc, out, err))
        return out

    # ---- the transcripts ------------------------------------------------

    def transcripts(self):
        return [lines for info, lines in self.blocks if any(l.startswith("lux% ") for l in lines)]

    def test_banner_is_what_luxsim_prints(self):
        shown = []
        for lines in self.transcripts():
            for l in lines:
                if l.startswith("lux% "):
                    break
                shown.append(l)
        self.assertTrue(shown, "the README shows a banner")
        rc, out, err = self.env.sh(os.path.join(BUILD, "sim/luxsim") + " </dev/null")
        self.assertEqual(rc, 0, err)
        got = [normalize(l) for l in out.splitlines()]
        # runs of lines between "..." must appear in luxsim's output in
        # order, each run contiguous
        at, run = 0, []
        for l in shown + ["..."]:
            if l.strip() != "...":
                run.append(normalize(l))
                continue
            if run:
                for i in range(at, len(got) - len(run) + 1):
                    if got[i:i + len(run)] == run:
                        at = i + len(run)
                        break
                else:
                    self.fail("README banner lines\n  %s\nare not, in this order and together, "
                              "in what luxsim prints:\n  %s" % ("\n  ".join(run), "\n  ".join(got)))
            run = []

    def test_transcript_commands_print_what_is_shown(self):
        n = 0
        for lines in self.transcripts():
            cmds = [(i, l[5:]) for i, l in enumerate(lines) if l.startswith("lux% ")]
            for k, (i, cmd) in enumerate(cmds):
                end = cmds[k + 1][0] if k + 1 < len(cmds) else len(lines)
                shown = "".join(l + "\n" for l in lines[i + 1:end])
                if cmd.strip() == "help":
                    continue	# its list: test_builtins_listed_are_helps
                out = self.sh_ok(os.path.join(BUILD, "sim/luxsim") + " -c " +
                                 "'" + cmd.replace("'", "'\\''") + "'")
                self.assertEqual(out, shown, "lux%% %s" % cmd)
                n += 1
        self.assertGreaterEqual(n, 2)

    def test_builtins_listed_are_helps(self):
        m = re.search(r"Type `help` for the built-ins \((.*?)\);", self.text, re.S)
        self.assertIsNotNone(m, "the README lists the built-ins after 'Type `help`'")
        listed = set(re.findall(r"`([a-z0-9]+)`", m.group(1)))
        out = self.sh_ok(os.path.join(BUILD, "sim/luxsim") + " -c help")
        helps = {l.split()[0] for l in out.splitlines()[1:] if l.startswith("  ") and
                 not l.startswith("   ")} - {"help"}	# the sentence is about help
        self.assertEqual(listed, helps, "README's built-ins vs `help`")

    # ---- examples inside sentences ----------------------------------------

    def test_quota_for_alice(self):
        m = re.search(r"`(cat /adm/quota)`; the host owner sets one with `(echo quota alice 64M >\s+"
                      r"/adm/users)` for the alice made above", self.text)
        self.assertIsNotNone(m, "the quota sentence")
        shell = self.luxsim()
        self.assertEqual(shell.run("echo uname alice 1001 > /adm/users"), "")
        self.assertEqual(shell.run(re.sub(r"\s+", " ", m.group(2))), "")
        self.assertRegex(shell.run(m.group(1)), r"alice\s.*64M|alice\s.*67108864")

    # ---- the shell blocks -------------------------------------------------

    def sh_lines(self):
        """(block number, command, comment) of every line of every sh block."""
        out = []
        for n, (info, lines) in enumerate(self.blocks):
            if info != "sh":
                continue
            for l in lines:
                if l.strip() and not (l[0].isspace() and l.strip().startswith("#")):
                    # (an indented comment goes on the line above's)
                    cmd, why = split_comment(l)
                    out.append((n, cmd, why))
        return out

    def test_every_example_line_is_covered(self):
        uncovered = [cmd or "# " + why for _, cmd, why in self.sh_lines()
                     if not any(re.fullmatch(p, cmd or "# " + why) for p, _ in EXAMPLES)]
        self.assertEqual(uncovered, [], "README examples readme_test.py does not check: add "
                         "them to EXAMPLES")

    def test_the_examples(self):
        """Run every block's lines in order, each by its EXAMPLES entry."""
        by_block = {}
        for n, cmd, why in self.sh_lines():
            by_block.setdefault(n, []).append(cmd or "# " + why)
        for n, cmds in sorted(by_block.items()):
            self.setUp_block()
            try:
                for cmd in cmds:
                    for pat, check in EXAMPLES:
                        m = re.fullmatch(pat, cmd)
                        if m:
                            t0 = time.monotonic()
                            with self.subTest(example=cmd):
                                check(self, cmd, m)
                            print("  %5.1f s  %s" % (time.monotonic() - t0, cmd), file=sys.stderr)
                            break
            finally:
                self.tearDown_block()

    def setUp_block(self):
        """Each block is a session of its own: a fresh home, no luxsim yet."""
        if self.shell:
            self.shell.stop()
            self.shell = None
        self.env.close()
        self.env = Env()
        self.bg = None
        self.authkey = None

    def tearDown_block(self):
        if getattr(self, "bg", None) and self.bg.poll() is None:
            self.bg.kill()
            self.bg.wait()

    # ---- checks, one per kind of example ------------------------------------

    def not_here(self, cmd, m):
        """`./lux test` (this test is part of it) and the long commands: their
        options are still checked (`--help` answers, exit 0)."""
        sub = m.group(1) if m.groups() else None
        if sub:
            out = self.sh_ok("./lux %s --help" % sub)
            self.assertIn("usage: ./lux", out)

    def interactive(self, cmd, m):
        """A shell on the terminal: at end of input it halts with status 0."""
        out = self.sh_ok(cmd + " </dev/null", timeout=180)
        self.assertIn("self-check: passed", out)

    def lux9p(self, cmd, m):
        """lux9p against luxsim's default socket, as the README's comment says."""
        self.luxsim()
        out = self.sh_ok(cmd)
        if " ls /tmp" in cmd:
            self.assertNotIn("error", out)
        if " write /tmp/x" in cmd:
            self.assertEqual(self.sh_ok("build/hosted/sim/lux9p/lux9p read /tmp/x"), "hi\n")

    def diodls(self, cmd, m):
        """diod's client on luxsim's socket: it lists /tmp."""
        self.assertTrue(shutil.which("diodls"), "diod is installed (./lux test installs it)")
        self.luxsim().run("echo x > /tmp/seen")
        self.assertIn("seen", self.sh_ok(cmd).split())

    def keygen(self, cmd, m):
        out = self.sh_ok(cmd)
        found = re.search(r"authkey alice \+?([0-9a-f]{64})", out)
        self.assertIsNotNone(found, "keygen prints the authkey line: %r" % out)
        self.authkey = found.group(1)
        self.assertTrue(os.path.exists(os.path.join(self.env.dir, ".config/lux9/id_ed25519")))

    def in_luxsim(self, cmd, m):
        """'# in luxsim: CMD; CMD': the shell commands, HEX being keygen's key."""
        self.assertIsNotNone(self.authkey, "keygen ran before")
        shell = m.group(1).replace("HEX", self.authkey)
        self.assertEqual(self.luxsim().run(shell.replace("; ", "\n")), "", shell)

    def alice_over_tcp(self, cmd, m):
        out = self.sh_ok(cmd)
        self.assertNotIn("error", out)

    def serve_bg(self, cmd, m):
        """luxsim --serve ... &: started in the background (a job of this
        test, which is what `&` makes of it), serving on /tmp/lux9.sock."""
        self.assertFalse(os.path.exists("/tmp/lux9.sock"), "/tmp/lux9.sock exists already")
        argv = ["bash", "-c", "exec " + self.env.rewrite(cmd.rstrip("& "))]
        self.bg = subprocess.Popen(argv, cwd=SRC, env=self.env.env, stderr=subprocess.PIPE)
        wait_for("/tmp/lux9.sock")

    def serve_kill(self, cmd, m):
        """kill %1: SIGTERM to that job; exit 0 and the socket is gone."""
        self.bg.send_signal(signal.SIGTERM)
        rc = self.bg.wait(TIMEOUT)
        err = self.bg.stderr.read().decode(errors="replace")
        self.bg.stderr.close()
        self.assertEqual(rc, 0, err)
        self.assertFalse(os.path.exists("/tmp/lux9.sock"))

    def piped(self, cmd, m):
        out = self.sh_ok(cmd, timeout=180)
        self.assertIn("hi\n", out)

    def dash_c(self, cmd, m):
        self.assertEqual(self.sh_ok(cmd), "a\n")

    def help_(self, cmd, m):
        self.assertIn("usage:", self.sh_ok(cmd))

    def store(self, cmd, m):
        """--store PATH: a plain file made when missing (said on stderr), then
        block device 0, which /dev/blk describes."""
        rc, out, err = self.env.sh(cmd + " </dev/null")
        self.assertEqual(rc, 0, err)
        path = os.path.join(self.env.dir, "lux.store")
        self.assertIn("made a new file", err)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        out = self.sh_ok(cmd + " -c 'cat /dev/blk'")
        self.assertIn("name %s\n" % path, out)

    def lint(self, cmd, m):
        self.assertIn("lint: cppcheck found nothing", self.sh_ok(cmd, timeout=120))

    def format_check(self, cmd, m):
        self.assertIn("in the house style", self.sh_ok(cmd, timeout=120))

    def docs(self, cmd, m):
        self.assertIn("no warnings", self.sh_ok(cmd, timeout=120))

    def seeded(self, cmd, m):
        out = self.sh_ok(cmd)
        self.assertRegex(out, r"\bburn\b", "ps shows the burn still running")
        self.assertEqual(out, self.sh_ok(cmd), "the same seed, the same output")


EXAMPLES = [
    (r"\./lux run", Readme.interactive),
    (r"\./lux (test)", Readme.not_here),
    (r"\./lux (build) \[--arch hosted\|x86_64\|all\]", Readme.not_here),
    (r"\./lux (sim)", Readme.not_here),
    (r"\./lux lint", Readme.lint),
    (r"\./lux format --check", Readme.format_check),
    (r"\./lux docs", Readme.docs),
    (r"\./lux (coverage)", Readme.not_here),
    (r"\./lux (bench)", Readme.not_here),
    (r"\./lux (fuzz) \[9p_codec\|9p_client\|9p_server\|auth\] \[--time S\] \[--jobs N\]",
     Readme.not_here),
    (r"\./lux run --arch x86_64", Readme.not_here),	# a terminal: the piped line boots it
    (r"diodls -s /tmp/luxsim-\$\(id -u\)/9p\.sock -a / /tmp", Readme.diodls),
    (r"build/hosted/sim/lux9p/lux9p (ls|create) /tmp(/x)?", Readme.lux9p),
    (r"echo hi \| build/hosted/sim/lux9p/lux9p write /tmp/x", Readme.lux9p),
    (r"build/hosted/sim/lux9p/lux9p -u alice keygen", Readme.keygen),
    (r"# in luxsim: (.*)", Readme.in_luxsim),
    (r"build/hosted/sim/lux9p/lux9p -a 'tcp!127\.0\.0\.1!5640' -u alice --accept-new-host ls /tmp",
     Readme.alice_over_tcp),
    (r"build/hosted/sim/luxsim --serve --listen 'unix!/tmp/lux9\.sock' </dev/null &",
     Readme.serve_bg),
    (r"kill %1", Readme.serve_kill),
    (r"printf 'echo hi\\nhalt\\n' \| \./lux run", Readme.piped),
    (r"printf 'echo hi\\n' \| \./lux run --arch x86_64", Readme.piped),
    (r"\./lux run -- -c 'echo a > /tmp/x; cat /tmp/x'", Readme.dash_c),
    (r"\./lux run -- --help", Readme.help_),
    (r"\./lux run -- --seed 7 -c 'burn 500 &; sleep 100; ps'", Readme.seeded),
    (r"\./lux run -- --store ~/lux\.store", Readme.store),
]


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: readme_test.py SOURCE_DIR BUILD_DIR [unittest args]")
    SRC = os.path.abspath(sys.argv.pop(1))
    BUILD = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
