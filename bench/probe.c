/*
 * probe: how fast this machine is right now, in three numbers, for scripts/bench.sh to note
 * before and after each step.
 *
 *   make benches && ./build/bench/probe   # probe single_ms=6.31 capacity=1.97 uneven=1.03 cpus=2
 *
 * A virtual machine's CPU is a share of someone else's: the host may place a virtual CPU on
 * a core whose other hyperthread another guest keeps busy, or on a slower core, and nothing
 * inside the guest sees it (no load, no steal time, 100% idle). What it does show is a fixed
 * piece of work taking longer. On the 2-vCPU VM this suite was measured on, the same loop
 * took 6.3 ms in one second and 12.2 ms in the next, for minutes at a time; a run's figures
 * taken in such a spell are not the machine's figures.
 *
 *   single_ms  one thread running a fixed loop (burn(), about 5 ms on a fast core): the
 *              median of --reps tries. Compare it with the run's own fastest probe.
 *   capacity   how many CPUs' worth of that work the machine gave when every online CPU
 *              ran the same loop at once, one thread pinned to each (Linux; elsewhere
 *              unpinned): cpus x single time / time for all of them, median of the
 *              tries. Near cpus on an idle machine with cores of its own; lower when the
 *              "CPUs" share cores, or others hold them.
 *   uneven     the loop pinned to each CPU in turn, alone: the slowest CPU's median time
 *              over the fastest's. Near 1 when the CPUs are alike. On the VM above one
 *              virtual CPU ran the loop in 22 ms and the other in 26 to 33 ms for minutes:
 *              then a speedup depends on which CPU the serial baseline happened to run on
 *              (a process's main thread tends to stay where it started), and one process
 *              measures 1.4x where the next measures 2.4x for the same code.
 *
 * The loop's length is fixed (not calibrated at start-up, which would hide a slow spell),
 * so probes of one run, and of one machine, compare directly.
 */
#include "bench.h"
#include "cpu.h"

static const char usage[] =
    "[--reps R] [--help]\n"
    "  --reps R   tries, 1..101 (default 9); each times the loop alone, then on every CPU\n"
    "Prints: probe single_ms=X capacity=Y uneven=Z cpus=N\n";

enum { LOOP_NUMBERS = 2000000 }; /* about 5 ms of burn() on a 2020s server core */

/* The loop, on CPU *arg if arg is not NULL (pinned: where the scheduler would have put a
 * fresh thread is lesson 14's subject, not the probe's). */
static void *loop(void *arg)
{
    if (arg)
        (void)pin_thread_to_cpu(pthread_self(), *(int *)arg); /* ENOSYS: left unpinned */
    volatile uint64_t sink = burn(1, LOOP_NUMBERS);
    (void)sink;
    return NULL;
}

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    int reps = 9;
    static const struct option longopts[] = {
        {"reps", required_argument, NULL, 'r'},
        CLI_HELP, CLI_END,
    };
    for (int opt; (opt = cli_next(argc, argv, longopts)) != -1;)
        if (opt == 'r')
            reps = (int)parse_long("--reps", optarg, 1, 101);

    int cpus = online_cpus(), cpu_of[1024];
    void *args[1024];
    if (cpus > 1024)
        cpus = 1024;
    for (int i = 0; i < cpus; i++) {
        cpu_of[i] = i;
        args[i] = &cpu_of[i];
    }
    static double single[101], capacity[101], on_cpu[1024][101];
    loop(NULL); /* warm-up: page in the code, wake the core */
    for (int r = 0; r < reps; r++) {
        int64_t t0 = now_ns();
        loop(NULL);
        double one = (double)(now_ns() - t0);
        double all = (double)run_threads(cpus, loop, args);
        single[r] = one / 1e6;
        capacity[r] = cpus * one / all;
        for (int c = 0; c < cpus; c++)
            on_cpu[c][r] = (double)run_threads(1, loop, &args[c]);
    }
    double fastest = 0, slowest = 0;
    for (int c = 0; c < cpus; c++) {
        double m = median(on_cpu[c], reps);
        if (c == 0 || m < fastest)
            fastest = m;
        if (m > slowest)
            slowest = m;
    }
    printf("probe single_ms=%.2f capacity=%.2f uneven=%.2f cpus=%d\n", median(single, reps),
           median(capacity, reps), fastest > 0 ? slowest / fastest : 1.0, cpus);
    return EXIT_OK;
}
