/*
 * lessons/21_mpi_sum_squares.c's quiz: "predict, then run" questions, each with the
 * command that settles it and the answer. ./build/21_mpi_sum_squares --quiz asks them,
 * --answers answers them, and tests/21_mpi_sum_squares.bats runs every command
 * (check_quiz). They live here, not in the lesson, so that reading the lesson gives no
 * answer away.
 */

/* Run without mpirun, the program is a world of one rank (MPI's "singleton"), so these
 * questions are the ones a single rank settles. What 2 ranks show (the split, --variant
 * halves losing a carry) needs mpirun: see the header. */
static const struct quiz quiz[] = {
    { .ask = "Started without mpirun, how many ranks does the world have, and which of the "
             "numbers (--start 1000 --count 3) does rank 0 compute?",
      .run = "./build/21_mpi_sum_squares --start 1000 --count 3",
      .status = 0,
      .shows = { "^21_mpi_sum_squares: .* over 1 rank\\(s\\), variant=carry, median of 1 "
                 "run\\(s\\)$",
                 "^  rank 0 on .+: 3 numbers, n = 1000 \\.\\. 1002, computed in "
                 "[0-9]+\\.[0-9]{4} s",
                 "^RESULT ranks=1 total=1001502501 expected=1001502501 "
                 "seconds=[0-9]+\\.[0-9]{6} OK$" },
      .why = "One rank, and it computes all three. MPI_Init without a launcher makes a world "
             "of one process; the collectives still run, each with a single member: "
             "Scatterv hands rank 0 the whole list and Reduce has nothing to add." },
    { .ask = "--variant halves adds the two 64-bit words of the totals with MPI_SUM, each on "
             "its own, so a carry from the low word is lost. Each of the 20 default sums is "
             "over 2^64. Without mpirun (one rank), does --variant halves fail?",
      .run = "./build/21_mpi_sum_squares --variant halves",
      .status = 0,
      .shows = { "^21_mpi_sum_squares: .* over 1 rank\\(s\\), variant=halves, median of 1 "
                 "run\\(s\\)$",
                 "^  the reduced total equals the sum of the gathered sums$",
                 "^RESULT ranks=1 total=833337833344750010830 "
                 "expected=833337833344750010830 seconds=[0-9]+\\.[0-9]{6} OK$" },
      .why = "No. The rank adds its own sums with ss_add, which carries; MPI_SUM only adds "
             "one rank's total to another's, and with one rank there is nothing to add. Under "
             "mpirun -np 2 the two low words overflow when added, and the total comes out "
             "2^64 short: FAIL." },
    { .ask = "What does --count 0 do, and does the program get as far as MPI_Init?",
      .run = "./build/21_mpi_sum_squares --count 0",
      .status = 2,
      .shows = { "^21_mpi_sum_squares: --count: expected an integer from 1 to 100000, got "
                 "\"0\"$",
                 "^usage: 21_mpi_sum_squares \\[--start S\\]" },
      .why = "Exit 2 with one line and the usage, before MPI_Init. Every rank gets the same "
             "arguments, so every rank reaches the same verdict on its own and may exit(2): "
             "nothing is started yet that would need MPI_Finalize, and no rank is left "
             "waiting in a collective. Only rank 0 prints it." },
};
