# SPDX-License-Identifier: MIT
# plots.gp — the figures of tools/bench-compare.sh, from the data files that
# tools/plot/report.py writes. Usage: gnuplot -e "dir='OUT'" tools/plot/plots.gp
if (!exists("dir")) dir = "bench-results"
load dir."/plots.vars" # have_throughput … : which plots have data

set terminal pngcairo size 1100,680 font "sans,11" enhanced
set datafile missing "NaN"
set grid xtics ytics mytics lc rgb "#e0e0e0"
set key outside right top vertical Left reverse noautotitle
set style data linespoints

# One line style per row of report.py's ROWS: the limits in black and grey,
# shmseq in blues, Redis in reds, PostgreSQL in greens, MariaDB in browns;
# dashed where every value is made durable.
set linetype 1 lc rgb "#000000" lw 2 pt 1 dt 1
set linetype 2 lc rgb "#808080" lw 2 pt 2 dt 1
set linetype 3 lc rgb "#0050c8" lw 3 pt 7 dt 1
set linetype 4 lc rgb "#2a9df4" lw 2 pt 5 dt 1
set linetype 5 lc rgb "#86c5f9" lw 2 pt 9 dt 1
set linetype 6 lc rgb "#002a66" lw 3 pt 7 dt 2
set linetype 7 lc rgb "#d62728" lw 2 pt 4 dt 1
set linetype 8 lc rgb "#ff9896" lw 2 pt 6 dt 1
set linetype 9 lc rgb "#8b0000" lw 2 pt 4 dt 2
set linetype 10 lc rgb "#2ca02c" lw 2 pt 8 dt 1
set linetype 11 lc rgb "#98df8a" lw 2 pt 10 dt 1
set linetype 12 lc rgb "#e08a00" lw 2 pt 12 dt 1
set linetype 13 lc rgb "#8c564b" lw 2 pt 12 dt 2

# ---- throughput against clients -------------------------------------------
if (have_throughput) {
set output dir."/throughput.png"
set title "Values per second against clients (all clients together, one shared sequence)"
set xlabel "clients (processes for shmseq and the limits, connections for the servers)"
set ylabel "values per second"
set logscale xy
set xtics (1, 2, 4, 8, 16, 32, 64, 128)
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
set format y "10^{%L}"
plot for [i=2:throughput_columns] dir."/throughput.dat" using 1:i title columnheader(i) lt (i - 1)
}

# ---- durable values per second ---------------------------------------------
set xtics (1, 2, 4, 8, 16, 32, 64, 128)
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
set logscale xy
set format y "10^{%L}"
set xlabel "clients (processes for shmseq and the limits, connections for the servers)"
set ylabel "values per second"
if (have_durable) {
set output dir."/durable.png"
set title "Durability: values per second against clients"
array dlt[4] = [6, 10, 13, 9]
plot for [i=2:5] dir."/durable.dat" using 1:i title columnheader(i) lt dlt[i - 1]
}

# ---- latency percentiles with one client -------------------------------------
if (have_latency) {
set output dir."/latency.png"
set title "Latency of one call, one client: percentiles"
set xlabel "percentile"
set ylabel "ns per call"
unset logscale x
set logscale y
# x = number of nines: 50% -> 0.30, 90% -> 1, 99% -> 2, 99.9% -> 3
nines(p) = -log10(1 - p / 100.0)
set xtics ("50%%" nines(50), "90%%" nines(90), "99%%" nines(99), "99.9%%" nines(99.9), "99.99%%" nines(99.99))
set offsets 0, 0, 0, 0
set xrange [nines(50) - 0.1 : nines(99.99) + 0.1]
idx = system("cat ".dir."/latency.idx")
nb = words(idx)
plot for [i=0:nb-1] dir."/latency.dat" index i using (nines($1)):2 \
	title system("sed -n '".(i+1)."p' ".dir."/latency.titles") lt int(word(idx, i + 1))
}

# ---- cost against number of sequences ------------------------------------------
if (have_sequences) {
set output dir."/sequences.png"
set title "shmseq: cost of one NEXTVAL against the number of sequences (one client)"
set xlabel "sequences"
set ylabel "ns per value"
set logscale xy
set xtics auto
set xrange [*:*]
set offsets graph 0.03, graph 0.03, 0, 0
set format x "10^{%L}"
set format y "%g"
array slt[4] = [4, 5, 3, 1]
plot for [i=2:5] dir."/sequences.dat" using 1:i title columnheader(i) lt slt[i - 1]
}
