# quiz: every lesson has 3 to 5 "predict, then run" questions (program.h, struct quiz).
# `--quiz` asks them and gives the command that settles each, without giving the answer
# away; `--answers` adds the exit status, what the output shows and why; the lesson's own
# tests/NN_topic.bats runs every command (check_quiz) and checks it shows what it says.
load helper

# Each lesson in lessons/, as its program name.
lesson_names() {
    local src
    for src in "$ROOT"/lessons/[0-9][0-9]_*.c; do
        src=${src##*/}
        echo "${src%.c}"
    done
}

@test "every lesson asks 3 to 5 questions with --quiz, each with its command, no answers" {
    local name n
    for name in $(lesson_names); do
        if [[ ! -x "$BUILD/$name" ]]; then
            # the MPI lesson needs mpicc, which make test installs; its own tests skip without
            [[ $name == *_mpi_* ]] && ! command -v mpicc >/dev/null && continue
            fail "$name is not built"
        fi
        run --separate-stderr timeout 5 "$BUILD/$name" --quiz
        assert_success
        assert_equal "$stderr" ""
        assert_line --index 0 "$name: predict, then run (the answers: --answers)"
        n=$(grep -cE '^[0-9]+\. ' <<<"$output")
        ((n >= 3 && n <= 5)) || fail "$name: $n questions"
        assert_equal "$(grep -cE '^   run:   \./build/' <<<"$output")" "$n"
        refute_line --regexp '^   (exit|shows|why): '
    done
}

@test "every lesson's --answers gives each question its status, what it shows, and why" {
    local name n
    for name in $(lesson_names); do
        [[ -x "$BUILD/$name" ]] || continue # the first test says why
        run --separate-stderr timeout 5 "$BUILD/$name" --answers
        assert_success
        n=$(grep -cE '^[0-9]+\. ' <<<"$output")
        ((n >= 3 && n <= 5)) || fail "$name: $n questions"
        assert_equal "$(grep -cE '^   run:   \./build/' <<<"$output")" "$n"
        assert_equal "$(grep -cE '^   exit:  [0-9]+$' <<<"$output")" "$n"
        assert_equal "$(grep -cE '^   why:   ' <<<"$output")" "$n"
        # at least one "shows:" line after every "exit:" line
        (($(grep -cE '^   shows: .' <<<"$output") >= n)) || fail "$name: a question shows nothing"
        assert_equal "$(grep -A1 -E '^   exit:  ' <<<"$output" | grep -cE '^   shows: ')" "$n"
    done
}

@test "every lesson's usage offers --quiz and --answers, and its tests run the quiz" {
    local name
    for name in $(lesson_names); do
        [[ -x "$BUILD/$name" ]] || continue # the first test says why
        run --separate-stderr timeout 5 "$BUILD/$name" --help
        assert_success
        assert_line --regexp '^  --quiz '
        assert_line --regexp '^  --answers '
        grep -q 'check_quiz' "$ROOT/tests/$name.bats" || fail "tests/$name.bats does not run check_quiz"
    done
}

@test "--quiz=1 is a usage error that says the option takes no value" {
    run --separate-stderr timeout 5 "$BUILD/01_threads" --quiz=1
    assert_usage_error 'option "--quiz=1" takes no value'
}

# A stand-in lesson whose --answers says what $ANSWER_* ask for, and whose commands print
# "one", "two", "RESULT ok" in that order and exit with $1.
fake_lesson() {
    local dir=$BATS_TEST_TMPDIR/build
    mkdir -p "$dir"
    cat >"$dir/fake" <<SCRIPT
#!/usr/bin/env bash
if [ "\$1" = --answers ]; then
    echo "fake: predict, then run"
    for i in 1 2 3; do
        printf '\n%s. Does it?\n   run:   ./build/fake %s\n   exit:  %s\n' "\$i" "$1" "$2"
        printf '   shows: %s\n' $3
        printf '   why:   Because.\n'
    done
    exit 0
fi
printf 'one\ntwo\nRESULT ok\n'
exit "\$1"
SCRIPT
    chmod +x "$dir/fake"
}

@test "check_quiz fails an answer whose status, pattern or order is wrong" {
    fake_lesson 0 0 "^one$ ^two$ ^RESULT"
    BUILD=$BATS_TEST_TMPDIR/build run check_quiz fake
    assert_success
    fake_lesson 1 0 "^one$"
    BUILD=$BATS_TEST_TMPDIR/build run check_quiz fake
    assert_failure
    assert_output --partial 'fake question 1: `./build/fake 1` exited 1, the answer says 0'
    fake_lesson 0 0 "^three$"
    BUILD=$BATS_TEST_TMPDIR/build run check_quiz fake
    assert_failure
    assert_output --partial 'fake question 1: no line of `./build/fake 0` matches /^three$/'
    fake_lesson 0 0 "^two$ ^one$"
    BUILD=$BATS_TEST_TMPDIR/build run check_quiz fake
    assert_failure
    assert_output --partial 'matches /^one$/ (after line 2)'
}
