# peers.gp: our pools beside GLib's GThreadPool and OpenMP, same work, same run (bench/peers).
# Left: the sum of squares, wall time per mechanism with its speedup over serial; right: what
# handing over one empty task costs (log scale).
# Reads data/peers-sumsq.dat: "mech" median_ms min max speedup; data/peers-dispatch.dat:
# "mech" median_ns min max. Variables: pworkers.
set multiplot layout 1, 2 title sprintf("Peers: our pools, GThreadPool and OpenMP, %d workers (in-process timing)", pworkers)
set style fill solid 0.6 border rgb "#333333"
set xtics rotate by -35 font ",9"
set key off
set bmargin 8
set offsets 0.6, 0.6, graph 0.08, 0

set title "sum of squares (lesson 14's work)"
set ylabel "milliseconds, median with min-max"
set yrange [0:*]
plot data."/peers-sumsq.dat" using 0:2:3:4:(0.35):xtic(1) with boxerrorbars lc 1, \
    '' using 0:4:(sprintf("%.2fx", $5)) with labels offset 0, 0.8 font ",8"

unset label 100
set title "dispatch: one empty task"
set ylabel "nanoseconds per task (log scale)"
set logscale y
set format y "%g"
set yrange [*:*]
plot data."/peers-dispatch.dat" using 0:2:3:4:(0.35):xtic(1) with boxerrorbars lc 2, \
    '' using 0:4:(sprintf($2 >= 100 ? "%.0f" : "%.2g", $2)) with labels offset 0, 0.8 font ",8"
unset multiplot
