# granularity-peers.gp: our thread pool beside GLib's GThreadPool, OpenMP and oneTBB on the
# same sweep (bench/granularity; bench/peers_tbb --only granularity): speedup over serial
# against the size of one task (log-log). The dashed levels are 50% and 80% efficiency
# (speedup / min(workers, cores)): where a line last crosses one is its METG at that level,
# Task Bench's minimum effective task granularity.
# Reads data/gran-MECH.dat: task_ns speedup median min max. Variables: pmechs (words),
# gworkers, cores.
set title sprintf("Granularity beside the peers: speedup against task size, %d workers (in-process timing)", gworkers)
set xlabel "size of one task (µs of CPU work, log scale)"
set ylabel "speedup over serial (log scale)"
set logscale xy
set format x "%g"
set format y "%g"
set key bottom right font ",9"
usable = (cores > 0 && cores < gworkers) ? cores : gworkers
set arrow 1 from graph 0, first 0.8 * usable to graph 1, first 0.8 * usable nohead lw 1 dt 2 lc rgb "#444444"
set label 1 "80% efficiency" at graph 0.01, first 0.8 * usable * 1.04 left textcolor rgb "#444444"
set arrow 2 from graph 0, first 0.5 * usable to graph 1, first 0.5 * usable nohead lw 1 dt 2 lc rgb "#444444"
set label 2 "50% efficiency" at graph 0.01, first 0.5 * usable * 1.04 left textcolor rgb "#444444"
set yrange [*:usable * 1.5]
plot for [m in pmechs] data."/gran-".m.".dat" using ($1 / 1e3):2 with linespoints \
    lt lt_of(m) dt dt_of(m) title m
