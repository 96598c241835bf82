# timeline.gp: who ran when, one row per thread, one bar per event (scripts/timeline.py,
# `make timeline`), drawn after common.gp. Reads data/cat-S.dat for each S of `series`
# ("I-D": category I at depth D, how deep the bar sits inside others of its thread), each
# "row start_ms end_ms"; variables: series, scat (each series' category, its colour),
# stitle (its legend entry, "_" for none), nrows, ytics (the rows' labels as gnuplot
# tics), title. The series come outer bars first: what runs inside them, thinner, on top.
set title title
set xlabel "milliseconds since the first event"
eval "set ytics (".ytics.")"
set yrange [nrows - 0.5:-0.5]
set xrange [0:*]
set grid xtics noytics
set style fill solid 0.75 border rgb "#333333"
set key outside right top box opaque
set lmargin 14
plot for [k=1:words(series)] data."/cat-".word(series, k).".dat" \
    using (($2 + $3) / 2):1:(($3 - $2) / 2):(0.34 - 0.08 * int(word(series, k)[strstrt(word(series, k), "-") + 1:])) \
    with boxxyerror lc int(word(scat, k)) title (word(stitle, k) eq "_" ? "" : word(stitle, k))
