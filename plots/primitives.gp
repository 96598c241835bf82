# primitives.gp: what one operation of each primitive costs, median bar and min-max range,
# on a log scale. Reads data/primitives.dat: index "label" median min max (ns) "median in
# words".
# Variables: nrows.
set title "Primitive costs: ns per operation (in-process, median of repetitions, min-max bars)"
set xlabel "nanoseconds per operation (log scale)"
set ylabel ""
set logscale x
set format x "%g"
set yrange [nrows:-1]
set xrange [0.5:*]
set ytics scale 0 font ",9"
set grid xtics noytics
set key off
set style fill solid 0.5 noborder
plot data."/primitives.dat" using (sqrt($3)):1:(0.5):3:($1 - 0.35):($1 + 0.35):ytic(2) \
        with boxxyerror lc rgb "#1f77b4", \
    '' using 3:1:4:5 with xerrorbars pt 7 ps 0.5 lc rgb "#000000", \
    '' using ($5 * 1.15):1:6 with labels left font ",8"
