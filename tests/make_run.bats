# make_run: `make run L=NN` runs one lesson by its number; L is checked by make and never
# reaches a shell, so a crafted L runs nothing and several numbers are refused, not half-run.
load helper

@test "make run L=08 runs lesson 08 with ARGS" {
    # ARGS reach the lesson as its options: the mode and the sizes show in its verdict
    run --separate-stderr timeout 120 make -s run L=08 ARGS='--variant mutex --threads 2 --iterations 1000'
    assert_success
    assert_equal "${lines[-1]}" "RESULT variant=mutex counter=2000 expected=2000 OK"
}

@test "L=1 and L=01 name the same lesson; the command is said before it runs" {
    local l
    for l in 1 01; do
        run --separate-stderr timeout 120 make -s run L="$l" ARGS='--threads 2 --scale 0.01'
        assert_success
        assert_equal "${lines[0]}" "build/01_threads --threads 2 --scale 0.01"
        assert_line --index -1 --regexp '^RESULT '
    done
}

@test "a lesson's FAIL or STUCK is named with its status; make itself can only say 2" {
    run --separate-stderr timeout 120 make -s run L=04 ARGS='--variant bad-order --timeout 0.5'
    assert_failure 2
    assert_line --index -1 --regexp '^RESULT variant=bad-order .* STUCK$'
    [[ "$stderr" == *"make run: 04_deadlock exited with status 3 (STUCK: a watchdog gave up)"* ]] ||
        fail "no status line: $stderr"
    # the echoed command, run by hand, gives the lesson's own status
    assert_equal "${lines[0]}" "build/04_deadlock --variant bad-order --timeout 0.5"
    run timeout 60 build/04_deadlock --variant bad-order --timeout 0.5
    assert_failure 3
}

@test "L=21 runs the MPI lesson on 2 ranks through mpirun" {
    command -v mpicc >/dev/null && command -v mpirun >/dev/null ||
        skip "OpenMPI is not installed: scripts/install-deps.sh mpi"
    run --separate-stderr timeout 120 make -s run L=21 ARGS='--start 1000 --count 4'
    assert_success
    [[ "${lines[0]}" == *"mpirun -np 2 --oversubscribe"*"build/21_mpi_sum_squares --start 1000 --count 4" ]] ||
        fail "not the mpirun command: ${lines[0]}"
    assert_line --index -1 --regexp '^RESULT ranks=2 .* OK$'
}

@test "make tsan L=08: the race reported live, exit 66 named; the mutex variant clean" {
    run --separate-stderr timeout 300 make -s tsan L=08 ARGS='--variant unsafe --threads 2 --iterations 20000'
    assert_failure 2
    [[ "$stderr" == *"WARNING: ThreadSanitizer: data race"* ]] || fail "no report: $stderr"
    [[ "$stderr" == *"make tsan: 08_race_counter exited with status 66 (ThreadSanitizer reported)"* ]] ||
        fail "no status line: $stderr"
    run --separate-stderr timeout 300 make -s tsan L=08 ARGS='--variant mutex --threads 2 --iterations 20000'
    assert_success
    [[ "$stderr" != *"ThreadSanitizer"* ]] || fail "a report on the mutex variant: $stderr"
}

@test "make helgrind L=04: the lock-order inversion reported with the locks' addresses named" {
    command -v valgrind >/dev/null || skip "valgrind is not installed"
    run --separate-stderr timeout 300 make -s helgrind L=04 ARGS='--variant bad-order --timing lucky'
    assert_failure 2
    # the lesson names its locks' addresses; helgrind's report uses the same two
    local db file
    db=$(sed -n 's/^locks: database at \(0x[0-9a-f]*\), file at .*/\1/p' <<<"$output")
    file=$(sed -n 's/^locks: database at 0x[0-9a-f]*, file at \(0x[0-9a-f]*\)$/\1/p' <<<"$output")
    [[ -n "$db" && -n "$file" ]] || fail "no locks line: $output"
    [[ "${stderr,,}" == *"lock order \"${db,,} before ${file,,}\" violated"* ||
        "${stderr,,}" == *"lock order \"${file,,} before ${db,,}\" violated"* ]] ||
        fail "no lock-order report naming $db and $file: $stderr"
    [[ "$stderr" == *"make helgrind: 04_deadlock exited with status 99 (valgrind reported errors)"* ]]
    run --separate-stderr timeout 300 make -s helgrind L=04 ARGS='--variant one-order'
    assert_success
    [[ "$stderr" == *"ERROR SUMMARY: 0 errors"* ]] || fail "$stderr"
}

@test "a crafted L runs nothing; two numbers, none or a non-lesson are usage errors" {
    local mark="$BATS_TEST_TMPDIR/pwned"
    for bad in "x\"; touch $mark; echo \"" "\$(shell touch $mark)" "03 04" "99" "%" "0"; do
        run --separate-stderr timeout 60 make -s run L="$bad"
        assert_failure 2
        [[ "$stderr" == *"make run: L must be one lesson number"* ]] || fail "L=$bad: $stderr"
        [ ! -e "$mark" ] || fail "L=$bad ran a command"
    done
    run --separate-stderr timeout 60 make -s run
    assert_failure 2
    [[ "$stderr" == *"usage: make run L=NN"* ]]
}
