# helper.bash: loaded by every tests/*.bats with `load helper`.
#
#   build TARGET...            make the named targets (quietly) from the top of the tree
#   run_lesson SECS NAME ARGS  run $BUILD/NAME under `timeout SECS`, so a hang fails the test
#   assert_usage_error WORD    after `run --separate-stderr`: exit 2, a line naming WORD
#                              on stderr, the usage after it, nothing on stdout
#   usage_errors NAME "WORD|ARGS"...  each ARGS (split on spaces) is a usage error of
#                              $BUILD/NAME whose line names WORD
#   need_valgrind              skip the test where valgrind is not installed
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
