# python.gp: the same work in C and in Python (lesson 14 and bench/python/sum_squares.py,
# workers = cores): left, the wall time of each mode (log scale); right, each language's
# speedup over its own serial run, where Python's interpreter lock shows.
# Reads data/cvspy.dat: "mode" c_med c_min c_max py_med py_min py_max c_speedup py_speedup.
set multiplot layout 1, 2 title "C against Python, the same sum of squares (hyperfine, whole programs)"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.7 border rgb "#333333"
set xtics rotate by -30 font ",9"
set key top left
set bmargin 7

set title "wall time per mode"
set ylabel "seconds (log scale), median with min-max"
set logscale y
set format y "%g"
plot data."/cvspy.dat" using 2:3:4:xtic(1) title "C" lc 1, \
    '' using 5:6:7 title "Python" lc 2

unset label 100
set title "speedup over the same language's serial"
set ylabel "speedup (serial median / median)"
unset logscale y
set yrange [0:*]
set style histogram clustered gap 1
plot data."/cvspy.dat" using 8:xtic(1) title "C" lc 1, \
    '' using 9 title "Python" lc 2, \
    1 with lines dt 2 lc rgb "#444444" notitle, \
    cores with lines dt 3 lc rgb "#444444" title sprintf("%d cores", cores)
unset multiplot
