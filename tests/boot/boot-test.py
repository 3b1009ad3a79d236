#!/usr/bin/env python3
"""QEMU boot test of a Lux9 x86_64 image (lux9.img, lux9-test.img or archtest.img).

    boot-test.py [--log FILE] [--timeout S] [--panic | --sched | --kat [--kat-kinds K] | --eof |
                  --console | --fault null|stack|rodata|nx] IMAGE

Default mode boots IMAGE with arch-x86_64/qemu/run-qemu.py, types
"echo hi", "cat /dev/pci", "cat /dev/memmap" and then "halt 7" at the
shell prompt, and checks:
  - the banner: a line starting "Lux9 ",
  - the self-check lines ("self-check: ...") end in "self-check: passed",
    and the digests computed on metal are the known answers (the same
    lines luxsim prints),
  - "hi" appears on a line of its own,
  - /dev/pci lists q35's host bridge (00:00.0 8086:29c0) and the
    virtio-rng-pci device this mode adds, with a memory BAR and its
    capabilities (MSI-X, virtio's vendor structures),
  - /dev/memmap lists page 0 unmapped, the kernel's text read+execute,
    its rodata read-only, RAM reclaimed from boot services (more than
    none) and says W^X holds,
  - the guest halted with status 7.

--sched (lux9-test.img: the kernel with the core's test library) runs
the scheduler tests on metal instead: the in-kernel "ktest stress",
"wakeup", "kill", "latency", "exchange" and "keystore" must pass, and
with "burn 3000 &" running, "echo" must still answer and "ps" must show
the burn still going (a CPU-bound proc cannot starve the shell).  It
also types the /secure/crypto seed example (docs/crypto.md), "echo data
> /secure/crypto/hash/sha256" then "cat" of it, and checks the digest
line against Python's hashlib.sha256(b"data\n"); then makes an Ed25519 key
and signs "hello\n" with it, and (with python3-cryptography) verifies the
signature against the public key printed on metal.

--kat (lux9.img) types the known-answer script of tests/kat (kat.py: the
vectors of the standards, the same commands kat_test.py pipes into
luxsim) and checks every expected line, then "halt 7".  --kat-kinds
limits it to a comma-separated list of kinds (default: all).

--eof (lux9.img) is the README's piped run, end of input included:
`printf 'echo hi\n' | run-qemu.py --image IMAGE` through a shell pipe, as
`./lux run --arch x86_64` execs the runner, with no halt typed.  The run
must end by itself when the pipe does (the runner types ^D, the shell
halts with 0): "hi" on a line of its own, exit status 0, within --timeout
seconds of wall clock (the runner's own limit, 120 s, is not reached;
past it the runner is stopped with SIGTERM and the test fails).  A second
boot pipes `printf 'echo hi\necho there'` (no newline at the end: the
runner's ^D^D hands the last line over, as a terminal's does) and wants
"hi", "there" (after its echo, as on a terminal) and 0.

--console (lux9.img) is the line discipline on the serial line: "burn
600000" (ten minutes) then Ctrl-C, which must interrupt it (the run ends
within --timeout, with "^C" echoed and the next command answered); an
up-arrow that recalls "echo first"; "hel" and Tab that completes to
"help"; then "halt 7".  The runner paces piped lines one per prompt, or
after 5 s without one: the Ctrl-C goes 5 s into the burn.

--panic (archtest.img only: its shell has a "fault" command) types
"fault" instead and checks that the page fault is reported readably:
exception number and name, error code decoded, CR2, RIP and the
registers, and that the guest halted with status 3.

--fault CASE (lux9.img) types "ktest fault-CASE", a fault made on
purpose, and checks that the page fault's panic names it on its first line
(FAULT_CASES: a null dereference at address 8; a stack overflow in the
proc "overflow", in the guard page below its stack; a write to the
kernel's read-only data; an instruction fetch from its data, where the
fault address is the RIP), followed by the exception report, and that the
guest halted with status 3.

The serial log (firmware included) is always written to --log (default
./last-boot.log, or ./last-panic.log with --panic) and is named on
failure.  Exit 0 on success, 1 on failure.
"""

import argparse
import hashlib
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "..", "..", "arch-x86_64", "qemu", "run-qemu.py")
sys.path.insert(0, os.path.join(HERE, "..", "kat"))
import kat  # noqa: E402


KATS = [
    ("sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("blake2b-512", "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                    "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"),
    ("ed25519", "e5564300c360ac729086e2cc806e828a"),
]


def report_failure(missing, log, lines, err):
    """What a failed case lacked, where its log is, the kernel's last words
    and the runner's."""
    for m in missing:
        print("  missing: " + m)
    print("  serial log kept at " + log)
    tail = [l for l in lines if l.strip()][-25:]
    if tail:
        print("  last kernel output:")
        for l in tail:
            print("    | " + l)
    for l in err.split("\n"):
        if l.strip():
            print("  runner: " + l)


def check_kats(lines):
    missing = []
    for name, digest in KATS:
        pat = r"^self-check: %s\s.*%s.* ok$" % (re.escape(name), digest)
        if not any(re.search(pat, l) for l in lines):
            missing.append("the %s known answer %s... computed on metal" % (name, digest[:16]))
    return missing


SCHED_TYPED = (b"ktest stress\nktest wakeup\nktest kill\nktest latency\nktest exchange\n"
               b"ktest keystore\n"
               b"burn 3000 &\necho starve-check\nps\n"
               b"echo data > /secure/crypto/hash/sha256\ncat /secure/crypto/hash/sha256\n"
               b"echo gen ed25519 host > /secure/crypto/keys/ctl\ncat /secure/crypto/keys/host\n"
               b"cat /secure/crypto/sign/clone\necho key host > /secure/crypto/sign/1/ctl\n"
               b"echo hello > /secure/crypto/sign/1/data\ncat /secure/crypto/sign/1/data\n"
               b"halt 7\n")
SEED_DIGEST = hashlib.sha256(b"data\n").hexdigest()


def check_sched(lines, status):
    missing = []
    for t in ("stress", "wakeup", "kill", "latency", "exchange", "keystore"):
        if not any(re.match(r"^ktest %s: .*: ok$" % t, l) for l in lines):
            missing.append('"ktest %s: ...: ok"' % t)
    if "starve-check" not in [l.strip() for l in lines]:
        missing.append('"starve-check" answered while "burn 3000" ran')
    if not any(re.match(r"^\s*\d+\s+\d+\s+\d+\s+(ready|running)\s+\d+ burn$", l)
               for l in lines):
        missing.append('"ps" listing the burn proc still running after the echo')
    if not any(l.strip().endswith(SEED_DIGEST) for l in lines):
        missing.append('"%s": sha256 of "data\\n" from /secure/crypto on metal' % SEED_DIGEST)
    missing += check_sign(lines)
    if status != 7:
        missing.append("exit status 7 from \"halt 7\" (got %d)" % status)
    return missing


def check_sign(lines):
    """The key and signature typed in SCHED_TYPED, verified off metal."""
    pk = [m.group(1) for m in (re.search(r"public ([0-9a-f]{64})$", l.strip()) for l in lines) if m]
    sig = [m.group(1) for m in (re.search(r"(?:^|\s)([0-9a-f]{128})$", l.strip()) for l in lines) if m]
    if not pk or not sig:
        return ["an Ed25519 public key and signature from /secure/crypto on metal"]
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return []	# printed is all we can check without python3-cryptography
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(pk[0])).verify(
            bytes.fromhex(sig[0]), b"hello\n")
    except Exception:
        return ["a signature of \"hello\\n\" that verifies with the public key"]
    return []


CONSOLE_TYPED = (b"burn 600000\n\x03\necho after-intr\necho first\n\x1b[A\nhel\t\n"
                 b"halt 7\n")


def check_console(lines, status):
    stripped = [l.strip() for l in lines]
    missing = []
    if "^C" not in stripped:
        missing.append('"^C" echoed when Ctrl-C interrupted "burn 600000"')
    if "after-intr" not in stripped:
        missing.append('"after-intr": the shell answering after the interrupt')
    if stripped.count("first") != 2:
        missing.append('"first" twice: "echo first", then again by up-arrow (got %d)'
                       % stripped.count("first"))
    if "lux% help" not in stripped:
        missing.append('"lux% help": "hel" completed by Tab, echoed')
    if status != 7:
        missing.append("exit status 7 from \"halt 7\" (got %d%s)" % (
            status, {124: ": timeout (the burn was not interrupted?)"}.get(status, "")))
    return missing


# arch-x86_64/start.c: paging.c built and loaded the kernel's tables and
# walked them: the executable pages are the text's and none is writable.
PAGING_LINE = (r"^x86_64: paging: own 4-level tables, W\^X \(checked: [1-9]\d* executable "
               r"pages, all text, none writable\), page 0 and stack guards unmapped; ")


# "cat /dev/pci" on QEMU's q35 (run-qemu.py's machine): its host bridge
# first, as arch-x86_64/pci.c found it through the configuration ports.
PCI_BRIDGE = r"^00:00\.0 8086:29c0 06\.00\.00 rev [0-9a-f]{2} irq \S+ host bridge$"


# "cat /dev/memmap" (core/fs/memmap.c over arch-x86_64/memranges.c): each
# line a range, its size, how it is mapped and what it is.
MEMMAP_LINES = [
    (r"^0x0{16}-0x0{13}fff +4 KiB ---  null page$", "page 0 unmapped"),
    (r"^0x[0-9a-f]{16}-0x[0-9a-f]{16} +\d+ KiB r-x  kernel text$", "the kernel's text r-x"),
    (r"^0x[0-9a-f]{16}-0x[0-9a-f]{16} +\d+ KiB r--  kernel rodata$", "its rodata r--"),
    (r"^0x[0-9a-f]{16}-0x[0-9a-f]{16} +\d+ KiB rw-  kernel data and bss$", "its data rw-"),
    (r"^total ram reclaimed from boot services [1-9][0-9.]* (KiB|MiB)$",
     "RAM reclaimed from boot services"),
    (r"^w\^x holds: no range listed is writable and executable$", "W^X holds"),
]


# ... and the virtio-rng-pci device the default boot adds (vendor 1af4).
PCI_VIRTIO = r"^00:[0-9a-f]{2}\.[0-7] 1af4:10[0-9a-f]{2} .* virtio device$"


def check_boot(lines, status, stand_in=False):
    missing = [] if stand_in else check_kats(lines)
    if stand_in and not any(l.startswith("self-check: paging ok: ") for l in lines):
        missing.append('"self-check: paging ok: ..." (archtest reads the page tables back)')
    if not any(l.startswith("Lux9 ") for l in lines):
        missing.append('the banner (a line starting "Lux9 ")')
    if not any(re.match(PAGING_LINE, l) for l in lines):
        missing.append("the arch's own page tables, W^X checked (/%s/)" % PAGING_LINE)
    checks = [l for l in lines if l.startswith("self-check: ")]
    if not checks:
        missing.append('self-check lines ("self-check: ...")')
    elif not checks[-1].startswith("self-check: passed"):
        failed = [l for l in checks if "FAILED" in l]
        missing.append('"self-check: passed" as the last self-check line '
                       "(last: %r%s)" % (checks[-1], "; failures: " +
                                         "; ".join(failed) if failed else ""))
    if "hi" not in [l.strip() for l in lines]:
        missing.append('"hi" on a line of its own (the output of "echo hi")')
    if not stand_in and not any(re.match(PCI_BRIDGE, l.strip()) for l in lines):
        missing.append("q35's host bridge in /dev/pci (/%s/): arch-x86_64/pci.c found the "
                       "PCI functions" % PCI_BRIDGE)
    if not stand_in:
        at = [i for i, l in enumerate(lines) if re.match(PCI_VIRTIO, l.strip())]
        if not at:
            missing.append("the virtio-rng-pci device in /dev/pci (/%s/)" % PCI_VIRTIO)
        else:
            after = [l.strip() for l in lines[at[0] + 1:at[0] + 8]]
            if not any(l.startswith("bar") and " mem " in l for l in after):
                missing.append("a memory BAR under the virtio device (sized at boot)")
            if not any(l.startswith("caps") and " 09" in l and " 11" in l for l in after):
                missing.append("the virtio device's capabilities: MSI-X (11) and vendor "
                               "structures (09)")
        for pattern, what in MEMMAP_LINES:
            if not any(re.match(pattern, l.strip()) for l in lines):
                missing.append("/dev/memmap: %s (/%s/)" % (what, pattern))
    if status != 7:
        missing.append("exit status 7 from \"halt 7\" (got %d%s)" % (
            status, {124: ": timeout", 125: ": QEMU ended without a guest "
                     "halt", 3: ": a CPU exception or arch panic"}.get(status, "")))
    return missing


PANIC_PATTERNS = [
    (r"^x86_64: PANIC: CPU exception 14: #PF page fault$",
     "the exception line with vector and name"),
    (r"^\s+error\s+0x0\s+\[read, page not present, kernel\]$",
     "the decoded error code"),
    (r"^\s+cr2\s+0x00007f0000000000\b", "CR2 = the faulting address"),
    (r"^\s+rip\s+0x[0-9a-f]{16}\s+cs\s+0x8\s+rflags\s+0x[0-9a-f]+$",
     "RIP, CS and RFLAGS"),
    (r"^\s+rsp\s+0x[0-9a-f]{16}\s+ss\s+0x10$", "RSP and SS"),
    (r"^\s+rax 0x[0-9a-f]{16}\s+rbx 0x[0-9a-f]{16}\s+rcx 0x[0-9a-f]{16}$",
     "the general registers"),
    (r"^\s+r13 0x[0-9a-f]{16}\s+r14 0x[0-9a-f]{16}\s+r15 0x[0-9a-f]{16}$",
     "r13-r15"),
]


# --fault CASE: the first line of the panic for "ktest fault-CASE"
# (arch-x86_64/fault.c words it).
FAULT_CASES = {
    "null": r"^x86_64: PANIC: null dereference: read of 0x8 at rip 0x[0-9a-f]+$",
    "stack": (r"^x86_64: PANIC: stack overflow in proc \d+ \(overflow\): write of "
              r"0x[0-9a-f]+ in the guard page below its stack, at rip 0x[0-9a-f]+$"),
    "rodata": (r"^x86_64: PANIC: write to read-only memory \(kernel read-only data\): "
               r"0x[0-9a-f]+, at rip 0x[0-9a-f]+$"),
    "nx": (r"^x86_64: PANIC: execute of non-executable memory \(kernel data\): "
           r"0x([0-9a-f]+), at rip 0x\1$"),
}


def check_fault(case, lines, status):
    missing = []
    if not any(re.search(FAULT_CASES[case], l) for l in lines):
        missing.append("the panic naming the fault (/%s/)" % FAULT_CASES[case])
    if not any(re.search(PANIC_PATTERNS[0][0], l) for l in lines):
        missing.append("the exception report after it (/%s/)" % PANIC_PATTERNS[0][0])
    if any(l.startswith("ktest fault-") for l in lines):
        missing.append("no ktest result line (the fault must end the kernel)")
    if status != 3:
        missing.append("exit status 3 from the fault (got %d)" % status)
    return missing


def check_kat(script, out, status):
    """Every expected line of the known-answer script, computed on metal."""
    missing = ["KAT " + m for m in kat.compare(script, out)]
    if status != 7:
        missing.append("exit status 7 from \"halt 7\" (got %d)" % status)
    return missing


def check_panic(lines, status):
    missing = []
    for pat, what in PANIC_PATTERNS:
        if not any(re.search(pat, l) for l in lines):
            missing.append("%s (/%s/)" % (what, pat))
    if status != 3:
        missing.append("exit status 3 from the exception (got %d)" % status)
    return missing


# --eof: (what printf is given, patterns of lines that must appear).  The
# second has no newline at the end: the runner's first ^D hands "echo
# there" over with no newline echoed, so its output follows the echo on
# the same line, as on a terminal.
EOF_CASES = [
    (r"echo hi\n", [r"^hi$"]),
    (r"echo hi\necho there", [r"^hi$", r"^lux% echo therethere$"]),
]


def run_eof(image, log, timeout, printf_arg):
    """`printf ARG | run-qemu.py --image IMAGE` in a shell; returns
    (status or None when it did not end in time, stdout, stderr, seconds)."""
    cmd = ["sh", "-c", 'printf "$0" | "$1" "$2" --image "$3" --log "$4" --timings',
           printf_arg, sys.executable, RUNNER, image, log]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        status = p.returncode
    except subprocess.TimeoutExpired:
        # SIGTERM: the runner kills its QEMU (its own session) on the way out
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
        status = None
    return status, out, err, time.monotonic() - t0


def main_eof(a, log):
    failed = False
    for i, (arg, want) in enumerate(EOF_CASES):
        root, ext = os.path.splitext(log)
        case_log = log if i == 0 else "%s-%d%s" % (root, i, ext)
        status, out, err, secs = run_eof(a.image, case_log, a.timeout, arg)
        out = out.decode(errors="replace").replace("\r", "")
        err = err.decode(errors="replace").replace("\r", "")
        lines = [l.strip() for l in out.split("\n")]
        missing = ["a line /%s/" % w for w in want
                   if not any(re.search(w, l) for l in lines)]
        if status is None:
            missing.append("the end of the run within %g s of the pipe's end "
                           "(still running: stopped)" % a.timeout)
        elif status != 0:
            missing.append("exit status 0 at end of input (got %d%s)" % (
                status, {124: ": the runner's timeout", 125: ": QEMU ended without "
                         "a guest halt"}.get(status, "")))
        name = "boot-test --eof printf '%s' | run-qemu.py %s" % (arg, os.path.basename(a.image))
        if not missing:
            timing = [l for l in err.split("\n") if "timings:" in l]
            print("%s: PASS in %.1f s%s" % (name, secs, (" (" + timing[0].split("timings: ")[1]
                                                         + ")") if timing else ""))
            continue
        failed = True
        print("%s: FAIL after %.1f s" % (name, secs))
        report_failure(missing, case_log, out.split("\n"), err)
    return 1 if failed else 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("image")
    p.add_argument("--log", help="serial log (default ./last-boot.log or "
                   "./last-panic.log)")
    p.add_argument("--timeout", type=float, default=90.0,
                   help="hard limit for the boot, in seconds (default 90)")
    p.add_argument("--panic", action="store_true",
                   help='type "fault" and check the exception report '
                   "(archtest.img)")
    p.add_argument("--stand-in", action="store_true",
                   help="the image has the stand-in core (archtest.img): "
                   "no crypto known answers to check")
    p.add_argument("--sched", action="store_true",
                   help="run the scheduler tests on metal (lux9-test.img)")
    p.add_argument("--kat", action="store_true",
                   help="type the known-answer script of tests/kat (lux9.img)")
    p.add_argument("--eof", action="store_true",
                   help="pipe 'echo hi' with no halt, as the README does, and "
                   "want exit 0 when the pipe ends (lux9.img)")
    p.add_argument("--console", action="store_true",
                   help="Ctrl-C, history and Tab on the serial line (lux9.img)")
    p.add_argument("--fault", choices=sorted(FAULT_CASES),
                   help='type "ktest fault-CASE" and check its panic (lux9-test.img)')
    p.add_argument("--kat-kinds", default=",".join(kat.KINDS),
                   help="comma-separated kinds of vectors for --kat (default: all)")
    a = p.parse_args(argv)
    log = os.path.abspath(a.log or ("last-panic.log" if a.panic
                                    else "last-boot.log"))
    os.makedirs(os.path.dirname(log), exist_ok=True)
    if a.eof:
        return main_eof(a, log)
    script = kat.script(kat.parse(), tuple(a.kat_kinds.split(","))) if a.kat else None
    typed = (b"fault\n" if a.panic else SCHED_TYPED if a.sched
             else CONSOLE_TYPED if a.console
             else b"ktest fault-%s\n" % a.fault.encode() if a.fault
             else ("\n".join(script.lines) + "\nhalt 7\n").encode() if a.kat
             else b"echo hi\ncat /dev/pci\ncat /dev/memmap\nhalt 7\n")

    default = not (a.panic or a.sched or a.kat or a.console or a.fault)
    # the default boot also has a virtio device on the bus, for /dev/pci
    extra = ["--qemu-arg=-device", "--qemu-arg=virtio-rng-pci"] if default else []
    r = subprocess.run(
        [sys.executable, RUNNER, "--image", a.image, "--timeout",
         str(a.timeout), "--log", log, "--timings"] + extra,
        input=typed, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = r.stdout.decode(errors="replace").replace("\r", "")
    err = r.stderr.decode(errors="replace").replace("\r", "")
    lines = out.split("\n")
    if a.panic:
        missing = check_panic(lines, r.returncode)
    elif a.fault:
        missing = check_fault(a.fault, lines, r.returncode)
    elif a.sched:
        missing = check_sched(lines, r.returncode)
    elif a.kat:
        missing = check_kat(script, out, r.returncode)
    elif a.console:
        missing = check_console(lines, r.returncode)
    else:
        missing = check_boot(lines, r.returncode, a.stand_in)
    timing = [l for l in err.split("\n") if "timings:" in l]
    name = "boot-test%s %s" % (" --panic" if a.panic else " --sched" if a.sched
                               else " --console" if a.console
                               else " --fault " + a.fault if a.fault
                               else " --kat (%d answers)" % len(script.expected) if a.kat else "",
                               os.path.basename(a.image))
    if not missing:
        print("%s: PASS%s" % (name, (" (" + timing[0].split("timings: ")[1]
                                     + ")") if timing else ""))
        return 0
    print("%s: FAIL" % name)
    report_failure(missing, log, lines, err)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
