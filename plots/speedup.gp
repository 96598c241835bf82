# speedup.gp: lesson 14's speedup over serial against the number of workers, one line per
# mode, the ideal line min(workers, cores), and Amdahl's law fitted to the threads mode:
#     S(n) = 1 / (f + (1 - f) / min(n, cores)),   f = the serial fraction
# Reads data/hf-sumsq-MODE.dat: workers median min max speedup speedup_lo speedup_hi.
# Variables: modes (words), fitmode, dofit (0: too few points for a fit). The mode mpi, when
# measured, is lesson 21 under mpirun with 1..cores ranks (start-up and all).
set title "Sum of squares (lesson 14): speedup over serial, whole program (hyperfine)"
set xlabel "workers (threads or processes) or MPI ranks"
set ylabel "speedup (serial median / median)"
set xtics 1
set yrange [0:cores * 1.45] # headroom for the key above the lines
set key top left

# (real, not integer: gnuplot's 1/2 is 0)
ideal(n) = n < cores ? n * 1.0 : cores * 1.0
# Amdahl's law is linear in f once turned over: 1/S - 1/p = f (1 - 1/p), p = min(n, cores)
# (each point's own f is the Karp-Flatt metric). So f comes from a straight-line fit through
# the origin, which cannot fail the way a nonlinear fit can on noisy data. Points with
# p = 1 carry no information (x = 0) and drop out by themselves. Points beyond the cores
# are left out: there the time is set by how the tasks divide among the cores (20 tasks on
# 3 threads and 2 cores), which is not what f measures.
line(x) = f * x
f = 0.05
if (dofit) {
    set fit quiet
    set fit logfile "/dev/null"
    set fit errorvariables
    fit line(x) data."/hf-sumsq-".fitmode.".dat" using (1 - 1 / ideal($1)):($1 <= cores ? 1 / $5 - 1 / ideal($1) : NaN) via f
    set label 1 sprintf("Amdahl fit to %s: serial fraction f = %.3f ± %.3f%s", fitmode, f, f_err, \
        (f < 0 || f > 1) ? " (outside 0..1: a busy machine?)" : "") at graph 0.98, graph 0.06 right front
}
fc = f < 0 ? 0 : f > 1 ? 1 : f
amdahl(n) = 1 / (fc + (1 - fc) / ideal(n))
plot [0.5:2 * cores + 0.5] \
    ideal(x) with lines lw 1 dt 2 lc rgb "#444444" title sprintf("ideal: min(workers, %d cores)", cores), \
    for [i = 1:words(modes)] data."/hf-sumsq-".word(modes, i).".dat" using 1:5:6:7 \
        with yerrorlines lt lt_of(word(modes, i)) \
        title (word(modes, i) eq "mpi" ? "mpi ranks (lesson 21), mpirun's start-up included" : word(modes, i)), \
    (dofit ? amdahl(x) : NaN) with lines lw 1 dt 3 lc rgb "#000000" title (dofit ? "Amdahl fit (".fitmode.")" : "")
