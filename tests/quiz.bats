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
        [[ -x "$BUILD/$name" ]] || fail "$name is not built"
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
