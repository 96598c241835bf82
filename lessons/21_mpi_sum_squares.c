/*
 * 21_mpi_sum_squares: lesson 14's CPU-bound work across MPI ranks. A rank is a process
 * that may live on another machine: nothing is shared, every number and every answer
 * travels as a message, and the messages are collectives that every rank calls together.
 *
 *   scripts/install-deps.sh mpi && make mpi                # OpenMPI; plain `make` skips this
 *   mpirun -np 2 build/21_mpi_sum_squares                  # 2 ranks on this machine
 *   mpirun -np 1 build/21_mpi_sum_squares                  # the baseline: one rank
 *   mpirun -np 2 build/21_mpi_sum_squares --variant halves # the wrong reduction: FAIL
 *   (as root, mpirun refuses to start unless you add --allow-run-as-root)
 *
 * The one change that runs it across machines is a hostfile, which names the machines and
 * how many ranks each takes (lessons/mpi_hostfile.example):
 *   mpirun --hostfile hosts -np 8 build/21_mpi_sum_squares
 * mpirun starts the ranks over ssh, so every machine needs password-less ssh from this
 * one, the same OpenMPI, and the program at the same path. The code does not change.
 *
 * The story in four collectives, each called by every rank:
 *   MPI_Scatterv  rank 0 owns the list of numbers and deals out one block to each rank
 *                 (the v: blocks differ by one when the ranks do not divide the count);
 *   (compute)     each rank sums the squares for its own numbers: ss_sum_squares, as in 14;
 *   MPI_Reduce    the ranks' totals are added on the way to rank 0, by an operation we
 *                 define that carries between the two 64-bit words of a total
 *                 (lessons/lib/sum_squares.h): --variant carry, the default;
 *   MPI_Gatherv   every per-number sum comes back too, only so rank 0 can check each one
 *                 against the closed form, as every mode of lesson 14 does.
 *
 * Notice:
 *   - each of 2 ranks computes half the numbers, so on 2 free cores the work takes about
 *     half as long as with 1 (seconds=, the slowest rank's time from a common start,
 *     measured inside the program with MPI_Wtime). Each rank's line says how much of a CPU
 *     it had while it computed; when one had under 80%, or ranks with equal work took
 *     times 25% apart, a doubt says seconds= cannot be compared with another run's.
 *   - starting costs far more than this work: the program prints what MPI_Init alone took
 *     (on our 2-core VM, 0.09 s and up: 2 to 10 times the work), and `time mpirun ...`
 *     shows all of it (measured: 0.31 s against 0.03 s; `mpirun --mca pml ob1`, which
 *     skips probing for cluster networks, brings it to 0.12 s). That is why MPI is for
 *     jobs of minutes or hours, not milliseconds.
 *   - MPI_SUM cannot add our totals: on two 64-bit words it adds the low words and the
 *     high words separately, and the carry out of the low words is lost. --variant halves
 *     does just that: right with 1 rank (nothing is added), 2^64 short with 2 ranks.
 *   - only rank 0 prints. Every rank may print, but mpirun forwards each rank's output on
 *     its own, so lines from different ranks arrive in no promised order.
 * Try: -np 3 (add --oversubscribe when you have only 2 cores): 20 numbers split 6+7+7, and
 * with 3 ranks on 2 cores, some rank has less than a whole CPU: the doubt says so.
 *
 * Verdict: the last line, printed by rank 0,
 *   RESULT ranks=2 total=833337833344750010830 expected=833337833344750010830 seconds=0.029234 OK
 * The exit status agrees on every rank: 0 when every per-number sum and the reduced total
 * equal the closed form, 1 otherwise, 2 for bad usage (mpirun then adds its own note that
 * a process "returned a non-zero exit code"; that is mpirun talking, not the lesson).
 */
#include "program.h"
#include "cpu.h"
#include "sum_squares.h"
#include "quizzes/21_mpi_sum_squares.h" /* --quiz and --answers: its questions */

#include <fcntl.h>
#include <inttypes.h>
#include <mpi.h>
#include <unistd.h>

static const char usage[] =
    "[--start S] [--count C] [--runs R] [--variant carry|halves]\n"
    "  Run it under mpirun: mpirun -np N 21_mpi_sum_squares ... (alone, it is one rank).\n"
    "  For each of C numbers n = S .. S+C-1, the sum of i*i for 0 <= i < n, the numbers\n"
    "  dealt out over the ranks. Rank 0 checks every sum and the total.\n"
    "  --start    the first number n, 0..1000000000 (default 5000000)\n"
    "  --count    how many numbers, 1..100000 (default 20)\n"
    "  --runs     do it all R times and report the median seconds, 1..100 (default 1)\n"
    "  --variant  carry (default): add the two-word totals with our own MPI operation,\n"
    "             which carries from the low word into the high word;\n"
    "             halves: MPI_SUM on each 64-bit word, which loses the carries (FAIL)\n";

enum variant { VARIANT_CARRY, VARIANT_HALVES };
static const char *const variant_names[] = {"carry", "halves", NULL};

static struct {
    uint64_t start;
    int count;
    long runs;
    enum variant variant;
} cfg = {5000000, 20, 1, VARIANT_CARRY};

/* ---- the command line, before MPI_Init ---------------------------------------------- */

/* Why parse before MPI_Init: mpirun gives every rank the same argv, so every rank reaches
 * the same verdict on it without a word to the others. A usage error can then end each
 * rank with exit(2) (as common.h's usage_error does), which is allowed before MPI_Init:
 * there is nothing to finalize yet. After MPI_Init, leaving without MPI_Finalize is an
 * error that mpirun reports as an abnormal end, and a rank that left early could leave the
 * others waiting in a collective until mpirun kills them.
 *
 * Only one rank should say what was wrong. Before MPI_Init there is no MPI_Comm_rank, but
 * the launcher has put the rank in the environment: OMPI_COMM_WORLD_RANK (OpenMPI),
 * PMI_RANK (MPICH) or PMIX_RANK. Without any of them (no mpirun) we are the only rank. */
static bool launcher_rank_is_zero(void)
{
    const char *names[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *v = getenv(names[k]);
        if (v)
            return strcmp(v, "0") == 0;
    }
    return true;
}

static void parse_args(int argc, char **argv)
{
    static const struct option opts[] = {
        {"start", required_argument, NULL, 's'}, {"count", required_argument, NULL, 'c'},
        {"runs", required_argument, NULL, 'r'},  {"variant", required_argument, NULL, 'v'},
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 's': cfg.start = (uint64_t)parse_long("--start", optarg, 0, 1000000000); break;
        case 'c': cfg.count = (int)parse_long("--count", optarg, 1, 100000); break;
        case 'r': cfg.runs = parse_long("--runs", optarg, 1, 100); break;
        case 'v':
            cfg.variant = (enum variant)parse_choice("--variant", optarg, variant_names);
            break;
        }
    }
}

/* The other ranks parse in silence: stdout and stderr point at /dev/null while they do,
 * and are put back afterwards. They exit with the same status as rank 0 all the same. */
static void parse_args_quietly(int argc, char **argv)
{
    int out = dup(STDOUT_FILENO), err = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (out < 0 || err < 0 || null < 0)
        die_errno("dup or open /dev/null");
    if (dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)
        die_errno("dup2");
    close(null);
    parse_args(argc, argv);
    if (dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
        die_errno("dup2");
    close(out);
    close(err);
}

/* ---- adding two-word totals inside MPI_Reduce ---------------------------------------- */

/* MPI moves bytes described by a datatype: ours is two uint64_t in a row, the layout of
 * ss_u128 (two 64-bit members, no padding; checked here at compile time). */
_Static_assert(sizeof(ss_u128) == 2 * sizeof(uint64_t), "ss_u128 must be two bare words");

/* The reduction operation: MPI calls it with two arrays of `len` values and wants
 * inout[k] = in[k] + inout[k]. ss_add carries from the low word into the high word. */
static void add_u128(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    const ss_u128 *a = in;
    ss_u128 *b = inout;
    for (int k = 0; k < *len; k++)
        b[k] = ss_add(a[k], b[k]);
}

/* ---- one run: scatter, compute, reduce, gather ---------------------------------------- */

/* Rank r gets the numbers [r*count/size, (r+1)*count/size): blocks differ by one at most,
 * the same split as lesson 14's threads. Every rank can work the split out for itself. */
static int block_from(int r, int size)
{
    return (int)((long)cfg.count * r / size);
}

typedef struct {
    int rank, size;
    MPI_Datatype u128;     /* two uint64_t: one ss_u128 */
    MPI_Op add;            /* add_u128 */
    int *counts, *displs;  /* the split, for Scatterv and Gatherv (needed on rank 0) */
    uint64_t *numbers;     /* rank 0: all of them */
    ss_u128 *sums;         /* rank 0: every per-number sum, gathered */
    uint64_t *mine;        /* this rank's block of numbers */
    ss_u128 *my_sums;      /* and their sums */
} world;

typedef struct {
    double seconds;  /* the slowest rank, from the barrier to the end (rank 0) */
    double computed; /* this rank's time in ss_sum_squares */
    double cpu;      /* and the CPU seconds it spent there */
    ss_u128 total;   /* the reduced total (rank 0) */
} run_times;

static run_times one_run(world *w)
{
    run_times t = {0};
    int mine = w->counts[w->rank];
    ss_u128 poison = {UINT64_MAX, UINT64_MAX}; /* a sum nobody writes stays visibly wrong */
    for (int k = 0; k < mine; k++)
        w->my_sums[k] = poison;
    for (int k = 0; w->rank == 0 && k < cfg.count; k++)
        w->sums[k] = poison;

    MPI_Barrier(MPI_COMM_WORLD); /* everyone starts the clock together */
    double t0 = MPI_Wtime();
    MPI_Scatterv(w->numbers, w->counts, w->displs, MPI_UINT64_T, w->mine, mine, MPI_UINT64_T,
                 0, MPI_COMM_WORLD);

    double c0 = MPI_Wtime(), cpu0 = cpu_seconds_self();
    ss_u128 partial = {0, 0};
    for (int k = 0; k < mine; k++) {
        w->my_sums[k] = ss_sum_squares(w->mine[k]);
        partial = ss_add(partial, w->my_sums[k]);
    }
    t.computed = MPI_Wtime() - c0;
    t.cpu = cpu_seconds_self() - cpu0;

    if (cfg.variant == VARIANT_CARRY) /* FIXED: one value of our type, added by our op */
        MPI_Reduce(&partial, &t.total, 1, w->u128, w->add, 0, MPI_COMM_WORLD);
    else /* BROKEN (halves): two separate words, each added by MPI_SUM: carries are lost */
        MPI_Reduce(&partial, &t.total, 2, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Gatherv(w->my_sums, mine, w->u128, w->sums, w->counts, w->displs, w->u128, 0,
                MPI_COMM_WORLD);
    double elapsed = MPI_Wtime() - t0;

    /* The job took as long as its slowest rank. */
    MPI_Reduce(&elapsed, &t.seconds, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    return t;
}

/* ---- the report (rank 0) ------------------------------------------------------------- */

/* Who did what: one line per rank, from what the ranks sent to rank 0 (per rank: seconds
 * computing, and CPU seconds meanwhile). A rank's share of a CPU is said when it computed
 * for 10 ms or more (CPU clocks are coarser than that). */
static void print_ranks(const world *w, const char *hosts, const double *times)
{
    for (int r = 0; r < w->size; r++) {
        const char *host = hosts + (size_t)r * MPI_MAX_PROCESSOR_NAME;
        double computed = times[2 * r], cpu = times[2 * r + 1];
        char share[32] = "";
        if (w->counts[r] == 0) {
            printf("  rank %d on %s: no numbers (more ranks than numbers)\n", r, host);
            continue;
        }
        if (computed >= 0.010)
            snprintf(share, sizeof share, ", with %.0f%% of a CPU", 100 * cpu / computed);
        uint64_t first = cfg.start + (uint64_t)w->displs[r];
        uint64_t last = first + (uint64_t)w->counts[r] - 1;
        if (first == last)
            printf("  rank %d on %s: 1 number, n = %" PRIu64 ", computed in %.4f s%s\n", r,
                   host, first, computed, share);
        else
            printf("  rank %d on %s: %d numbers, n = %" PRIu64 " .. %" PRIu64
                   ", computed in %.4f s%s\n",
                   r, host, w->counts[r], first, last, computed, share);
    }
}

/* Can seconds= be compared with another run's (1 rank against 2, say)? Not when a rank had
 * under 80% of a CPU while it computed: it shared one, with another rank (more ranks than
 * free cores) or with other programs. Nor when ranks with as many numbers as the busiest
 * took times 25% apart: their CPUs did not run at one speed. */
static void doubt_seconds(const world *w, const double *times)
{
    int most = 0, slow = -1, fast = -1;
    for (int r = 0; r < w->size; r++)
        most = w->counts[r] > most ? w->counts[r] : most;
    for (int r = 0; r < w->size; r++) {
        double computed = times[2 * r], cpu = times[2 * r + 1];
        if (w->counts[r] > 0 && computed >= 0.010 && cpu < 0.8 * computed) {
            printf("  Doubt: rank %d had %.0f%% of a CPU while it computed, so seconds= cannot "
                   "be compared with another run's\n", r, 100 * cpu / computed);
            return;
        }
        if (w->counts[r] == most && (slow < 0 || computed > times[2 * slow]))
            slow = r;
        if (w->counts[r] == most && (fast < 0 || computed < times[2 * fast]))
            fast = r;
    }
    if (most > 0 && times[2 * fast] >= 0.010 && times[2 * slow] > 1.25 * times[2 * fast])
        printf("  Doubt: ranks %d and %d, %d numbers each, took %.4f s and %.4f s, so seconds= "
               "cannot be compared with another run's\n", fast, slow, most, times[2 * fast],
               times[2 * slow]);
}

/* How many per-number sums equal the closed form (n-1) n (2n-1) / 6. */
static int count_exact(const world *w)
{
    int exact = 0;
    for (int k = 0; k < cfg.count; k++)
        exact += ss_equal(w->sums[k], ss_sum_squares_formula(w->numbers[k]));
    return exact;
}

/* The reduced total against the sum of the gathered sums: do they agree, and if not, is the
 * difference whole carries (multiples of 2^64) that went missing between the two words? */
static void explain_total(const world *w, ss_u128 reduced)
{
    ss_u128 gathered = {0, 0};
    for (int k = 0; k < cfg.count; k++)
        gathered = ss_add(gathered, w->sums[k]);
    if (ss_equal(reduced, gathered))
        printf("  the reduced total equals the sum of the gathered sums\n");
    else if (reduced.lo == gathered.lo && reduced.hi < gathered.hi)
        printf("  the reduced total is %" PRIu64 " x 2^64 short of the gathered sums: "
               "carries lost between the two words\n",
               gathered.hi - reduced.hi);
    else
        printf("  the reduced total differs from the sum of the gathered sums\n");
}

/* ---- setting up and tearing down ---------------------------------------------------- */

static void *alloc(size_t n, size_t size)
{
    void *p = xcalloc(n ? n : 1, size);
    return p;
}

/* Our datatype and operation, the split, and the buffers: rank 0 alone holds the list. */
static world world_create(void)
{
    world w = {0};
    MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w.size);
    MPI_Type_contiguous(2, MPI_UINT64_T, &w.u128);
    MPI_Type_commit(&w.u128);
    MPI_Op_create(add_u128, 1 /* commutative */, &w.add);

    w.counts = alloc((size_t)w.size, sizeof *w.counts);
    w.displs = alloc((size_t)w.size, sizeof *w.displs);
    for (int r = 0; r < w.size; r++) {
        w.displs[r] = block_from(r, w.size);
        w.counts[r] = block_from(r + 1, w.size) - w.displs[r];
    }
    w.mine = alloc((size_t)w.counts[w.rank], sizeof *w.mine);
    w.my_sums = alloc((size_t)w.counts[w.rank], sizeof *w.my_sums);
    if (w.rank == 0) {
        w.numbers = alloc((size_t)cfg.count, sizeof *w.numbers);
        w.sums = alloc((size_t)cfg.count, sizeof *w.sums);
        for (int k = 0; k < cfg.count; k++)
            w.numbers[k] = cfg.start + (uint64_t)k;
    }
    return w;
}

static void world_free(world *w)
{
    free(w->numbers);
    free(w->sums);
    free(w->mine);
    free(w->my_sums);
    free(w->counts);
    free(w->displs);
    MPI_Op_free(&w->add);
    MPI_Type_free(&w->u128);
}

/* Every rank sends rank 0 the name of its machine, its compute time and the CPU time it
 * spent meanwhile; rank 0 prints. */
static void report_ranks(const world *w, double computed, double cpu)
{
    char host[MPI_MAX_PROCESSOR_NAME] = "";
    int len;
    MPI_Get_processor_name(host, &len);
    char *hosts = NULL;
    double *all = NULL;
    if (w->rank == 0) {
        hosts = alloc((size_t)w->size, MPI_MAX_PROCESSOR_NAME);
        all = alloc(2 * (size_t)w->size, sizeof *all);
    }
    double mine[2] = {computed, cpu};
    MPI_Gather(host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, hosts, MPI_MAX_PROCESSOR_NAME,
               MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Gather(mine, 2, MPI_DOUBLE, all, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (w->rank == 0) {
        print_ranks(w, hosts, all);
        doubt_seconds(w, all);
    }
    free(hosts);
    free(all);
}

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    if (launcher_rank_is_zero())
        parse_args(argc, argv);
    else
        parse_args_quietly(argc, argv);

    /* From here on every rank must reach MPI_Finalize. MPI's default error handler ends
     * the whole job on any failed MPI call, so the calls need no checks of their own; a
     * rank that crashes is noticed by mpirun, which ends the others. */
    double init_began = now_s();
    MPI_Init(NULL, NULL);
    double init_s = now_s() - init_began; /* starting MPI: the part of start-up we can see */
    world w = world_create();
    if (w.rank == 0)
        printf("%s: the sum of i*i for i < n, for %d numbers n = %" PRIu64 " .. %" PRIu64
               ", over %d rank(s), variant=%s, median of %ld run(s)\n",
               prog_name, cfg.count, cfg.start, cfg.start + (uint64_t)cfg.count - 1, w.size,
               variant_names[cfg.variant], cfg.runs);

    /* Rank 0 checks every run; the total shown is the last run's, or the first wrong one. */
    double *seconds = alloc((size_t)cfg.runs, sizeof *seconds);
    double *computed = alloc((size_t)cfg.runs, sizeof *computed);
    double *cpu = alloc((size_t)cfg.runs, sizeof *cpu);
    ss_u128 expected = {0, 0}, total = {0, 0};
    for (int k = 0; k < cfg.count; k++)
        expected = ss_add(expected, ss_sum_squares_formula(cfg.start + (uint64_t)k));
    bool ok = true;
    for (long run = 0; run < cfg.runs; run++) {
        run_times t = one_run(&w);
        seconds[run] = t.seconds;
        computed[run] = t.computed;
        cpu[run] = t.cpu;
        if (w.rank == 0 && ok) {
            total = t.total;
            ok = count_exact(&w) == cfg.count && ss_equal(total, expected);
        }
    }

    report_ranks(&w, median(computed, cfg.runs), median(cpu, cfg.runs));
    int status = EXIT_OK;
    if (w.rank == 0) {
        double work_s = median(seconds, cfg.runs);
        printf("  MPI_Init took %.3f s on rank 0, %.1f times the work (seconds=); under mpirun, "
               "starting the ranks came before that\n", init_s, init_s / work_s);
        printf("  %d/%d per-number sums equal the closed form (n-1) n (2n-1) / 6\n",
               count_exact(&w), cfg.count);
        explain_total(&w, total);
        char tx[SS_DIGITS], ex[SS_DIGITS];
        status = verdict(ok, "ranks=%d total=%s expected=%s seconds=%.6f", w.size,
                         ss_format(total, tx), ss_format(expected, ex), work_s);
    }
    /* Rank 0 knows the verdict; every rank leaves with it. */
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);

    free(seconds);
    free(computed);
    free(cpu);
    world_free(&w);
    MPI_Finalize();
    return status;
}
