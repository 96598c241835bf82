# http: lessons/lib/http.h's own test program (tests/http_test.c) checks the request and
# response parsers, the writers and the blocking reads: every status path, limits at
# exactly the limit and one over, keep-alive rules, pipelining, and a seeded fuzz run in
# which every input fed a byte at a time must give its whole verdict. It prints
# "ok - ..." per check and "N passed, M failed" last. Here: the plain build, a bigger
# fuzz run with another seed, and the same program under ASan+UBSan.
load helper

PROG=tests/http_test

setup_file() {
    build "$BUILD/$PROG"
}

# The last line says "N passed, 0 failed" with N > 0, no check failed, exit status 0.
assert_all_passed() {
    assert_success
    [[ "${lines[-1]}" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || fail "last line: ${lines[-1]}"
    ((BASH_REMATCH[1] > 0)) || fail "no check ran"
    refute_line --regexp '^not ok'
}

@test "every check passes" {
    run_lesson 30 "$PROG"
    assert_all_passed
    # a few of the promises, by name, so that a renamed or dropped check is noticed
    assert_line 'ok - HTTP/1.1 without Host -> 400'
    assert_line 'ok - HTTP/2.0 -> 505'
    assert_line 'ok - Transfer-Encoding: chunked -> 501'
    assert_line 'ok - a request line of exactly 8192 bytes is taken'
    assert_line 'ok - one byte more is 413, also fed a byte at a time'
    assert_line 'ok - a head of exactly 16384 bytes is taken, whole and a byte at a time'
    assert_line 'ok - pipelined: the first request takes its bytes, the second follows'
    assert_line 'ok - keep_alive=0 for "GET / HTTP/1.0\x0d\n\x0d\n"'
    assert_line 'ok - stop: a whole request that arrived is served, then stop (got ok, stop)'
    assert_line --regexp '^ok - fuzz: 3000 inputs \(seed 2026\): [0-9]+ done, [0-9]+ incomplete, [0-9]+ errors'
}

@test "fuzz: 10000 inputs of another seed, every one agrees with itself fed in pieces" {
    run_lesson 60 "$PROG" --fuzz 10000 --seed 7
    assert_all_passed
    assert_line 'ok - fuzz: fed a byte at a time, every input gives its whole verdict'
}

@test "ASan+UBSan: every check and a fuzz run, no error, no leak" {
    build_sanitized asan "$PROG"
    run timeout 120 "$BUILD/asan/$PROG"
    assert_all_passed
    refute_output --partial "Sanitizer"
}

@test "bad usage exits 2 with a message and the usage" {
    run --separate-stderr "$BUILD/$PROG" --fuzz x
    assert_usage_error "--fuzz"
    run --separate-stderr "$BUILD/$PROG" --seed -1
    assert_usage_error "--seed"
    run --separate-stderr "$BUILD/$PROG" extra
    assert_usage_error "extra"
    run "$BUILD/$PROG" --help
    assert_success
    assert_line --partial "usage: http_test"
}
