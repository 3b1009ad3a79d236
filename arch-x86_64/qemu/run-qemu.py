#!/usr/bin/env python3
"""Boot a Lux9 UEFI image in QEMU/OVMF with the kernel's console on this terminal.

One runner for the front door (./lux run --arch x86_64) and the boot tests.

The guest's serial line (COM1) is QEMU's stdio.  Everything it prints goes to
the log; what the kernel prints goes to stdout as it arrives.  Firmware
chatter before the kernel's first byte (OVMF's screen clears and "BdsDxe:
loading ..." lines) stays in the log only, unless --show-firmware.

Input: this process's stdin is forwarded to the serial line only once the
kernel's first shell prompt ("lux% ") has appeared, since OVMF would eat
earlier keystrokes; what arrives before is held and sent then.  A terminal
is put in raw mode for the session (the kernel echoes and edits lines),
its bytes are forwarded as typed, and it is restored on exit; Ctrl-] ends
the session from the keyboard.  Input that is not a terminal (a pipe, a
file) is sent one line per prompt, as a person would type it, so the
kernel's echo of the next command never lands in the middle of the
previous command's output; a line still waiting PACE_S seconds after the
last one went is sent anyway (a command may be reading the console).

End of input: when input that is not a terminal ends, the runner types
what a person at a terminal would, ^D (ASCII EOT, 0x04) at the start of a
line, paced like one more line; after a last line without a newline it
types ^D twice (the first hands the text over, as a terminal's does).  The
kernel's console takes ^D at the start of a line as end of input, the
shell halts with status 0 as luxsim's does at EOF, and the runner exits 0:
`printf 'echo hi\n' | run-qemu.py ...` ends in one boot's time.  A
terminal gets no such marker: its ^D goes through as typed and means the
same there.

9P: --listen unix!PATH gives the guest a virtio-serial port named lux9.9p
whose host end is a socket of QEMU's in a private temporary directory;
this runner is its only client, listens itself at PATH (removed at exit)
and carries every client that connects there, up to 16 at once, as one
connection to the kernel in the framed records of mux9p.py
(docs/x86_64.md, "The mux protocol").  luxsim's other options (-c, --seed, --store, tcp
listeners, ...) cannot be honoured on metal and are refused by name.

Exit status: the kernel's arch_halt(v) writes v to isa-debug-exit, QEMU exits
with (v << 1) | 1, and this runner exits with v.  Timeout (including a
firmware that never reaches the kernel, e.g. drops to the UEFI shell): 124.
Any other end of QEMU: 125.  Usage errors: 2.
"""

import argparse
import os
import re
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import termios
import time
import tty

import mux9p

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"

# The first bytes that are the kernel's, not the firmware's: the core's
# banner, or a line the x86_64 arch prints on its own before it (warnings,
# panics).
KERNEL_START = re.compile(rb"Lux9 |x86_64: ")
PROMPT = b"lux% "
# OVMF's fallback when nothing bootable was found.
UEFI_SHELL = re.compile(rb"UEFI Interactive Shell|Shell> ")
ESCAPE = b"\x1d"  # Ctrl-]
EOT = b"\x04"     # Ctrl-D: the kernel's console takes it as a terminal's
PACE_S = 5.0

EXIT_TIMEOUT = 124
EXIT_QEMU = 125


# luxsim's options that the metal kernel cannot honour, and why (so
# `./lux run --arch x86_64 -- --seed 7` says so instead of "unrecognized").
LUXSIM_ONLY = {
    "-c": "the metal shell reads the serial line; pipe the commands in",
    "--serve": "no service mode on metal yet: the shell is on the serial line",
    "-m": "use --memory SIZE (QEMU's guest RAM)",
    "--mem": "use --memory SIZE (QEMU's guest RAM)",
    "--seed": "no deterministic simulation on metal",
    "--sim": "simulation scenarios run in luxsim",
    "--seeds": "simulation scenarios run in luxsim",
    "--steps": "simulation scenarios run in luxsim",
    "--break-invariant": "simulation scenarios run in luxsim",
    "--listen-noauth": "metal has no network: only --listen unix!PATH",
    "--no-listen": "metal listens only when --listen is given",
    "--socket-group": "the runner makes the socket; set its directory's permissions",
    "--store": "no virtio-blk yet: metal boots without a drive",
    "--store-size": "no virtio-blk yet: metal boots without a drive",
    "--state-dir": "metal keeps no host state yet",
    "--9p-handshake-ms": "the metal kernel takes no command line",
    "--9p-partial-ms": "the metal kernel takes no command line",
    "--9p-report-ms": "the metal kernel takes no command line",
    "--9p-max-conns": "the metal kernel takes no command line",
    "-q": "the metal kernel takes no command line",
    "--quiet": "the metal kernel takes no command line",
    "-v": "the metal kernel takes no command line",
    "--verbose": "the metal kernel takes no command line",
    "-V": "the metal kernel takes no command line",
    "--version": "the metal kernel takes no command line",
}

# What --listen gives QEMU: the socket chardev and the port the kernel's
# virtio-serial driver looks for by name (arch-x86_64/virtio.c).
PORT_NAME = "lux9.9p"
PORT_CONNECT_S = 10.0   # QEMU makes its socket at start-up, before the guest runs


def refuse_luxsim_options(argv):
    """None, or the sentence that refuses a luxsim option."""
    for i, arg in enumerate(argv):
        if i > 0 and argv[i - 1] == "--qemu-arg":
            continue  # QEMU's own option, not luxsim's
        name = arg.split("=", 1)[0]
        if name in LUXSIM_ONLY:
            return "luxsim's %s cannot be honoured on metal: %s" % (
                name, LUXSIM_ONLY[name])
    return None


def listen_path(addr):
    """PATH of unix!PATH, or raise ValueError saying what is wrong."""
    if addr.startswith("tcp!"):
        raise ValueError("metal has no network driver: only unix!PATH "
                         "(a virtio-serial port behind QEMU's socket)")
    if not addr.startswith("unix!") or len(addr) == len("unix!"):
        raise ValueError("expected unix!PATH, got %r" % addr)
    path = addr[len("unix!"):]
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError("no directory %s for the socket" % parent)
    return os.path.abspath(path)


def is_socket(path):
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def listen_args(path):
    return ["-chardev", "socket,id=lux9p,path=%s,server=on,wait=off" % path,
            "-device", "virtio-serial-pci",
            "-device", "virtserialport,chardev=lux9p,name=" + PORT_NAME]


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="run-qemu.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__,
        epilog="Exit status: the guest's halt status v (QEMU exits "
        "(v<<1)|1 through isa-debug-exit; 0 when input that is not a "
        "terminal ends and the shell halts); 124 on timeout (also when the "
        "firmware never reaches the kernel); 125 when QEMU ends any other "
        "way.  Ctrl-] on a terminal ends the session (status 130).",
    )
    p.add_argument("--image", required=True, metavar="PATH",
                   help="raw FAT disk image with EFI/BOOT/BOOTX64.EFI")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S",
                   help="hard limit in seconds for the whole run, firmware "
                   "included; QEMU is killed after it (default 120)")
    p.add_argument("--log", metavar="FILE",
                   help="write everything the serial line prints, firmware "
                   "included, to FILE (kept).  Without it a temporary log "
                   "is kept only when the run fails")
    p.add_argument("--expect-halt", action="store_true",
                   help="the guest halts by itself: do not read stdin at "
                   "all (no forwarding, no raw mode)")
    p.add_argument("--ovmf-code", default=OVMF_CODE, metavar="F",
                   help="OVMF code flash image, read-only (default %s)"
                   % OVMF_CODE)
    p.add_argument("--ovmf-vars", default=OVMF_VARS, metavar="F",
                   help="OVMF variable store template; copied to a fresh "
                   "temporary file for every run (default %s)" % OVMF_VARS)
    p.add_argument("--timings", action="store_true",
                   help="print on stderr at exit: firmware share (start to "
                   "the kernel's first byte), kernel share (first byte to "
                   "first prompt) and total")
    p.add_argument("--show-firmware", action="store_true",
                   help="relay the firmware's serial output too, not only "
                   "the kernel's")
    p.add_argument("--qemu", default="qemu-system-x86_64", metavar="BIN",
                   help="QEMU binary (default qemu-system-x86_64)")
    p.add_argument("--memory", default="256M", metavar="SIZE",
                   help="guest RAM (default 256M)")
    p.add_argument("--qemu-arg", action="append", default=[], metavar="ARG",
                   help="extra argument passed to QEMU (repeatable)")
    p.add_argument("--listen", metavar="unix!PATH",
                   help="serve 9P on a unix socket at PATH: the runner "
                   "listens there and carries each client to the kernel "
                   "over its virtio-serial port %s (up to %d at once; the "
                   "socket is removed at exit)" % (PORT_NAME, mux9p.MUX_CONNS))
    why = refuse_luxsim_options(argv)
    if why:
        p.error(why)
    a = p.parse_args(argv)
    a.listen_path = None
    if a.listen:
        try:
            a.listen_path = listen_path(a.listen)
        except ValueError as e:
            p.error("--listen %s: %s" % (a.listen, e))
    return a


def qemu_command(a, vars_copy, port_path):
    return [
        a.qemu,
        "-machine", "q35",
        "-cpu", "max",
        "-m", a.memory,
        "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + a.ovmf_code,
        "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy,
        # snapshot: guest writes go to a throw-away overlay, so the built
        # image stays as built and several runs can share it.
        "-drive", "format=raw,snapshot=on,file=" + a.image,
        "-net", "none",
        "-display", "none",
        "-monitor", "none",
        "-parallel", "none",
        "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-no-reboot",
    ] + (listen_args(port_path) if port_path else []) + a.qemu_arg


class Run:
    def __init__(self, a):
        self.a = a
        self.t0 = time.monotonic()
        self.t_kernel = None      # first kernel byte seen
        self.t_prompt = None      # first prompt seen
        self.prompts = 0          # prompts seen so far
        self.tail = b""           # recent output, for markers split by reads
        self.held_in = b""        # stdin read, not yet sent
        self.lines_sent = 0       # paced mode: lines sent so far
        self.last_in = b""        # the last byte read from stdin
        self.t_sent = 0.0         # paced mode: when the last line went
        self.stdin_open = not a.expect_halt
        self.shell_seen = False
        # a terminal gets the serial bytes as they are; a pipe gets LF
        self.plain_newlines = not sys.stdout.isatty()
        self.held_cr = b""

    def elapsed(self):
        return time.monotonic() - self.t0

    def on_output(self, data, out):
        """Relay guest bytes; note the kernel's start and first prompt."""
        scan = self.tail + data
        relay = data
        if self.t_kernel is None:
            m = KERNEL_START.search(scan)
            if m:
                self.t_kernel = self.elapsed()
                if not self.a.show_firmware:
                    relay = scan[m.start():]
            else:
                if UEFI_SHELL.search(scan):
                    self.shell_seen = True
                if not self.a.show_firmware:
                    relay = b""
        if relay and self.plain_newlines:
            # A serial line ends lines with CR LF; a script reading our
            # stdout wants LF.  A CR at the end of a read may be the first
            # half of a pair: keep it back for the next read.
            relay = self.held_cr + relay
            self.held_cr = b""
            if relay.endswith(b"\r"):
                relay, self.held_cr = relay[:-1], b"\r"
            relay = relay.replace(b"\r\n", b"\n")
        if relay:
            out.write(relay)
            out.flush()
        if self.t_kernel is not None:
            # Count prompts that end in the new data (not in the tail,
            # where they were counted already).
            i = scan.find(PROMPT)
            while i >= 0:
                if i + len(PROMPT) > len(self.tail):
                    self.prompts += 1
                    if self.t_prompt is None:
                        self.t_prompt = self.elapsed()
                i = scan.find(PROMPT, i + 1)
        self.tail = scan[-16:]

    def got_input(self, data):
        self.held_in += data
        if data:
            self.last_in = data[-1:]

    def input_ended(self, paced):
        """Stdin is at EOF.  Input that is not a terminal (paced) ends
        the way a person ends it: ^D at the start of a line, after a ^D
        that hands over a last line without a newline."""
        self.stdin_open = False
        if paced:
            ended_line = self.last_in in (b"", b"\n", b"\r")
            self.held_in += EOT if ended_line else EOT + EOT

    def to_send(self, paced):
        """The input that may go to the guest now."""
        if not self.held_in or self.t_prompt is None:
            return b""
        if not paced:
            return self.held_in
        if self.prompts <= self.lines_sent and \
                self.elapsed() - self.t_sent < PACE_S:
            return b""
        nl = self.held_in.find(b"\n")
        if nl < 0:
            return self.held_in if not self.stdin_open else b""
        return self.held_in[:nl + 1]

    def sent(self, n, paced, whole):
        self.held_in = self.held_in[n:]
        if paced and whole:
            self.lines_sent = max(self.lines_sent + 1, self.prompts)
            self.t_sent = self.elapsed()


def main(argv):
    a = parse_args(argv)
    for path, what in ((a.image, "image"), (a.ovmf_code, "OVMF code"),
                       (a.ovmf_vars, "OVMF vars")):
        if not os.path.isfile(path):
            print("run-qemu: %s not found: %s" % (what, path), file=sys.stderr)
            return 2
    if shutil.which(a.qemu) is None:
        print("run-qemu: %s not found (apt install qemu-system-x86)" % a.qemu,
              file=sys.stderr)
        return 2

    if a.log:
        log_path, log_kept = a.log, True
    else:
        fd, log_path = tempfile.mkstemp(prefix="run-qemu-", suffix=".log")
        os.close(fd)
        log_kept = False
    log = open(log_path, "wb")
    fd, vars_copy = tempfile.mkstemp(prefix="run-qemu-", suffix=".vars.fd")
    os.close(fd)
    try:
        shutil.copyfile(a.ovmf_vars, vars_copy)
        return session(a, vars_copy, log, log_path, log_kept)
    finally:
        os.remove(vars_copy)
        if a.listen_path and is_socket(a.listen_path):
            os.remove(a.listen_path)  # the runner's socket: nobody listens now


def start_mux(sel, listen_path, port_path, qemu):
    """Connect to QEMU's socket once it exists (QEMU makes it at start-up)
    and listen at listen_path: the 9P mux (mux9p.py)."""
    until = time.monotonic() + PORT_CONNECT_S
    while True:
        try:
            return mux9p.Mux(sel, listen_path, port_path)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > until or qemu.poll() is not None:
                raise
            time.sleep(0.02)


def session(a, vars_copy, log, log_path, log_kept):
    """One QEMU run; returns the exit status.  The log is removed unless
    the user named it or the run failed."""
    print("run-qemu: booting %s under QEMU/OVMF (TCG, no KVM; OVMF takes "
          "~3 s)" % os.path.basename(a.image), file=sys.stderr, flush=True)

    run = Run(a)
    stdin_fd = sys.stdin.fileno()
    sel = selectors.DefaultSelector()
    if run.stdin_open:
        try:
            sel.register(stdin_fd, selectors.EVENT_READ, "in")
        except PermissionError:
            # A regular file or /dev/null: epoll refuses it, and it never
            # blocks anyway.  Take it all now.
            with os.fdopen(os.dup(stdin_fd), "rb") as f:
                run.got_input(f.read())
            run.stdin_open = False
    paced = not a.expect_halt and not os.isatty(stdin_fd)
    if not a.expect_halt and not run.stdin_open:
        run.input_ended(paced)
    tty_saved = None
    if run.stdin_open and os.isatty(stdin_fd):
        tty_saved = termios.tcgetattr(stdin_fd)
        # TCSANOW, not setraw's default TCSAFLUSH: keep what was typed.
        tty.setraw(stdin_fd, termios.TCSANOW)

    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)

    qemu = None
    mux = None
    port_dir = tempfile.mkdtemp(prefix="run-qemu-9p-") if a.listen_path else None
    port_path = os.path.join(port_dir, "port.sock") if port_dir else None
    qemu_err = b""
    out = sys.stdout.buffer
    status = None
    reason = None
    port_err = None
    try:
        qemu = subprocess.Popen(qemu_command(a, vars_copy, port_path),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        for f, what in ((qemu.stdout, "out"), (qemu.stderr, "err")):
            os.set_blocking(f.fileno(), False)
            sel.register(f, selectors.EVENT_READ, what)
        os.set_blocking(qemu.stdin.fileno(), False)
        if port_path:
            try:
                mux = start_mux(sel, a.listen_path, port_path, qemu)
            except OSError as e:
                reason, port_err = "port", e
        open_streams = 0 if reason else 2
        while open_streams > 0:
            left = a.timeout - run.elapsed()
            if left <= 0:
                reason = "timeout"
                break
            if run.shell_seen:
                reason = "shell"
                break
            wait = 0.05 if run.held_in and run.t_prompt else 0.5
            wait = min(wait, left)
            for key, mask in sel.select(timeout=wait):
                if isinstance(key.data, tuple):   # the 9P mux's sockets
                    key.data[1](mask)
                    continue
                if key.data == "in":
                    data = os.read(stdin_fd, 4096)
                    if not data:
                        sel.unregister(stdin_fd)
                        run.input_ended(paced)
                        continue
                    if tty_saved is not None and ESCAPE in data:
                        reason = "escape"
                        break
                    run.got_input(data)
                    continue
                try:
                    data = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    sel.unregister(key.fileobj)
                    open_streams -= 1
                    continue
                if key.data == "err":
                    qemu_err += data
                    continue
                log.write(data)
                log.flush()
                run.on_output(data, out)
            if reason:
                break
            if mux:
                mux.pump()
            chunk = run.to_send(paced)
            if chunk:
                # Non-blocking: QEMU takes input only as fast as the
                # guest's UART FIFO drains; keep the rest for later.
                try:
                    n = os.write(qemu.stdin.fileno(), chunk)
                    run.sent(n, paced, n == len(chunk))
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    run.held_in = b""
        if reason is None:
            status = qemu.wait()
    except KeyboardInterrupt:
        reason = "interrupt"
    finally:
        if tty_saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, tty_saved)
        if mux is not None:
            mux.close()
        if qemu is not None and qemu.poll() is None:
            qemu.kill()
            qemu.wait()
        if port_dir:
            shutil.rmtree(port_dir, ignore_errors=True)
        log.close()
        if run.held_cr:  # a lone CR at the very end is still output
            out.write(run.held_cr)
            out.flush()

    total = run.elapsed()
    if qemu_err:
        sys.stderr.write(qemu_err.decode(errors="replace"))
    if a.timings:
        fw = "%.2f s" % run.t_kernel if run.t_kernel is not None else "-"
        kern = ("%.2f s" % (run.t_prompt - run.t_kernel)
                if run.t_prompt is not None else "-")
        print("\r\nrun-qemu: timings: firmware+QEMU %s (start to first "
              "kernel byte), kernel %s (first byte to first prompt), total "
              "%.2f s" % (fw, kern, total), file=sys.stderr)

    def keep():
        nonlocal log_kept
        log_kept = True
        return log_path

    try:
        if reason == "timeout":
            print("\r\nrun-qemu: timeout after %g s (serial log kept at %s)"
                  % (a.timeout, keep()), file=sys.stderr)
            return EXIT_TIMEOUT
        if reason == "shell":
            print("\r\nrun-qemu: the firmware fell back to the UEFI shell: "
                  "nothing bootable in %s (serial log kept at %s)"
                  % (a.image, keep()), file=sys.stderr)
            return EXIT_TIMEOUT
        if reason == "port":
            print("\r\nrun-qemu: --listen %s: cannot serve 9P: %s (serial log kept at %s)"
                  % (a.listen, port_err, keep()), file=sys.stderr)
            return EXIT_QEMU
        if reason in ("interrupt", "escape"):
            print("\r\nrun-qemu: stopped (serial log kept at %s)" % keep(),
                  file=sys.stderr)
            return 130
        # isa-debug-exit: (v << 1) | 1.  QEMU's own start-up failures exit
        # 1 too, but then the kernel never spoke and QEMU said why.
        if status is not None and status > 0 and status & 1 and not (
                status == 1 and run.t_kernel is None and qemu_err):
            return status >> 1
        print("\r\nrun-qemu: QEMU ended without a guest halt (exit status "
              "%s; serial log kept at %s)" % (status, keep()), file=sys.stderr)
        return EXIT_QEMU
    finally:
        if not log_kept:
            os.remove(log_path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
