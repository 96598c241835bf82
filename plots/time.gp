# time.gp: one lesson's wall time per mode against its concurrency, serial as a flat line.
# Reads data/hf-BENCH-MODE.dat: workers median q1 q3 ... (seconds: hyperfine's runs over
# all rounds, median and interquartile range). Variables: bench, modes (words), serial (seconds), ptitle, pxlabel,
# io (1: work that waits, drawn log-log beside the line serial / workers, where waiting
# overlaps perfectly).
set title ptitle.": wall time per mode, serial against concurrent (hyperfine)"
set xlabel pxlabel
set ylabel "wall time (s), median with q1-q3"
set logscale x 2
if (io) {
    set logscale y
    set format y "%g"
    set ylabel "wall time (s, log scale), median with q1-q3"
} else {
    set yrange [0:*]
}
set key top right
set offsets graph 0.03, graph 0.03, 0, 0
plot for [i = 1:words(modes)] data."/hf-".bench."-".word(modes, i).".dat" using 1:2:3:4 \
        with yerrorlines lt lt_of(word(modes, i)) dt dt_of(word(modes, i)) title word(modes, i), \
    serial with lines lw 2 dt 2 lc rgb "#444444" title sprintf("serial: %.3g s", serial), \
    (io ? serial / x : NaN) with lines lw 1 dt 3 lc rgb "#000000" title (io ? "serial / workers" : "")
