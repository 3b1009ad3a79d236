#!/usr/bin/env python3
"""Keep `./lux bench`'s results, and draw their ratios over time.

usage: record.py parse LOG --out RESULT.json [--commit C]
       record.py plot RESULT.json... --out RATIOS.png

parse reads what `./lux bench` printed (LOG) and writes one JSON file:
the commit, the date, the machine, and every table the benchmarks
printed, each under the section that printed it (the last `lux: ...`
line before it), with its header, its rows and, for each row, the value
of each ratio column.  The benchmarks print their tables for people
(tests/bench/*: columns separated by two spaces or more, a header first);
this reads them back rather than having each benchmark write JSON too, so
a table a person reads and the record cannot disagree.

A table is a run of lines with at least three such columns, the first of
which (the header) has no cell that is only a number; its rows are the
following lines with as many cells.  A ratio column is one whose header
says so ("ratio", "vs", "x base", "/ ceiling"); its value is the first
number in the cell ("454.2x slower" is 454.2).

plot reads any number of those files, in date order, and draws each
ratio column of each row as a line across the runs, one panel per
section, into a PNG (matplotlib, Debian's python3-matplotlib): a ratio
that moves is a regression or a gain worth a look.  The numbers are this
machine's own; compare runs of one machine.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

CELL_SPLIT = re.compile(r"\s{2,}")
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
RATIO_HEADER = re.compile(r"ratio|\bvs\b|x base|/ ?ceiling|÷", re.I)


def cells(line):
    return [c for c in CELL_SPLIT.split(line.strip()) if c]


def is_number(cell):
    return NUMBER.fullmatch(cell.replace(",", "")) is not None


def tables(lines):
    """[{section, header, rows, ratios}] found in lines."""
    out, section, i = [], "", 0
    while i < len(lines):
        line = lines[i].rstrip("\n")
        if line.startswith("lux: "):
            section = line[5:].strip()
            i += 1
            continue
        head = cells(line)
        if len(head) < 3 or any(is_number(c) for c in head) or line.startswith(" "):
            i += 1
            continue
        rows, j = [], i + 1
        while j < len(lines):
            row = cells(lines[j])
            if len(row) != len(head) or lines[j].startswith("lux: "):
                break
            rows.append(row)
            j += 1
        if rows:
            ratio_cols = [k for k, h in enumerate(head) if k > 0 and RATIO_HEADER.search(h)]
            ratios = {}
            for row in rows:
                for k in ratio_cols:
                    m = NUMBER.search(row[k].replace(",", ""))
                    if m:
                        ratios["%s | %s" % (row[0], head[k])] = float(m.group())
            out.append({"section": section, "header": head, "rows": rows, "ratios": ratios})
            i = j
        else:
            i += 1
    return out


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return {"host": platform.node(), "kernel": platform.release(), "cpu": cpu,
            "cores": os.cpu_count()}


def commit_of(src):
    try:
        return subprocess.run(["git", "-C", src, "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def cmd_parse(a):
    with open(a.log, errors="replace") as f:
        found = tables(f.readlines())
    if not found:
        sys.exit("record.py: no table in %s: nothing recorded" % a.log)
    result = {"commit": a.commit or commit_of(os.path.dirname(os.path.abspath(__file__))),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": machine(), "tables": found}
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    n = sum(len(t["ratios"]) for t in found)
    print("record.py: %d tables, %d ratios -> %s" % (len(found), n, a.out))


def cmd_plot(a):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        # Debian's python3-matplotlib is the system interpreter's: a python3
        # earlier in PATH (pyenv, a venv) may not see it
        system = "/usr/bin/python3"
        if os.path.realpath(sys.executable) != os.path.realpath(system) and \
                os.path.exists(system) and not os.environ.get("RECORD_PY_REEXEC"):
            os.execve(system, [system] + sys.argv, dict(os.environ, RECORD_PY_REEXEC="1"))
        sys.exit("record.py: plotting needs matplotlib (Debian: python3-matplotlib; "
                 "./lux bench --plot installs it)")
    runs = []
    for path in a.results:
        with open(path) as f:
            runs.append(json.load(f))
    runs.sort(key=lambda r: r["date"])
    if not runs:
        sys.exit("record.py: no results to plot")
    # section -> series name -> [value or None per run]
    panels = {}
    for n, run in enumerate(runs):
        for t in run["tables"]:
            for name, v in t["ratios"].items():
                series = panels.setdefault(t["section"] or "(no section)", {})
                series.setdefault(name, [None] * len(runs))[n] = v
    labels = ["%s\n%s" % (r["date"][:16].replace("T", " "), r["commit"][:12]) for r in runs]
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 3.2 * len(panels)), squeeze=False)
    for ax, (section, series) in zip(axes[:, 0], sorted(panels.items())):
        for name, values in sorted(series.items()):
            xs = [i for i, v in enumerate(values) if v is not None]
            ax.plot(xs, [values[i] for i in xs], marker="o", label=name[:60])
        vals = [v for values in series.values() for v in values if v is not None and v > 0]
        if vals and max(vals) / min(vals) > 50:	# a 1000x row beside a 1.0x one
            ax.set_yscale("log")
        ax.set_title(section[:100], fontsize=9)
        ax.set_xticks(range(len(runs)))
        ax.set_xticklabels(labels, fontsize=6)
        ax.set_ylabel("ratio")
        ax.legend(fontsize=5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    fig.savefig(a.out, dpi=90)
    print("record.py: %d runs, %d panels -> %s" % (len(runs), len(panels), a.out))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("parse", help="a bench log into a JSON result")
    pp.add_argument("log")
    pp.add_argument("--out", required=True)
    pp.add_argument("--commit")
    pl = sub.add_parser("plot", help="JSON results into a PNG of their ratios")
    pl.add_argument("results", nargs="+")
    pl.add_argument("--out", required=True)
    a = p.parse_args()
    cmd_parse(a) if a.cmd == "parse" else cmd_plot(a)


if __name__ == "__main__":
    main()
