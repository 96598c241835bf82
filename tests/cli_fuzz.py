#!/usr/bin/env python3
"""cli_fuzz.py BUILD: every numeric option of every lesson in BUILD, fed bad values.

The options come from each lesson's own --help: those whose value is spelled with a
metavariable other than NAME or PATH ("--threads N", "--latency S"), so a new option is
fuzzed without editing anything. Each gets the values C's strtol and strtod would take or
half-take (" 5", "+5", "0x10", "1e3", "nan", "5\\n", "05"), overflow, escape sequences, a
long value, and two seeded random byte strings (the same every run). Each must be refused as
bad usage: exit 2, one line on stderr naming the lesson and the option, the value shown
escaped (no raw control byte, nothing outside printable ASCII), then the usage.

One line per case that breaks the contract, then the count:
    cli_fuzz: 1043 cases, 0 broke the contract
Exit 0 when none broke it, 1 otherwise (or when there were suspiciously few cases: did
--help change its format?), 2 on bad usage. MPI lessons start under mpirun: not here.

(A Python loop rather than bash: a thousand cases take seconds, not a minute.)
"""
import os
import random
import re
import subprocess
import sys

FIXED = [b"", b" 5", b"+5", b"0x10", b"1e3", b"nan", b"5\n", b"05", b".5",
         b"99999999999999999999", b"\x1b]0;pwned\x07", b"\xff\xfe", b"9" * 5000]
OPTION = re.compile(rb"--[a-z][a-z-]*[ =]([A-Z][A-Z0-9_]*)")


def numeric_options(prog):
    text = subprocess.run([prog, "--help"], capture_output=True, timeout=10).stdout
    return sorted({m.group(0)[:-len(m.group(1)) - 1] for m in OPTION.finditer(text)
                   if m.group(1) not in (b"NAME", b"PATH")})


def random_value(rng):
    # 1-12 bytes from 0x01..0xff starting with a letter: never a plain decimal
    return b"x" + bytes(rng.randrange(1, 256) for _ in range(rng.randrange(12)))


def broken(prog, lesson, opt, value):
    """Why this case breaks the contract, or None."""
    try:
        r = subprocess.run([prog, opt, value], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=10)
    except subprocess.TimeoutExpired:
        return "still running after 10 s"
    first, _, rest = r.stderr.partition(b"\n")
    if r.returncode != 2:
        return f"exit {r.returncode}, expected 2: {r.stderr[:200]!r}"
    if not first.startswith(lesson + b": " + opt + b": "):
        return f"first line does not name the option: {first[:200]!r}"
    if not rest.startswith(b"usage: " + lesson + b" "):
        return f"not one line, then the usage: {r.stderr[:200]!r}"
    if re.search(rb"[^ -~]", first):
        return f"a raw control or non-ASCII byte in: {first[:200]!r}"
    return None


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print("usage: cli_fuzz.py BUILD", file=sys.stderr)
        return 2
    build = sys.argv[1]
    rng = random.Random(2026)
    cases = bad = 0
    for name in sorted(os.listdir(build)):
        prog = os.path.join(build, name)
        if not re.fullmatch(r"[0-9][0-9]_\w+", name) or "_mpi_" in name \
                or not os.access(prog, os.X_OK) or os.path.isdir(prog):
            continue
        lesson = name.encode()
        for opt in numeric_options(prog):
            for value in FIXED + [random_value(rng), random_value(rng)]:
                cases += 1
                why = broken(prog, lesson, opt, value)
                if why:
                    bad += 1
                    print(f"{name} {opt.decode()} {value[:40]!r}: {why}")
    print(f"cli_fuzz: {cases} cases, {bad} broke the contract")
    return 1 if bad or cases < 800 else 0


if __name__ == "__main__":
    sys.exit(main())
