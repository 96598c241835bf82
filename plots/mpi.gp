# mpi.gp: MPI ranks (lesson 21) beside threads, the thread pool and the process pool (lesson
# 14), on the same work, timed inside the programs (no start-up): speedup over lesson 14's
# serial against workers or ranks, with the ideal line; and, dashed, MPI's whole program
# under mpirun (hyperfine, start-up included) over the whole serial program.
# Reads data/ip-MODE.dat: workers median q1 q3 speedup speedup_q1 speedup_q3 (MODE: the
# words of ipmodes, and mpi when havempi); data/ip-whole.dat: ranks speedup (havewhole).
# Variables: ipmodes, havempi, havewhole, ipserial (lesson 14's serial, seconds).
set title "MPI ranks beside the pools: speedup over serial on lesson 14's work (in-program timing)"
set xlabel "workers (threads or processes) or MPI ranks"
set ylabel "speedup (serial median / median)"
set xtics 1
set yrange [0:cores * 1.2]
set key top left
set label 1 sprintf("serial: %.3g ms, timed inside lesson 14: no program start-up in any solid line", \
    ipserial * 1e3) at graph 0.98, graph 0.10 right front font ",9"
if (havewhole) {
    set label 2 "dashed: MPI's whole program under mpirun (hyperfine), start-up included" \
        at graph 0.98, graph 0.05 right front font ",9"
}
ideal(n) = n < cores ? n : cores
# Each line a little to the side, so that the q1-q3 bars do not hide one another.
dx(i) = (i - 2.5) * 0.04
allmodes = ipmodes.(havempi ? " mpi" : "")
title_of(m) = m eq "mpi" ? "mpi ranks (lesson 21)" : m." (lesson 14)"
# The whole-program line only when there is one (a macro: a plot element cannot be optional).
whole = !havewhole ? "" : sprintf(", '%s/ip-whole.dat' using 1:2 with linespoints lt 9 dt 2 pt 4 %s", \
    data, "title 'mpi, whole program incl. mpirun start-up'")
plot [0.5:cores + 0.5] \
    ideal(x) with lines lw 1 dt 2 lc rgb "#444444" title sprintf("ideal: min(workers, %d cores)", cores), \
    for [i = 1:words(allmodes)] data."/ip-".word(allmodes, i).".dat" using ($1 + dx(i)):5:6:7 \
        with yerrorlines lt lt_of(word(allmodes, i)) dt dt_of(word(allmodes, i)) title title_of(word(allmodes, i)) \
    @whole
