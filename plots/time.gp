# time.gp: one lesson's wall time per mode against its concurrency, serial as a flat line.
# Reads data/hf-BENCH-MODE.dat: workers median min max ... (seconds, hyperfine medians with
# their min-max range). Variables: bench, modes (words), serial (seconds), ptitle, pxlabel.
set title ptitle.": wall time per mode, serial against concurrent (hyperfine)"
set xlabel pxlabel
set ylabel "wall time (s), median with min-max"
set logscale x 2
set yrange [0:*]
set key top right
set offsets graph 0.03, graph 0.03, 0, 0
plot for [m in modes] data."/hf-".bench."-".m.".dat" using 1:2:3:4 with yerrorlines title m, \
    serial with lines lw 2 dt 2 lc rgb "#444444" title sprintf("serial: %.3g s", serial)
