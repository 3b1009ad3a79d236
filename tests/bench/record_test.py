#!/usr/bin/env python3
"""record.py reads back what the benchmarks print, and draws it.

usage: record_test.py BENCH-CTXSWITCH BENCH-PEBBLE BENCH-AUTH

Runs three real benchmarks (--quick), under `lux:` section lines as
`./lux bench` prints them, parses the log into JSON twice (two "runs")
and plots both: every table is found with its header and rows, each
baseline row's ratio reads 1.00, and the PNG is a PNG.  Checks behaviour,
not speed: the numbers themselves are not looked at.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ctx, pebble, auth = sys.argv[1:4]
    d = tempfile.mkdtemp(prefix="record-")
    log = os.path.join(d, "bench.log")
    with open(log, "w") as f:
        for name, exe in (("context switch", ctx), ("pebbles", pebble), ("auth", auth)):
            f.write("lux: %s\n" % name)
            f.flush()
            subprocess.run([exe, "--quick"], stdout=f, stderr=subprocess.STDOUT, check=True, timeout=120)
    runs = []
    for n in range(2):
        out = os.path.join(d, "bench-%d.json" % n)
        subprocess.run([sys.executable, os.path.join(HERE, "record.py"), "parse", log, "--out", out,
                        "--commit", "test%d" % n], check=True, timeout=60)
        runs.append(out)
    r = json.load(open(runs[0]))
    assert r["commit"] == "test0" and r["machine"]["cores"] >= 1, r
    by = {t["section"]: t for t in r["tables"]}
    assert set(by) >= {"context switch", "pebbles", "auth"}, list(by)
    ctxt = by["context switch"]
    assert ctxt["header"][0] == "method" and len(ctxt["rows"]) == 3, ctxt
    assert ctxt["ratios"]["kernel (arch_ctx_switch) | ratio vs kernel"] == 1.0, ctxt["ratios"]
    assert by["pebbles"]["ratios"]["atomic add+sub (baseline) | vs baseline"] == 1.0
    assert any(k.startswith("baseline: aes256gcm") or k.startswith("baseline: chacha20")
               for k in by["auth"]["ratios"]), by["auth"]["ratios"]
    png = os.path.join(d, "ratios.png")
    subprocess.run([sys.executable, os.path.join(HERE, "record.py"), "plot"] + runs + ["--out", png],
                   check=True, timeout=120)
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n", "not a PNG"
    print("record_test: %d tables, %d ratios; plotted %s (%d bytes)" % (
        len(r["tables"]), sum(len(t["ratios"]) for t in r["tables"]), png, os.path.getsize(png)))


if __name__ == "__main__":
    main()
