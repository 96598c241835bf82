# helper.bash: loaded by every tests/*.bats with `load helper`.
#
#   build TARGET...            make the named targets (quietly) from the top of the tree
#   run_lesson SECS NAME ARGS  run $BUILD/NAME under `timeout SECS`, so a hang fails the test
#   assert_usage_error WORD    after `run --separate-stderr`: exit 2, a line naming WORD
#                              on stderr, the usage after it, nothing on stdout
#   usage_errors NAME "WORD|ARGS"...  each ARGS (split on spaces) is a usage error of
#                              $BUILD/NAME whose line names WORD
#   need_valgrind              skip the test where valgrind is not installed
#   check_quiz NAME            run each command of $BUILD/NAME's quiz (--answers) and check
#                              its exit status and the lines its answer says it shows
#   build_sanitized asan|tsan TARGET  build one program the way `make asan`/`make tsan`
#                              would (same folder, same flags), so a lesson elsewhere that
#                              does not build cannot fail the test
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BUILD="${BUILD:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac

setup() {
    bats_load_library bats-support
    bats_load_library bats-assert
    cd "$ROOT"
}

build() {
    make -C "$ROOT" -s BUILD="$BUILD" "$@" >&2
}

run_lesson() {
    local secs=$1 name=$2
    shift 2
    run timeout "$secs" "$BUILD/$name" "$@"
}

assert_usage_error() {
    assert_equal "$status" 2
    assert_equal "$output" ""
    [[ "$stderr" == *"$1"* ]] || fail "stderr does not mention '$1': $stderr"
    [[ "$stderr" == *"usage: "* ]] || fail "stderr does not show the usage: $stderr"
}

usage_errors() {
    local name=$1 case word args
    shift
    for case in "$@"; do
        word=${case%%|*}
        args=${case#*|}
        # shellcheck disable=SC2086  # split the arguments on purpose
        run --separate-stderr timeout 5 "$BUILD/$name" $args
        assert_usage_error "$word"
    done
}

need_valgrind() {
    command -v valgrind >/dev/null || skip "valgrind is not installed"
}

build_sanitized() {
    local kind=$1 target=$2 flags
    # shellcheck disable=SC2016 # $(...) is for make to expand, not the shell
    case $kind in
        asan) flags='$(ASAN_FLAGS)' ;;
        tsan) flags='$(TSAN_FLAGS)' ;;
    esac
    build BUILD="$BUILD/$kind" SAN="$flags" CFLAGS='-O1 -g' "$BUILD/$kind/$target"
}

# A lesson's --answers gives, for each question, "   run:   COMMAND", "   exit:  STATUS" and
# one or more "   shows: REGEX" lines (program.h, struct quiz). Each command runs from the top
# of the tree (./build/ meaning $BUILD/), under a timeout; it must end with STATUS, and its
# output (stdout and stderr) must have a line matching each REGEX, each one after the
# line the one before it matched. (Each failure returns at once, errexit or not: the test
# of check_quiz itself runs it under `run`.)
check_quiz() {
    local name=$1 answers line i k from found re cmd
    local -a runs=() statuses=() shows=()
    answers=$("$BUILD/$name" --answers) || { fail "$name --answers exited $?"; return 1; }
    while IFS= read -r line; do
        case $line in
            "   run:   "*) runs+=("${line#   run:   }") shows+=("") ;;
            "   exit:  "*) statuses+=("${line#   exit:  }") ;;
            "   shows: "*) shows[${#runs[@]} - 1]+="${line#   shows: }"$'\n' ;;
        esac
    done <<<"$answers"
    ((${#runs[@]} >= 3)) || { fail "$name: ${#runs[@]} questions in its quiz, fewer than 3"; return 1; }
    for i in "${!runs[@]}"; do
        cmd=${runs[$i]//.\/build\//$BUILD/}
        run timeout -k 5 60 bash -c "$cmd"
        [[ "$status" == "${statuses[$i]}" ]] || {
            fail "$name question $((i + 1)): \`${runs[$i]}\` exited $status, the answer says ${statuses[$i]}"
            return 1
        }
        from=0
        while IFS= read -r re; do
            [[ -n "$re" ]] || continue
            found=
            for ((k = from; k < ${#lines[@]}; k++)); do
                if [[ "${lines[$k]}" =~ $re ]]; then found=$k; break; fi
            done
            [[ -n "$found" ]] || {
                fail "$name question $((i + 1)): no line of \`${runs[$i]}\` matches /$re/ (after line $from)"
                return 1
            }
            from=$((found + 1))
        done <<<"${shows[$i]}"
        [[ -n "${shows[$i]}" ]] || { fail "$name question $((i + 1)): the answer shows nothing"; return 1; }
    done
}
