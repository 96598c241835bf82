# 21_mpi_sum_squares: over MPI ranks every per-number sum and the reduced two-word total must
# equal the closed form, whatever the split (even, uneven, idle ranks, one rank), and agree
# with lesson 14's serial total; --variant halves (MPI_SUM on the two words) must lose exactly
# the carries; every rank exits with the verdict; bad input exits 2 with one message, from
# rank 0 only. Timings are never judged here, only the form of the lesson's own report on
# them (what MPI_Init took, each rank's share of a CPU, at most one doubt). Expected totals
# are computed independently in Python:
#   sum((n-1)*n*(2*n-1)//6 for n in range(start, start+count))
# Every test is skipped, saying why, when OpenMPI is not installed (scripts/install-deps.sh mpi).
load helper

LESSON=21_mpi_sum_squares
DEFAULT_TOTAL=833337833344750010830 # the 20 numbers 5,000,000 .. 5,000,019
SMALL=(--start 50000 --count 8)
SMALL_TOTAL=333393339000196
UNEVEN=(--start 1000 --count 3)
UNEVEN_TOTAL=1001502501

# mpirun as these tests need it, on one machine (found on Debian 12, OpenMPI 4.1.4, in a
# container, as root; each setting is harmless where it is not needed):
#   --allow-run-as-root  only as root (CI containers): mpirun refuses root otherwise. The
#                        lesson itself is not changed; OMPI_ALLOW_RUN_AS_ROOT=1 with
#                        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 in the environment does the same.
#   --oversubscribe      2 ranks even on a 1-core machine (mpirun's default is at most one
#                        rank per core, and it refuses more).
#   btl=self,vader       the ranks talk through shared memory only, never TCP, so no rank
#                        opens a socket (the project stays on loopback);
#   oob_tcp_if_include   mpirun's channel to daemons on other machines: loopback only (it
#                        still listens on every address, as OpenMPI 4 does; on one machine
#                        nothing connects to it; the ranks reach mpirun on 127.0.0.1);
#   btl_vader_single_copy_mechanism=none  containers often forbid the cross-process copy
#                        (CMA, process_vm_readv) that vader uses for large messages;
#   pml=ob1              the point-to-point layer for shared memory (what OpenMPI picks here
#                        anyway) named up front: probing the others (cm, which loads the PSM
#                        libraries) costs each run about 0.2 s of its 0.3 s start-up.
MPIRUN=(mpirun --oversubscribe)
if [ "$(id -u)" -eq 0 ]; then
    MPIRUN+=(--allow-run-as-root)
fi
export OMPI_MCA_btl=self,vader
export OMPI_MCA_oob_tcp_if_include=lo
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_pml=ob1

have_mpi() {
    command -v mpicc >/dev/null && command -v mpirun >/dev/null
}

# Every test starts with need_mpi (bats 1.8 cannot skip a whole file from setup_file).
need_mpi() {
    have_mpi || skip "OpenMPI is not installed (no mpicc or mpirun): scripts/install-deps.sh mpi"
}

setup_file() {
    if have_mpi; then
        build mpi
    fi
}

# mpirun_lesson SECS NP ARGS...: the lesson on NP ranks, under timeout, through bats's run.
# Put --separate-stderr first to keep stderr apart.
mpirun_lesson() {
    local sep=()
    if [ "$1" = --separate-stderr ]; then
        sep=(--separate-stderr)
        shift
    fi
    local secs=$1 np=$2
    shift 2
    run "${sep[@]}" timeout "$secs" "${MPIRUN[@]}" -np "$np" "$BUILD/$LESSON" "$@"
}

# The verdict line of a successful run: RANKS ranks, the TOTAL as both total and expected.
assert_ok() {
    local ranks=$1 total=$2
    assert_success
    local seconds='seconds=[0-9]+\.[0-9]{6}'
    assert_regex "${lines[-1]}" "^RESULT ranks=$ranks total=$total expected=$total $seconds OK$"
    assert_line "  the reduced total equals the sum of the gathered sums"
    assert_times_told
}

# Every run says what MPI_Init took against the work, and judges its own seconds= at most
# once: a rank line carries its share of a CPU only when the rank computed 10 ms or more.
assert_times_told() {
    assert_line --regexp '^  MPI_Init took [0-9]+\.[0-9]{3} s on rank 0, [0-9]+\.[0-9] times the work \(seconds=\); under mpirun, starting the ranks came before that$'
    local line doubts
    for line in "${lines[@]}"; do
        if [[ "$line" =~ ^\ \ rank\ [0-9]+\ on\ .+,\ computed\ in\ ([0-9]+\.[0-9]{4})\ s(.*)$ ]]; then
            if awk -v s="${BASH_REMATCH[1]}" 'BEGIN { exit !(s >= 0.0105) }'; then
                assert_regex "${BASH_REMATCH[2]}" '^, with [0-9]+% of a CPU$'
            elif awk -v s="${BASH_REMATCH[1]}" 'BEGIN { exit !(s < 0.0095) }'; then
                assert_equal "${BASH_REMATCH[2]}" ""
            fi
        fi
    done
    doubts=$(printf '%s\n' "${lines[@]}" | grep -c '^  Doubt: ' || true)
    ((doubts <= 1)) || fail "$doubts doubts"
}

@test "2 ranks, the default work: 10 numbers each, all 20 sums and the total exact" {
    need_mpi
    mpirun_lesson 60 2
    assert_ok 2 "$DEFAULT_TOTAL"
    assert_line --regexp '^  rank 0 on .+: 10 numbers, n = 5000000 \.\. 5000009, computed in '
    assert_line --regexp '^  rank 1 on .+: 10 numbers, n = 5000010 \.\. 5000019, computed in '
    assert_line "  20/20 per-number sums equal the closed form (n-1) n (2n-1) / 6"
}

@test "the same total as lesson 14's serial mode for the same numbers" {
    need_mpi
    build "$BUILD/14_sum_squares"
    run_lesson 30 14_sum_squares --mode serial "${SMALL[@]}"
    assert_success
    local serial
    serial=$(sed -n 's/^RESULT .*total=\([0-9]*\) .*/\1/p' <<<"${lines[-1]}")
    assert_equal "$serial" "$SMALL_TOTAL"
    mpirun_lesson 30 2 "${SMALL[@]}"
    assert_ok 2 "$serial"
}

@test "uneven splits: 3 numbers over 2 ranks are 1 + 2; 2 numbers over 3 ranks leave one idle" {
    need_mpi
    mpirun_lesson 30 2 "${UNEVEN[@]}"
    assert_ok 2 "$UNEVEN_TOTAL"
    assert_line --regexp '^  rank 0 on .+: 1 number, n = 1000, computed in '
    assert_line --regexp '^  rank 1 on .+: 2 numbers, n = 1001 \.\. 1002, computed in '
    assert_line "  3/3 per-number sums equal the closed form (n-1) n (2n-1) / 6"

    mpirun_lesson 30 3 --start 1000 --count 2
    assert_ok 3 $((332833500 + 333833500))
    assert_line --regexp '^  rank 0 on .+: no numbers \(more ranks than numbers\)$'
}

@test "1 rank under mpirun, and the program alone (a one-rank world without mpirun)" {
    need_mpi
    mpirun_lesson 30 1 "${SMALL[@]}"
    assert_ok 1 "$SMALL_TOTAL"
    assert_line --regexp '^  rank 0 on .+: 8 numbers, n = 50000 \.\. 50007, computed in '
    run_lesson 30 "$LESSON" "${SMALL[@]}"
    assert_ok 1 "$SMALL_TOTAL"
}

@test "--runs 3: every run is checked, the median is reported" {
    need_mpi
    mpirun_lesson 30 2 "${SMALL[@]}" --runs 3
    assert_ok 2 "$SMALL_TOTAL"
    assert_line --index 0 --partial "over 2 rank(s), variant=carry, median of 3 run(s)"
}

@test "--variant carry by name: the default, the same exact total" {
    need_mpi
    mpirun_lesson 30 2 "${SMALL[@]}" --variant carry
    assert_ok 2 "$SMALL_TOTAL"
    assert_line --index 0 --partial "over 2 rank(s), variant=carry, median of 1 run(s)"
}

@test "--variant halves: right on 1 rank, exactly one lost carry (2^64) short on 2: FAIL" {
    need_mpi
    mpirun_lesson 30 1 --variant halves
    assert_ok 1 "$DEFAULT_TOTAL"
    assert_line --index 0 --partial "over 1 rank(s), variant=halves, median of 1 run(s)"

    mpirun_lesson --separate-stderr 60 2 --variant halves # stderr: mpirun's note on exit 1
    assert_failure 1
    # 833337833344750010830 - 2^64: the per-rank low words overflow once when added
    local short=814891089271040459214
    assert_regex "${lines[-1]}" "^RESULT ranks=2 total=$short expected=$DEFAULT_TOTAL .* FAIL$"
    assert_line "  20/20 per-number sums equal the closed form (n-1) n (2n-1) / 6"
    assert_line --regexp '^  the reduced total is 1 x 2\^64 short of the gathered sums: '
}

# Each rank goes through a tiny shell that reports the rank's own exit status; mpirun is told
# not to end the job at the first non-zero status, so every rank gets to report.
@test "every rank exits with the verdict: 0, 1 (FAIL), 2 (usage)" {
    need_mpi
    # shellcheck disable=SC2016 # for the rank's shell to expand, not this one
    local wrap='"$0" "$@"; s=$?; echo "rank $OMPI_COMM_WORLD_RANK exited with $s"; exit $s'
    local args expect
    for args in "--count 2:0" "--variant halves:1" "--count 0:2"; do
        expect=${args##*:}
        # shellcheck disable=SC2086 # the arguments are meant to split
        run --separate-stderr timeout 60 "${MPIRUN[@]}" --mca orte_abort_on_non_zero_status 0 \
            -np 2 sh -c "$wrap" "$BUILD/$LESSON" ${args%:*}
        assert_line "rank 0 exited with $expect"
        assert_line "rank 1 exited with $expect"
    done
}

@test "the sample hostfile (this machine, 2 slots) runs 2 ranks" {
    need_mpi
    run timeout 30 "${MPIRUN[@]}" --hostfile lessons/mpi_hostfile.example -np 2 \
        "$BUILD/$LESSON" "${UNEVEN[@]}"
    assert_ok 2 "$UNEVEN_TOTAL"
}

# Parsing happens before MPI_Init, the same on every rank, so the program alone checks it
# all quickly; under mpirun (where each failing run costs mpirun 1-2 s to wind down) two
# cases show that only rank 0 speaks and that mpirun passes the 2 on.
@test "bad input: exit 2, one message (from rank 0 only), the usage, nothing on stdout" {
    need_mpi
    local bad
    for bad in "--count 0:--count" "--count 100001:--count" "--start -1:--start" \
        "--start 1e3:--start" "--start 99999999999999999999:--start" "--runs 0:--runs" \
        "--variant sum:--variant" "--variant op:--variant" "--variant:--variant" \
        "--bogus:unknown option" "stray:unexpected argument"; do
        # shellcheck disable=SC2086 # the arguments are meant to split
        run --separate-stderr timeout 10 "$BUILD/$LESSON" ${bad%%:*}
        assert_usage_error "${bad#*:}"
    done
    for bad in "--count 0:--count" "--bogus:unknown option"; do
        # shellcheck disable=SC2086 # the arguments are meant to split
        mpirun_lesson --separate-stderr 30 2 ${bad%%:*}
        assert_usage_error "${bad#*:}"
        # the other rank parsed in silence: one message and one usage in all
        # shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
        assert_equal "$(grep -c -- "$LESSON: " <<<"$stderr")" 1
        assert_equal "$(grep -c '^usage: ' <<<"$stderr")" 1
    done
}

@test "the old spelling --reduce is gone: an unknown option, exit 2" {
    need_mpi
    usage_errors "$LESSON" 'unknown option "--reduce"|--reduce halves' \
        'unknown option "--reduce"|--reduce op --count 2' \
        'unknown option "--reduce=halves"|--reduce=halves'
}

@test "--help: the usage once on stdout, exit 0, on every rank" {
    need_mpi
    mpirun_lesson --separate-stderr 30 2 --help
    assert_success
    assert_equal "${lines[0]}" \
        "usage: $LESSON [--start S] [--count C] [--runs R] [--variant carry|halves]"
    assert_equal "$(grep -c '^usage: ' <<<"$output")" 1
    assert_output --partial "mpirun -np N"
}

# ASan + UBSan on 2 ranks. OpenMPI's own libraries keep memory until exit, so LeakSanitizer
# would drown in their leaks: tests/openmpi.lsan.supp silences leaks allocated inside them.
# For that to work every stack must name its library: full unwinding (fast_unwind_on_malloc=0)
# and OpenMPI's plugins kept loaded (mca_base_component_disable_dlclose=1). A leak of the
# lesson's own still shows (checked by hand: a missing free() fails this test).
@test "AddressSanitizer + UBSan, with leak checking of the lesson's own memory, on 2 ranks" {
    need_mpi
    # shellcheck disable=SC2016 # $(ASAN_FLAGS) is for make to expand, not the shell
    build BUILD="$BUILD/asan" SAN='$(ASAN_FLAGS)' CFLAGS='-O1 -g' "$BUILD/asan/$LESSON"
    run env OMPI_MCA_mca_base_component_disable_dlclose=1 ASAN_OPTIONS=fast_unwind_on_malloc=0 \
        LSAN_OPTIONS="suppressions=$ROOT/tests/openmpi.lsan.supp:print_suppressions=0" \
        timeout 120 "${MPIRUN[@]}" -np 2 "$BUILD/asan/$LESSON" "${UNEVEN[@]}" --runs 2
    refute_output --partial "Sanitizer"
    refute_output --partial "runtime error"
    assert_ok 2 "$UNEVEN_TOTAL"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    need_mpi
    check_quiz "$LESSON"
}
