#!/usr/bin/env python3
"""./lux docs: the API reference of the kernel's public headers.

usage: tests/docs/apiref.py [--out DIR] [--top DIR]

Reads every header in core/include/lux -- the interfaces between the
core's parts and with the arches -- and writes DIR/index.html (default
build/docs/api) with one page per header: the header's opening comment,
then each declaration (function, struct, union, enum, typedef, macro)
with the comment that says what it is for.

The headers keep Plan 9's plain comments, not a markup (docs/style.md):
a comment just above a declaration, or above a group of declarations
with no blank line between them, documents each of them; a comment on
the declaration's own line documents it too.  That is all this reads,
so no doc generator's syntax spreads through the headers.

Warnings are errors: a header with no opening comment, or a function
declared with no comment of its own or of its group, is named with its
file and line, and the run exits 1 having written nothing.
"""
import argparse
import html
import os
import re
import sys

FUNC = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
STRUCT = re.compile(r"^(?:typedef\s+)?(struct|union|enum)\s+(\w+)\s*\{")
TYPEDEF = re.compile(r"^typedef\b.*?\b(\w+)\s*;")
TYPEDEF_FN = re.compile(r"^typedef\b[^(]*\(\s*\*\s*(\w+)\s*\)")
DEFINE = re.compile(r"^#\s*define\s+(\w+)")


def strip_comment(text):
    body = text.strip()
    if body.startswith("/*"):
        body = body[2:]
    if body.endswith("*/"):
        body = body[:-2]
    lines = [re.sub(r"^\s*\* ?", "", l) for l in body.split("\n")]
    return "\n".join(lines).strip()


def open_comment(lines):
    """Whether lines end inside a comment (a trailing one that goes on)."""
    text = "\n".join(lines)
    return text.rfind("/*") > text.rfind("*/")


def blocks(src):
    """The header as a list of (kind, first line number, text): 'comment',
    'blank', 'code' (one declaration, possibly several lines), 'pp'
    (a preprocessor line)."""
    lines = src.split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if not s:
            out.append(("blank", i + 1, ""))
            i += 1
        elif s.startswith("/*"):
            j = i
            while "*/" not in lines[j]:
                j += 1
            out.append(("comment", i + 1, "\n".join(lines[i:j + 1])))
            i = j + 1
        elif s.startswith("#"):
            j = i
            while j + 1 < len(lines) and (lines[j].rstrip().endswith("\\") or open_comment(lines[i:j + 1])):
                j += 1
            out.append(("pp", i + 1, "\n".join(lines[i:j + 1])))
            i = j + 1
        else:
            j, depth = i, 0
            while True:
                code = re.sub(r"/\*.*?\*/", "", lines[j])
                depth += code.count("{") - code.count("}")
                if depth <= 0 and (code.rstrip().endswith(";") or code.rstrip().endswith("}")):
                    break
                j += 1
                if j >= len(lines):
                    j -= 1
                    break
            out.append(("code", i + 1, "\n".join(lines[i:j + 1])))
            i = j + 1
    return out


def name_of(kind, text):
    first = re.sub(r"/\*.*?\*/", "", text.split("\n")[0]).strip()
    if kind == "pp":
        m = DEFINE.match(first)
        return ("macro", m.group(1)) if m else (None, None)
    m = STRUCT.match(first)
    if m:
        return (m.group(1), m.group(2))
    m = TYPEDEF_FN.match(first)
    if m:
        return ("typedef", m.group(1))
    flat = " ".join(re.sub(r"/\*.*?\*/", "", text, flags=re.S).split())
    if flat.startswith("typedef"):
        m = TYPEDEF.match(flat)
        return ("typedef", m.group(1) if m else flat)
    if flat.startswith(("struct", "union", "enum")) and flat.endswith(";") and "(" not in flat:
        return (None, None)  # a forward declaration
    m = FUNC.search(flat)
    if m and flat.endswith(");") and "=" not in flat.split("(")[0]:
        return ("function", m.group(1))
    if flat.endswith(";"):
        return ("variable", flat.rstrip(";").split()[-1].lstrip("*").split("[")[0])
    return (None, None)


def document(path, rel):
    """The header's opening comment, its entries and the warnings."""
    src = open(path).read()
    bs = blocks(src)
    warnings, entries = [], []
    top = next((b for b in bs if b[0] != "blank"), None)
    intro = ""
    if top is None or top[0] != "comment":
        warnings.append("%s:1: the header has no opening comment saying what it is" % rel)
    else:
        intro = strip_comment(top[2])
    group = None  # the comment of the group we are in
    for k, (kind, line, text) in enumerate(bs):
        if top is not None and (kind, line) == top[:2]:
            continue
        if kind == "blank":
            group = None
            continue
        if kind == "comment":
            group = strip_comment(text)
            continue
        what, name = name_of(kind, text)
        if what is None or (kind == "pp" and re.match(r"LUX_\w+_H$", name or "")):
            continue
        own = re.search(r"/\*(.*?)\*/", text.split("\n")[0])
        doc = group or (strip_comment(own.group(0)) if own else "")
        if what == "function" and not doc:
            warnings.append("%s:%d: function %s has no comment (above it, or its group's)"
                            % (rel, line, name))
        entries.append((what, name, line, text, doc))
    return intro, entries, warnings


def page(rel, intro, entries):
    h = ["<!doctype html><meta charset=utf-8><title>%s</title>" % html.escape(rel),
         "<style>body{font-family:sans-serif;max-width:60em;margin:auto}pre{background:#f4f4f4;"
         "padding:.5em}.doc{white-space:pre-wrap}</style>",
         "<p><a href=index.html>all headers</a></p><h1>&lt;%s&gt;</h1>" % html.escape(rel),
         "<p class=doc>%s</p>" % html.escape(intro)]
    last = None
    for what, name, line, text, doc in entries:
        h.append("<h3 id=%s>%s <code>%s</code> <small>line %d</small></h3>"
                 % (html.escape(name), what, html.escape(name), line))
        if doc and doc != last:
            h.append("<p class=doc>%s</p>" % html.escape(doc))
        last = doc
        h.append("<pre>%s</pre>" % html.escape(text))
    return "\n".join(h) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--top", default=os.path.dirname(os.path.dirname(here)), help="the repository")
    ap.add_argument("--out", help="where to write (default: TOP/build/docs/api)")
    args = ap.parse_args()
    inc = os.path.join(args.top, "core", "include")
    out = args.out or os.path.join(args.top, "build", "docs", "api")
    headers = sorted(f for f in os.listdir(os.path.join(inc, "lux")) if f.endswith(".h"))
    docs, warnings = [], []
    for f in headers:
        rel = "lux/" + f
        intro, entries, w = document(os.path.join(inc, "lux", f), rel)
        docs.append((rel, intro, entries))
        warnings += ["core/include/" + x for x in w]
    if warnings:
        print("\n".join(warnings), file=sys.stderr)
        print("docs: %d warning(s), and warnings are errors: nothing written" % len(warnings),
              file=sys.stderr)
        return 1
    os.makedirs(out, exist_ok=True)
    index = ["<!doctype html><meta charset=utf-8><title>Lux9 kernel API</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto}</style>",
             "<h1>Lux9: the kernel's public headers</h1><ul>"]
    nent = 0
    for rel, intro, entries in docs:
        name = rel.replace("/", "_") + ".html"
        with open(os.path.join(out, name), "w") as f:
            f.write(page(rel, intro, entries))
        first = intro.split("\n\n")[0].replace("\n", " ")
        index.append("<li><a href=%s>&lt;%s&gt;</a> (%d) %s</li>"
                     % (name, html.escape(rel), len(entries), html.escape(first[:160])))
        nent += len(entries)
    index.append("</ul>")
    with open(os.path.join(out, "index.html"), "w") as f:
        f.write("\n".join(index) + "\n")
    print("docs: %d headers, %d declarations, no warnings: %s"
          % (len(docs), nent, os.path.join(out, "index.html")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
