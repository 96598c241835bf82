# peers.gp: our pools beside GLib's GThreadPool, OpenMP and oneTBB, same work, same run (bench/peers).
# Top: the sum of squares, wall time per mechanism with its speedup over serial; middle:
# what handing over one empty task costs; bottom: submit to start, p50 bars and p99 points
# (both log scale). The dashed line is the hand-off floor measured in the same run (two
# spinning threads, one way): nothing that wakes a thread can go below it.
# Reads data/peers-sumsq.dat: "mech" median_ms min max speedup; data/peers-dispatch.dat:
# "mech" median_ns min max; data/peers-latency.dat: "mech" p50 min max p99.
# Variables: pworkers, floor (ns; 0 when not measured), havelatency (0 or 1); plots.sh
# gives it the height of 2 or 3 panels stacked.
set multiplot layout (havelatency ? 3 : 2), 1 title sprintf("Peers: our pools, GThreadPool, OpenMP and oneTBB, %d workers (in-process timing)", pworkers)
set style fill solid 0.6 border rgb "#333333"
set xtics rotate by -30 font ",9"
set key off
set bmargin 7
set offsets 0.6, 0.6, graph 0.08, 0

set title "sum of squares (lesson 14's work)"
set ylabel "milliseconds, median with min-max"
set yrange [0:*]
plot data."/peers-sumsq.dat" using 0:2:3:4:(0.35):xtic(1) with boxerrorbars lc 1, \
    '' using 0:4:(sprintf("%.2fx", $5)) with labels offset 0, 0.8 font ",8"

set title "dispatch: one empty task"
set ylabel "nanoseconds per task (log scale)"
set logscale y
set format y "%g"
stats data."/peers-dispatch.dat" using 3 nooutput
lo = STATS_min
stats data."/peers-dispatch.dat" using 4 nooutput
hi = STATS_max
if (floor > 0) { lo = floor < lo ? floor : lo; hi = floor > hi ? floor : hi }
set yrange [lo / 2.0 : hi * 3.0]
if (floor > 0) {
    set arrow 1 from graph 0, first floor to graph 1, first floor nohead dt 2 lw 1.5 lc rgb "#aa0000"
    set label 1 sprintf("dashed: the hand-off floor, %.0f ns", floor) at graph 0.03, graph 0.96 font ",8" tc rgb "#aa0000" front
}
plot data."/peers-dispatch.dat" using 0:2:3:4:(0.35):xtic(1) with boxerrorbars lc 2, \
    '' using 0:4:(sprintf($2 >= 100 ? "%.0f" : "%.2g", $2)) with labels offset 0, 0.8 font ",8"

if (havelatency) {
    set title "submit to start, idle workers"
    set ylabel "nanoseconds (log scale): p50 bar, p99 point"
    # the floor inside the picture, however it compares with the data (on a busy machine
    # a "hand-off" can take a scheduler slice)
    stats data."/peers-latency.dat" using 2 nooutput
    lo = STATS_min
    stats data."/peers-latency.dat" using 5 nooutput
    hi = STATS_max
    if (floor > 0) { lo = floor < lo ? floor : lo; hi = floor > hi ? floor : hi }
    set yrange [lo / 2.0 : hi * 3.0]
    plot data."/peers-latency.dat" using 0:2:3:4:(0.35):xtic(1) with boxerrorbars lc 3, \
        '' using 0:5 with points pt 7 ps 0.6 lc rgb "#333333", \
        '' using 0:4:(sprintf("%.0f", $2)) with labels offset 0, 0.8 font ",8"
}
unset multiplot
