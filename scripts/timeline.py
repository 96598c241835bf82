#!/usr/bin/env python3
"""timeline.py: a lesson's --trace file (Chrome's Trace Event Format) as a Gantt chart.

usage: scripts/timeline.py TRACE.json [--out PREFIX] [--title TEXT] [--formats "png svg"]
                           [--check]

One row per thread (a process pool's workers get rows of their own), one bar per event,
coloured by its category (task, wait, run, ...); PREFIX.png and PREFIX.svg (or --formats)
through plots/common.gp and plots/timeline.gp (default PREFIX: TRACE without .json). --check only validates: every
event has a start and a duration, and on each thread the events nest or follow one another,
never partly overlap; problems go to stderr, exit 1. Exit 2 on bad usage or an unreadable
file. Standard library only.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(path):
    with open(path) as f:
        doc = json.load(f)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    names, spans, open_ = {}, [], {}
    end = 0.0
    for e in events:
        key = (e["pid"], e["tid"])
        ph = e.get("ph")
        if ph == "M" and e.get("name") == "thread_name":
            names[key] = e["args"]["name"]
        elif ph == "X":
            spans.append((key, float(e["ts"]), float(e["dur"]), e.get("cat", ""), e["name"]))
            end = max(end, float(e["ts"]) + float(e["dur"]))
        elif ph == "i":
            end = max(end, float(e["ts"]))
        elif ph == "B":
            open_.setdefault(key, []).append(e)
            end = max(end, float(e["ts"]))
        elif ph == "E":
            b = open_.get(key, []).pop()  # an E closes the innermost B of its thread
            spans.append((key, float(b["ts"]), float(e["ts"]) - float(b["ts"]),
                          b.get("cat", ""), b["name"]))
            end = max(end, float(e["ts"]))
    # A begin without its end never finished (a deadlock): drawn to the end of the trace.
    for key, stack in open_.items():
        for b in stack:
            spans.append((key, float(b["ts"]), end - float(b["ts"]), b.get("cat", ""),
                          b["name"] + " (never ended)"))
    return names, spans


def nesting(spans):
    """Walks each thread's events in start order, keeping the stack of those still open.
    Returns (depth, problems): how deep each span sits inside others of its thread (0: in
    none), and the events that partly overlap one (start inside it, end after it) or have
    no sane duration."""
    depth, problems, by = {}, [], {}
    eps = 0.0005  # the file's microseconds have 3 decimals
    for i, s in enumerate(spans):
        if not s[2] >= 0:
            problems.append(f"{s[4]}: duration {s[2]}")
        by.setdefault(s[0], []).append(i)
    for key, idx in by.items():
        idx.sort(key=lambda i: (spans[i][1], -spans[i][2]))
        open_ = []  # (end, name) of the enclosing events
        for i in idx:
            _, ts, dur, _, name = spans[i]
            while open_ and open_[-1][0] <= ts + eps:
                open_.pop()
            if open_ and ts + dur > open_[-1][0] + eps:
                problems.append(f"thread {key}: {name} [{ts}, {ts + dur}] partly overlaps "
                                f"{open_[-1][1]} (ends {open_[-1][0]})")
            depth[i] = len(open_)
            open_.append((ts + dur, name))
    return depth, problems


def rows(names, spans):
    """Row order: by process, then by first event; labels from the thread names."""
    first = {}
    for key, ts, *_ in spans:
        first[key] = min(first.get(key, ts), ts)
    for key in names:
        first.setdefault(key, float("inf"))
    keys = sorted(first, key=lambda k: (k[0] != min(p for p, _ in first), first[k], k))
    return keys, [names.get(k, f"pid {k[0]} thread {k[1]}") for k in keys]


def draw(trace, prefix, title, formats):
    names, spans = load(trace)
    if not spans:
        print(f"timeline.py: {trace} holds no events", file=sys.stderr)
        return 1
    keys, labels = rows(names, spans)
    row_of = {k: i for i, k in enumerate(keys)}
    # Longer kinds first: a run drawn under its tasks, not over them.
    total = {}
    for s in spans:
        n, d = total.get(s[3], (0, 0.0))
        total[s[3]] = (n + 1, d + s[2])
    cats = sorted(total, key=lambda c: -total[c][1] / total[c][0])
    t0 = min(s[1] for s in spans)
    depth, _ = nesting(spans)
    maxdepth = min(max(depth.values()), 3)
    data = tempfile.mkdtemp(prefix="timeline-")
    try:
        # One file per category and depth: the outer bars drawn first, full height, what
        # runs inside them thinner and on top (a lock held, and the wait inside it).
        series, scat, stitle, titled = [], [], [], set()
        for d in range(maxdepth + 1):
            for i, cat in enumerate(cats, 1):
                lines = [f"{row_of[key]} {(ts - t0) / 1e3:.6f} {(ts + dur - t0) / 1e3:.6f}\n"
                         for j, (key, ts, dur, c, _) in enumerate(spans)
                         if c == cat and min(depth[j], maxdepth) == d]
                if not lines:
                    continue
                with open(os.path.join(data, f"cat-{i}-{d}.dat"), "w") as f:
                    f.writelines(lines)
                series.append(f"{i}-{d}")
                scat.append(str(i))
                stitle.append("_" if i in titled else (cat or "event").replace(" ", "_"))
                titled.add(i)
        with open(os.path.join(data, "caption.txt"), "w") as f:
            f.write(f"{os.path.basename(trace)}: {len(spans)} events on {len(keys)} threads")
        ytics = ", ".join(f'"{label}" {i}' for i, label in enumerate(labels))
        for fmt in formats:
            cmd = ["gnuplot", "-e",
                   f"fmt='{fmt}'; out='{prefix}'; data='{data}'; height={max(300, 60 + 28 * len(keys))}; "
                   f"series='{' '.join(series)}'; scat='{' '.join(scat)}'; "
                   f"stitle='{' '.join(stitle)}'; nrows={len(keys)}; title='{title}'; "
                   f"ytics='{ytics}'",
                   os.path.join(ROOT, "plots", "common.gp"), os.path.join(ROOT, "plots", "timeline.gp")]
            if subprocess.run(cmd).returncode != 0:
                print(f"timeline.py: gnuplot failed ({fmt})", file=sys.stderr)
                return 1
            print(f"{prefix}.{fmt}")
    finally:
        shutil.rmtree(data)
    return 0


def main(argv):
    ap = argparse.ArgumentParser(prog="timeline.py", add_help=True)
    ap.add_argument("trace")
    ap.add_argument("--out")
    ap.add_argument("--title", default="")
    ap.add_argument("--formats", default="png svg")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    try:
        names, spans = load(a.trace)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        print(f"timeline.py: cannot read {a.trace}: {e}", file=sys.stderr)
        return 2
    if a.check:
        _, bad = nesting(spans)
        for p in bad[:20]:
            print(f"timeline.py: {p}", file=sys.stderr)
        print(f"timeline.py: {len(spans)} events, {len(set(s[0] for s in spans))} threads, "
              f"{len(bad)} problems")
        return 1 if bad else 0
    prefix = a.out or (a.trace[:-5] if a.trace.endswith(".json") else a.trace)
    title = (a.title or os.path.basename(prefix)).replace("'", "")
    formats = a.formats.split()
    if not formats or any(f not in ("png", "svg") for f in formats):
        print("timeline.py: --formats takes png, svg or both", file=sys.stderr)
        return 2
    return draw(a.trace, prefix, title, formats)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
