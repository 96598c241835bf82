# speedup.gp: lesson 14's speedup over serial against the number of workers, one line per
# mode, the ideal line min(workers, cores), and Amdahl's law fitted to the threads mode:
#     S(n) = 1 / (f + (1 - f) / min(n, cores)),   f = the serial fraction
# Reads data/hf-sumsq-MODE.dat: workers median q1 q3 speedup speedup_q1 speedup_q3 (the
# speedup is the median of per-pair ratios, its bars their interquartile range).
# Variables: modes (words; MODE-pinned: --pin), fit_f and fit_err (the fitted f).
set title "Sum of squares (lesson 14): speedup over serial, whole program (hyperfine)"
set xlabel "workers (threads or processes) or MPI ranks"
set ylabel "speedup (median of paired ratios, q1-q3 bars)"
set xtics 1
set yrange [0:cores * 1.45] # headroom for the key above the lines
set key top left

# (real, not integer: gnuplot's 1/2 is 0)
ideal(n) = n < cores ? n * 1.0 : cores * 1.0
# Amdahl's law S(n) = 1 / (f + (1 - f) / min(n, cores)), f fitted by scripts/benchstats.py
# (amdahl.csv) to the threads mode up to the cores; fit_f is NaN when there were too few
# points.
dofit = exists("fit_f") && fit_f == fit_f
if (dofit) {
    set label 1 sprintf("Amdahl fit to threads: serial fraction f = %.3f ± %.3f%s", fit_f, fit_err, \
        (fit_f < 0 || fit_f > 1) ? " (outside 0..1: a busy machine?)" : "") at graph 0.98, graph 0.06 right front
}
fc = !dofit ? 0 : fit_f < 0 ? 0 : fit_f > 1 ? 1 : fit_f
amdahl(n) = 1 / (fc + (1 - fc) / ideal(n))
plot [0.5:2 * cores + 0.5] \
    ideal(x) with lines lw 1 dt 2 lc rgb "#444444" title sprintf("ideal: min(workers, %d cores)", cores), \
    for [i = 1:words(modes)] data."/hf-sumsq-".word(modes, i).".dat" using 1:5:6:7 \
        with yerrorlines lt lt_of(word(modes, i)) dt dt_of(word(modes, i)) title word(modes, i), \
    (dofit ? amdahl(x) : NaN) with lines lw 1 dt 3 lc rgb "#000000" title (dofit ? "Amdahl fit (threads)" : "")
