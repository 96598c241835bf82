# python.gp: the same work in C and in Python (lesson 14 and bench/python/sum_squares.py,
# workers = cores): left, the wall time of each mode (log scale); right, each language's
# speedup over its own serial run, where Python's interpreter lock shows.
# Reads data/cvspy.dat: "mode" c_med c_q1 c_q3 py_med py_q1 py_q3 c_speedup py_speedup
# (NaN where a language lacks the mode: Python has process-executor, C does not).
set multiplot layout 1, 2 title "C against Python, the same sum of squares (hyperfine, whole programs)"
set style fill solid 0.7 border rgb "#333333"
set xtics rotate by -30 font ",9"
set key top left
set bmargin 7
set xrange [-0.6:*]
set offsets 0, 0.6, graph 0.05, 0
# Bars are drawn at explicit x positions (mode index -/+ 0.18), so a missing value leaves a
# gap instead of shifting the bars after it.
set title "wall time per mode"
set ylabel "seconds (log scale), median with q1-q3"
set logscale y
set format y "%g"
plot data."/cvspy.dat" using ($0 - 0.18):2:3:4:(0.34):xtic(1) with boxerrorbars lt 1 title "C", \
    '' using ($0 + 0.18):5:6:7:(0.34) with boxerrorbars lt 2 title "Python"

unset label 100
set title "speedup over the same language's serial"
set ylabel "speedup (serial median / median)"
unset logscale y
set yrange [0:cores * 1.2]
plot data."/cvspy.dat" using ($0 - 0.18):8:(0.34):xtic(1) with boxes lt 1 title "C", \
    '' using ($0 + 0.18):9:(0.34) with boxes lt 2 title "Python", \
    1 with lines dt 2 lc rgb "#444444" notitle, \
    cores with lines dt 3 lc rgb "#444444" title sprintf("%d cores", cores)
unset multiplot
