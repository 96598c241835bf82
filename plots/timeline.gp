# timeline.gp: who ran when, one row per thread, one bar per event (scripts/timeline.py,
# `make timeline`), drawn after common.gp. Reads data/cat-I.dat for I = 1..ncats: "row
# start_ms end_ms"; variables: ncats, cats (their names, space-separated), nrows, ytics (the
# rows' labels as gnuplot tics), title.
set title title
set xlabel "milliseconds since the first event"
eval "set ytics (".ytics.")"
set yrange [nrows - 0.5:-0.5]
set xrange [0:*]
set grid xtics noytics
set style fill solid 0.75 border rgb "#333333"
set key outside right top box opaque
set lmargin 14
plot for [i=1:ncats] data."/cat-".i.".dat" using (($2 + $3) / 2):1:(($3 - $2) / 2):(0.32) \
    with boxxyerror lc i title word(cats, i)
