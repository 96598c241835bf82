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

# The numeric options of a lesson: those whose value is spelled with a metavariable other
# than NAME or PATH in its --help ("--threads N", "--latency S").
numeric_options() {
    "$BUILD/$1" --help | grep -oE -- '--[a-z][a-z-]*[ =][A-Z][A-Z0-9_]*' |
        grep -vE ' (NAME|PATH)$' | cut -d ' ' -f 1 | sort -u
}

# refused LESSON OPTION VALUE: exit 2 and the one-line contract, or fail saying what broke.
refused() {
    local lesson=$1 opt=$2 value=$3 err rc=0 shown
    err=$(timeout 10 "$BUILD/$lesson" "$opt" "$value" 2>&1 >/dev/null) || rc=$?
    shown=$(printf '%q' "$value")
    [ "$rc" -eq 2 ] || fail "$lesson $opt $shown: exit $rc, expected 2: $err"
    local first=${err%%$'\n'*} rest=${err#*$'\n'}
    [[ "$first" == "$lesson: $opt: "* ]] || fail "$lesson $opt $shown: first line: $first"
    [[ "$rest" == "usage: $lesson "* ]] || fail "$lesson $opt $shown: not one line, then the usage: $err"
    [[ ! "$first" =~ [^\ -~] ]] || fail "$lesson $opt $shown: a raw control or non-ASCII byte in: $(cat -v <<<"$first")"
}

@test "every numeric option of every lesson refuses what is not plain decimal" {
    export LC_ALL=C # byte ranges in [[ =~ ]] below
    local values=('' ' 5' '+5' '0x10' '1e3' 'nan' $'5\n' '05' '.5' '99999999999999999999'
        $'\e]0;pwned\a' $'\xff\xfe' "$(printf '9%.0s' {1..5000})")
    local n=0 lesson opt v
    for bin in "$BUILD"/[0-9][0-9]_*; do
        lesson=$(basename "$bin")
        [[ "$lesson" == *_mpi_* ]] && continue # MPI lessons start under mpirun: their own file
        for opt in $(numeric_options "$lesson"); do
            for v in "${values[@]}"; do
                refused "$lesson" "$opt" "$v"
                n=$((n + 1))
            done
        done
    done
    ((n > 800)) || fail "only $n cases: did --help change its format?"
}

@test "a seeded batch of random bytes is refused the same way" {
    export LC_ALL=C
    RANDOM=2026 # the same values every run
    local lesson opt v i
    for bin in "$BUILD"/[0-9][0-9]_*; do
        lesson=$(basename "$bin")
        [[ "$lesson" == *_mpi_* ]] && continue
        for opt in $(numeric_options "$lesson"); do
            for i in 1 2; do
                # 1-12 bytes from 0x01..0xff with a letter in it: never a plain decimal
                v=x
                for _ in $(seq $((RANDOM % 12))); do
                    v+=$(printf "\\x$(printf %02x $((RANDOM % 255 + 1)))")
                done
                refused "$lesson" "$opt" "$v"
            done
        done
    done
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
