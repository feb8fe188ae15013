#!/usr/bin/env python3
"""Markdown tables for docs/RESULTS.md from `amps eval --json` output (no computation of its own
beyond counting and correlating what the report holds).

    amps eval -n 16 --json > eval.json
    python3 tools/results_tables.py eval.json

Prints: the comparison table (both directions), the shift-vs-error points (uniform steering as a curve
over alpha, the other methods as points), MCR against alpha_flip over probes with a defined MCR, and MCR
by the unsteered answer class.
"""

from __future__ import annotations

import json
import math
import statistics
import sys

ORDER = ["none", "instruction-vision", "instruction-text", "uniform", "l2s", "amps-rule", "amps-learned", "amps-scalar"]


def pct(v):
    return "—" if v is None else f"{100 * v:.1f} %"


def pts(v):
    return "—" if v is None else f"{100 * v:+.1f}"


def label(m):
    name = m["method"]
    if m["alpha"] is not None and name != "none":
        name += f" α = {m['alpha']:g}"
    return name


def pearson(x, y):
    if len(x) < 3:
        return None
    mx, my = statistics.fmean(x), statistics.fmean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def ranks(x):
    order = sorted(range(len(x)), key=lambda i: x[i])
    r = [0.0] * len(x)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def fmt(v, f="{:.3f}"):
    return "—" if v is None else f.format(v)


def main() -> int:
    with open(sys.argv[1]) as f:
        rep = json.load(f)
    methods = rep["methods"]
    print(f"model {rep['model']}, data {rep['data']}: {rep['conflictProbes']} conflict probes, "
          f"{rep['nonConflictProbes']} non-conflict probes, window {rep['window'][0]}-{rep['window'][-1]}, "
          f"adaptive α {rep['alpha']:g}, N {rep['samples']}\n")
    for d in ("vision", "text"):
        print(f"### Toward {d}\n")
        print("| method | vision ratio | shift | other | letter collapse | accuracy, non-conflict | error rate |")
        print("|---|---|---|---|---|---|---|")
        rows = [m for m in methods if m["direction"] in (None, d) and
                (m["method"] != "instruction-vision" or d == "vision") and (m["method"] != "instruction-text" or d == "text")]
        rows.sort(key=lambda m: (ORDER.index(m["method"]), m["alpha"] or 0))
        for m in rows:
            print(f"| {label(m)} | {pct(m['vision_ratio'])} | {pts(m['shift'])} | {pct(m['other_rate'])} | "
                  f"{pct(m['letter_collapse_rate'])} | {pct(m['accuracy_non_conflict'])} | {pct(m['error_rate'])} |")
        print()
    print("### Shift against error rate\n")
    print("| direction | method | error rate | shift |")
    print("|---|---|---|---|")
    for d in ("vision", "text"):
        for m in sorted([m for m in methods if m["direction"] == d and m["method"] not in ("instruction-vision", "instruction-text")],
                        key=lambda m: (m["method"] != "uniform", ORDER.index(m["method"]), m["alpha"] or 0)):
            print(f"| {d} | {label(m)} | {pct(m['error_rate'])} | {pts(m['shift'])} |")
    print()
    probes = rep["probes"]
    undefined = sum(p["mcr"] is None for p in probes)
    pairs = [(p["mcr"], p["alphaFlip"]) for p in probes if p["mcr"] is not None and p["alphaFlip"] is not None]
    x, y = [a for a, _ in pairs], [b for _, b in pairs]
    print("### MCR against α_flip\n")
    print(f"{len(probes)} conflict probes; MCR undefined for {undefined}; {len(pairs)} with a defined MCR and a flip "
          f"within the grid: Pearson {fmt(pearson(x, y))}, Spearman {fmt(pearson(ranks(x), ranks(y)))}. "
          f"Distinct α_flip values: {len(set(y))}.\n")
    flips_nonzero = [(a, b) for a, b in pairs if b > 0]
    if flips_nonzero:
        xa, ya = [a for a, _ in flips_nonzero], [b for _, b in flips_nonzero]
        print(f"Over the {len(flips_nonzero)} of them that needed steering (α_flip > 0): Pearson {fmt(pearson(xa, ya))}, "
              f"Spearman {fmt(pearson(ranks(xa), ranks(ya)))}.\n")
        q = sorted(xa)
        cuts = [q[int(len(q) * k / 4)] for k in range(1, 4)]
        print("| MCR quartile (α_flip > 0) | probes | median α_flip | mean α_flip |")
        print("|---|---|---|---|")
        bounds = [-math.inf] + cuts + [math.inf]
        for k in range(4):
            sel = [b for a, b in flips_nonzero if bounds[k] <= a < bounds[k + 1]]
            lo = "min" if k == 0 else f"{bounds[k]:.3f}"
            hi = "max" if k == 3 else f"{bounds[k + 1]:.3f}"
            if sel:
                print(f"| {lo} – {hi} | {len(sel)} | {statistics.median(sel):.3f} | {statistics.fmean(sel):.3f} |")
        print()
    print("### MCR by unsteered answer\n")
    print("| unsteered answer | probes | MCR defined | mean MCR | median MCR |")
    print("|---|---|---|---|---|")
    for c in ("vision", "text", "other"):
        sel = [p for p in probes if p["unsteered"] == c]
        vals = [p["mcr"] for p in sel if p["mcr"] is not None]
        if not sel:
            continue
        print(f"| {c} | {len(sel)} | {len(vals)} | {fmt(statistics.fmean(vals) if vals else None)} | "
              f"{fmt(statistics.median(vals) if vals else None)} |")
    vis = [p["mcr"] for p in probes if p["unsteered"] == "vision" and p["mcr"] is not None]
    txt = [p["mcr"] for p in probes if p["unsteered"] == "text" and p["mcr"] is not None]
    if vis and txt:
        # Mann-Whitney AUC: P(MCR of a vision-answered probe > MCR of a text-answered one), ties 1/2.
        wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in vis for b in txt)
        print(f"\nSeparation of the answer classes by MCR: AUC {wins / (len(vis) * len(txt)):.3f} "
              f"(0.5 = none; 1 = every vision-answered probe has a higher MCR than every text-answered one).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
