# http.gp: HTTP servers under wrk (bench.sh's http step): top, requests per second against
# keep-alive connections; bottom, the 99th-percentile latency; both log scales. One line per
# server, the median of the rounds with q1-q3 bars: lesson 20 at its best worker count, the
# event-loop lesson, nginx with one worker, Python's ThreadingHTTPServer as shipped and
# with TCP_NODELAY. wrk runs on the same cores as the servers.
# Reads data/http-SERVER.dat: connections median_rps q1 q3 median_p99_ms q1 q3.
# Variables: httpservers (the servers measured, a list), poolw (lesson 20's best worker
# count), hseconds (seconds a run), hrounds; plots.sh gives it the height of two panels.
title_of(s) = s eq "pool" ? sprintf("lesson 20, %d workers (best)", poolw) : \
              s eq "eventloop" ? "event-loop lesson" : \
              s eq "nginx" ? "nginx, 1 worker" : \
              s eq "python" ? "Python, as shipped" : \
              s eq "python_nodelay" ? "Python, TCP_NODELAY" : s
# the pool has its colour of every other plot; the others their own
lt_http(s) = s eq "pool" ? 2 : s eq "eventloop" ? 4 : s eq "nginx" ? 8 : \
             s eq "python" ? 6 : s eq "python_nodelay" ? 5 : 7
file(s) = data."/http-".s.".dat"

set multiplot layout 2, 1 title sprintf("HTTP servers under wrk: %g s a run, median of %d round(s), wrk on the same %d cores", \
    hseconds, hrounds, cores)
set logscale xy
set format x "%g"
set format y "%g"
set xrange [7:1500]
set xtics ("10" 10, "100" 100, "1000" 1000)
set xlabel "keep-alive connections (log scale)"
# both panels the same width, the key (once, top) and a note to their right
set lmargin at screen 0.09
set rmargin at screen 0.68
set key at screen 0.985, graph 1 right top box opaque font ",10" spacing 1.3

set title "requests per second"
set ylabel "requests/s (log scale), q1-q3 bars"
plot for [s in httpservers] file(s) using 1:2:3:4 with yerrorlines lt lt_http(s) title title_of(s)

unset label 100
set key off
set label 2 "wrk shares the cores with the server.\n\nA connection still waiting for its\nfirst answer when the run ends is in\nneither panel (wrk counts a timeout\nonly for an answer that comes late):\nsummary.md's 'answered' column\nestimates how many were answered.\n\nPython as shipped: Nagle's algorithm\nholds each body back until the head\nis acknowledged, and the client\ndelays that (about 40 ms)." \
    at screen 0.70, graph 0.5 left font ",9"
set title "99th-percentile latency"
set ylabel "p99 latency, ms (log scale), q1-q3 bars"
plot for [s in httpservers] file(s) using 1:5:6:7 with yerrorlines lt lt_http(s) title title_of(s)
unset multiplot
