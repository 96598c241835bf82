#!/usr/bin/env python3
"""sum_squares.py: lesson 14's work in Python, the way the tutorials it comes from do it.

    python3 bench/python/sum_squares.py --mode serial
    python3 bench/python/sum_squares.py --mode threads --workers 4     # no faster: the GIL
    python3 bench/python/sum_squares.py --mode processes --workers 4   # faster: one GIL each

Task k (0 <= k < --count) is sum(i * i for i in range(start + k)), the same numbers as
./build/14_sum_squares --start S --count C, so `make bench` can time both with hyperfine
and plot the interpreter lock beside the C speedup.

  serial              one loop
  threads             threading.Thread: each of `workers` threads sums one block of numbers
  pool                concurrent.futures.ThreadPoolExecutor.map (lesson 14: tp_map)
  processes           multiprocessing.Pool.map (lesson 14: pp_map)
  process-executor    concurrent.futures.ProcessPoolExecutor.map (no C twin)

Maps send one number per message (chunksize=1), like lesson 14's default --chunk 1; with
Python's default chunk size, 20 numbers on 2 workers would split 12 + 8.

The last line is the project's verdict, checked against the closed form (n-1) n (2n-1) / 6:
    RESULT tasks=20 total=... expected=... OK
Exit status: 0 OK, 1 FAIL, 2 bad usage (argparse).
"""
import argparse
import concurrent.futures
import multiprocessing
import os
import sys
import threading

MODES = ["serial", "threads", "pool", "processes", "process-executor"]


def task(n):
    """The CPU-bound kernel: the sum of i*i for 0 <= i < n."""
    return sum(i * i for i in range(n))


def run_serial(values, workers):
    return [task(v) for v in values]


def run_threads(values, workers):
    """Like the C lesson: each thread sums one contiguous block of the numbers."""
    results = [None] * len(values)
    size, extra = divmod(len(values), workers)

    def worker(first, last):
        for k in range(first, last):
            results[k] = task(values[k])

    threads, first = [], 0
    for w in range(workers):
        last = first + size + (1 if w < extra else 0)
        threads.append(threading.Thread(target=worker, args=(first, last)))
        first = last
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def run_pool(values, workers):
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(task, values))


def run_processes(values, workers):
    with multiprocessing.Pool(processes=workers) as pool:
        return pool.map(task, values, chunksize=1)


def run_process_executor(values, workers):
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(task, values, chunksize=1))


def positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected an integer, got "{text}"')
    if value < 1:
        raise argparse.ArgumentTypeError(f'expected an integer of at least 1, got "{text}"')
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="serial")
    parser.add_argument("--workers", type=positive, default=os.cpu_count() or 2)
    parser.add_argument("--start", type=positive, default=5_000_000)
    parser.add_argument("--count", type=positive, default=20)
    args = parser.parse_args()

    values = list(range(args.start, args.start + args.count))
    run = globals()["run_" + args.mode.replace("-", "_")]
    results = run(values, args.workers)

    total = sum(results)
    expected = sum((n - 1) * n * (2 * n - 1) // 6 for n in values)
    ok = total == expected
    print(f"RESULT tasks={len(results)} total={total} expected={expected} {'OK' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
