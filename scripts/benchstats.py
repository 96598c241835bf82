#!/usr/bin/env python3
"""benchstats.py: every statistic, table and headline of `make bench`, computed once.

Python's standard library only (json, csv, statistics). It reads a results folder that
scripts/bench.sh filled and never runs a benchmark, except for the two machine probes.

    benchstats.py summarize RESULTS        the tables (*.csv), headline.csv and summary.md;
                                           prints the summary
    benchstats.py compare RESULTS REF      RESULTS' headline beside the reference run's
    benchstats.py plotdata RESULTS DATA    gnuplot's input tables into the folder DATA
    benchstats.py settle [--max S]         wait (at most S seconds) for an idle machine
    benchstats.py cpustat                  "busy_s total_s" of the machine since boot
    benchstats.py wrk FILE...              each wrk --latency report as one CSV row:
                                           rps,p50_ms,p99_ms,errors,mean_ms (exit 1:
                                           not wrk's)

HOW A FIGURE IS MADE
  Whole programs (hyperfine, "cold": a fresh process each run) are measured in rounds:
  every round runs each command of a comparison a few times, one command after another,
  and the rounds repeat, so drift and a busy spell hit every command alike. A speedup is
  then not a ratio of two medians taken minutes apart but the median of per-pair ratios:
  run i of the baseline in round r against run i of the other command in round r. Its
  spread is the interquartile range (q1..q3) of those ratios.
  In-program figures ("warm": the program times its work after a first run) pair the
  same way, per invocation.
  A distribution with two clear clusters (a VM whose idle CPU sometimes sleeps deeply) is
  reported as bimodal with both modes, not averaged into a value nobody measured.
  A step during which other programs used more than BUSY_SHARE of the machine is marked
  busy next to every figure it produced, and so is a step during which the host was slow
  (bench/probe.c, before and after the step: a fixed loop more than HOST_SLOWER times
  slower than the run's fastest probe, the CPUs giving less than HOST_CAPACITY of their
  number, or the slowest CPU alone taking more than HOST_UNEVEN times the fastest's time);
  a speedup above min(workers, cores) cannot be true and is marked too, and so are the
  speedups of a table whose serial baseline was unsteady (its runs' q1..q3 spread over
  more than BASELINE_SPREAD of their median: the same work, at two speeds).

RESULTS FOLDER (written by scripts/bench.sh; * = written here)
  machine.txt            key: value facts (nproc, cpu, compilers, load, profile, sizes)
  steps.csv              step,started,wall_s,load1,settle,foreign_share,probe_ms,capacity,
                         uneven per step (the last three may be empty, or absent in older
                         runs)
  hf/BENCH-ROUND.json    hyperfine's export of one round; commands are named MODE/WORKERS
  inprogram.txt          lesson 14's MODE lines and lesson 21's RESULT lines, each after
                         "invocation=K program=14|21 variant=-|-pinned"
  server-samples.csv     workers,rps,run (lesson 20)
  http-samples.csv       server,workers,connections,round,rps,p50_ms,p99_ms,errors,mean_ms
                         (wrk; mean_ms may be absent)
  http-servers.csv       server,workers,body_bytes: what each answered to GET /
  primitives.csv granularity.csv peers.csv   the C benchmark programs' output
  *hf-BENCH.csv *inprogram.csv *mpi.csv *server-rps.csv *http.csv *crossovers.csv *amdahl.csv
  *headline.csv *summary.md
"""

import csv
import glob
import json
import math
import os
import re
import statistics
import sys
import time

BUSY_SHARE = 0.10  # of the whole machine, used by programs other than the benchmarks
HOST_SLOWER = 1.20  # a probe's fixed loop this much slower than the run's fastest: host busy
HOST_CAPACITY = 0.90  # the CPUs, all running the loop, giving less than this share of cores
BASELINE_SPREAD = 0.20  # serial's q1..q3 wider than this share of its median: unsteady
HOST_UNEVEN = 1.15  # the slowest CPU alone this much slower than the fastest: a speedup then
#                     depends on which CPU the serial baseline ran on
CPU_INFLATION = 1.15  # peers' big batches: CPU seconds this much above serial's, same work
SAME_WORK = 1.25  # another program's serial batch this many times ours (or 1/x): other work
# Rows whose idle threads sleep: our thread pool's after at most 50 us of spinning, which
# against a batch of seconds is nothing.
SLEEPERS = ("pthreads", "thread_pool", "thread_pool_park", "process_pool", "gthreadpool")
REPRODUCED = 0.10  # a headline value within 10% of the reference's has reproduced
REPRODUCED_CROSSOVER = 1.5  # crossovers (and METG) swing more: within 1.5x
METG_LEVELS = (0.5, 0.8)  # efficiencies whose smallest task size is reported (metg)
MODE_ORDER = ["serial", "threads", "pool", "processes", "process-executor", "mpi"]
HEADLINE_WORKERS = 2  # the headline speedups are at 2 workers (the tutorials' machine)


# ---- statistics ------------------------------------------------------------------------

def quartiles(xs):
    """(q1, median, q3) of a non-empty list; q1 = q3 = the value for one sample."""
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0], xs[0], xs[0]
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


def pair_ratios(base_rounds, other_rounds):
    """base/other for run i of round r of each, over the rounds both have."""
    ratios = []
    for b, o in zip(base_rounds, other_rounds):
        ratios += [x / y for x, y in zip(b, o) if y > 0]
    return ratios


def modes(xs, min_share=0.2, min_gap=0.10, gap_to_spread=3.0):
    """Two clusters in xs, or None: [(median, share), (median, share)], lower first.

    The widest gap between sorted neighbours (on a log scale, so it is relative) that
    leaves at least min_share of the samples on each side is a split if it is wider than
    min_gap (10%) and gap_to_spread times the interquartile range of either side."""
    xs = sorted(x for x in xs if x > 0)
    n = len(xs)
    k = max(2, math.ceil(min_share * n))
    if n < 2 * k:
        return None
    logs = [math.log(x) for x in xs]
    gap, at = max((logs[i] - logs[i - 1], i) for i in range(k, n - k + 1))
    lo, hi = logs[:at], logs[at:]
    spread = max(quartiles(lo)[2] - quartiles(lo)[0], quartiles(hi)[2] - quartiles(hi)[0])
    if gap < math.log(1 + min_gap) or gap < gap_to_spread * spread:
        return None
    return [(statistics.median(xs[:at]), at / n), (statistics.median(xs[at:]), (n - at) / n)]


def describe(xs):
    """The summary of a sample: median, q1, q3, min, max, n and its modes (or None)."""
    q1, med, q3 = quartiles(xs)
    return {"median": med, "q1": q1, "q3": q3, "min": min(xs), "max": max(xs), "n": len(xs),
            "modes": modes(xs)}


def amdahl_fit(points, cores):
    """Amdahl's law S(p) = 1 / (f + (1 - f) / p) fitted to (workers, speedup) points.

    Turned over it is linear: 1/S - 1/p = f (1 - 1/p), so f is a least-squares line
    through the origin (it cannot fail the way a nonlinear fit can on noisy data). p is
    min(workers, cores); points with p = 1 carry no information, and points beyond the
    cores measure how the tasks divide among them, not f. Returns (f, standard error, n)
    or None with fewer than two usable points."""
    xy = []
    for w, s in points:
        p = min(w, cores)
        if p > 1 and w <= cores and s > 0:
            xy.append((1 - 1 / p, 1 / s - 1 / p))
    if len(xy) < 2:
        return None
    sxx = sum(x * x for x, _ in xy)
    f = sum(x * y for x, y in xy) / sxx
    resid = sum((y - f * x) ** 2 for x, y in xy)
    err = math.sqrt(resid / (len(xy) - 1) / sxx)
    return f, err, len(xy)


# ---- reading a results folder ----------------------------------------------------------

def read_csv(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([fmt_cell(row.get(h, "")) for h in header])


def fmt_cell(v):
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return v


def machine(results):
    facts = {}
    path = os.path.join(results, "machine.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                key, sep, value = line.partition(":")
                if sep:
                    facts.setdefault(key.strip(), value.strip())
    return facts


def cores_of(facts):
    try:
        return int(facts.get("nproc", "2"))
    except ValueError:
        return 2


def caption(results, facts):
    return (f"{facts.get('cpu') or 'unknown CPU'}, {facts.get('nproc', '?')} CPUs, "
            f"{facts.get('kernel', '?')}, {facts.get('compiler') or facts.get('gcc', '?')}, "
            f"load before: {facts.get('loadavg', '?')} — {os.path.basename(os.path.normpath(results))}")


def cpu_inflation(results):
    """The peers step's own signal of a slowed host, between the probes: the big sum of
    squares is the same work in every row, and handing it out costs under 2% of it, so a
    parallel row that burned CPU_INFLATION times serial's CPU seconds had slower CPUs while
    it ran (a shared core, or the host). Only rows whose idle threads sleep count: a runtime
    that spins while it waits for long (OpenMP active, oneTBB) burns CPU for that, which is
    its cost, not the host's. Returns (ratio, mechanism) for the worst
    row, or None when none is inflated (or the CPU times are missing)."""
    rows = [r for r in read_csv(os.path.join(results, "peers.csv")) if r.get("bench") == "sumsq"]
    serial = [number(r, "cpu_s") for r in rows if r["mechanism"] == "serial"]
    if not serial or not serial[0]:
        return None
    worst = None
    for r in rows:
        c = number(r, "cpu_s")
        if r["mechanism"] in SLEEPERS or (r["mechanism"].endswith("_passive")
                                          and not r["mechanism"].startswith("serial")):
            if c and not math.isnan(c) and (worst is None or c / serial[0] > worst[0]):
                worst = (c / serial[0], r["mechanism"])
    return worst if worst and worst[0] > CPU_INFLATION else None


def number(row, key):
    try:
        return float(row[key])
    except (KeyError, TypeError, ValueError):
        return None


def busy_steps(results, cores=None):
    """{step: why its figures cannot be trusted} for the steps during which other programs
    used the machine, or the host slowed it (the probe's loop slower than the run's fastest
    probe, fewer CPUs' worth of work than cores or impossibly more, or one CPU slower than
    another)."""
    rows = read_csv(os.path.join(results, "steps.csv"))
    probes = [ms for ms in (number(r, "probe_ms") for r in rows) if ms]
    fastest = min(probes) if probes else None
    busy = {}
    for row in rows:
        why = []
        share, ms, capacity, uneven = (number(row, k) for k in
                                       ("foreign_share", "probe_ms", "capacity", "uneven"))
        if share is not None and share > BUSY_SHARE:
            why.append(f"busy: others used {share:.0%} of the machine")
        if ms and fastest and ms > HOST_SLOWER * fastest:
            why.append(f"host slow: a fixed loop took {ms / fastest:.2f}× its best time")
        if capacity is not None and cores and capacity < HOST_CAPACITY * cores:
            why.append(f"host slow: the {cores} CPUs gave {capacity:.2f} CPUs' worth")
        if capacity is not None and cores and capacity > (2 - HOST_CAPACITY) * cores:
            # more work than the CPUs can do: the one-CPU loop it is measured against was
            # itself slowed, so the probe saw a machine that was not steady
            why.append(f"host unsteady: the {cores} CPUs gave {capacity:.2f} CPUs' worth")
        if uneven is not None and uneven > HOST_UNEVEN:
            why.append(f"host uneven: the slowest CPU took {uneven:.2f}× the fastest's time")
        if why:
            busy[row["step"]] = "; ".join(why)
    return busy


def unsteady(rows):
    """Why a table's speedups cannot be trusted when its baseline wandered, or None: the same
    serial work, run after run, spread (q1..q3) over more than BASELINE_SPREAD of its median.
    On an idle machine it stays within a few percent; a host that slows one virtual CPU, or
    all of them for a few seconds, shows here even when the probes around the step missed
    it (one run's serial took 61 ms on one virtual CPU and 94 ms on the other)."""
    for r in rows:
        if r["mode"] == "serial" and r["median_s"] > 0:
            spread = (r["q3_s"] - r["q1_s"]) / r["median_s"]
            if spread > BASELINE_SPREAD:
                return f"baseline unsteady: serial's runs spread over {spread:.0%} of their median"
    return None


def either(*why):
    return "; ".join(w for w in why if w) or None


def mode_key(mode):
    base = mode.replace("-pinned", "")
    rank = MODE_ORDER.index(base) if base in MODE_ORDER else len(MODE_ORDER)
    return rank, mode.endswith("-pinned"), mode


def hf_rounds(results, bench):
    """{(mode, workers): {"rounds": [[s, ...] per round], "cpu": [user+system per round]}}"""
    commands = {}
    files = glob.glob(os.path.join(results, "hf", f"{bench}-*.json"))
    for path in sorted(files, key=lambda p: int(re.sub(r".*-(\d+)\.json$", r"\1", p) or 0)):
        with open(path) as f:
            exported = json.load(f)
        for r in exported["results"]:
            mode, _, workers = r["command"].partition("/")
            c = commands.setdefault((mode, int(workers or 1)), {"rounds": [], "cpu": []})
            c["rounds"].append(r["times"])
            c["cpu"].append(r["user"] + r["system"])
    return commands


def hf_table(results, bench, cores):
    """One row per command of a hyperfine comparison, speedups from per-pair ratios."""
    commands = hf_rounds(results, bench)
    if not commands:
        return []
    base = commands.get(("serial", 1))
    rows = []
    for (mode, workers) in sorted(commands, key=lambda k: (mode_key(k[0]), k[1])):
        c = commands[(mode, workers)]
        d = describe([t for rnd in c["rounds"] for t in rnd])
        row = {"bench": bench, "mode": mode, "workers": workers, "median_s": d["median"],
               "q1_s": d["q1"], "q3_s": d["q3"], "min_s": d["min"], "max_s": d["max"],
               "runs": d["n"], "rounds": len(c["rounds"]),
               "cpu_s": statistics.median(c["cpu"]), "modes": d["modes"]}
        if base:
            r = describe(pair_ratios(base["rounds"], c["rounds"]))
            row.update(speedup=r["median"], speedup_q1=r["q1"], speedup_q3=r["q3"],
                       speedup_modes=r["modes"])
        rows.append(row)
    return rows


def parse_fields(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def inprogram_table(results):
    """Lesson 14 timed inside (warm), paired per invocation with its serial; and MPI."""
    samples = {}  # (program, mode, workers) -> {invocation: fields}
    path = os.path.join(results, "inprogram.txt")
    if not os.path.exists(path):
        return [], []
    with open(path) as lines:
        lines = lines.read().splitlines()
    for line in lines:
        f = parse_fields(line)
        variant = f.get("variant", "-").strip("-")
        if "MODE" in line:
            key = ("14", f["name"] + ("-" + variant if variant else ""), int(f["workers"]))
        elif "RESULT" in line and "ranks" in f:
            key = ("21", "mpi", int(f["ranks"]))
        else:
            continue
        samples.setdefault(key, {})[int(f["invocation"])] = f
    serial = samples.get(("14", "serial", 1), {})
    lesson14, mpi = [], []
    for key in sorted(samples, key=lambda k: (k[0], mode_key(k[1]), k[2])):
        program, mode, workers = key
        runs = samples[key]
        secs = [float(f["seconds"]) for f in runs.values()]
        d = describe(secs)
        row = {"mode": mode, "workers": workers, "median_s": d["median"], "q1_s": d["q1"],
               "q3_s": d["q3"], "min_s": d["min"], "max_s": d["max"], "samples": d["n"],
               "modes": d["modes"]}
        ratios = [float(serial[k]["seconds"]) / float(f["seconds"])
                  for k, f in runs.items() if k in serial and float(f["seconds"]) > 0]
        if ratios:
            r = describe(ratios)
            row.update(speedup=r["median"], speedup_q1=r["q1"], speedup_q3=r["q3"],
                       speedup_modes=r["modes"])
        for field, name in (("first", "first_s"), ("cpu", "cpu_s")):
            vals = [float(f[field]) for f in runs.values() if field in f and f[field] != "n/a"]
            if vals:
                row[name] = statistics.median(vals)
        pinned = {f.get("pinned") for f in runs.values()} - {None}
        if pinned:
            row["pinned"] = "yes" if pinned == {"yes"} else "no" if pinned == {"no"} else "partly"
        (mpi if program == "21" else lesson14).append(row)
    return lesson14, mpi


def server_table(results):
    rows = read_csv(os.path.join(results, "server-samples.csv"))
    by = {}
    for r in rows:
        by.setdefault(int(r["workers"]), {})[int(r["run"])] = float(r["rps"])
    out = []
    one = by.get(1)
    for w in sorted(by):
        d = describe(list(by[w].values()))
        row = {"workers": w, "median_rps": d["median"], "q1_rps": d["q1"], "q3_rps": d["q3"],
               "min_rps": d["min"], "max_rps": d["max"], "runs": d["n"]}
        if one:  # runs take turns over the worker counts: run r of each is a pair
            r = describe([by[w][k] / one[k] for k in by[w] if k in one])
            row.update(vs_one=r["median"], vs_one_q1=r["q1"], vs_one_q3=r["q3"])
        out.append(row)
    return out


# ---- HTTP servers under wrk ------------------------------------------------------------

WRK_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
HTTP_SERVERS = ("pool", "eventloop", "nginx", "python_nodelay", "python")  # table order
HTTP_TARGET_CONNS = 100  # where the best pool worker count is chosen, and most targets lie


def parse_wrk(text):
    """wrk --latency's report: {"rps", "p50_ms", "p99_ms", "errors", "mean_ms"} (errors: its
    socket errors, connect + read + write + timeout, plus the answers that were not 2xx or
    3xx; a line that is absent counts 0; mean_ms: the mean latency), or None without a
    Requests/sec line. Times come in us, ms, s (and m, h past a minute), all turned into ms.
    wrk counts a timeout only for an answer that came later than --timeout: a request that
    is never answered within the run is in none of these figures."""
    rps = re.search(r"^Requests/sec:\s*([0-9.]+)", text, re.M)
    if not rps:
        return None

    def ms(pattern):
        m = re.search(pattern + r"\s+([0-9.]+)(us|ms|s|m|h)\b", text, re.M)
        return float(m.group(1)) * WRK_UNITS_MS[m.group(2)] if m else float("nan")

    def pct(p):
        return ms(rf"^\s*{p}%")
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
    return {"rps": float(rps.group(1)), "p50_ms": pct(50), "p99_ms": pct(99), "errors": errors,
            "mean_ms": ms(r"^\s*Latency")}


def http_samples(results):
    """{(server, workers, connections): {round: {"rps", "p50_ms", "p99_ms", "errors",
    "served"}}}. served: the share of the connections that were being answered, by Little's
    law (requests/s x mean latency = requests in flight, one per connection served); the
    others waited all run long for a first answer that wrk never saw. NaN without mean_ms."""
    by = {}
    for r in read_csv(os.path.join(results, "http-samples.csv")):
        key = (r["server"], int(r["workers"]), int(r["connections"]))
        mean = number(r, "mean_ms")
        by.setdefault(key, {})[int(r["round"])] = {
            "rps": float(r["rps"]), "p50_ms": float(r["p50_ms"]), "p99_ms": float(r["p99_ms"]),
            "errors": int(r["errors"]),
            "served": float("nan") if mean is None or math.isnan(mean) else
            min(1.0, float(r["rps"]) * mean / 1e3 / key[2])}
    return by


def http_server_key(server):
    return HTTP_SERVERS.index(server) if server in HTTP_SERVERS else len(HTTP_SERVERS)


def http_table(results):
    """One row per server, workers and connections: the median of the rounds and their
    q1..q3, for requests/s, p50, p99 and the errors per run; errors_total over all runs."""
    out = []
    samples = http_samples(results)
    for key in sorted(samples, key=lambda k: (http_server_key(k[0]), k[0], k[1], k[2])):
        runs = list(samples[key].values())
        row = {"server": key[0], "workers": key[1], "connections": key[2], "rounds": len(runs),
               "errors_total": sum(x["errors"] for x in runs)}
        for field in ("rps", "p50_ms", "p99_ms", "errors"):
            q1, med, q3 = quartiles([x[field] for x in runs])
            row.update({f"median_{field}": med, f"q1_{field}": q1, f"q3_{field}": q3})
        served = [x["served"] for x in runs if not math.isnan(x["served"])]
        row["served"] = statistics.median(served) if served else float("nan")
        out.append(row)
    return out


HTTP_SERVED = 0.5  # below this share of the connections answered, the figures are of a few


def http_flag(row, busy):
    """flags(), and where most connections were never answered (Little's law): the
    requests/s and latencies are then those of the few connections that were."""
    why = [flags({}, 0, 0, busy)]
    if not math.isnan(row["served"]) and row["served"] < HTTP_SERVED:
        why.append(f"only ~{row['served'] * row['connections']:.0f} of {row['connections']} "
                   "connections answered (the rest waited unseen)")
    return "; ".join(w for w in why if w)


def best_pool_workers(rows):
    """Lesson 20's best worker count: the highest median requests/s at 100 connections
    (or, where 100 were not measured, at the most connections that were); None without
    pool rows."""
    pool = [r for r in rows if r["server"] == "pool"]
    if not pool:
        return None
    conns = {r["connections"] for r in pool}
    at = HTTP_TARGET_CONNS if HTTP_TARGET_CONNS in conns else max(conns)
    return max((r for r in pool if r["connections"] == at),
               key=lambda r: (r["median_rps"], -r["workers"]))["workers"]


def http_chosen(rows, best):
    """The rows that stand for each server: the pool at its best worker count."""
    return [r for r in rows if r["server"] != "pool" or r["workers"] == best]


# The targets, all in the same run: (numerator, denominator, connections, at least)
# for ratios of requests/s, and (server, connections) that must see no wrk error.
HTTP_RATIO_TARGETS = (("pool", "python", 100, 10.0), ("eventloop", "python", 100, 10.0),
                      ("eventloop", "nginx", 100, 0.5), ("eventloop", "nginx", 1000, 0.5))
HTTP_NO_ERRORS = (("eventloop", 1000), ("pool", 100))


def http_targets(results, best):
    """Each target with its figure: ratios of requests/s are the median (q1..q3) of
    per-round ratios, round r of one server against round r of the other (they took turns
    in that round); 'no errors' counts every run. met: True, False, or None when a side
    was not measured."""
    runs = {(s, c): x for (s, w, c), x in http_samples(results).items()
            if s != "pool" or w == best}
    out = []
    for a, b, c, need in HTTP_RATIO_TARGETS:
        ra, rb = runs.get((a, c)), runs.get((b, c))
        row = {"target": f"{a} / {b}, requests/s at {c} connections", "need": f">= {need:g}×",
               "value": None, "met": None}
        ratios = [ra[k]["rps"] / rb[k]["rps"] for k in ra if k in rb and rb[k]["rps"] > 0] \
            if ra and rb else []
        if ratios:
            q1, med, q3 = quartiles(ratios)
            row.update(value=med, q1=q1, q3=q3, met=med >= need)
        out.append(row)
    for srv, c in HTTP_NO_ERRORS:
        row = {"target": f"{srv}: wrk errors at {c} connections, all runs", "need": "0",
               "value": None, "met": None}
        if (srv, c) in runs:
            total = sum(x["errors"] for x in runs[(srv, c)].values())
            row.update(value=total, met=total == 0)
        out.append(row)
    return out


def size_where(pts, level):
    """Where a curve of (task size, speedup), largest task first, drops below level.

    It lies between the last size with speedup >= level and the first below; log(size) is
    interpolated linearly in speedup. Returns (kind, size, low, high): crossover with the
    two measured sizes around it, below_range (level held at every size measured: size is
    the smallest, an upper bound) or above_range (never reached: size is the largest)."""
    if pts[0][1] < level:
        return "above_range", pts[0][0], pts[0][0], float("nan")
    for (s1, v1), (s2, v2) in zip(pts, pts[1:]):
        if v2 < level:
            l1, l2 = math.log(s1), math.log(s2)
            return "crossover", math.exp(l1 + (v1 - level) / (v1 - v2) * (l2 - l1)), s2, s1
    return "below_range", pts[-1][0], float("nan"), pts[-1][0]


def granularity_curves(results):
    """{mechanism: [(task_ns, speedup), ...] largest first}, and the workers, from
    granularity.csv (the serial rows left out: ours, and those the peers paired with)."""
    by, workers = {}, 0
    for r in read_csv(os.path.join(results, "granularity.csv")):
        workers = max(workers, int(r["workers"]))
        if not r["mechanism"].startswith("serial"):
            by.setdefault(r["mechanism"], []).append((float(r["task_ns"]), float(r["speedup"])))
    for pts in by.values():
        pts.sort(reverse=True)
    return by, workers


def crossovers(results):
    """The task size below which each mechanism's speedup drops under 1 (granularity.csv):
    kind crossover, below_range (paid at every size measured) or above_range (never paid),
    low and high the two measured sizes around a crossover (size_where)."""
    out = []
    for mech, pts in granularity_curves(results)[0].items():
        kind, x, low, high = size_where(pts, 1.0)
        out.append({"mechanism": mech, "speedup_largest": pts[0][1],
                    "speedup_smallest": pts[-1][1], "kind": kind, "crossover_ns": x,
                    "low_ns": low, "high_ns": high})
    return out


def metg(results, cores):
    """Task Bench's minimum effective task granularity: per mechanism, the smallest task at
    which efficiency, speedup / min(workers, cores), still reaches 50% and 80%; the same
    interpolation as the crossovers. Rows: mechanism, efficiency (0.5 or 0.8), kind,
    metg_ns, low_ns, high_ns."""
    curves, workers = granularity_curves(results)
    usable = min(workers, cores) if cores else workers
    out = []
    for mech, pts in curves.items():
        for eff in METG_LEVELS:
            kind, x, low, high = size_where(pts, eff * usable)
            out.append({"mechanism": mech, "efficiency": eff, "kind": kind, "metg_ns": x,
                        "low_ns": low, "high_ns": high})
    return out


# ---- flags and formatting --------------------------------------------------------------

def fmt_s(x):
    if x is None or math.isnan(x):
        return "–"
    if x >= 1:
        return f"{x:.3g} s"
    if x >= 1e-3:
        return f"{x * 1e3:.3g} ms"
    return f"{x * 1e6:.3g} µs"


def fmt_ns(x):
    if x >= 1e6:
        return f"{x / 1e6:.3g} ms"
    if x >= 1e3:
        return f"{x / 1e3:.3g} µs"
    return f"{x:.3g} ns"


def fmt_x(x):
    return "–" if x is None else f"{x:.2f}×"


def flags(row, workers, cores, busy=None, key="speedup"):
    """The reasons a figure cannot be taken at face value, in words."""
    out = []
    value = row.get(key)
    if value is not None and workers and value > 1.05 * min(workers, cores):
        out.append(f"above {min(workers, cores)}×: impossible (a disturbed baseline)")
    if row.get(f"{key}_modes"):
        out.append("bimodal: " + " / ".join(f"{fmt_x(v)} ({share:.0%})"
                                             for v, share in row[f"{key}_modes"]))
    elif row.get("modes"):
        out.append("bimodal times: " + " / ".join(f"{fmt_s(v)} ({share:.0%})"
                                                   for v, share in row["modes"]))
    if busy:
        out.append(busy)
    return "; ".join(out)


def spread_x(row, key="speedup"):
    if row.get(key) is None:
        return "–"
    return f"{row[key + '_q1']:.2f}–{row[key + '_q3']:.2f}"


# ---- the headline ----------------------------------------------------------------------

def headline(results, t):
    """The figures a user compares with the reference: name,value,unit,low,high,flag."""
    rows = []

    def add(name, value, unit, low=None, high=None, flag=""):
        low = float("nan") if low is None else low
        high = float("nan") if high is None else high
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            rows.append({"name": name, "value": value, "unit": unit, "low": low, "high": high,
                         "flag": flag})

    for r in t["hf-sumsq"]:
        if r["workers"] == HEADLINE_WORKERS and r["mode"] in ("threads", "pool", "processes"):
            add(f"sumsq.cold.speedup.{r['mode']}", r.get("speedup"), "x", r.get("speedup_q1"),
                r.get("speedup_q3"), r.get("flag", ""))
            add(f"cpu.s.sumsq.{r['mode']}", r["cpu_s"], "s", flag=r.get("flag", ""))
        if r["mode"] == "serial":
            add("cpu.s.sumsq.serial", r["cpu_s"], "s", flag=r.get("flag", ""))
    for r in t["inprogram"]:
        if r["workers"] == HEADLINE_WORKERS and r["mode"] in ("threads", "pool", "processes"):
            add(f"sumsq.warm.speedup.{r['mode']}", r.get("speedup"), "x", r.get("speedup_q1"),
                r.get("speedup_q3"), r.get("flag", ""))
    for r in t["peers"]:
        name = r["mechanism"]
        serial = name == "serial" or name.startswith("serial_")
        table = "small" if r["bench"] == "sumsq_small" else "peers"  # the sumsq tables
        if r["bench"] in ("sumsq", "sumsq_small") and serial:
            # the task size each program's rows were paired with: the same work everywhere
            per_task = 1e3 * int(r["items"])
            add(f"task.us.{table}.{name}", float(r["median_ns"]) / per_task, "us",
                float(r["min_ns"]) / per_task, float(r["max_ns"]) / per_task, r.get("flag", ""))
        if r["bench"] == "sumsq_small" and not serial:
            add(f"small.speedup.{name}", float(r["speedup"]), "x", r.get("speedup_low"),
                r.get("speedup_high"), r.get("flag", ""))
        if r["bench"] == "dispatch":
            add(f"dispatch.ns.{name}", float(r["median_ns"]), "ns", float(r["min_ns"]),
                float(r["max_ns"]), r.get("flag", ""))
        if name == "handoff_floor":  # what every hand-off is measured against: its p50
            if r["bench"] == "latency":
                add("floor.handoff.ns", float(r["median_ns"]), "ns", float(r["min_ns"]),
                    float(r["max_ns"]), r.get("flag", ""))
            continue
        if r["bench"] in ("latency", "latency99"):
            pct = "p50" if r["bench"] == "latency" else "p99"
            add(f"latency.{pct}.ns.{name}", float(r["median_ns"]), "ns", float(r["min_ns"]),
                float(r["max_ns"]), r.get("flag", ""))
        if r["bench"] == "idle" and r.get("cpu_s") not in (None, "", "nan"):
            add(f"idle.cpu.pct.{name}", 100 * float(r["cpu_s"]) / (float(r["median_ns"]) / 1e9),
                "%", None, None, r.get("flag", ""))
        if (r["bench"] in ("sumsq", "sumsq_small") and r.get("cpu_s") not in (None, "", "nan")
                and not name.startswith("serial_")):
            add(f"cpu.s.{table}.{name}", float(r["cpu_s"]), "s", flag=r.get("flag", ""))
        one = number(r, "one_cpu")
        if r["bench"] in ("sumsq", "sumsq_small") and not serial and one is not None:
            add(f"onecpu.pct.{table}.{name}", 100 * one, "%", flag=r.get("flag", ""))
    for r in http_chosen(t["http"], t["http_best"]):
        at = f"{r['server']}.c{r['connections']}"
        add(f"http.rps.{at}", r["median_rps"], "req/s", r["q1_rps"], r["q3_rps"], r["flag"])
        add(f"http.p99.ms.{at}", r["median_p99_ms"], "ms", r["q1_p99_ms"], r["q3_p99_ms"],
            r["flag"])
        add(f"http.errors.{at}", r["median_errors"], "errors", r["q1_errors"], r["q3_errors"],
            r["flag"])
    for r in t["crossovers"]:
        if r["kind"] == "crossover":
            add(f"crossover.us.{r['mechanism']}", r["crossover_ns"] / 1e3, "us",
                r["low_ns"] / 1e3, r["high_ns"] / 1e3, r.get("flag", ""))
    for r in t["metg"]:
        if r["kind"] == "crossover":
            add(f"metg{round(r['efficiency'] * 100)}.us.{r['mechanism']}", r["metg_ns"] / 1e3,
                "us", r["low_ns"] / 1e3, r["high_ns"] / 1e3, r.get("flag", ""))
    return rows


# ---- summarize -------------------------------------------------------------------------

MERGED = ("dispatch", "latency", "latency99", "sumsq_small")  # measured in several processes


def merge_processes(rows):
    """Rows of a table measured in several processes (MERGED), one per mechanism. Where the
    threads landed, and which CPU the serial baseline ran on, hold for a whole process
    (bench/peers.c, bench/probe.c), so one process is one sample: the row gets the median of
    the processes' medians, and the range between them, which is what a rerun meets.
    dispatch: median_ns is that median, min_ns and max_ns the lowest and highest process.
    sumsq_small: speedup is the median of the processes' speedups, speedup_low and
    speedup_high the lowest and highest of them, speedup_modes their two clusters if they
    fall in two; median_ns the median of the medians, min_ns and max_ns the extremes.
    reps summed, procs how many processes, one_cpu (sumsq tables) the share of all their
    batches that ran on one CPU; other rows pass through, and each merged row
    takes the place of its mechanism's first."""
    by = {}
    for r in rows:
        if r["bench"] in MERGED:
            by.setdefault((r["bench"], r["mechanism"]), []).append(r)
    out = []
    for r in rows:
        if r["bench"] not in MERGED:
            out.append(r)
            continue
        group = by[(r["bench"], r["mechanism"])]
        if r is not group[0]:
            continue
        if len(group) == 1:
            out.append(dict(r, procs="1"))
            continue
        meds = [float(x["median_ns"]) for x in group]
        cpus = [float(x["cpu_s"]) for x in group if x.get("cpu_s") not in (None, "", "nan")]
        # on one CPU: the share of all the batches, each process weighed by its reps
        ones = [(number(x, "one_cpu"), int(x["reps"])) for x in group]
        ones = [(v, n) for v, n in ones if v is not None and not math.isnan(v)]
        m = dict(r, median_ns=f"{statistics.median(meds):.1f}",
                 reps=str(sum(int(x["reps"]) for x in group)), procs=str(len(group)),
                 cpu_s=f"{statistics.median(cpus):.6f}" if cpus else "nan",
                 one_cpu=(f"{sum(v * n for v, n in ones) / sum(n for _, n in ones):.3f}"
                          if ones else r.get("one_cpu", "")))
        if r["bench"] != "sumsq_small":
            m.update(min_ns=f"{min(meds):.1f}", max_ns=f"{max(meds):.1f}")
        else:
            speedups = [float(x["speedup"]) for x in group]
            m.update(min_ns=f"{min(float(x['min_ns']) for x in group):.0f}",
                     max_ns=f"{max(float(x['max_ns']) for x in group):.0f}",
                     speedup=f"{statistics.median(speedups):.3f}",
                     speedup_low=min(speedups), speedup_high=max(speedups),
                     speedup_modes=modes(speedups))
        out.append(m)
    return out


def program_of(mechanism):
    """The program a peers or granularity row was measured in: bench/peers' or
    bench/granularity's own process ("ours"), OpenMP's under a wait policy ("omp_passive",
    "omp_active": omp_*_POLICY and serial_omp_POLICY) or oneTBB's ("tbb": tbb_* and
    serial_tbb); bench.sh, step_granularity, omp_rows and tbb_rows."""
    m = mechanism.removeprefix("serial_")
    if m.startswith("tbb"):
        return "tbb"
    if m.startswith("omp_"):
        return "omp_" + m.rsplit("_", 1)[1]
    return "ours"


def not_same_work(rows):
    """{(bench, program): words} for each program whose serial batch of a sum-of-squares
    table took more than SAME_WORK times as long as bench/peers' own, or less than 1 /
    SAME_WORK. Each program pairs its rows with its own serial batch of the same sums, so a
    gap means its tasks were not the size ours were, and its speedups answer another
    question: where the linker happened to put the kernel's loop across a cache line, one
    program ran it twice as slowly as another (Makefile, ALIGN)."""
    ours = {r["bench"]: float(r["median_ns"]) for r in rows if r["mechanism"] == "serial"}
    out = {}
    for r in rows:
        base = ours.get(r["bench"])
        if r["mechanism"].startswith("serial_") and base:
            ratio = float(r["median_ns"]) / base
            if not 1 / SAME_WORK <= ratio <= SAME_WORK:
                out[(r["bench"], program_of(r["mechanism"]))] = (
                    f"not the same work: its serial batch took {ratio:.2f}× bench/peers' own")
    return out


def gran_not_same_work(results):
    """{program: words} for each program of granularity.csv (program_of: OpenMP's under a
    wait policy, oneTBB's) whose serial batches took, in the median over the task sizes,
    more than SAME_WORK times as long as bench/granularity's own at the same size, or less
    than 1 / SAME_WORK (not_same_work, for the peers table)."""
    rows = read_csv(os.path.join(results, "granularity.csv"))
    ours = {r["task_ns"]: float(r["median_ns"]) for r in rows if r["mechanism"] == "serial"}
    ratios = {}
    for r in rows:
        base = ours.get(r["task_ns"])
        if r["mechanism"].startswith("serial_") and base:
            ratios.setdefault(program_of(r["mechanism"]), []).append(float(r["median_ns"]) / base)
    out = {}
    for program, rs in ratios.items():
        ratio = statistics.median(rs)
        if not 1 / SAME_WORK <= ratio <= SAME_WORK:
            out[program] = (f"not the same work: its serial batches took {ratio:.2f}× "
                            "bench/granularity's own")
    return out


def peers_rows(results, busy, cores):
    rows = merge_processes(read_csv(os.path.join(results, "peers.csv")))
    other_work = not_same_work(rows)
    for r in rows:
        b = r["bench"]
        if "speedup_low" not in r and r.get("speedup_q1"):  # paired per round by peers
            r["speedup_low"], r["speedup_high"] = float(r["speedup_q1"]), float(r["speedup_q3"])
        figure = {} if not r.get("speedup") else {"speedup": float(r["speedup"]),
                                                  "speedup_modes": r.get("speedup_modes")}
        r["flag"] = flags(figure, int(r["workers"]), cores, busy.get("peers"))
        why = other_work.get((b, program_of(r["mechanism"])))
        if why:
            r["flag"] = f"{r['flag']}; {why}" if r["flag"] else why
    return rows


def tables(results):
    """Every derived table of a results folder, with flags; also written as CSV files."""
    facts = machine(results)
    cores = cores_of(facts)
    busy = busy_steps(results, cores)
    inflated = cpu_inflation(results)
    if inflated:
        why = (f"host slow: {inflated[1]} burned {inflated[0]:.2f}× serial's CPU for the same "
               "work")
        busy["peers"] = f"{busy['peers']}; {why}" if "peers" in busy else why
    t = {"facts": facts, "cores": cores, "busy": busy}
    for bench, step in (("sumsq", "sumsq"), ("sumsqmpi", "mpi"), ("sumsqpy", "python"),
                        ("downloads", "downloads"), ("portscan", "portscan")):
        rows = hf_table(results, bench, cores)
        # CPU-bound work cannot beat min(workers, cores); waiting (I/O) can use more workers
        # than cores, but no more than the workers.
        limit = cores if bench in ("sumsq", "sumsqmpi", "sumsqpy") else 10**9
        why = either(busy.get(step), unsteady(rows))
        for r in rows:
            r["flag"] = flags(r, r["workers"], limit, why)
        t["hf-" + bench] = rows
    t["inprogram"], t["mpi"] = inprogram_table(results)
    why = either(busy.get("mpi"), unsteady(t["inprogram"]))
    for r in t["inprogram"]:
        r["flag"] = flags(r, r["workers"], cores, why)
    for r in t["mpi"]:
        r["flag"] = flags(r, r["workers"], cores, busy.get("mpi"))
    t["server"] = server_table(results)
    for r in t["server"]:
        r["flag"] = flags({}, 0, cores, busy.get("server"))
    t["http"] = http_table(results)
    t["http_best"] = best_pool_workers(t["http"])
    for r in t["http"]:
        r["flag"] = http_flag(r, busy.get("http"))
        r["best"] = "yes" if r["server"] == "pool" and r["workers"] == t["http_best"] else ""
    t["http_targets"] = http_targets(results, t["http_best"])
    t["crossovers"] = crossovers(results)
    gran_workers = {int(r["workers"]) for r in read_csv(os.path.join(results, "granularity.csv"))}
    other_work = gran_not_same_work(results)

    def with_work(flag, mechanism):
        why = other_work.get(program_of(mechanism))
        return f"{flag}; {why}" if flag and why else (why or flag)
    for r in t["crossovers"]:
        best = max(r["speedup_largest"], r["speedup_smallest"])
        r["flag"] = with_work(flags({"speedup": best}, max(gran_workers, default=0), cores,
                                    busy.get("granularity")), r["mechanism"])
    t["metg"] = metg(results, cores)
    for r in t["metg"]:
        r["flag"] = with_work(flags({}, 0, cores, busy.get("granularity")), r["mechanism"])
    t["primitives"] = read_csv(os.path.join(results, "primitives.csv"))
    t["peers"] = peers_rows(results, busy, cores)
    fit = amdahl_fit([(r["workers"], r["speedup"]) for r in t["hf-sumsq"]
                      if r["mode"] == "threads" and r.get("speedup")], cores)
    t["amdahl"] = fit
    t["headline"] = headline(results, t)
    return t


def write_tables(results, t):
    hf_head = ["bench", "mode", "workers", "median_s", "q1_s", "q3_s", "min_s", "max_s", "runs",
               "rounds", "speedup", "speedup_q1", "speedup_q3", "cpu_s", "flag"]
    for key in ("hf-sumsq", "hf-sumsqmpi", "hf-sumsqpy", "hf-downloads", "hf-portscan"):
        if t[key]:
            write_csv(os.path.join(results, key + ".csv"), hf_head, t[key])
    ip_head = ["mode", "workers", "median_s", "q1_s", "q3_s", "min_s", "max_s", "samples",
               "speedup", "speedup_q1", "speedup_q3", "first_s", "cpu_s", "pinned", "flag"]
    if t["inprogram"]:
        write_csv(os.path.join(results, "inprogram.csv"), ip_head, t["inprogram"])
    if t["mpi"]:
        write_csv(os.path.join(results, "mpi.csv"), ["ranks" if h == "workers" else h
                                                      for h in ip_head],
                  [dict(r, ranks=r["workers"]) for r in t["mpi"]])
    if t["server"]:
        write_csv(os.path.join(results, "server-rps.csv"),
                  ["workers", "median_rps", "q1_rps", "q3_rps", "min_rps", "max_rps", "runs",
                   "vs_one", "vs_one_q1", "vs_one_q3", "flag"], t["server"])
    if t["http"]:
        write_csv(os.path.join(results, "http.csv"),
                  ["server", "workers", "connections"] +
                  [f"{q}_{f}" for f in ("rps", "p50_ms", "p99_ms", "errors")
                   for q in ("median", "q1", "q3")] + ["errors_total", "served", "rounds", "best", "flag"],
                  t["http"])
    if t["crossovers"]:
        write_csv(os.path.join(results, "crossovers.csv"),
                  ["mechanism", "crossover_ns", "kind", "low_ns", "high_ns", "speedup_largest",
                   "speedup_smallest", "flag"], t["crossovers"])
    if t["metg"]:
        write_csv(os.path.join(results, "metg.csv"),
                  ["mechanism", "efficiency", "metg_ns", "kind", "low_ns", "high_ns", "flag"],
                  t["metg"])
    if t["amdahl"]:
        f, err, n = t["amdahl"]
        write_csv(os.path.join(results, "amdahl.csv"), ["mode", "f", "f_err", "points"],
                  [{"mode": "threads", "f": f, "f_err": err, "points": n}])
    write_csv(os.path.join(results, "headline.csv"),
              ["name", "value", "unit", "low", "high", "flag"], t["headline"])


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def summary(results, t):
    facts, cores = t["facts"], t["cores"]
    L = [f"# Benchmark summary: {os.path.basename(os.path.normpath(results))}", "",
         f"Machine: {caption(results, facts)}  ",
         f"Profile: {facts.get('profile', '?')}.", "",
         "Medians with their interquartile range (q1–q3). A speedup is the median of per-pair",
         "ratios: the commands compared take turns in rounds, and each run of the baseline is",
         "paired with a run of the other command in the same round. **Cold** figures time a whole",
         "program from outside (hyperfine: a fresh process whose threads are not yet placed on",
         "cores); **warm** figures are timed inside the program after its first run. The flag",
         "column says why a figure cannot be taken at face value: the machine was busy (other",
         "programs ran, or the host slowed this virtual machine: a probe before and after each",
         "step times a fixed loop on one CPU and on all of them), the distribution has two",
         "modes, or the figure is impossible."]
    if t["busy"]:
        L += ["", "**Busy steps:** " + ", ".join(f"{s} ({v})" for s, v in t["busy"].items()) +
              ". Their figures are flagged."]

    L += ["", "## Headline", "",
          "The figures to compare with the reference run (headline.csv; `make bench` prints them",
          "beside the reference's at the end).", ""]
    L += md_table(["name", "value", "spread", "flag"],
                  [[h["name"], f"{h['value']:.4g} {h['unit']}",
                    "–" if math.isnan(h["low"]) else f"{h['low']:.4g}–{h['high']:.4g}", h["flag"]]
                   for h in t["headline"]])

    if t["hf-sumsq"]:
        L += ["", "## Sum of squares, lesson 14: cold (hyperfine, whole program)", "",
              "Each mode with 1 to 2 × cores workers; `-pinned`: workers pinned to distinct CPUs",
              "(`--pin`). CPU is user + system seconds per run.", ""]
        L += md_table(["mode", "workers", "median", "q1–q3", "speedup", "q1–q3", "CPU", "flag"],
                      [[r["mode"], r["workers"], fmt_s(r["median_s"]),
                        f"{fmt_s(r['q1_s'])}–{fmt_s(r['q3_s'])}", fmt_x(r.get("speedup")),
                        spread_x(r), fmt_s(r["cpu_s"]), r["flag"]] for r in t["hf-sumsq"]])
        if t["amdahl"]:
            f, err, n = t["amdahl"]
            L += ["", f"Amdahl's law fitted to the threads mode ({n} points up to the cores): "
                      f"serial fraction f = {f:.3f} ± {err:.3f} (amdahl.csv)."]

    if t["inprogram"]:
        L += ["", "## Sum of squares, lesson 14: warm (timed inside, after a first run)", "",
              "Each invocation times every run of its mode and reports the median; the figure is",
              "the median over invocations, paired per invocation with serial. `first run` is the",
              "median of the invocations' first runs: the cold start a whole-program timing pays.",
              ""]
        L += md_table(["mode", "workers", "median", "first run", "speedup", "q1–q3", "CPU",
                       "pinned", "flag"],
                      [[r["mode"], r["workers"], fmt_s(r["median_s"]), fmt_s(r.get("first_s")),
                        fmt_x(r.get("speedup")), spread_x(r), fmt_s(r.get("cpu_s")),
                        r.get("pinned", "–"), r["flag"]] for r in t["inprogram"]])
    if t["mpi"]:
        L += ["", "## MPI ranks (lesson 21), timed inside", "",
              "From a common start to the slowest rank (MPI_Wtime); speedup against lesson 14's",
              "warm serial of the same invocation round. `mpirun`'s start-up is not in these",
              "figures; the whole program, start-up included, is in the next table.", ""]
        L += md_table(["ranks", "median", "speedup", "q1–q3", "flag"],
                      [[r["workers"], fmt_s(r["median_s"]), fmt_x(r.get("speedup")),
                        spread_x(r), r["flag"]] for r in t["mpi"]])
    elif t["inprogram"]:
        L += ["", "No MPI figures: OpenMPI or lesson 21 was missing (scripts/install-deps.sh mpi;"
                  " make mpi)."]
    if t["hf-sumsqmpi"]:
        L += ["", "## MPI, whole program under mpirun (hyperfine)", ""]
        L += md_table(["ranks", "median", "speedup vs serial", "q1–q3", "flag"],
                      [[r["workers"], fmt_s(r["median_s"]), fmt_x(r.get("speedup")),
                        spread_x(r), r["flag"]] for r in t["hf-sumsqmpi"] if r["mode"] == "mpi"])

    if t["hf-sumsqpy"]:
        c = {r["mode"]: r for r in t["hf-sumsq"]
             if r["workers"] in (1, cores) and (r["mode"] == "serial" or r["workers"] == cores)}
        count_py = facts.get("python_count", "?")
        count_c = facts.get("sumsq_count", "?")
        L += ["", "## C against Python, the same kind of work (workers = cores)", "",
              f"Python's threads share one interpreter lock, so only its processes can use the",
              f"cores. C figures are the cold table's ({count_c} numbers); Python's run "
              f"{count_py} numbers, so compare the time per number and each one's speedup.", ""]
        rows = []
        for r in t["hf-sumsqpy"]:
            rows.append(["Python", r["mode"], fmt_s(r["median_s"]),
                         per_number(r["median_s"], count_py), fmt_x(r.get("speedup")),
                         r["flag"]])
        for mode in ("serial", "threads", "pool", "processes"):
            if mode in c:
                r = c[mode]
                rows.append(["C", mode, fmt_s(r["median_s"]), per_number(r["median_s"], count_c),
                             fmt_x(r.get("speedup")), r["flag"]])
        L += md_table(["language", "mode", "median", "per number", "speedup", "flag"], rows)

    for key, title in (("hf-downloads", "Simulated downloads, lesson 13 (hyperfine, whole program)"),
                       ("hf-portscan", "Port scan on 127.0.0.1, lesson 12 (hyperfine, whole program)")):
        if t[key]:
            L += ["", f"## {title}", "", "I/O-bound: the concurrency can exceed the cores.", ""]
            L += md_table(["mode", "workers", "median", "q1–q3", "speedup", "q1–q3", "flag"],
                          [[r["mode"], r["workers"], fmt_s(r["median_s"]),
                            f"{fmt_s(r['q1_s'])}–{fmt_s(r['q3_s'])}", fmt_x(r.get("speedup")),
                            spread_x(r), r["flag"]] for r in t[key]])

    if t["server"]:
        L += ["", "## Server, lesson 20: requests per second against pool workers", "",
              f"{facts.get('server_clients', '?')} clients at once, "
              f"{facts.get('server_requests', '?')} requests each; the runs take turns over the",
              "worker counts, and each is paired with the 1-worker run of its turn. More workers",
              "than cores can still add throughput: a worker mostly waits for its client.", ""]
        L += md_table(["workers", "requests/s", "q1–q3", "vs 1 worker", "q1–q3", "flag"],
                      [[r["workers"], f"{r['median_rps']:.0f}",
                        f"{r['q1_rps']:.0f}–{r['q3_rps']:.0f}", fmt_x(r.get("vs_one")),
                        spread_x(r, "vs_one"), r["flag"]] for r in t["server"]])

    L += http_summary(results, t)

    if t["crossovers"]:
        L += ["", "## Granularity: the task size below which concurrency stops paying", "",
              "Speedup over serial of the same batch; the crossover is interpolated between the",
              "two measured sizes around it (full table: granularity.csv).", ""]
        L += ["METG 50% and 80% (Task Bench's minimum effective task granularity): the smallest",
              "task at which the speedup is still that share of min(workers, cores).", ""]
        rows = []

        def size(kind, x):
            return {"crossover": fmt_ns(x), "below_range": f"< {fmt_ns(x)}",
                    "above_range": f"> {fmt_ns(x)}"}[kind]
        for r in t["crossovers"]:
            c = size(r["kind"], r["crossover_ns"])
            c += {"crossover": "", "below_range": " (paid at every size)",
                  "above_range": " (never paid)"}[r["kind"]]
            m = {e["efficiency"]: size(e["kind"], e["metg_ns"]) for e in t["metg"]
                 if e["mechanism"] == r["mechanism"]}
            rows.append([r["mechanism"], c, m.get(0.5, "–"), m.get(0.8, "–"),
                         fmt_x(r["speedup_largest"]), fmt_x(r["speedup_smallest"]), r["flag"]])
        L += md_table(["mechanism", "crossover", "METG 50%", "METG 80%",
                       "speedup at the largest task", "at the smallest", "flag"], rows)

    if t["primitives"]:
        L += ["", "## Primitive costs, ns per operation", "",
              "With threads > 1 all threads use one object; the figure is wall time over all their",
              "operations.", ""]
        L += md_table(["primitive", "threads", "median", "min–max"],
                      [[r["primitive"], r["threads"], f"{float(r['median_ns']):.1f} ns",
                        f"{float(r['min_ns']):.1f}–{float(r['max_ns']):.1f} ns"]
                       for r in t["primitives"]])
        L += contention(t["primitives"])

    if t["peers"]:
        L += ["", "## Peers: our pools, GLib and OpenMP on the same work, same run", "",
              "Timed inside bench/peers: the mechanisms take turns, one batch each per round, and",
              "a speedup is the median of per-round ratios against serial. Big tasks: q1–q3 of",
              "those ratios beside it. Small tasks, measured in several processes (where the",
              "threads landed holds for a process): the median of the processes' speedups, and",
              "the lowest and highest of them beside it. serial_omp_passive, serial_omp_active",
              "and serial_tbb are the serial batches OpenMP's and oneTBB's rows were paired with,",
              "in processes of their own: the same sums, so their times should match serial's",
              "(flagged when not). On one CPU: the share of the batches whose every task ran on",
              "the same CPU (as each task saw it; Linux only): such a batch takes about as long",
              "as serial, whatever the mechanism.", ""]
        for bench, title in (("sumsq", "sum of squares"),
                             ("sumsq_small", "small tasks (20 near 50,000)")):
            rows = [r for r in t["peers"] if r["bench"] == bench]
            if rows:
                procs = max(int(r.get("procs", "1")) for r in rows)
                spread = "q1–q3" if procs == 1 else f"{procs} processes"
                L += md_table([title, "workers", "median", "min–max", "speedup", spread, "CPU",
                               "on one CPU", "flag"],
                              [[r["mechanism"], r["workers"], fmt_s(float(r["median_ns"]) / 1e9),
                                f"{fmt_s(float(r['min_ns']) / 1e9)}–{fmt_s(float(r['max_ns']) / 1e9)}",
                                fmt_x(float(r["speedup"])), peers_spread(r), cpu_cell(r),
                                one_cpu_cell(r), r["flag"]] for r in rows])
                L += [""]
        p99 = {r["mechanism"]: r for r in t["peers"] if r["bench"] == "latency99"}
        rows = [r for r in t["peers"] if r["bench"] == "latency"]
        floor = [float(r["median_ns"]) for r in rows if r["mechanism"] == "handoff_floor"]
        if rows:
            L += ["Submit to start: one task at a time on idle workers, each waited for; per",
                  "process the p50 and p99 of each round, then the median over rounds and processes"
                  + (f". The hand-off floor (two spinning threads, one way): {fmt_ns(floor[0])}."
                     if floor else "."), ""]
            L += md_table(["submit to start", "p50", "between processes", "p99", "flag"],
                          [[r["mechanism"], fmt_ns(float(r["median_ns"])),
                            f"{fmt_ns(float(r['min_ns']))}–{fmt_ns(float(r['max_ns']))}",
                            fmt_ns(float(p99[r["mechanism"]]["median_ns"]))
                            if r["mechanism"] in p99 else "–", r["flag"]] for r in rows])
            L += [""]
        rows = [r for r in t["peers"] if r["bench"] == "idle"]
        if rows:
            L += md_table(["idle pool", "the second after a batch", "CPU", "share of a CPU",
                           "flag"],
                          [[r["mechanism"], fmt_s(float(r["median_ns"]) / 1e9), cpu_cell(r),
                            f"{100 * float(r['cpu_s']) / (float(r['median_ns']) / 1e9):.3f}%"
                            if r.get("cpu_s") not in (None, "", "nan") else "–", r["flag"]]
                           for r in rows])
            L += [""]
        rows = [r for r in t["peers"] if r["bench"] == "dispatch"]
        if rows:
            L += md_table(["dispatch, one empty task", "tasks", "processes", "median",
                           "between processes", "flag"],
                          [[r["mechanism"], r["items"], r.get("procs", "1"),
                            fmt_ns(float(r["median_ns"])),
                            f"{fmt_ns(float(r['min_ns']))}–{fmt_ns(float(r['max_ns']))}",
                            r["flag"]] for r in rows])
    L += machine_during(results, t)
    return "\n".join(L).rstrip() + "\n"


def http_summary(results, t):
    """The HTTP section: every server under wrk, and the targets."""
    if not t["http"]:
        return []
    facts, best = t["facts"], t["http_best"]
    bodies = {(r["server"], r["workers"]): r["body_bytes"]
              for r in read_csv(os.path.join(results, "http-servers.csv"))}
    sizes = sorted({b for b in bodies.values()})
    names = {"pool": "lesson 20 (pool)", "eventloop": "event-loop lesson",
             "python": "Python ThreadingHTTPServer", "python_nodelay": "Python, TCP_NODELAY",
             "nginx": "nginx, 1 worker"}
    L = ["", "## HTTP servers under wrk: requests/s, latency and errors against connections", "",
         f"wrk (`-t {t['cores']} --latency --timeout 5s`, {facts.get('http_seconds', '?')} s a run) "
         f"from each number of keep-alive connections to a server on 127.0.0.1, "
         f"{facts.get('http_rounds', '?')} round(s): in each, per connection count, every server",
         "takes its turn. **wrk runs on the same cores as the server** and takes its share of",
         "them, so these are figures of this machine, client included, not of the servers alone.",
         "Medians over the rounds, q1–q3 beside them; errors are wrk's socket errors (connect,",
         "read, write, timeout) plus answers that were not 2xx or 3xx, summed over all runs.",
         f"Every server answers GET / with a page of {' or '.join(sizes) or '?'} bytes "
         "(http-servers.csv). Lesson 20 runs with `--max-hold 0.1` (a worker serves one "
         "connection at a time; the others wait their turn) and its log in /dev/null; nginx "
         "has one worker and no access log; Python is http.server's ThreadingHTTPServer "
         "(bench/python/http_server.py), as shipped and with TCP_NODELAY."]
    if best is not None:
        pool_w = sorted({r["workers"] for r in t["http"] if r["server"] == "pool"})
        conns = {r["connections"] for r in t["http"] if r["server"] == "pool"}
        at = HTTP_TARGET_CONNS if HTTP_TARGET_CONNS in conns else max(conns)
        L += ["", f"Lesson 20 ran with {', '.join(map(str, pool_w))} workers; the best, by median "
                  f"requests/s at {at} connections, is **{best}**: it is `pool` in the "
                  "headline, the targets and the plot."]
    L += ["", "`answered`: the share of the connections being answered, by Little's law "
              "(requests/s × mean latency = requests in flight). wrk's latencies and timeouts "
              "are those of answers that came: a connection still waiting for its first answer "
              "when the run ends is in no figure but this one. Lesson 20's p99 is long by design: "
              "a worker keeps a connection for at most --max-hold, answers the request after it "
              "with `Connection: close`, and takes the next waiting connection; wrk reconnects, "
              "and that connection waits its turn behind the others.", ""]
    L += md_table(["server", "workers", "connections", "requests/s", "q1–q3", "p50", "p99",
                   "q1–q3", "errors", "answered", "flag"],
                  [[names.get(r["server"], r["server"]) + (" (best)" if r.get("best") else ""),
                    r["workers"] or "–", r["connections"], f"{r['median_rps']:.0f}",
                    f"{r['q1_rps']:.0f}–{r['q3_rps']:.0f}", f"{r['median_p50_ms']:.3g} ms",
                    f"{r['median_p99_ms']:.3g} ms",
                    f"{r['q1_p99_ms']:.3g}–{r['q3_p99_ms']:.3g} ms", r["errors_total"],
                    "–" if math.isnan(r["served"]) else f"{r['served']:.0%}",
                    r["flag"]] for r in t["http"]])
    L += ["", "The issue's targets, in this run (a ratio is the median of per-round ratios, q1–q3"
              " beside it; – : a side was not measured):", ""]

    def value(x):
        if x["value"] is None:
            return "–"
        if isinstance(x["value"], int):
            return str(x["value"])
        return f"{x['value']:.2f}× ({x['q1']:.2f}–{x['q3']:.2f})"
    L += md_table(["target", "this run", "needed", "met"],
                  [[x["target"], value(x), x["need"],
                    "–" if x["met"] is None else "yes" if x["met"] else "**no**"]
                   for x in t["http_targets"]])
    return L


def machine_during(results, t):
    """The steps table: the machine's state while each step ran, probes included."""
    rows = read_csv(os.path.join(results, "steps.csv"))
    if not rows:
        return []
    L = ["", "## The machine during the run", "",
         "Per step: the load when it began, the share of the machine other programs used while",
         "it ran, and the worse of two probes (bench/probe.c, before and after): a fixed loop's",
         f"time on one CPU, how many CPUs' worth of that loop the {t['cores']} CPUs gave at once,",
         "and the slowest CPU's time alone over the fastest's, each pinned. A virtual machine's",
         "host can halve any of them with nothing else to show it.", ""]

    def cell(r, key, fmt):
        v = number(r, key)
        return "–" if v is None else fmt.format(v)
    L += md_table(["step", "seconds", "load", "others' share", "probe loop", "CPUs' worth",
                   "uneven", "flag"],
                  [[r["step"], cell(r, "wall_s", "{:.1f}"), cell(r, "load1", "{:.2f}"),
                    cell(r, "foreign_share", "{:.1%}"), cell(r, "probe_ms", "{:.2f} ms"),
                    cell(r, "capacity", "{:.2f}"), cell(r, "uneven", "{:.2f}×"),
                    t["busy"].get(r["step"], "")]
                   for r in rows])
    return L


def peers_spread(r):
    if "speedup_low" not in r:
        return "–"
    return f"{r['speedup_low']:.2f}–{r['speedup_high']:.2f}"


def cpu_cell(r):
    v = r.get("cpu_s")
    return fmt_s(float(v)) if v not in (None, "", "nan") else "–"


def one_cpu_cell(r):
    v = number(r, "one_cpu")
    return f"{v:.0%}" if v is not None and not math.isnan(v) else "–"


def per_number(seconds, count):
    try:
        return fmt_s(seconds / int(count))
    except (ValueError, ZeroDivisionError):
        return "–"


def contention(prims):
    v, most = {}, {}
    for r in prims:
        p, n = r["primitive"], int(r["threads"])
        v[(p, n)] = float(r["median_ns"])
        most[p] = max(most.get(p, 0), n)
    ops = [p for p in ("mutex", "rwlock_read", "atomic_add", "cas_add", "tls_add", "tls_key_add")
           if most.get(p, 0) > 1 and (p, 1) in v]
    L = []
    if ops:
        L += ["", "Contention (lessons 03, 08, 17, 18, 19): one operation by 1 thread and by several",
              "on one object, ns per operation as above. A ratio of 1/threads means they ran fully",
              "side by side (nothing shared: tls_*), 1× that they took turns, above 1× that taking",
              "turns cost extra: the cache line travelling between cores, and for cas_add retries.",
              ""]
        L += md_table(["operation", "1 thread", "threads", "all threads", "ratio"],
                      [[p, f"{v[(p, 1)]:.1f} ns", most[p], f"{v[(p, most[p])]:.1f} ns",
                        fmt_x(v[(p, most[p])] / v[(p, 1)])] for p in ops])
    last = max((n for (p, n) in v if p == "barrier_wait"), default=0)
    if last:
        L += ["", f"One barrier phase (lesson 16): {v[('barrier_wait', last)] / 1e3:.3g} µs for "
                  f"{last} threads to pass pthread_barrier_wait."]
    return L


# ---- compare ---------------------------------------------------------------------------

def compare(results, reference):
    here = {r["name"]: r for r in read_csv(os.path.join(results, "headline.csv"))}
    ref = {r["name"]: r for r in read_csv(os.path.join(reference, "headline.csv"))}
    if not here:
        return f"No headline.csv in {results}.\n", False
    L = [f"## This run against the reference ({os.path.basename(os.path.normpath(reference))})",
         "", "A value reproduced if it is within 10% of the reference's (crossovers, METG and "
         "HTTP p99 latencies: within 1.5×).",
         "The reference ran on another machine, perhaps: see its machine.txt.", ""]
    rows, same, total = [], 0, 0
    for name, h in here.items():
        r = ref.get(name)
        value = float(h["value"])
        if not r:
            rows.append([name, f"{value:.4g} {h['unit']}", "–", "–", "new"])
            continue
        rv = float(r["value"])
        # a count that was 0 and is 0 (http.errors.*) has reproduced
        ratio = value / rv if rv else 1.0 if value == 0 else float("inf")
        # A p99 of a run of a few seconds rests on its slowest 1% of requests: a handful of
        # scheduler hiccups moves it by tens of percent on an idle machine, so it gets the
        # crossovers' looser bound rather than 10%.
        swings = name.startswith(("crossover.", "metg", "http.p99."))
        limit = REPRODUCED_CROSSOVER if swings else 1 + REPRODUCED
        ok = 1 / limit <= ratio <= limit
        total += 1
        same += ok
        word = "reproduced" if ok else "differs"
        if h.get("flag"):
            word += f" ({h['flag']})"
        rows.append([name, f"{value:.4g} {h['unit']}", f"{rv:.4g} {r['unit']}", f"{ratio:.2f}",
                     word])
    L += md_table(["name", "this run", "reference", "ratio", "verdict"], rows)
    L += ["", f"{same} of {total} headline figures reproduced the reference."]
    return "\n".join(L) + "\n", same == total


# ---- plot data -------------------------------------------------------------------------

def plotdata(results, data):
    """Small whitespace-separated tables for plots/*.gp, and the facts they need."""
    t = tables(results)
    os.makedirs(data, exist_ok=True)
    facts = t["facts"]

    def write(name, lines):
        with open(os.path.join(data, name), "w") as f:
            f.writelines(line + "\n" for line in lines)

    write("caption.txt", [caption(results, facts)])
    var = {"cores": t["cores"], "height": 600}
    # hf-BENCH-MODE.dat: workers median q1 q3 speedup speedup_q1 speedup_q3
    for key in ("hf-sumsq", "hf-sumsqmpi", "hf-downloads", "hf-portscan"):
        bench = key[3:]
        by = {}
        for r in t[key]:
            by.setdefault(r["mode"], []).append(r)
        for mode, rows in by.items():
            write(f"hf-{bench}-{mode}.dat",
                  [f"{r['workers']} {r['median_s']} {r['q1_s']} {r['q3_s']} "
                   f"{r.get('speedup', 'NaN')} {r.get('speedup_q1', 'NaN')} "
                   f"{r.get('speedup_q3', 'NaN')}" for r in sorted(rows, key=lambda r: r["workers"])])
        modes_ = [m for m in sorted(by, key=mode_key) if m not in ("serial", "mpi")]
        var[f"modes_{bench}"] = " ".join(modes_)
        var[f"serial_{bench}"] = by["serial"][0]["median_s"] if "serial" in by else "NaN"
    if t["amdahl"]:
        var["fit_f"], var["fit_err"] = t["amdahl"][0], t["amdahl"][1]
    # in-program: ip-MODE.dat workers median q1 q3 speedup speedup_q1 speedup_q3
    ip = {}
    for r in t["inprogram"] + [dict(r, mode="mpi") for r in t["mpi"]]:
        ip.setdefault(r["mode"], []).append(r)
    for mode, rows in ip.items():
        write(f"ip-{mode}.dat", [f"{r['workers']} {r['median_s']} {r['q1_s']} {r['q3_s']} "
                                 f"{r.get('speedup', 'NaN')} {r.get('speedup_q1', 'NaN')} "
                                 f"{r.get('speedup_q3', 'NaN')}" for r in rows])
    var["serial_ip"] = ip["serial"][0]["median_s"] if "serial" in ip else "NaN"
    var["ipmodes"] = " ".join(m for m in sorted(ip, key=mode_key)
                              if m not in ("serial", "mpi"))
    var["havempi"] = int("mpi" in ip)
    whole = [r for r in t["hf-sumsqmpi"] if r["mode"] == "mpi" and r.get("speedup")]
    write("ip-whole.dat", [f"{r['workers']} {r['speedup']}" for r in whole])
    var["havewhole"] = int(bool(whole))
    # granularity: gran-MECH.dat task_ns speedup median min max; crossover.dat
    gran = {}
    for r in read_csv(os.path.join(results, "granularity.csv")):
        if not r["mechanism"].startswith("serial"):
            gran.setdefault(r["mechanism"], []).append(r)
            var["gworkers"] = int(r["workers"])
    for mech, rows in gran.items():
        write(f"gran-{mech}.dat", [f"{r['task_ns']} {r['speedup']} {r['median_ns']} "
                                   f"{r['min_ns']} {r['max_ns']}" for r in rows])
    # ours in the granularity plot; the peers (GThreadPool, OpenMP's, oneTBB's) beside our
    # thread pool's rows in granularity-peers
    def peer(m):
        return m == "gthreadpool" or program_of(m) != "ours"
    var["mechs"] = " ".join(m for m in gran if not peer(m))
    ours_beside = ("thread_pool", "thread_pool_detached", "thread_pool_helping", "thread_pool_map")
    var["pmechs"] = " ".join([m for m in ours_beside if m in gran] + [m for m in gran if peer(m)])
    ours = [r for r in t["crossovers"] if not peer(r["mechanism"])]
    write("crossover.dat", [f"{r['mechanism']} {r['crossover_ns']}" for r in ours
                            if r["kind"] == "crossover"])
    human = lambda x: fmt_ns(x)
    var["crosstext"] = "task size below which the speedup is < 1:" + "".join(
        f"\\n{r['mechanism']}: " + {"crossover": human(r["crossover_ns"]),
                                    "below_range": "< " + human(r["crossover_ns"]),
                                    "above_range": "> " + human(r["crossover_ns"]) + " (never paid)"
                                    }[r["kind"]] for r in ours)
    # primitives.dat: index "label" median min max "human"
    prims = t["primitives"]
    write("primitives.dat", [f"{i} \"{r['primitive']}{' x' + r['threads'] if int(r['threads']) > 1 else ''}\" "
                             f"{r['median_ns']} {r['min_ns']} {r['max_ns']} \"{fmt_ns(float(r['median_ns']))}\""
                             for i, r in enumerate(prims)])
    var["nrows"] = len(prims)
    var["height"] = max(600, len(prims) * 22 + 160)
    # C against Python: "mode" c_med c_q1 c_q3 py_med py_q1 py_q3 c_speedup py_speedup
    c = {r["mode"]: r for r in t["hf-sumsq"] if r["mode"] == "serial" or r["workers"] == t["cores"]}
    py = {r["mode"]: r for r in t["hf-sumsqpy"]}
    lines = []
    for mode in sorted(set(c) | set(py), key=mode_key):
        if mode.endswith("-pinned") or mode == "mpi":
            continue
        cells = []
        for side in (c, py):
            r = side.get(mode)
            cells += [r["median_s"], r["q1_s"], r["q3_s"]] if r else ["NaN"] * 3
        cells += [(side.get(mode) or {}).get("speedup", "NaN") for side in (c, py)]
        lines.append(f"\"{mode}\" " + " ".join(str(x) for x in cells))
    write("cvspy.dat", lines)
    var["havepython"] = int(bool(py))
    # peers: peers-sumsq.dat "mech" median_ms min_ms max_ms speedup; peers-dispatch.dat
    write("peers-sumsq.dat", [f"\"{r['mechanism']}\" {float(r['median_ns']) / 1e6} "
                              f"{float(r['min_ns']) / 1e6} {float(r['max_ns']) / 1e6} {r['speedup']}"
                              for r in t["peers"] if r["bench"] == "sumsq"
                              and not r["mechanism"].startswith("serial_")])
    write("peers-dispatch.dat", [f"\"{r['mechanism']}\" {r['median_ns']} {r['min_ns']} {r['max_ns']}"
                                 for r in t["peers"] if r["bench"] == "dispatch"])
    # peers-latency.dat "mech" p50_ns p50_min p50_max p99_ns; floor: the hand-off floor (ns),
    # 0 when not measured (one CPU), drawn as the limit line of dispatch and latency
    p99 = {r["mechanism"]: r["median_ns"] for r in t["peers"] if r["bench"] == "latency99"}
    write("peers-latency.dat", [f"\"{r['mechanism']}\" {r['median_ns']} {r['min_ns']} "
                                f"{r['max_ns']} {p99.get(r['mechanism'], r['median_ns'])}"
                                for r in t["peers"] if r["bench"] == "latency"
                                and r["mechanism"] != "handoff_floor"])
    floor = [r["median_ns"] for r in t["peers"]
             if r["bench"] == "latency" and r["mechanism"] == "handoff_floor"]
    var["floor"] = float(floor[0]) if floor else 0
    var["havelatency"] = int(any(r["bench"] == "latency" for r in t["peers"]))
    if t["peers"]:
        var["pworkers"] = int(t["peers"][0]["workers"])
    # server.dat: workers median q1 q3
    write("server.dat", [f"{r['workers']} {r['median_rps']} {r['q1_rps']} {r['q3_rps']}"
                         for r in t["server"]])
    var["sclients"] = facts.get("server_clients", 0)
    var["srequests"] = facts.get("server_requests", 0)
    var["sruns"] = t["server"][0]["runs"] if t["server"] else 0
    # http-SERVER.dat: connections median_rps q1 q3 median_p99_ms q1 q3, one per server (the
    # pool at its best worker count)
    http = {}
    for r in http_chosen(t["http"], t["http_best"]):
        http.setdefault(r["server"], []).append(r)
    for srv, rows in http.items():
        write(f"http-{srv}.dat", [f"{r['connections']} {r['median_rps']} {r['q1_rps']} "
                                  f"{r['q3_rps']} {r['median_p99_ms']} {r['q1_p99_ms']} "
                                  f"{r['q3_p99_ms']}" for r in rows])
    var["httpservers"] = " ".join(sorted(http, key=http_server_key))
    var["poolw"] = t["http_best"] or 0
    var["hseconds"] = facts.get("http_seconds", 0)
    var["hrounds"] = max((r["rounds"] for r in t["http"]), default=0)
    # what is there to draw
    have = {
        "speedup-sumsq": bool(t["hf-sumsq"]),
        "speedup-mpi": any(r["mode"] == "serial" for r in t["inprogram"]),
        "time-sumsq": bool(var.get("modes_sumsq")),
        "time-downloads": bool(var.get("modes_downloads")),
        "time-portscan": bool(var.get("modes_portscan")),
        "granularity": bool(gran),
        "granularity-peers": bool(gran) and any(m not in var["mechs"].split() for m in gran),
        "primitives": bool(prims),
        "c-vs-python": bool(py) or bool(c),
        "peers": bool(t["peers"]),
        "server-rps": bool(t["server"]),
        "http": bool(http),
    }
    with open(os.path.join(data, "vars.txt"), "w") as f:
        for k, v in var.items():
            f.write(f"{k}\t{v}\n")
    with open(os.path.join(data, "have.txt"), "w") as f:
        for k, v in have.items():
            f.write(f"{k}\t{int(v)}\n")


# ---- the machine -----------------------------------------------------------------------

def cpustat():
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat (Linux)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return (total - idle) / hz, total / hz


def settle(max_s, idle_needed=0.90, window=0.5, in_a_row=2):
    """Waits until the machine is idle (at least idle_needed of it, in_a_row windows in a
    row), at most max_s seconds. Returns (settled, seconds waited, idle share last seen).
    A short max_s (the smoke run's) shortens the windows so that they fit in it."""
    if max_s > 0:
        window = min(window, max_s / in_a_row)
    start = time.monotonic()
    good, idle = 0, 0.0
    busy0, total0 = cpustat()
    while True:
        time.sleep(window)
        busy1, total1 = cpustat()
        dt = total1 - total0
        # clamped: the kernel's iowait count can step back (NO_HZ), so a fully busy
        # window could come out a hair below 0 ("idle -0%")
        idle = min(1.0, max(0.0, 1 - (busy1 - busy0) / dt)) if dt > 0 else 1.0
        busy0, total0 = busy1, total1
        good = good + 1 if idle >= idle_needed else 0
        waited = time.monotonic() - start
        if good >= in_a_row:
            return True, waited, idle
        if waited >= max_s:
            return False, waited, idle


# ---- command line ----------------------------------------------------------------------

USAGE = """usage: benchstats.py summarize RESULTS
       benchstats.py compare RESULTS REFERENCE
       benchstats.py plotdata RESULTS DATA
       benchstats.py settle [--max SECONDS]
       benchstats.py cpustat
       benchstats.py wrk FILE...
"""


def usage_error(why):
    sys.stderr.write(f"benchstats.py: {why}\n{USAGE}")
    sys.exit(2)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        if len(argv) >= 2:
            sys.stdout.write(USAGE)
            return 0
        usage_error("no command")
    cmd, args = argv[1], argv[2:]
    if cmd == "summarize" and len(args) == 1:
        if not os.path.isdir(args[0]):
            usage_error(f"no results folder {args[0]}")
        t = tables(args[0])
        write_tables(args[0], t)
        text = summary(args[0], t)
        with open(os.path.join(args[0], "summary.md"), "w") as f:
            f.write(text)
        sys.stdout.write(text)
        return 0
    if cmd == "compare" and len(args) == 2:
        for d in args:
            if not os.path.isdir(d):
                usage_error(f"no results folder {d}")
        text, _ = compare(args[0], args[1])
        sys.stdout.write(text)
        return 0
    if cmd == "plotdata" and len(args) == 2:
        if not os.path.isdir(args[0]):
            usage_error(f"no results folder {args[0]}")
        plotdata(args[0], args[1])
        return 0
    if cmd == "settle" and (not args or (len(args) == 2 and args[0] == "--max")):
        try:
            max_s = float(args[1]) if args else 60.0
        except ValueError:
            usage_error(f"--max: expected seconds, got \"{args[1]}\"")
        ok, waited, idle = settle(max_s)
        word = "settled" if ok else "not settled"
        print(f"{word} after {waited:.1f} s (idle {idle:.0%})")
        return 0
    if cmd == "wrk" and args:
        for path in args:
            with open(path) as f:
                got = parse_wrk(f.read())
            if got is None:
                sys.stderr.write(f"benchstats.py: no Requests/sec line in {path}\n")
                return 1
            print(f"{got['rps']:.2f},{got['p50_ms']:.4g},{got['p99_ms']:.4g},{got['errors']},"
                  f"{got['mean_ms']:.4g}")
        return 0
    if cmd == "cpustat" and not args:
        busy, total = cpustat()
        print(f"{busy:.2f} {total:.2f}")
        return 0
    usage_error(f"bad command line: {' '.join(argv[1:])}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
