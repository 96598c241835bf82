# granularity.gp: speedup over serial against the size of one task (log-log), one line per
# mechanism; the crossover (the task size below which the speedup drops under 1) marked.
# Reads data/gran-MECH.dat: task_ns speedup median min max; data/crossover.dat: mech ns.
# Variables: mechs (words), gworkers, crosstext (the crossovers in words, one per line).
set title sprintf("Granularity: speedup against task size, %d workers (in-process timing)", gworkers)
set xlabel "size of one task (µs of CPU work, log scale)"
set ylabel "speedup over serial (log scale)"
set logscale xy
set format x "%g"
set format y "%g"
set key bottom right
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lw 1 dt 2 lc rgb "#444444"
set label 2 "break-even" at graph 0.99, first 1.1 right textcolor rgb "#444444"
set label 3 crosstext at graph 0.02, graph 0.95 left front font ",9"
plot for [m in mechs] data."/gran-".m.".dat" using ($1 / 1e3):2 with linespoints lt lt_of(m) title m, \
    data."/crossover.dat" using ($2 / 1e3):(1) with points pt 2 ps 2 lw 2 lc rgb "#000000" \
        title "crossover: speedup < 1 below"
