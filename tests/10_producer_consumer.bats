# 10_producer_consumer: every message is logged exactly once and in per-handler order, the
# depth stays within the capacity, and shutdown ends every logger; checked both by the
# lesson's own verdict and, independently, from the lines it prints.
load helper

LESSON=10_producer_consumer

setup_file() {
    build "$BUILD/$LESSON"
}

# check_lines PRODUCERS MESSAGES LOGGERS CAPACITY: read the chatter in $output and check
#  - each handler printed "queued #1..#M" in that order, at a depth from 1 to C;
#  - each (handler, #) was written by a logger exactly once, nothing else was written;
#  - each logger saw each handler's numbers increasing (by exactly 1 with one logger:
#    a lone logger prints in the order it takes, and the queue is FIFO);
#  - a logger took at a depth from 0 to C-1;
#  - main said once, after every handler's last line, how many were left when it closed.
check_lines() {
    local problems
    problems=$(awk -v P="$1" -v M="$2" -v L="$3" -v C="$4" '
        match($0, /^handler [0-9]+ queued #[0-9]+  \[queue [0-9]+\/[0-9]+\]/) {
            split(substr($0, 1, RLENGTH), f, /[ #\[\/\]]+/)   # handler p queued s queue d c
            p = f[2]; s = f[4]; d = f[6]; c = f[7]
            if (s != sent[p] + 1) print "handler " p " queued #" s " after #" sent[p] + 0
            sent[p] = s; puts++
            if (d < 1 || d > C || c != C) print "put depth " d "/" c " outside 1.." C
            next
        }
        match($0, /^    logger [0-9]+ writes: handler [0-9]+ #[0-9]+ /) {
            split(substr($0, 1, RLENGTH), f, /[ #:]+/)        # "" logger l writes handler p s
            l = f[3]; p = f[6]; s = f[7]
            if (++times[p, s] > 1) print "handler " p " #" s " written twice"
            last = seen[l, p] + 0
            if (L == 1 ? s != last + 1 : s <= last) print "logger " l " wrote handler " p " #" s " after #" last
            seen[l, p] = s; takes++
            if (match($0, /\[queue [0-9]+\/[0-9]+\]/)) {
                split(substr($0, RSTART, RLENGTH), g, /[ \[\/\]]+/)
                if (g[3] < 0 || g[3] > C - 1 || g[4] != C) print "take depth " g[3] "/" g[4] " outside 0.." C - 1
            } else print "logger line without a depth: " $0
            next
        }
        /^main: every handler is done, [0-9]+ messages? still queued: closing the queue$/ {
            split($0, f, /[ ,]+/); closes++                  # main: every handler is done K
            if (puts != P * M) print "main closed the queue after " puts + 0 " puts of " P * M
            if (f[6] < 0 || f[6] > C) print "closed with " f[6] " queued, outside 0.." C
            next
        }
        END {
            if (closes != 1) print "main said it closed the queue " closes + 0 " times"
            for (p = 0; p < P; p++) {
                if (sent[p] != M) print "handler " p " queued " sent[p] + 0 " of " M
                for (s = 1; s <= M; s++) if (times[p, s] != 1) print "handler " p " #" s " written " times[p, s] + 0 " times"
            }
            if (puts != P * M) print "puts: " puts + 0 " lines, expected " P * M
            if (takes != P * M) print "writes: " takes + 0 " lines, expected " P * M
        }' <<<"$output")
    [[ -z "$problems" ]] || fail "$(head -20 <<<"$problems")"
}

verdict_ok() {
    assert_equal "${lines[-1]}" "RESULT produced=$1 consumed=$1 duplicates=0 out_of_order=0 OK"
}

# ---- exactly once, in order ------------------------------------------------------------

@test "defaults, no naps: 3 x 20 messages, all logged once, in order" {
    run_lesson 20 "$LESSON" --scale 0
    assert_success
    assert_line --index 0 "3 handlers x 20 messages -> queue of 4 -> 1 logger"
    verdict_ok 60
    check_lines 3 20 1 4
}

@test "with short naps the classroom pace still ends well" {
    run_lesson 20 "$LESSON" --scale 0.02
    assert_success
    verdict_ok 60
    check_lines 3 20 1 4
}

@test "capacity 1 with many handlers: every message once, in order" {
    run_lesson 30 "$LESSON" --scale 0 --producers 16 --capacity 1 --messages 100
    assert_success
    verdict_ok 1600
    check_lines 16 100 1 1
    assert_line --regexp '^queue: 1 slots, deepest 1; '
}

@test "capacity 1, many handlers and several loggers" {
    run_lesson 30 "$LESSON" --scale 0 --producers 12 --capacity 1 --messages 100 --loggers 4
    assert_success
    verdict_ok 1200
    check_lines 12 100 4 1
}

@test "several loggers share the work: each message once, each logger sees increasing numbers" {
    for loggers in 2 3 16; do
        run_lesson 30 "$LESSON" --scale 0 --producers 4 --messages 300 --capacity 8 --loggers "$loggers"
        assert_success
        verdict_ok 1200
        check_lines 4 300 "$loggers" 8
    done
}

@test "a queue larger than all the messages, one handler, one message" {
    run_lesson 20 "$LESSON" --scale 0 --producers 1 --messages 1 --capacity 1000
    assert_success
    verdict_ok 1
    check_lines 1 1 1 1000
}

@test "the deepest the queue got is within its capacity" {
    for capacity in 1 2 5; do
        run_lesson 20 "$LESSON" --scale 0 --producers 6 --messages 200 --capacity "$capacity"
        assert_success
        [[ "$output" =~ queue:\ $capacity\ slots,\ deepest\ ([0-9]+)\; ]] || fail "no queue summary"
        ((BASH_REMATCH[1] >= 1 && BASH_REMATCH[1] <= capacity)) ||
            fail "deepest ${BASH_REMATCH[1]} outside 1..$capacity"
    done
}

@test "repeated runs all end OK (shutdown never hangs or drops the tail)" {
    for _ in 1 2 3 4 5 6 7 8; do
        run_lesson 20 "$LESSON" --scale 0 --producers 5 --messages 40 --capacity 2 --loggers 3
        assert_success
        verdict_ok 200
    done
}

# ---- command line ----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run_lesson 5 "$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 10_producer_consumer \[--producers N\]'
    for opt in --messages --capacity --loggers --scale; do
        assert_output --partial "$opt"
    done
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--producers|--producers x"
        "--producers|--producers 0"
        "--producers|--producers -1"
        "--producers|--producers 65"
        "--producers|--producers 99999999999999999999999"
        "--messages|--messages 1.5"
        "--messages|--messages 0"
        "--messages|--messages 100001"
        "--capacity|--capacity 0"
        "--capacity|--capacity -3"
        "--capacity|--capacity 99999999999999999999999"
        "--loggers|--loggers 0"
        "--loggers|--loggers 17"
        "--loggers|--loggers two"
        "--scale|--scale -0.5"
        "--scale|--scale fast"
        "--scale|--scale 1e999"
        "--scale|--scale nan"
        "unknown option|--mode unsafe"
        "needs a value|--capacity"
        "unexpected argument \"now\"|--scale 0 now"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
