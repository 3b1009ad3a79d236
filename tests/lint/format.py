#!/usr/bin/env python3
"""./lux format: the kernel's C in the house style (.clang-format).

usage: tests/lint/format.py [--check] [--top DIR] [PATH...]

Formats (or, with --check, only checks) the C sources git tracks under
core, the arches, drivers, crypto and sim (or the PATHs given) with
clang-format 14, Debian bookworm's: other versions format differently,
so another version is refused rather than trusted.

clang-format cannot say one thing of the house style: a trailing comment
is set off from its code by tabs (`x = 1;<TAB>/* why */`, aligned by eye
within a block), and clang-format would make that one space.  So the file
is compared with clang-format's output line by line with the blanks
before a trailing comment ignored, and where a line differs only there
the file's own line is kept.  Everything else is clang-format's.

--check prints a unified diff of what would change (the first 200
lines), the files and line counts, and exits 1; 0 when nothing would.
"""
import argparse
import difflib
import os
import re
import subprocess
import sys

PATHS = ["core", "arch-hosted", "arch-x86_64", "drivers", "crypto", "sim"]
TRAILING = re.compile(r"(\S)[ \t]+(/\*.*|//.*)$")
VERSION = 14


def die(msg, code=2):
    print("format: " + msg, file=sys.stderr)
    sys.exit(code)


def clang_format_version():
    try:
        out = subprocess.run(["clang-format", "--version"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        die("clang-format is not installed (Debian: clang-format)")
    m = re.search(r"version (\d+)\.", out)
    if not m:
        die("cannot read clang-format's version from %r" % out.strip())
    return int(m.group(1)), out.strip()


def sources(top, paths):
    out = subprocess.run(["git", "-C", top, "ls-files", "--", *paths],
                         capture_output=True, text=True, check=True).stdout.split()
    return [p for p in out if p.endswith((".c", ".h")) and "/planted/" not in p]


def norm(line):
    return TRAILING.sub(r"\1 \2", line.rstrip("\n"))


def merged(original, formatted):
    """clang-format's lines, except where they equal the file's own but
    for the blanks before a trailing comment: there the file's."""
    a = [norm(l) for l in original]
    b = [norm(l) for l in formatted]
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        out += original[i1:i2] if op == "equal" else formatted[j1:j2]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="The style: .clang-format and docs/style.md.")
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything would change")
    ap.add_argument("--top", default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    help="the repository (default: this script's)")
    ap.add_argument("paths", nargs="*", help="files or folders (default: %s)" % " ".join(PATHS))
    args = ap.parse_args()
    major, full = clang_format_version()
    if major != VERSION:
        die("clang-format %d expected (Debian bookworm's), found: %s; versions format differently"
            % (VERSION, full))
    files = sources(args.top, args.paths or PATHS)
    if not files:
        die("no C sources under %s" % " ".join(args.paths or PATHS))
    changed, lines, shown = [], 0, 0
    for rel in files:
        path = os.path.join(args.top, rel)
        with open(path) as f:
            original = f.read().splitlines(keepends=True)
        res = subprocess.run(["clang-format", "--style=file:" + os.path.join(args.top, ".clang-format"),
                              "--assume-filename=" + path], input="".join(original),
                             capture_output=True, text=True)
        if res.returncode != 0:
            die("clang-format failed on %s: %s" % (rel, res.stderr.strip()))
        new = merged(original, res.stdout.splitlines(keepends=True))
        if new == original:
            continue
        diff = list(difflib.unified_diff(original, new, "a/" + rel, "b/" + rel))
        n = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
        changed.append((rel, n))
        lines += n
        if args.check:
            if shown < 200:
                sys.stdout.writelines(diff[:200 - shown])
                shown += len(diff)
        else:
            with open(path, "w") as f:
                f.writelines(new)
    verb = "would change" if args.check else "changed"
    for rel, n in changed:
        print("format: %s %s (%d lines)" % (verb, rel, n), file=sys.stderr)
    if args.check and changed:
        print("format: %d of %d files not in the house style (%d lines); ./lux format fixes them"
              % (len(changed), len(files), lines), file=sys.stderr)
        return 1
    print("format: %d files %s (clang-format %d)" %
          (len(files), "in the house style" if not changed else "checked, %d reformatted" % len(changed),
           major))
    return 0


if __name__ == "__main__":
    sys.exit(main())
