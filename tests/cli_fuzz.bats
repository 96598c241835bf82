# cli_fuzz: every numeric option of every lesson, fed values that C's strtol and strtod would
# take or half-take (" 5", "+5", "0x10", "1e3", "nan", "5\n", "05"), overflow, escape
# sequences, long values, and a seeded batch of random bytes. Each must be refused as bad
# usage: exit 2, one line on stderr naming the option, the value shown escaped (no raw
# newline, no raw control byte), then the usage. The options come from each lesson's own
# --help, so a new option is fuzzed without editing this file.
load helper

setup_file() {
    build lessons
}

# The cases themselves are driven by tests/cli_fuzz.py (a thousand processes from a bash
# loop took over a minute; from Python, seconds): one line per case that breaks the
# contract, then "cli_fuzz: N cases, M broke the contract".
@test "every numeric option of every lesson refuses what is not plain decimal, or random bytes" {
    run timeout 120 tests/cli_fuzz.py "$BUILD"
    assert_success
    assert_line --index -1 --regexp '^cli_fuzz: [0-9]+ cases, 0 broke the contract$'
}

# A lesson whose parser takes anything: the fuzzer must notice (or it proves nothing).
@test "the fuzzer catches a lesson that accepts a bad number, or prints it raw" {
    mkdir -p "$BATS_TEST_TMPDIR/b"
    # shellcheck disable=SC2016 # the fake lesson's own $1, $2
    printf '%s\n' '#!/bin/sh' \
        'if [ "$1" = --help ]; then echo "usage: 98_lax [--count N] [--label NAME]"; exit 0; fi' \
        'exit 0' >"$BATS_TEST_TMPDIR/b/98_lax"
    printf '%s\n' '#!/bin/sh' \
        'if [ "$1" = --help ]; then echo "usage: 99_raw [--count N]"; exit 0; fi' \
        'printf "99_raw: %s: bad value %s\nusage: 99_raw [--count N]\n" "$1" "$2" >&2; exit 2' \
        >"$BATS_TEST_TMPDIR/b/99_raw"
    chmod +x "$BATS_TEST_TMPDIR/b/98_lax" "$BATS_TEST_TMPDIR/b/99_raw"
    run timeout 60 tests/cli_fuzz.py "$BATS_TEST_TMPDIR/b"
    assert_failure 1
    assert_line --regexp "^98_lax --count b' 5': exit 0, expected 2"
    refute_line --regexp '^98_lax --label' # NAME is not a number
    assert_line "99_raw --count b'5\\n': not one line, then the usage: b'99_raw: --count: bad value 5\\n\\nusage: 99_raw [--count N]\\n'"
    assert_line --partial "99_raw --count b'\\x1b]0;pwned\\x07': a raw control or non-ASCII byte in:"
    refute_line --regexp "^99_raw --count b'\+5'" # escaped and one line: as it should be
    assert_line --index -1 --regexp '^cli_fuzz: 30 cases, [0-9]+ broke the contract$'
}

@test "plain decimal is still accepted, a '-' only where the range is negative" {
    run --separate-stderr timeout 20 "$BUILD/08_race_counter" --threads 2 --iterations 1000
    assert_success
    run --separate-stderr timeout 20 "$BUILD/13_io_bound" --scale 0.01 --tasks 2
    assert_success
    run --separate-stderr timeout 20 "$BUILD/08_race_counter" --threads -2
    assert_failure 2
    [[ "$stderr" == *'--threads: expected an integer from 1 to 1024, got "-2"'* ]]
}

@test "an unknown option and a missing value: one escaped line, the usage, exit 2" {
    run --separate-stderr "$BUILD/08_race_counter" $'--thr\eeads'
    assert_failure 2
    assert_equal "${stderr%%$'\n'*}" '08_race_counter: unknown option "--thr\x1beads"'
    run --separate-stderr "$BUILD/08_race_counter" --threads
    assert_failure 2
    assert_equal "${stderr%%$'\n'*}" '08_race_counter: option "--threads" needs a value'
}
