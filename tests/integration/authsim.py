"""What the authentication suites share: a luxsim driven through its shell
and the host key it made in its state directory.

lux9p_auth_test.py, token_test.py and auth_attack_test.py each start one
luxsim with --state-dir and a TCP listener, read the host key luxsim made
there (for a known_hosts line), and run shell commands as its host owner.
"""
import os
import subprocess
import time


def host_key(state, timeout):
    """The hex public host key luxsim wrote to STATE/host_ed25519.pub."""
    path = os.path.join(state, "host_ed25519.pub")
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise AssertionError("no host_ed25519.pub in %s" % state)
        time.sleep(0.05)
    with open(path) as f:
        return f.read().strip()


def shell(p, cmd):
    """Run cmd in the shell of luxsim p (stdin/stdout pipes): its lines."""
    mark = "end-of-%d" % time.monotonic_ns()
    p.stdin.write(("%s\necho %s\n" % (cmd, mark)).encode())
    p.stdin.flush()
    lines = []
    while True:
        line = p.stdout.readline().decode(errors="replace")
        if not line:
            raise AssertionError("luxsim ended during %r: %s" % (cmd, p.stderr.read()))
        if line.strip() == mark:
            return lines
        lines.append(line.rstrip("\n"))


def authorize(p, user, uid, pub):
    """Make user (uid) and authorize the Ed25519 public key pub (hex) for it."""
    shell(p, "echo uname %s %d > /adm/users" % (user, uid))
    shell(p, "echo authkey %s +%s > /adm/users" % (user, pub))


def halt_all(p, timeout):
    """Halt luxsim p from its shell (kill it if it will not stop):
    (status, rest of stdout, stderr), decoded."""
    try:
        p.stdin.write(b"halt\n")
        p.stdin.flush()
    except (BrokenPipeError, ValueError):
        pass
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, (out or b"").decode(errors="replace"), (err or b"").decode(errors="replace")


def halt(p, timeout):
    """Halt luxsim p from its shell (kill it if it will not stop): its stderr."""
    return halt_all(p, timeout)[2].encode()
