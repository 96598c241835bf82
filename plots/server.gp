# server.gp: lesson 20's server, requests per second against the pool's workers (log 2
# scale), the median of several runs with q1-q3 bars, each median written beside its
# point; the core count marked. The clients run in the same process, on the same cores.
# Reads data/server.dat: workers median_rps q1_rps q3_rps.
# Variables: sclients, srequests (per client), sruns.
set title sprintf("Server (lesson 20): requests per second against pool workers, %d clients x %d %s", \
    sclients, srequests, "requests")
set xlabel "pool workers (each serves one client at a time; log scale)"
set ylabel sprintf("requests per second, median of %d runs with q1-q3", sruns)
set logscale x 2
set format x "%g"
set yrange [0:*]
set offsets graph 0.05, graph 0.05, graph 0.12, 0
set key off
set arrow 1 from cores, graph 0 to cores, graph 1 nohead lw 1 dt 2 lc rgb "#444444"
set label 1 sprintf("%d cores", cores) at cores, graph 0.96 left offset 0.5, 0 \
    textcolor rgb "#444444"
set label 2 "the median above each point; the clients are threads of the same process (the\n".\
    "demo mode), so they and the server's workers share the cores" \
    at graph 0.98, graph 0.09 right front font ",9"
plot data."/server.dat" using 1:2:3:4 with yerrorlines lt 1 notitle, \
    '' using 1:4:(sprintf("%.0f", $2)) with labels offset 0, 0.9 font ",8" notitle
