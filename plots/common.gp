# common.gp: drawn before every plot by scripts/plots.sh. Sets the terminal from `fmt`
# (png or svg) and `out` (the file name without extension), the style, and the caption that
# names the machine (data/caption.txt, from the results' machine.txt).
#
# Variables every plot gets from plots.sh: fmt, out, data (derived tables), results (the
# results folder), cores (CPUs of the machine that ran the benchmarks); height (pixels,
# default 600) when a plot needs more room.
set encoding utf8
if (!exists("height")) height = 600
if (fmt eq "svg") {
    set terminal svg size 960,height dynamic noenhanced font "sans,12" background rgb "white"
} else {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 960,height noenhanced font "sans,10"
    } else {
        set terminal png size 960,height noenhanced
    }
}
set output out.".".fmt

caption = system("cat '".data."/caption.txt'")
set label 100 caption at screen 0.5, screen 0.015 center font ",8" textcolor rgb "#555555"
set bmargin 5
set grid lc rgb "#dddddd"
set key top left box opaque
set border lc rgb "#444444"

# One colour per mechanism, the same in every plot.
set linetype 1 lc rgb "#1f77b4" lw 2 pt 7 ps 1
set linetype 2 lc rgb "#d62728" lw 2 pt 5 ps 1
set linetype 3 lc rgb "#2ca02c" lw 2 pt 9 ps 1.2
set linetype 4 lc rgb "#9467bd" lw 2 pt 11 ps 1.2
set linetype 5 lc rgb "#ff7f0e" lw 2 pt 13 ps 1.2
set linetype 6 lc rgb "#8c564b" lw 2 pt 4 ps 1
set linetype 7 lc rgb "#e377c2" lw 2 pt 6 ps 1
set linetype 8 lc rgb "#7f7f7f" lw 2 pt 8 ps 1
set linetype 9 lc rgb "#17becf" lw 2 pt 15 ps 1.2
# The peers: GLib's GThreadPool, OpenMP, oneTBB.
set linetype 10 lc rgb "#bcbd22" lw 2 pt 3 ps 1.2
set linetype 11 lc rgb "#393b79" lw 2 pt 12 ps 1.2
set linetype 12 lc rgb "#e7ba52" lw 2 pt 10 ps 1.2

# The linetype (colour) of a mode or mechanism, so that the thread pool has one colour
# everywhere: lesson 14's "pool" and granularity's "thread_pool" are the same pool.
# A pinned variant ("threads-pinned", --pin) has its mode's colour; the plots dash it.
# A peer's rows share its runtime's colour: OpenMP's under OMP_WAIT_POLICY=active are
# dashed, its and oneTBB's maps (omp_dynamic_*, tbb_parallel_for) dotted (active: dash-dot).
base_of(m) = strstrt(m, "-pinned") > 0 ? m[1:strstrt(m, "-pinned") - 1] : m
is_map(m) = strstrt(m, "omp_dynamic") == 1 || strstrt(m, "tbb_parallel_for") == 1
is_active(m) = strstrt(m, "_active") > 0
dt_of(m) = strstrt(m, "-pinned") > 0 ? 2 : \
           is_map(m) ? (is_active(m) ? 4 : 3) : (is_active(m) ? 2 : 1)
lt_of(m) = (base_of(m) eq "threads") ? 1 : \
           (base_of(m) eq "pool" || base_of(m) eq "thread_pool") ? 2 : \
           (base_of(m) eq "processes" || base_of(m) eq "process_pool") ? 3 : \
           (base_of(m) eq "thread_pool_map") ? 4 : \
           (base_of(m) eq "process_pool_map") ? 5 : \
           (base_of(m) eq "process-executor") ? 6 : \
           (base_of(m) eq "thread_pool_helping") ? 8 : \
           (base_of(m) eq "mpi") ? 9 : \
           (base_of(m) eq "gthreadpool") ? 10 : \
           (strstrt(m, "omp_") == 1) ? 11 : \
           (strstrt(m, "tbb_") == 1) ? 12 : 7
