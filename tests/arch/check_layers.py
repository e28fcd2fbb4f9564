#!/usr/bin/env python3
"""The architecture's rules, checked on the tree and on the built objects
(README, "Architecture"):

1. Backend and library types stay in their layer: `sqlite3` appears only
   under masa/store/sqlite/, libpq (`libpq-fe.h`, `PGconn`, `PGresult`) only
   under masa/store/pg/, `microhttpd.h` only under masa/http/,
   `curl/curl.h` only under masa/client/ (tests are not checked).
2. No dependency cycle between source files: neither in the include graph
   of masa/ and common/, nor in the graph "file A calls a function that
   file B defines", read from the object files of a build with `nm`.

Usage: check_layers.py SOURCE_DIR BUILD_DIR. Prints what it checked and
every violation; exits 1 on any.
"""
import os
import re
import subprocess
import sys

SRC, BUILD = sys.argv[1], sys.argv[2]
DIRS = ("masa", "common")
RULES = [  # (pattern, the only folder where it may appear)
    (re.compile(r"sqlite3"), "masa/store/sqlite/"),
    (re.compile(r"libpq-fe\.h|\bPGconn\b|\bPGresult\b"), "masa/store/pg/"),
    (re.compile(r"microhttpd\.h"), "masa/http/"),
    (re.compile(r"curl/curl\.h"), "masa/client/"),
]


def sources():
    for d in DIRS:
        for root, _, files in os.walk(os.path.join(SRC, d)):
            for f in files:
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(root, f), SRC)


def sccs(graph):
    """Tarjan's strongly connected components with more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main():
    bad = 0
    files = sorted(sources())
    for pat, home in RULES:
        hits = [f for f in files if not f.startswith(home)
                and pat.search(open(os.path.join(SRC, f), errors="replace").read())]
        for f in hits:
            print(f"layer: {pat.pattern} in {f} (only under {home})")
        bad += len(hits)
        print(f"checked: {pat.pattern} only under {home} ({len(hits)} outside)")

    # Include graph: "x.h" resolved by basename among our headers (each
    # layer's include directory is its own folder, so basenames are unique).
    by_base = {}
    for f in files:
        if f.endswith(".h"):
            by_base.setdefault(os.path.basename(f), []).append(f)
    dup = {b: p for b, p in by_base.items() if len(p) > 1}
    for b, p in dup.items():
        print(f"include: header name {b} is not unique: {p}")
    bad += len(dup)
    inc = {}
    for f in files:
        for m in re.finditer(r'#include "([^"]+)"', open(os.path.join(SRC, f)).read()):
            base = os.path.basename(m.group(1))
            for target in by_base.get(base, []):
                if target != f and target.endswith(m.group(1)):
                    inc.setdefault(f, set()).add(target)
    cyc = sccs(inc)
    for c in cyc:
        print("include cycle: " + " <-> ".join(c))
    bad += len(cyc)
    print(f"checked: include graph of {len(files)} files, {len(cyc)} cycles")

    # Call graph from the objects of the layers' static libraries.
    objs = []
    for root, _, fs in os.walk(BUILD):
        m = re.search(r"/(masa|common)/CMakeFiles/masa_\w+\.dir/(.*)$", root + "/")
        if not m or "layercheck" in root:
            continue
        for f in fs:
            # only objects of sources that still exist (a build dir keeps old ones)
            if f.endswith(".c.o") and os.path.exists(
                    os.path.join(SRC, m.group(1), m.group(2), f[:-2])):
                objs.append(os.path.join(root, f))
    defined, undefined = {}, {}
    for o in objs:
        src = re.sub(r".*\.dir/", "", o)[:-2]  # e.g. core/issue.c
        out = subprocess.run(["nm", "--defined-only", "-g", o], capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBR":
                defined[parts[2]] = src
        out = subprocess.run(["nm", "-u", o], capture_output=True, text=True).stdout
        undefined[src] = {line.split()[-1] for line in out.splitlines() if line.strip()}
    calls = {}
    for src, syms in undefined.items():
        for s in syms:
            t = defined.get(s)
            if t is not None and t != src:
                calls.setdefault(src, set()).add(t)
    cyc = sccs(calls)
    for c in cyc:
        print("call cycle: " + " <-> ".join(c))
    bad += len(cyc)
    if not objs:
        print("no object files found under " + BUILD)
        bad += 1
    print(f"checked: call graph of {len(objs)} objects, {len(cyc)} cycles")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
