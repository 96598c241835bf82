#!/usr/bin/env python3
"""Unit tests of scripts/benchstats.py: the statistics, the pairing, the flags, the headline
and the comparison, on small results folders made here (hyperfine JSON included) and on
the committed fixture tests/fixtures/bench-results/example-20250101-000000.

    python3 tests/benchstats_test.py        (tests/benchstats.bats runs it in `make test`)
"""
import csv
import hashlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
sys.dont_write_bytecode = True  # no scripts/__pycache__ in the checkout
import benchstats as bs  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "bench-results", "example-20250101-000000")


def hyperfine_round(path, commands):
    """A hyperfine --export-json file: commands is {name: [seconds, ...]}."""
    results = [{"command": name, "times": times, "mean": sum(times) / len(times),
                "median": sorted(times)[len(times) // 2], "min": min(times), "max": max(times),
                "stddev": 0.0, "user": 0.01 * len(name), "system": 0.001,
                "exit_codes": [0] * len(times)}
               for name, times in commands.items()]
    with open(path, "w") as f:
        json.dump({"results": results}, f)


def results_dir(nproc=2):
    d = tempfile.mkdtemp(prefix="benchstats-")
    os.makedirs(os.path.join(d, "hf"))
    with open(os.path.join(d, "machine.txt"), "w") as f:
        f.write(f"nproc: {nproc}\ncpu: Test CPU\nprofile: test\nloadavg: 0.00 0.00 0.00\n")
    return d


class Statistics(unittest.TestCase):
    def test_quartiles_of_one_and_of_many(self):
        self.assertEqual(bs.quartiles([3.0]), (3.0, 3.0, 3.0))
        self.assertEqual(bs.quartiles([1, 2, 3, 4, 5]), (2, 3, 4))

    def test_pair_ratios_pair_run_i_of_round_r(self):
        self.assertEqual(bs.pair_ratios([[4, 6], [8]], [[2, 3], [2, 99]]), [2, 2, 4])

    def test_two_clusters_are_reported_as_two_modes(self):
        xs = [1.0, 1.01, 0.99, 1.02, 0.98] * 2 + [2.0, 2.02, 1.98, 2.01, 1.99] * 2
        m = bs.modes(xs)
        self.assertIsNotNone(m)
        (lo, lo_share), (hi, hi_share) = m
        self.assertAlmostEqual(lo, 1.0, places=1)
        self.assertAlmostEqual(hi, 2.0, places=1)
        self.assertAlmostEqual(lo_share, 0.5)

    def test_one_cluster_with_noise_is_not_bimodal(self):
        xs = [1.0 + 0.01 * (i % 7) for i in range(30)]
        self.assertIsNone(bs.modes(xs))

    def test_a_lone_outlier_is_not_a_mode(self):
        self.assertIsNone(bs.modes([1.0] * 19 + [3.0]))

    def test_amdahl_fit_recovers_f(self):
        f = 0.1
        points = [(p, 1 / (f + (1 - f) / p)) for p in (1, 2, 3, 4)]
        got, err, n = bs.amdahl_fit(points, cores=4)
        self.assertAlmostEqual(got, f, places=9)
        self.assertAlmostEqual(err, 0, places=9)
        self.assertEqual(n, 3)  # p = 1 carries no information

    def test_amdahl_fit_needs_two_points_within_the_cores(self):
        self.assertIsNone(bs.amdahl_fit([(1, 1.0), (2, 1.9), (3, 1.9)], cores=2))


class Pairing(unittest.TestCase):
    def setUp(self):
        self.d = results_dir()

    def tearDown(self):
        shutil.rmtree(self.d)

    def test_speedup_is_the_median_of_per_pair_ratios_not_a_ratio_of_medians(self):
        # A slow drift: round 1 fast, round 2 twice as slow, for both commands alike.
        # Within a round threads are always exactly 2x faster than serial.
        hyperfine_round(os.path.join(self.d, "hf", "sumsq-1.json"),
                        {"serial/1": [1.0, 1.0, 1.0], "threads/2": [0.5, 0.5, 0.5]})
        hyperfine_round(os.path.join(self.d, "hf", "sumsq-2.json"),
                        {"serial/1": [2.0, 2.0, 2.0], "threads/2": [1.0, 1.0, 1.0]})
        hyperfine_round(os.path.join(self.d, "hf", "sumsq-3.json"),
                        {"serial/1": [2.0, 2.0, 2.0], "threads/2": [1.0, 1.0, 1.0]})
        rows = {r["mode"]: r for r in bs.hf_table(self.d, "sumsq", 2)}
        self.assertEqual(rows["threads"]["speedup"], 2.0)
        self.assertEqual((rows["threads"]["speedup_q1"], rows["threads"]["speedup_q3"]), (2.0, 2.0))
        # the medians taken apart would say 2.0 / 1.0 as well here, but not the quartiles:
        self.assertEqual(rows["serial"]["median_s"], 2.0)
        self.assertEqual(rows["threads"]["runs"], 9)
        self.assertEqual(rows["threads"]["rounds"], 3)

    def test_rounds_are_read_in_numeric_order(self):
        for r in range(1, 12):
            hyperfine_round(os.path.join(self.d, "hf", f"x-{r}.json"), {"serial/1": [float(r)]})
        c = bs.hf_rounds(self.d, "x")[("serial", 1)]
        self.assertEqual([rnd[0] for rnd in c["rounds"]], [float(r) for r in range(1, 12)])

    def test_an_impossible_speedup_and_a_busy_step_are_flagged(self):
        hyperfine_round(os.path.join(self.d, "hf", "sumsq-1.json"),
                        {"serial/1": [3.0, 3.0], "threads/2": [1.0, 1.0], "pool/2": [1.6, 1.6]})
        with open(os.path.join(self.d, "steps.csv"), "w") as f:
            f.write("step,started,wall_s,load1,settle,foreign_share\nsumsq,0,1.0,0.5,settled,0.25\n")
        t = bs.tables(self.d)
        rows = {r["mode"]: r for r in t["hf-sumsq"]}
        self.assertIn("impossible", rows["threads"]["flag"])
        self.assertNotIn("impossible", rows["pool"]["flag"])
        self.assertIn("busy: others used 25%", rows["pool"]["flag"])

    def test_a_slow_host_is_flagged_though_the_machine_looked_idle(self):
        hyperfine_round(os.path.join(self.d, "hf", "sumsq-1.json"),
                        {"serial/1": [3.0, 3.0], "threads/2": [2.0, 2.0]})
        hyperfine_round(os.path.join(self.d, "hf", "downloads-1.json"),
                        {"serial/1": [1.6, 1.6], "pool/4": [0.4, 0.4]})
        hyperfine_round(os.path.join(self.d, "hf", "portscan-1.json"),
                        {"serial/1": [1.6, 1.6], "pool/4": [0.4, 0.4]})
        with open(os.path.join(self.d, "machine.txt"), "w") as f:
            f.write("nproc: 2\n")
        with open(os.path.join(self.d, "steps.csv"), "w") as f:
            f.write("step,started,wall_s,load1,settle,foreign_share,probe_ms,capacity,uneven\n"
                    "sumsq,0,1.0,0.0,settled,0.00,5.00,1.50,1.01\n"       # 1.5 of 2 CPUs
                    "downloads,0,1.0,0.0,settled,0.00,6.50,1.98,1.02\n"   # 1.3x the best loop
                    "portscan,0,1.0,0.0,settled,0.00,5.10,1.97,1.10\n"    # within every bound
                    "mpi,0,1.0,0.0,settled,0.00,5.10,1.97,1.25\n"         # one CPU slower
                    "server,0,1.0,0.0,settled,0.00,5.10,2.24,1.02\n")     # more than 2 CPUs
        t = bs.tables(self.d)
        self.assertIn("the 2 CPUs gave 1.50 CPUs' worth", t["hf-sumsq"][1]["flag"])
        self.assertIn("a fixed loop took 1.30× its best time", t["hf-downloads"][1]["flag"])
        self.assertEqual(t["hf-portscan"][1]["flag"], "")
        self.assertEqual(t["busy"]["mpi"], "host uneven: the slowest CPU took 1.25× the fastest's time")
        self.assertEqual(t["busy"]["server"], "host unsteady: the 2 CPUs gave 2.24 CPUs' worth")
        self.assertIn("## The machine during the run", bs.summary(self.d, t))

    def write_peers(self, *rows):
        """peers.csv in the results folder: bench/peers' header, then these rows."""
        with open(os.path.join(self.d, "peers.csv"), "w") as f:
            f.write("bench,mechanism,workers,items,median_ns,min_ns,max_ns,speedup,reps,cpu_s,"
                    "speedup_q1,speedup_q3,one_cpu\n" + "".join(r + "\n" for r in rows))

    def test_peers_batches_that_burned_more_cpu_than_serial_flag_the_step(self):
        def write(cpu_pool):
            self.write_peers("sumsq,serial,2,20,100,90,110,1.000,5,0.0370,1.000,1.000",
                             f"sumsq,thread_pool,2,20,50,45,55,2.000,5,{cpu_pool},1.9,2.0",
                             "sumsq_small,thread_pool,2,20,5,4,6,1.500,5,0.0009,1.4,1.6")
        write("0.0380")  # 3% more: handing out the work
        self.assertNotIn("peers", bs.tables(self.d)["busy"])
        write("0.0437")  # 18% more for the same work: slower CPUs
        t = bs.tables(self.d)
        self.assertIn("thread_pool burned 1.18× serial's CPU", t["busy"]["peers"])
        self.assertTrue(all("host slow" in r["flag"] for r in t["peers"]))

    def test_a_peer_whose_serial_batch_was_other_work_is_flagged_with_its_rows(self):
        # each program pairs its rows with its own serial batch of the same sums; oneTBB's
        # took 2x ours (its kernel's loop across a cache line, say): its tasks were not ours
        self.write_peers("sumsq_small,serial,2,20,700000,650000,800000,1.000,5,0.0007,1.000,1.000",
                         "sumsq_small,thread_pool,2,20,400000,380000,420000,1.750,5,0.0008,1.7,1.8",
                         "sumsq_small,serial_omp_active,2,20,800000,750000,850000,1.000,5,0.0008,1.000,1.000",
                         "sumsq_small,omp_task_active,2,20,420000,400000,440000,1.900,5,0.0004,1.8,2.0",
                         "sumsq_small,serial_tbb,2,20,1400000,1300000,1500000,1.000,5,0.0014,1.000,1.000",
                         "sumsq_small,tbb_parallel_for,2,20,760000,700000,800000,1.850,5,0.0014,1.8,1.9")
        t = bs.tables(self.d)
        flag = {r["mechanism"]: r["flag"] for r in t["peers"]}
        words = "not the same work: its serial batch took 2.00× bench/peers' own"
        self.assertEqual((flag["serial_tbb"], flag["tbb_parallel_for"]), (words, words))
        # 800 against 700 us is within SAME_WORK: OpenMP's and our own rows stay clean
        self.assertEqual([flag[m] for m in ("serial", "thread_pool", "serial_omp_active",
                                            "omp_task_active")], ["", "", "", ""])
        head = {r["name"]: r for r in bs.headline(self.d, t)}
        self.assertEqual((head["task.us.small.serial"]["value"], head["task.us.small.serial_tbb"]["value"]),
                         (35.0, 70.0))
        self.assertEqual(head["task.us.small.serial_tbb"]["flag"], words)
        # the serial batches are no speedups, and not a second CPU figure of serial's
        self.assertNotIn("small.speedup.serial_tbb", head)
        self.assertNotIn("cpu.s.small.serial_tbb", head)
        self.assertIn("cpu.s.small.serial", head)

    def test_granularity_peers_with_other_work_are_flagged_and_serial_rows_are_no_mechanism(self):
        # granularity's peers run in processes of their own, each beside its own serial
        # batches: oneTBB's took 2x ours at every size (other work), OpenMP's 1.1x (the same);
        # every speedup falls from 1.9x to 1.0x, so each crosses 80% efficiency (1.6x)
        rows = ["mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps"]
        for size, tasks, x in ((100000, 4, 1.9), (10000, 40, 1.0)):
            rows += [f"serial,{size},{tasks},2,400000,400000,400000,1.000,5",
                     f"thread_pool,{size},{tasks},2,{400000 / x:.0f},1,1,{x},5",
                     f"serial_omp_passive,{size},{tasks},2,440000,440000,440000,1.000,5",
                     f"omp_task_passive,{size},{tasks},2,{440000 / x:.0f},1,1,{x},5",
                     f"serial_tbb,{size},{tasks},2,800000,800000,800000,1.000,5",
                     f"tbb_task_group,{size},{tasks},2,{800000 / x:.0f},1,1,{x},5"]
        with open(os.path.join(self.d, "granularity.csv"), "w") as f:
            f.write("\n".join(rows) + "\n")
        t = bs.tables(self.d)
        mechs = {r["mechanism"] for r in t["metg"]}
        self.assertEqual(mechs, {"thread_pool", "omp_task_passive", "tbb_task_group"})
        words = "not the same work: its serial batches took 2.00× bench/granularity's own"
        for r in t["metg"] + t["crossovers"]:
            self.assertEqual(words in r["flag"], r["mechanism"] == "tbb_task_group", r)
        head = {r["name"]: r for r in bs.headline(self.d, t)}
        self.assertIn("metg80.us.omp_task_passive", head)
        self.assertEqual(head["metg80.us.tbb_task_group"]["flag"], words)
        self.assertFalse(any(n.startswith(("metg", "crossover")) and "serial" in n for n in head))

    def test_batches_on_one_cpu_are_the_share_of_all_batches_and_get_a_column(self):
        # 10 of 20 batches on one CPU in one process, none of 20 in another: 25% of all
        self.write_peers("sumsq_small,serial,2,20,700000,650000,800000,1.000,20,0.0007,1.000,1.000,1.000",
                         "sumsq_small,thread_pool,2,20,700000,380000,720000,1.000,20,0.0008,0.9,1.8,0.500",
                         "sumsq_small,serial,2,20,700000,650000,800000,1.000,20,0.0007,1.000,1.000,1.000",
                         "sumsq_small,thread_pool,2,20,380000,370000,400000,1.840,20,0.0008,1.8,1.9,0.000",
                         "sumsq_small,process_pool,2,20,900000,800000,990000,0.780,20,0.0012,0.7,0.8,nan")
        t = bs.tables(self.d)
        pool = [r for r in t["peers"] if r["mechanism"] == "thread_pool"][0]
        self.assertEqual(pool["one_cpu"], "0.250")
        head = {r["name"]: r for r in bs.headline(self.d, t)}
        self.assertEqual(head["onecpu.pct.small.thread_pool"]["value"], 25.0)
        # not known (the process pool's tasks ran in other processes) is no figure; serial's
        # one CPU is no news
        self.assertNotIn("onecpu.pct.small.process_pool", head)
        self.assertNotIn("onecpu.pct.small.serial", head)
        text = bs.summary(self.d, t)
        self.assertIn("| on one CPU |", text)
        self.assertRegex(text, r"\| thread_pool \|[^\n]*\| 25% \|")

    def test_waiting_may_beat_the_cores_but_not_the_workers(self):
        hyperfine_round(os.path.join(self.d, "hf", "downloads-1.json"),
                        {"serial/1": [1.6, 1.6], "pool/16": [0.1, 0.1], "pool/4": [0.1, 0.1]})
        rows = {r["workers"]: r for r in bs.tables(self.d)["hf-downloads"]}
        self.assertEqual(rows[16]["flag"], "")  # 16x on 2 cores with 16 workers: waiting
        self.assertIn("impossible", rows[4]["flag"])  # 16x with 4 workers: not even waiting

    def test_a_quiet_step_flags_nothing(self):
        hyperfine_round(os.path.join(self.d, "hf", "sumsq-1.json"),
                        {"serial/1": [2.0, 2.0], "threads/2": [1.1, 1.1]})
        with open(os.path.join(self.d, "steps.csv"), "w") as f:
            f.write("step,started,wall_s,load1,settle,foreign_share\nsumsq,0,1.0,0.0,settled,0.02\n")
        t = bs.tables(self.d)
        self.assertEqual([r["flag"] for r in t["hf-sumsq"]], ["", ""])

    def test_a_baseline_at_two_speeds_flags_its_table(self):
        # the same serial work at 61 and 94 ms (one slow virtual CPU): every speedup of the
        # table leans on it; 3% of spread is an idle machine's
        hyperfine_round(os.path.join(self.d, "hf", "sumsq-1.json"),
                        {"serial/1": [0.061, 0.062, 0.094, 0.093], "threads/2": [0.04] * 4})
        hyperfine_round(os.path.join(self.d, "hf", "sumsqmpi-1.json"),
                        {"serial/1": [0.061, 0.062, 0.063, 0.062], "mpi/2": [0.04] * 4})
        t = bs.tables(self.d)
        self.assertTrue(all("baseline unsteady: serial's runs spread over" in r["flag"]
                            for r in t["hf-sumsq"]), t["hf-sumsq"])
        self.assertEqual([r["flag"] for r in t["hf-sumsqmpi"]], ["", ""])

    def test_warm_figures_pair_each_invocation_with_its_serial(self):
        lines = []
        for k, scale in ((1, 1.0), (2, 3.0), (3, 1.0)):
            lines.append(f"invocation={k} program=14 variant= MODE name=serial workers=1 "
                         f"seconds={0.04 * scale} speedup=1.00 exact=20/20 first={0.05 * scale} cpu=0.04")
            lines.append(f"invocation={k} program=14 variant= MODE name=threads workers=2 "
                         f"seconds={0.02 * scale} speedup=2.00 exact=20/20 first={0.03 * scale} cpu=0.04 pinned=no")
            lines.append(f"invocation={k} program=14 variant=-pinned MODE name=threads workers=2 "
                         f"seconds={0.025 * scale} speedup=1.60 exact=20/20 cpu=0.04 pinned=yes")
            lines.append(f"invocation={k} program=21 variant= RESULT ranks=2 tasks=20 total=1 "
                         f"expected=1 seconds={0.02 * scale} OK")
        with open(os.path.join(self.d, "inprogram.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        ip, mpi = bs.inprogram_table(self.d)
        rows = {(r["mode"], r["workers"]): r for r in ip}
        self.assertAlmostEqual(rows[("threads", 2)]["speedup"], 2.0)
        self.assertAlmostEqual(rows[("threads-pinned", 2)]["speedup"], 1.6)
        self.assertEqual(rows[("threads-pinned", 2)]["pinned"], "yes")
        self.assertAlmostEqual(rows[("threads", 2)]["first_s"], 0.03)
        self.assertEqual(len(mpi), 1)
        self.assertAlmostEqual(mpi[0]["speedup"], 2.0)

    def test_the_server_pairs_each_turn_with_its_one_worker_run(self):
        with open(os.path.join(self.d, "server-samples.csv"), "w") as f:
            f.write("workers,rps,run\n1,100,1\n2,200,1\n1,50,2\n2,100,2\n1,100,3\n2,200,3\n")
        rows = {r["workers"]: r for r in bs.server_table(self.d)}
        self.assertEqual(rows[2]["vs_one"], 2.0)
        self.assertEqual(rows[2]["median_rps"], 200)


WRK_OK = """Running 1s test @ http://127.0.0.1:39767/
  2 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   111.80us  255.40us   5.22ms   97.95%
    Req/Sec    18.73k     2.45k   22.28k    63.64%
  Latency Distribution
     50%   71.00us
     75%  106.00us
     90%  152.00us
     99%    1.43ms
  20413 requests in 1.10s, 6.11MB read
Requests/sec:  18600.90
Transfer/sec:      5.57MB
"""

WRK_ERRORS = """Running 2s test @ http://127.0.0.1:40001/
  2 threads and 1000 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   512.00ms  900.10ms   4.99s    88.00%
    Req/Sec     4.01k     1.20k    6.00k    70.00%
  Latency Distribution
     50%   12.50ms
     75%  300.00ms
     90%    2.10s
     99%    4.50s
  16000 requests in 2.05s, 4.00MB read
  Socket errors: connect 3, read 40, write 2, timeout 17
  Non-2xx or 3xx responses: 5
Requests/sec:   7804.88
Transfer/sec:      1.95MB
"""


class Wrk(unittest.TestCase):
    """The wrk --latency report parser, and the HTTP table, pool choice and targets."""

    def test_a_clean_report_has_no_errors_and_times_in_ms(self):
        got = bs.parse_wrk(WRK_OK)
        self.assertEqual(got["rps"], 18600.90)
        self.assertAlmostEqual(got["p50_ms"], 0.071)  # 71.00us
        self.assertAlmostEqual(got["p99_ms"], 1.43)
        self.assertEqual(got["errors"], 0)  # no Socket errors line: none
        self.assertAlmostEqual(got["mean_ms"], 0.1118)  # the Latency line's Avg

    def test_socket_errors_and_bad_statuses_add_up_and_seconds_become_ms(self):
        got = bs.parse_wrk(WRK_ERRORS)
        self.assertEqual(got["errors"], 3 + 40 + 2 + 17 + 5)
        self.assertAlmostEqual(got["p50_ms"], 12.5)
        self.assertAlmostEqual(got["p99_ms"], 4500.0)  # 4.50s
        self.assertEqual(got["rps"], 7804.88)

    def test_minutes_and_a_report_that_is_not_wrks(self):
        got = bs.parse_wrk(WRK_OK.replace("1.43ms", "1.50m"))
        self.assertAlmostEqual(got["p99_ms"], 90000.0)
        self.assertIsNone(bs.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n"))

    def test_the_wrk_command_prints_one_row_per_report(self):
        d = tempfile.mkdtemp(prefix="benchstats-")
        try:
            a, b, bad = (os.path.join(d, n) for n in ("a.txt", "b.txt", "bad.txt"))
            for path, text in ((a, WRK_OK), (b, WRK_ERRORS), (bad, "nothing\n")):
                with open(path, "w") as f:
                    f.write(text)
            out = io.StringIO()
            with redirect_stdout(out):
                self.assertEqual(bs.main(["benchstats.py", "wrk", a, b]), 0)
            self.assertEqual(out.getvalue(),
                             "18600.90,0.071,1.43,0,0.1118\n7804.88,12.5,4500,67,512\n")
            sys.stderr = io.StringIO()
            try:
                with redirect_stdout(io.StringIO()):
                    self.assertEqual(bs.main(["benchstats.py", "wrk", a, bad]), 1)
            finally:
                sys.stderr = sys.__stderr__
        finally:
            shutil.rmtree(d)

    def test_table_best_pool_and_targets_pair_each_round(self):
        d = results_dir()
        try:
            # round 2 is twice as slow for everybody: per-round ratios stay exact
            rows = ["server,workers,connections,round,rps,p50_ms,p99_ms,errors"]
            for r, f in ((1, 1.0), (2, 0.5), (3, 1.0)):
                rows += [f"pool,1,100,{r},{1000 * f},1,900,3",
                         f"pool,2,100,{r},{3000 * f},1,500,0",
                         f"pool,2,1000,{r},{2000 * f},1,4000,{r}",
                         f"python,0,100,{r},{200 * f},40,50,0",
                         f"nginx,1,100,{r},{4000 * f},0.5,2,0",
                         f"nginx,1,1000,{r},{3000 * f},5,40,0",
                         f"eventloop,0,100,{r},{2400 * f},0.6,3,0",
                         f"eventloop,0,1000,{r},{1200 * f},6,50,{1 if r == 2 else 0}"]
            with open(os.path.join(d, "http-samples.csv"), "w") as f:
                f.write("\n".join(rows) + "\n")
            t = bs.tables(d)
            self.assertEqual(t["http_best"], 2)
            by = {(r["server"], r["workers"], r["connections"]): r for r in t["http"]}
            self.assertEqual(by[("pool", 2, 100)]["median_rps"], 3000)
            self.assertEqual(by[("pool", 2, 1000)]["errors_total"], 6)
            self.assertEqual(by[("pool", 2, 1000)]["median_errors"], 2)
            self.assertEqual(by[("pool", 2, 100)]["best"], "yes")
            self.assertTrue(math.isnan(by[("pool", 2, 100)]["served"]))  # no mean_ms column
            self.assertEqual(by[("pool", 1, 100)]["best"], "")
            # the table's order: pool, eventloop, nginx, python_nodelay, python
            self.assertEqual([r["server"] for r in t["http"]][:3], ["pool"] * 3)
            self.assertEqual(t["http"][-1]["server"], "python")
            targets = {x["target"]: x for x in t["http_targets"]}
            pool = targets["pool / python, requests/s at 100 connections"]
            self.assertEqual((pool["value"], pool["q1"], pool["q3"], pool["met"]),
                             (15.0, 15.0, 15.0, True))
            self.assertEqual(targets["eventloop / python, requests/s at 100 connections"]["met"],
                             True)  # 12x
            self.assertEqual(targets["eventloop / nginx, requests/s at 100 connections"]["value"],
                             0.6)
            self.assertFalse(targets["eventloop / nginx, requests/s at 1000 connections"]["met"])
            self.assertEqual(targets["eventloop: wrk errors at 1000 connections, all runs"]["value"], 1)
            self.assertTrue(targets["pool: wrk errors at 100 connections, all runs"]["met"])
            names = {h["name"]: h for h in t["headline"]}
            self.assertEqual(names["http.rps.pool.c100"]["value"], 3000)  # the best: 2 workers
            self.assertEqual((names["http.rps.pool.c100"]["low"], names["http.rps.pool.c100"]["high"]),
                             (2250, 3000))
            self.assertEqual(names["http.p99.ms.nginx.c1000"]["value"], 40)
            self.assertEqual(names["http.errors.eventloop.c1000"]["value"], 0)
            self.assertNotIn("http.rps.python.c1000", names)
            text = bs.summary(d, t)
            self.assertIn("the best, by median requests/s at 100 connections, is **2**", text)
            self.assertIn("| eventloop / nginx, requests/s at 1000 connections | 0.40× (0.40–0.40) "
                          "| >= 0.5× | **no** |", text)
        finally:
            shutil.rmtree(d)

    def test_connections_never_answered_are_flagged_by_littles_law(self):
        d = results_dir()
        try:
            with open(os.path.join(d, "http-samples.csv"), "w") as f:
                # 1000 connections: 2000 req/s x 0.1 s in flight = 200 answered; 100: all
                f.write("server,workers,connections,round,rps,p50_ms,p99_ms,errors,mean_ms\n"
                        "pool,4,1000,1,2000,0.1,1,0,100\n"
                        "nginx,1,100,1,20000,4,9,0,5\n")
            by = {r["server"]: r for r in bs.tables(d)["http"]}
            self.assertAlmostEqual(by["pool"]["served"], 0.2)
            self.assertIn("only ~200 of 1000 connections answered", by["pool"]["flag"])
            self.assertEqual(by["nginx"]["served"], 1.0)
            self.assertEqual(by["nginx"]["flag"], "")
        finally:
            shutil.rmtree(d)

    def test_without_100_connections_the_pool_is_chosen_at_the_most_measured(self):
        rows = [{"server": "pool", "workers": w, "connections": 10, "median_rps": rps}
                for w, rps in ((1, 500), (2, 900), (4, 900))]
        self.assertEqual(bs.best_pool_workers(rows), 2)  # a tie goes to fewer workers
        self.assertIsNone(bs.best_pool_workers([]))


class Dispatch(unittest.TestCase):
    def test_processes_merge_into_the_median_of_their_medians(self):
        head = {"bench": "dispatch", "workers": "2", "items": "10000", "speedup": "",
                "speedup_q1": "", "speedup_q3": ""}
        rows = [{"bench": "sumsq", "mechanism": "serial", "median_ns": "5"}]
        for med, cpu in ((100, 0.001), (300, 0.003), (120, 0.002)):
            rows.append(dict(head, mechanism="omp_task", median_ns=str(med), min_ns="1",
                             max_ns="999", reps="21", cpu_s=str(cpu)))
        rows.append(dict(head, mechanism="omp_dynamic", median_ns="10", min_ns="9",
                         max_ns="11", reps="21", cpu_s="0.0001"))
        merged = bs.merge_processes(rows)
        self.assertEqual([r["mechanism"] for r in merged], ["serial", "omp_task", "omp_dynamic"])
        task = merged[1]
        # the processes' medians, not their extremes: 100, 120, 300
        self.assertEqual((task["median_ns"], task["min_ns"], task["max_ns"]),
                         ("120.0", "100.0", "300.0"))
        self.assertEqual((task["reps"], task["procs"], task["cpu_s"]), ("63", "3", "0.002000"))
        # one process keeps its own range, within that process
        self.assertEqual((merged[2]["min_ns"], merged[2]["max_ns"], merged[2]["procs"]),
                         ("9", "11", "1"))


    def test_small_tasks_merge_per_process_speedups_and_show_their_modes(self):
        head = {"bench": "sumsq_small", "mechanism": "pthreads", "workers": "2",
                "items": "20", "reps": "21", "speedup_q1": "0.5", "speedup_q3": "3.0"}
        rows = [dict(head, median_ns=str(ns), min_ns=str(ns - 1), max_ns=str(ns + 1),
                     speedup=str(x), cpu_s="0.001")
                for ns, x in ((400, 1.0), (410, 0.98), (250, 1.6), (260, 1.62), (405, 1.01))]
        merged = bs.merge_processes(rows)
        self.assertEqual(len(merged), 1)
        m = merged[0]
        self.assertEqual((m["speedup"], m["speedup_low"], m["speedup_high"], m["procs"]),
                         ("1.010", 0.98, 1.62, "5"))
        self.assertEqual((m["min_ns"], m["max_ns"], m["reps"]), ("249", "411", "105"))
        self.assertEqual([round(v, 2) for v, _ in m["speedup_modes"]], [1.0, 1.61])
        # and the table says so, next to the figure
        flag = bs.flags({"speedup": 1.01, "speedup_modes": m["speedup_modes"]}, 2, 2)
        self.assertIn("bimodal: 1.00× (60%) / 1.61× (40%)", flag)


class Crossovers(unittest.TestCase):
    def test_interpolated_where_the_speedup_falls_below_one(self):
        d = results_dir()
        try:
            with open(os.path.join(d, "granularity.csv"), "w") as f:
                f.write("mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps\n"
                        "serial,100000,4,2,400000,400000,400000,1.000,1\n"
                        "pool,100000,4,2,200000,200000,200000,2.000,1\n"
                        "fast,100000,4,2,200000,200000,200000,2.000,1\n"
                        "slow,100000,4,2,800000,800000,800000,0.500,1\n"
                        "serial,10000,40,2,400000,400000,400000,1.000,1\n"
                        "pool,10000,40,2,800000,800000,800000,0.500,1\n"
                        "fast,10000,40,2,200000,200000,200000,2.000,1\n"
                        "slow,10000,40,2,800000,800000,800000,0.500,1\n")
            rows = {r["mechanism"]: r for r in bs.crossovers(d)}
            # 2x at 100 us and 0.5x at 10 us: log-linear in between, 1x at 100 * 10^(-2/3) us
            self.assertEqual(rows["pool"]["kind"], "crossover")
            self.assertAlmostEqual(rows["pool"]["crossover_ns"], 1e5 * 10 ** (-2 / 3), places=3)
            self.assertEqual((rows["pool"]["low_ns"], rows["pool"]["high_ns"]), (1e4, 1e5))
            self.assertEqual(rows["fast"]["kind"], "below_range")
            self.assertEqual(rows["slow"]["kind"], "above_range")
            # METG: efficiency = speedup / min(2 workers, 2 cores); 80% is 1.6x, reached at
            # 100 us, lost at 10 us: 1.6 lies 0.4/1.5 of the way from 2 down to 0.5
            m = {(r["mechanism"], r["efficiency"]): r for r in bs.metg(d, 2)}
            self.assertAlmostEqual(m[("pool", 0.8)]["metg_ns"], 1e5 * 10 ** (-0.4 / 1.5), places=3)
            self.assertAlmostEqual(m[("pool", 0.5)]["metg_ns"], rows["pool"]["crossover_ns"])
            self.assertEqual(m[("fast", 0.8)]["kind"], "below_range")
            self.assertEqual(m[("slow", 0.5)]["kind"], "above_range")
            # on one core, 2 workers cannot be more than 1x: efficiency is measured against it
            self.assertEqual(bs.metg(d, 1)[0]["kind"], "below_range")
        finally:
            shutil.rmtree(d)


class Fixture(unittest.TestCase):
    """The committed fixture: a whole (tiny) run in the current format."""

    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="benchstats-")
        self.r = os.path.join(self.d, "r")
        shutil.copytree(FIXTURE, self.r)

    def tearDown(self):
        shutil.rmtree(self.d)

    def summarize(self, results):
        out = io.StringIO()
        with redirect_stdout(out):
            self.assertEqual(bs.main(["benchstats.py", "summarize", results]), 0)
        return out.getvalue()

    def test_summarize_writes_the_summary_and_a_headline_with_the_promised_names(self):
        text = self.summarize(self.r)
        with open(os.path.join(self.r, "summary.md")) as f:
            self.assertEqual(f.read(), text)
        for section in ("## Headline", "## Sum of squares, lesson 14: cold",
                        "## Sum of squares, lesson 14: warm", "## C against Python",
                        "## Simulated downloads", "## Port scan", "## Server, lesson 20",
                        "## Granularity", "## Primitive costs", "## Peers",
                        "## HTTP servers under wrk"):
            self.assertIn(section, text)
        with open(os.path.join(self.r, "headline.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(list(rows[0].keys())[:5], ["name", "value", "unit", "low", "high"])
        names = {r["name"] for r in rows}
        for mode in ("threads", "pool", "processes"):
            self.assertIn(f"sumsq.cold.speedup.{mode}", names)
            self.assertIn(f"sumsq.warm.speedup.{mode}", names)
            self.assertIn(f"cpu.s.sumsq.{mode}", names)
        self.assertIn("floor.handoff.ns", names)
        for server in ("pool", "eventloop", "python", "python_nodelay", "nginx"):
            for c in (10, 100, 1000):
                for figure in ("rps", "p99.ms", "errors"):
                    self.assertIn(f"http.{figure}.{server}.c{c}", names)
        self.assertIn("idle.cpu.pct.thread_pool", names)
        self.assertIn("latency.p50.ns.thread_pool", names)
        self.assertIn("latency.p99.ns.thread_pool_park", names)
        for prefix in ("small.speedup.", "dispatch.ns.", "crossover.us.", "cpu.s.small.",
                       "cpu.s.peers.", "metg50.us.", "metg80.us."):
            self.assertTrue(any(n.startswith(prefix) for n in names), prefix)
        for r in rows:
            float(r["value"])
            if r["low"]:
                self.assertLessEqual(float(r["low"]), float(r["high"]), r["name"])

    def test_no_figure_is_printed_twice_with_different_values(self):
        # the C side of "C against Python" is the cold table's row, the same numbers
        self.summarize(self.r)
        with open(os.path.join(self.r, "summary.md")) as f:
            text = f.read()
        cold = text.split("## Sum of squares, lesson 14: cold")[1].split("\n## ")[0]
        vs_python = text.split("## C against Python")[1].split("\n## ")[0]
        for line in vs_python.splitlines():
            if line.startswith("| C | threads |"):
                median = line.split("|")[3].strip()
                self.assertIn(f"| threads | 2 | {median} |", cold)
                break
        else:
            self.fail("no C threads row")

    def test_summarize_changes_none_of_the_measurements(self):
        def digest():
            h = {}
            for root, _, files in os.walk(self.r):
                for name in files:
                    p = os.path.join(root, name)
                    with open(p, "rb") as f:
                        h[os.path.relpath(p, self.r)] = hashlib.md5(f.read()).hexdigest()
            return h
        before = digest()
        self.summarize(self.r)
        after = digest()
        for name, value in before.items():
            self.assertEqual(after[name], value, name)

    def test_compare_says_what_reproduced(self):
        self.summarize(self.r)
        other = os.path.join(self.d, "other")
        shutil.copytree(self.r, other)
        path = os.path.join(other, "headline.csv")
        with open(path) as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            if r["name"] == "sumsq.cold.speedup.threads":
                r["value"] = str(float(r["value"]) * 1.2)  # 20% off: differs
            elif r["name"].startswith(("crossover.", "http.p99.")):
                r["value"] = str(float(r["value"]) * 1.4)  # within 1.5x: reproduced
            else:
                r["value"] = str(float(r["value"]) * 1.05)  # within 10%: reproduced
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        text, all_same = bs.compare(other, self.r)
        self.assertFalse(all_same)
        lines = {line.split("|")[1].strip(): line for line in text.splitlines()
                 if line.startswith("| ") and not line.startswith("| name")}
        self.assertIn("differs", lines["sumsq.cold.speedup.threads"])
        self.assertIn("reproduced", lines["sumsq.cold.speedup.pool"])
        crossover = [n for n in lines if n.startswith("crossover.")]
        self.assertTrue(crossover)
        self.assertIn("reproduced", lines[crossover[0]])
        self.assertIn("reproduced", lines["http.p99.ms.nginx.c100"])  # a p99 swings: 1.5x
        self.assertIn("reproduced", lines["http.errors.nginx.c100"])  # 0 and 0
        self.assertIn("| 1.00 |", lines["http.errors.nginx.c100"])
        self.assertIn(f"{len(rows) - 1} of {len(rows)} headline figures reproduced", text)

    def test_plotdata_writes_what_each_plot_needs(self):
        data = os.path.join(self.d, "data")
        bs.plotdata(self.r, data)
        with open(os.path.join(data, "have.txt")) as f:
            have = dict(line.rstrip("\n").split("\t") for line in f)
        self.assertEqual(set(v for v in have.values()), {"1"}, have)
        for name in ("hf-sumsq-threads.dat", "ip-threads.dat", "primitives.dat", "cvspy.dat",
                     "peers-sumsq.dat", "server.dat", "caption.txt", "vars.txt",
                     "http-pool.dat", "http-nginx.dat", "http-python.dat"):
            self.assertTrue(os.path.getsize(os.path.join(data, name)) > 0, name)

    def test_bad_usage_exits_2(self):
        for argv in (["x"], ["x", "summarize"], ["x", "summarize", "/nonexistent"],
                     ["x", "settle", "--max", "soon"], ["x", "frobnicate"]):
            with self.assertRaises(SystemExit) as e, redirect_stdout(io.StringIO()):
                sys.stderr = io.StringIO()
                try:
                    bs.main(argv)
                finally:
                    sys.stderr = sys.__stderr__
            self.assertEqual(e.exception.code, 2, argv)


if __name__ == "__main__":
    unittest.main(verbosity=2)
