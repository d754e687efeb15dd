#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-compare.sh — shmseq next to the hardware limit, Redis, PostgreSQL and
# MariaDB, on equal terms: the same client counts, the same duration, each
# peer started privately (a temporary directory, Unix sockets only) and
# stopped at the end; from Python, the module's handle next to abs(x), redis-py
# and psycopg2 (tools/bench-python.py). Writes OUT/results.md (Markdown tables and the
# done-when ratios), OUT/*.png (gnuplot) and the raw outputs in OUT/raw/.
#
#   tools/bench-compare.sh            the full run (about 10 minutes)
#   tools/bench-compare.sh --quick    a smoke run: 1 s per item, fewer points
#
# Run as root or as a user with sudo: missing Debian packages are installed
# with apt-get. PostgreSQL runs as the `postgres` user; MariaDB and Redis as
# the caller (root: mariadbd --user=root).
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: tools/bench-compare.sh [OPTIONS]
Measure shmseq next to a bare fetch-add, a shared-memory mutex, Redis INCR,
PostgreSQL nextval() and MariaDB NEXTVAL, with the same clients and duration.

  --quick              a smoke run: 1 s per item, clients 1 2 8, fewer sequences
  --duration S         seconds per measurement, a whole number (default 5)
  --clients "LIST"     client counts (default "1 2 4 8 16")
  --sequences "LIST"   sequence counts for the scaling figures
                       (default "1 1000 100000 1000000")
  --build DIR          shmseq build directory (default build; built if needed)
  --out DIR            where results go (default bench-results)
  --repeat N           runs of each shmseq row, each next to its own fetch-add
                       baseline: the tables show the median run, repeats.md
                       the median and min-max of all (default 5, --quick 3)
  --batch "LIST"       batch sizes of the batch rows (default "10 100 1000")
  --lease N            the lease of the leased-handle rows (default 1000)
  --nemesis S          seconds of faults in the cluster nemesis run (default 120, --quick 30)
  --skip "LIST"        leave out some of: shmseq cluster nemesis scaling redis postgresql python
                       mariadb plots
  --no-install         do not install missing packages
  -h, --help           this text
EOF
}

cd "$(dirname "$0")/.."
ROOT=$PWD
DUR=5
CLIENTS="1 2 4 8 16"
SEQS="1 1000 100000 1000000"
BUILD=build
OUT=bench-results
SKIP=""
NEMESIS=""
QUICK=0
INSTALL=1
REPS=""
BATCHES="10 100 1000"
LEASE=1000
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; DUR=1; CLIENTS="1 2 8"; SEQS="1 1000 100000" ;;
	--duration) DUR=$2; shift ;;
	--clients) CLIENTS=$2; shift ;;
	--sequences) SEQS=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--out) OUT=$2; shift ;;
	--repeat) REPS=$2; shift ;;
	--batch) BATCHES=$2; shift ;;
	--lease) LEASE=$2; shift ;;
	--nemesis) NEMESIS=$2; shift ;;
	--skip) SKIP=$2; shift ;;
	--no-install) INSTALL=0 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-compare.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
case $DUR in '' | *[!0-9]* | 0) echo "bench-compare.sh: --duration wants whole seconds" >&2; exit 2 ;; esac
[ -n "$REPS" ] || REPS=$((QUICK ? 3 : 5))
case $REPS in '' | *[!0-9]* | 0) echo "bench-compare.sh: --repeat wants a whole number above 0" >&2; exit 2 ;; esac
[ -n "$NEMESIS" ] || NEMESIS=$((QUICK ? 30 : 120))
case $NEMESIS in '' | *[!0-9]* | 0) echo "bench-compare.sh: --nemesis wants whole seconds above 0" >&2; exit 2 ;; esac
skipped() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
say() { printf '== %s\n' "$*" >&2; }

# ---- packages ---------------------------------------------------------------

PEERS=(redis-server redis-tools postgresql postgresql-contrib mariadb-server mariadb-client
	sysbench gnuplot-nox python3-redis python3-psycopg2 etcd-server etcd-client)
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		echo "bench-compare.sh: run as root" >&2; exit 1; fi
}
as_postgres() { # PostgreSQL refuses to run as root
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
# the build's packages (shmseq.sh's list) and the peers'
[ $INSTALL = 0 ] || "$ROOT/shmseq.sh" deps "${PEERS[@]}"
PGBIN=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "$PGBIN/postgres" ] || PGBIN=""

# ---- build ------------------------------------------------------------------

[ -d "$BUILD" ] || meson setup "$BUILD" >/dev/null # the project's defaults: -O2
meson compile -C "$BUILD" >/dev/null
BUILD=$(cd "$BUILD" && pwd)
BENCH=$BUILD/tools/shmseq-bench
export SHMSEQD=$BUILD/daemon/shmseqd
REPORT="python3 $ROOT/tools/plot/report.py"

# ---- private working directory; everything started is stopped at the end ----

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-compare.XXXXXX")
chmod 755 "$WORK" # PostgreSQL runs as postgres and needs to get in
PIDS=()
PG_DATA=""
cleanup() {
	set +e
	if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
		as_postgres "$PGBIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
	fi
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	[ ! -d "$WORK/pg" ] || [ "$(id -u)" = 0 ] || sudo rm -rf "$WORK/pg" # postgres's files
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() { # stop one of ours and forget it
	local p=$1 keep=()
	kill -TERM "$p" 2>/dev/null || true
	for _ in $(seq 1200); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw
rm -f "$RAW"/* "$OUT"/{results.jsonl,results.md,meta.json,plots.vars,latency.titles,latency.idx} "$OUT"/*.dat \
	"$OUT"/{repeats.jsonl,repeats.md,cluster.md,nemesis.md} \
	"$OUT"/*.png
NCPU=$(nproc)
python3 - "$OUT/meta.json" "$DUR" "$QUICK" "$CLIENTS" <<'EOF'
import json, os, platform, subprocess, sys, datetime
cpu = "?"
for l in open("/proc/cpuinfo"):
    if l.startswith("model name"):
        cpu = l.split(":", 1)[1].strip(); break
json.dump({"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "host": platform.node(),
           "cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.system() + " " + platform.release(),
           "duration": int(sys.argv[2]), "quick": sys.argv[3] == "1", "clients": sys.argv[4].split()},
          open(sys.argv[1], "w"))
EOF

bench() { # NAME ARGS... : one shmseq-bench run, its JSON in raw/NAME.json
	local name=$1; shift
	"$BENCH" --format json "$@" >"$RAW/$name.json" 2>"$RAW/$name.err" || {
		echo "bench-compare.sh: shmseq-bench $* failed:" >&2; cat "$RAW/$name.err" >&2; exit 1; }
}

# REPS runs of one row, each a shmseq-bench run with its baselines right after
# its shmseq phase (so the two interleave): raw/NAME.rI.json, and raw/NAME.json
# a copy of the run with the median shmseq rate (what the tables show). Each
# row's figures go to repeats.jsonl for repeats.md.
rep_bench() { # NAME LABEL ARGS...
	local name=$1 label=$2 i
	shift 2
	for i in $(seq "$REPS"); do bench "$name.r$i" "$@"; done
	python3 - "$RAW" "$name" "$REPS" "$label" "$OUT/repeats.jsonl" <<'EOF'
import json, shutil, sys
raw, name, reps, label, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
runs = []
for i in range(1, reps + 1):
    with open(f"{raw}/{name}.r{i}.json") as f:
        runs.append((json.loads(f.read().strip().splitlines()[-1]), i))
order = sorted(runs, key=lambda r: r[0]["ops_per_s"])
shutil.copy(f"{raw}/{name}.r{order[(len(order) - 1) // 2][1]}.json", f"{raw}/{name}.json")
j0 = runs[0][0]
rec = {"row": name, "label": label, "processes": j0["processes"], "threads": j0["threads"],
       "mode": j0["mode"], "shmseq_ops": [j["ops_per_s"] for j, _ in runs],
       "shmseq_ns": [j["ns_per_op"] for j, _ in runs]}
for key in ("bare", "mutex"):
    if key in j0:
        rec[key + "_ops"] = [j[key]["ops_per_s"] for j, _ in runs]
        rec[key + "_ns"] = [j[key]["ns_per_op"] for j, _ in runs]
if "disk" in j0:
    rec["disk_ratio"] = [j["disk"]["ratio"] for j, _ in runs]
    rec["disk_mean_ns"] = [j["disk"]["mean_ns"] for j, _ in runs]
with open(out, "a") as f:
    f.write(json.dumps(rec) + "\n")
EOF
}

# repeats.md: per row, the median and min-max of its runs, next to the bare
# fetch-add of the same runs; the ratio is of the medians' ns per op.
repeats_report() {
	[ -s "$OUT/repeats.jsonl" ] || return 0
	python3 - "$OUT/repeats.jsonl" "$REPS" "$DUR" "$NCPU" >"$OUT/repeats.md" <<'EOF'
import json, statistics, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
print(f"## shmseq, {sys.argv[2]} runs per row ({sys.argv[3]} s each, {sys.argv[4]} CPUs): median (min-max)\n")
print("Each run measures shmseq, then the bare fetch-add with the same processes and threads,"
      " so the two interleave. ns/op is per value per thread (a batch counts each of its values).\n")
print("| row | processes x threads | shmseq values/s | ns/op | bare fetch-add ops/s | fetch-add ns/op "
      "| ratio of the medians' ns/op |")
print("|---|---|---|---|---|---|---|")
def rate(v):
    if v < 1e6:
        return f"{v / 1e3:.1f} k"
    return f"{v / 1e6:.1f} M" if v < 1e9 else f"{v / 1e9:.2f} G"
def spread(v, f):
    return f"{f(statistics.median(v))} ({f(min(v))}-{f(max(v))})"
ns = lambda v: f"{v:.2f}"
for r in recs:
    row = [r["label"], f"{r['processes']} x {r['threads']}", spread(r["shmseq_ops"], rate),
           spread(r["shmseq_ns"], ns)]
    if "bare_ops" in r:
        row += [spread(r["bare_ops"], rate), spread(r["bare_ns"], ns),
                f"{statistics.median(r['shmseq_ns']) / statistics.median(r['bare_ns']):.2f}x"]
    else:
        row += ["-", "-", "-"]
    print("| " + " | ".join(row) + " |")
# issue 15's targets that these rows measure, from the medians
by = {r["row"]: r for r in recs}
med = lambda r, k: statistics.median(r[k])
crit = []
if "batch100-1" in by:
    v = med(by["batch100-1"], "shmseq_ns")
    crit.append(("batch of 100, one thread: ns per value", f"{v:.2f}", "<= 0.2", v <= 0.2))
if "batch100c-1" in by:
    v = med(by["batch100c-1"], "shmseq_ns")
    crit.append(("batch of 100, CACHE 16384, one thread: ns per value", f"{v:.2f}", "<= 0.2", v <= 0.2))
if "leased-2" in by and "handle-1" in by:
    v = med(by["leased-2"], "shmseq_ops") / med(by["handle-1"], "shmseq_ops")
    crit.append(("leased, 2 processes / plain handle, 1 process (values/s)", f"{v:.2f}x", ">= 1.6", v >= 1.6))
if "handle-2" in by and "bare_ops" in by["handle-2"]:
    v = med(by["handle-2"], "shmseq_ops") / med(by["handle-2"], "bare_ops")
    crit.append(("plain handle, 2 processes / contended fetch-add", f"{v:.2f}x", ">= 0.7", v >= 0.7))
if "handle-1" in by and "bare_ns" in by["handle-1"]:
    v = med(by["handle-1"], "shmseq_ns") / med(by["handle-1"], "bare_ns")
    crit.append(("plain handle, one thread: cost / bare fetch-add", f"{v:.2f}x", "<= 1.3", v <= 1.3))
durable = [r for r in recs if "disk_ratio" in r]
if durable:
    print("\n| NOCACHE row | values/s | the disk's pwrite+fdatasync (mean) | ratio to clients / that latency |")
    print("|---|---|---|---|")
    us = lambda v: f"{v / 1e3:.0f} us"
    x = lambda v: f"{v:.2f}x"
    for r in durable:
        print(f"| {r['processes']} x {r['threads']} | {spread(r['shmseq_ops'], rate)} | "
              f"{spread(r['disk_mean_ns'], us)} | {spread(r['disk_ratio'], x)} |")
if "nocache-8" in by and "disk_ratio" in by["nocache-8"]:
    v = med(by["nocache-8"], "disk_ratio")
    crit.append(("NOCACHE, 8 clients / (8 / the disk's durable write)", f"{v:.2f}x", ">= 0.6", v >= 0.6))
if crit:
    print("\n| criterion (medians) | measured | target | |\n|---|---:|---:|---|")
    for name, v, t, ok in crit:
        print(f"| {name} | {v} | {t} | {'met' if ok else 'not met'} |")
EOF
}

# ---- the limit and shmseq -----------------------------------------------------

if ! skipped shmseq; then
	for c in $CLIENTS; do
		say "bare fetch-add, mutex counter and shmseq (handle) with $c process(es) on one sequence, $REPS runs"
		rep_bench "handle-$c" "handle" --self-daemon -p "$c" -d "$DUR" --baseline faa,mutex
		$REPORT add-shmseq "$OUT" "$RAW/handle-$c.json" handle "$c" baselines
	done
	for c in $CLIENTS; do
		say "shmseq leased handles (lease $LEASE), $c process(es) on one sequence, $REPS runs"
		rep_bench "leased-$c" "leased handle, lease $LEASE" --self-daemon -m leased --lease "$LEASE" -p "$c" \
			-d "$DUR"
	done
	for b in $BATCHES; do
		say "shmseq batches of $b (shmseq_seq_nextval_n), 1 process, $REPS runs"
		rep_bench "batch$b-1" "batch of $b (per value)" --self-daemon -m batch --batch "$b" -d "$DUR"
	done
	# at the default CACHE 1000 a durable refill reserves at most 1024 x
	# CACHE values, so one thread drawing batches meets the refills'
	# fdatasyncs; a bulk-load sequence with a larger CACHE does not
	say "shmseq batches of 100 on a sequence with CACHE 16384, 1 process, $REPS runs"
	rep_bench "batch100c-1" "batch of 100, CACHE 16384 (per value)" --self-daemon -m batch --batch 100 \
		--create "CACHE 16384" -d "$DUR"
	for m in name exec; do
		say "shmseq by $m, 1 process, $REPS runs"
		rep_bench "$m-1" "by $m" --self-daemon -m "$m" -d "$DUR"
		$REPORT add-shmseq "$OUT" "$RAW/$m-1.json" "$m" 1
	done
	for c in $CLIENTS; do
		say "shmseq NOCACHE (every value durable), $c process(es), next to the disk's own durable write"
		rep_bench "nocache-$c" "NOCACHE (durable)" --self-daemon --create nocache -p "$c" -d "$DUR" \
			--baseline disk
		$REPORT add-shmseq "$OUT" "$RAW/nocache-$c.json" nocache "$c"
	done
	n=$((QUICK ? 400000 : 4000000))
	say "--verify: 4 processes x 2 threads, every value checked (plain handles, batches of 7, leases of 50)"
	bench verify --self-daemon -p 4 -t 2 --count "$n" --verify --no-bare
	$REPORT add-shmseq "$OUT" "$RAW/verify.json" verify 8
	bench verify-batch --self-daemon -m batch --batch 7 -p 4 -t 2 --count "$n" --verify --no-bare
	bench verify-leased --self-daemon -m leased --lease 50 -p 4 -t 2 --count "$n" --verify --no-bare
	repeats_report
fi

# ---- cluster mode: a member next to a local daemon, on a 3-member etcd --------

if ! skipped cluster; then
	if command -v etcd >/dev/null; then
		say "cluster mode: 3-member etcd on 127.0.0.11-13, a member with 2 idle peers next to a local" \
			"daemon, $REPS rounds of $DUR s, then 200 statements"
		if MEMBERS=3 ROUNDS=$REPS JSON="$RAW/cluster.json" sh "$ROOT/tests/cluster/bench.sh" "$BUILD" "$DUR" \
			200 2 >"$RAW/cluster.txt" 2>&1; then
			python3 - "$RAW/cluster.json" >"$OUT/cluster.md" <<'EOF'
import json, statistics, sys
j = json.load(open(sys.argv[1]))
loc, mem = j["local_ops"], j["member_ops"]
rate = lambda v: f"{v / 1e6:.1f} M"
spread = lambda v: f"{rate(statistics.median(v))} ({rate(min(v))}-{rate(max(v))})"
ratio = statistics.median(m / l for m, l in zip(mem, loc))
print(f"## Cluster mode ({j['members']}-member etcd on loopback, the member with {j['peers']} idle peers)\n")
print("| figure | measured | target |\n|---|---:|---:|")
print(f"| nextval, one thread on a handle: local daemon | {spread(loc)} values/s | |")
print(f"| the same on the cluster member, rounds interleaved | {spread(mem)} values/s | |")
print(f"| member / local (median of the rounds' ratios) | {ratio:.2f}x | >= 0.95 |")
print(f"| segment allocation during those rounds (a client thread busy beside it, the first "
      f"reads included), {j['grants']} grants | p50 {j['grant_p50_us'] / 1e3:.1f} ms, "
      f"p99 {j['grant_p99_us'] / 1e3:.1f} ms | |")
print(f"| statements (ALTER, fenced by {j['peers']} peers), {j['statements']} | "
      f"p50 {j['ddl_p50_us'] / 1e3:.1f} ms, p99 {j['ddl_p99_us'] / 1e3:.1f} ms | p99 <= 50 ms |")
print(f"| refills that waited on the store (the first segments included) | {j['store_waits']} | |")
EOF
			# 200 grants in a row, each next to a bare Txn of the same shape
			# on the same store (tests/cluster/test_segment.c)
			if meson test -C "$BUILD" segment --verbose >"$RAW/segment.txt" 2>&1; then
				sed -n 's/^# one host: grant p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms (\([0-9]*\) grants); the store.s bare Txn, interleaved: p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms$/| segment allocation, \3 grants in a row (test_segment) | p50 \1 ms, p99 \2 ms | p50 <= 3, p99 <= 15 ms (quiet machine) |\n| the store'"'"'s bare Txn of the same shape, interleaved | p50 \4 ms, p99 \5 ms | |/p' \
					"$RAW/segment.txt" >>"$OUT/cluster.md"
			fi
		else
			say "the cluster benchmark failed: $RAW/cluster.txt"
		fi
	else
		say "etcd is not installed: no cluster figures (shmseq.sh deps etcd-server etcd-client)"
	fi
fi

# ---- cluster mode under faults: the nemesis test, its figures ----------------

if ! skipped nemesis; then
	if command -v etcd >/dev/null; then
		say "cluster nemesis: 3 etcd members, 3 hosts, $NEMESIS s of kills, pauses, partitions and DDL"
		# the test's own checker decides; its summary lines are the figures
		if SHMSEQ_NEMESIS_SECONDS=$NEMESIS meson test -C "$BUILD" nemesis --verbose \
			--timeout-multiplier $((NEMESIS / 60 + 2)) >"$RAW/nemesis.txt" 2>&1; then
			verdict="passed"
		else
			verdict="FAILED (the whole output: $RAW/nemesis.txt)"
		fi
		{
			echo "## Cluster nemesis ($NEMESIS s of faults): $verdict"
			echo
			echo '```'
			grep -E '^(nemesis:|faults:|DDL statements:|values checked:|(nu|cu|cy|dd|bu): )' \
				"$RAW/nemesis.txt" | sed 's/^[[:space:]]*//' || true
			echo '```'
		} >"$OUT/nemesis.md"
		say "nemesis: $verdict"
	else
		say "etcd is not installed: no nemesis figures (shmseq.sh deps etcd-server etcd-client)"
	fi
fi

# ---- scaling: number of sequences, memory, creation ---------------------------

if ! skipped scaling; then
	n=$((QUICK ? 1000 : 10000))
	say "creating $n sequences from one connection (no group commit)"
	bench create-sequential --self-daemon -k "$n" --create-threads 1 -d 1 --no-bare
	$REPORT add-shmseq "$OUT" "$RAW/create-sequential.json" create-sequential 1
	for k in $SEQS; do
		# one private daemon per K: the sequences are created once and
		# measured by name (random, round-robin) and through handles
		say "$k sequence(s): create, then nextval by name and by handle"
		run=$WORK/shmseq-$k
		mkdir -p "$run/run" "$run/data"
		SHMSEQ_RUNTIME_DIR=$run/run "$SHMSEQD" --instance "cmp$k" --data-dir "$run/data" \
			--max-sequences $((k + 1024 > 1048576 ? k + 1024 : 1048576)) >"$run/log" 2>&1 &
		dpid=$!
		PIDS+=("$dpid")
		for _ in $(seq 100); do
			SHMSEQ_RUNTIME_DIR=$run/run "$BUILD/tools/shmseq" --instance "cmp$k" status --quiet \
				2>/dev/null && break
			sleep 0.1
		done
		export SHMSEQ_RUNTIME_DIR=$run/run
		# with the bare fetch-add on K counters picked alike: the limit for K
		bench "seqs-name-$k" -i "cmp$k" -k "$k" --create "" -m name -d "$DUR"
		$REPORT add-shmseq "$OUT" "$RAW/seqs-name-$k.json" seqs-name 1
		# each run's process resolves all K names first (its warm-up): above
		# 100,000 only the figure the issue asks for, by name at random
		if [ "$k" -gt 1 ] && [ "$k" -le 100000 ]; then
			bench "seqs-name-rr-$k" -i "cmp$k" -k "$k" -m name --pick round-robin -d "$DUR" --no-bare
			$REPORT add-shmseq "$OUT" "$RAW/seqs-name-rr-$k.json" seqs-name-rr 1
		fi
		if [ "$k" -le 100000 ]; then
			bench "seqs-handle-$k" -i "cmp$k" -k "$k" -m handle -d "$DUR" --no-bare
			$REPORT add-shmseq "$OUT" "$RAW/seqs-handle-$k.json" seqs-handle 1
		fi
		unset SHMSEQ_RUNTIME_DIR
		stop_pid "$dpid"
		rm -rf "$run"
	done
fi

# ---- Redis --------------------------------------------------------------------

# redis-benchmark stops after -n requests: a short probe measures the rate,
# then the run asks for rate x duration requests.
redis_run() { # SOCKET ITEM CLIENTS PIPELINE
	local sock=$1 item=$2 c=$3 pl=$4 n rps
	n=$((c * pl * 500 > 2000 ? c * pl * 500 : 2000))
	rps=$(redis-benchmark -s "$sock" -c "$c" -P "$pl" -n "$n" -t incr --csv 2>/dev/null |
		awk -F'"' '/^"INCR"/ {print int($4)}')
	n=$((rps * DUR))
	[ "$n" -ge 1000 ] || n=1000
	redis-benchmark -s "$sock" -c "$c" -P "$pl" -n "$n" -t incr --csv >"$RAW/redis-$item-$c.csv" 2>&1
	$REPORT add-redis "$OUT" "$RAW/redis-$item-$c.csv" "$item" "$c" "$pl"
}

redis_start() { # DIR ARGS...
	local dir=$1; shift
	mkdir -p "$dir"
	redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 --dir "$dir" \
		--logfile "$dir/log" --daemonize no "$@" &
	PIDS+=("$!")
	REDIS_PID=$!
	for _ in $(seq 100); do
		redis-cli -s "$dir/redis.sock" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "bench-compare.sh: redis-server did not start:" >&2; cat "$dir/log" >&2; exit 1
}

if ! skipped redis; then
	say "Redis $(redis-server --version | awk '{print $3}'): in memory, no persistence"
	redis_start "$WORK/redis" --save '' --appendonly no
	for c in $CLIENTS; do
		say "Redis INCR, $c client(s), unpipelined and pipelined x16"
		redis_run "$WORK/redis/redis.sock" incr "$c" 1
		redis_run "$WORK/redis/redis.sock" incr-p16 "$c" 16
	done
	stop_pid "$REDIS_PID"
	say "Redis with appendonly yes, appendfsync always"
	redis_start "$WORK/redis-aof" --save '' --appendonly yes --appendfsync always
	for c in $CLIENTS; do
		say "Redis INCR, appendfsync always, $c client(s)"
		redis_run "$WORK/redis-aof/redis.sock" incr-aof "$c" 1
	done
	stop_pid "$REDIS_PID"
fi

# ---- PostgreSQL ----------------------------------------------------------------

if ! skipped postgresql; then
	[ -n "$PGBIN" ] || { echo "bench-compare.sh: no PostgreSQL server binaries" >&2; exit 1; }
	PG=$WORK/pg
	mkdir -p "$PG" "$WORK/pglog"
	as_root chown postgres: "$PG"
	PG_DATA=$PG/data
	say "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'): initdb, start (fsync=on, synchronous_commit=on)"
	as_postgres "$PGBIN/initdb" -D "$PG_DATA" -A trust -U postgres >"$RAW/pg-initdb.log" 2>&1
	as_postgres "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$PG/log" -w -o \
		"-c listen_addresses='' -c unix_socket_directories=$PG -c fsync=on -c synchronous_commit=on -c max_connections=100" \
		start >/dev/null
	psql() { command psql -h "$PG" -U postgres -X -q -At "$@"; }
	psql -c "CREATE SEQUENCE s1 CACHE 1; CREATE SEQUENCE s1000 CACHE 1000;"
	psql -c "SELECT name || '=' || setting FROM pg_settings WHERE name IN
		('fsync','synchronous_commit','wal_sync_method','full_page_writes','shared_buffers','wal_level')" \
		>"$RAW/pg-settings.txt"
	for cache in 1 1000; do
		echo "SELECT nextval('s$cache');" >"$WORK/nextval$cache.sql"
		for c in $CLIENTS; do
			say "PostgreSQL nextval(), CACHE $cache, $c client(s)"
			s0=$(psql -c "SELECT wal_sync FROM pg_stat_wal")
			j=$((c < NCPU ? c : NCPU))
			rm -f "$WORK/pglog"/pglog.*
			"$PGBIN/pgbench" -h "$PG" -U postgres -n -f "$WORK/nextval$cache.sql" -c "$c" -j "$j" -T "$DUR" \
				-l --log-prefix="$WORK/pglog/pglog" postgres >"$RAW/pg-cache$cache-$c.txt" 2>&1
			s1=$(psql -c "SELECT wal_sync FROM pg_stat_wal")
			$REPORT add-pgbench "$OUT" "$RAW/pg-cache$cache-$c.txt" "$WORK/pglog/pglog" "cache$cache" "$c" \
				$((s1 - s0))
		done
	done
	# (kept running for the Python row below; stopped there)
fi

# ---- Python: the module's handle next to abs(x), redis-py and psycopg2 --------------

if ! skipped python; then
	pyargs=()
	if ! skipped redis; then
		redis_start "$WORK/redis-py" --save '' --appendonly no
		pyargs+=(--redis-socket "$WORK/redis-py/redis.sock")
	fi
	[ -z "$PG_DATA" ] || pyargs+=(--pg-dsn "host=$PG user=postgres dbname=postgres")
	say "Python: a handle's nextval() next to abs(x), redis-py INCR and psycopg2 nextval(), 1 client"
	if [ -d "$BUILD/python" ]; then
		# the interpreter the module was built for (its test runs on it)
		py=$(meson introspect --tests "$BUILD" | python3 -c 'import json, sys
print(next((t["cmd"][0] for t in json.load(sys.stdin) if t["name"] == "python"), "python3"))')
		PYTHONPATH=$BUILD/python "$py" "$ROOT/tools/bench-python.py" --markdown \
			--repeat $((QUICK ? 5 : 15)) --number $((QUICK ? 100000 : 1000000)) "${pyargs[@]}" \
			>"$RAW/python.md" 2>"$RAW/python.err" || { cat "$RAW/python.err" >&2; exit 1; }
	else
		echo "(no Python module in $BUILD: python3-dev missing)" >"$RAW/python.md"
	fi
	skipped redis || stop_pid "$REDIS_PID"
fi
if [ -n "$PG_DATA" ]; then
	as_postgres "$PGBIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
	PG_DATA=""
fi

# ---- MariaDB ---------------------------------------------------------------------

if ! skipped mariadb; then
	MY=$WORK/mariadb
	mkdir -p "$MY"
	say "MariaDB $(mariadbd --version | awk '{print $3}'): install-db, start (innodb_flush_log_at_trx_commit=1, no binlog)"
	mariadb-install-db --no-defaults --datadir="$MY/data" --user="$(id -un)" \
		--auth-root-authentication-method=socket --skip-test-db >"$RAW/mariadb-install.log" 2>&1
	mariadbd --no-defaults --datadir="$MY/data" --socket="$MY/sock" --skip-networking --user="$(id -un)" \
		--pid-file="$MY/pid" --log-error="$MY/err.log" --skip-log-bin \
		--innodb-flush-log-at-trx-commit=1 --sync-binlog=1 --innodb-buffer-pool-size=128M \
		--max-connections=200 >/dev/null 2>&1 &
	PIDS+=("$!")
	MY_PID=$!
	for _ in $(seq 300); do mariadb-admin --socket="$MY/sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
	my() { mariadb --no-defaults --socket="$MY/sock" -N -B "$@"; }
	my -e "CREATE DATABASE bench; CREATE SEQUENCE bench.s_default; CREATE SEQUENCE bench.s_nocache NOCACHE;"
	my -e "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version','innodb_flush_log_at_trx_commit',
		'sync_binlog','log_bin','innodb_flush_method','innodb_doublewrite','innodb_buffer_pool_size')" \
		>"$RAW/mariadb-settings.txt"
	my -e "SHOW CREATE SEQUENCE bench.s_default" >>"$RAW/mariadb-settings.txt"
	cat >"$MY/nextval.lua" <<'EOF'
-- one connection per thread, one statement per event (text protocol)
sysbench.cmdline.options = {stmt = {"statement to run", "SELECT NEXTVAL(bench.s_default)"}}
function thread_init() con = sysbench.sql.driver():connect() end
function event() con:query(sysbench.opt.stmt) end
function thread_done() con:disconnect() end
EOF
	for seq in default nocache; do
		for c in $CLIENTS; do
			say "MariaDB NEXTVAL, $seq, $c client(s)"
			f0=$(my -e "SHOW GLOBAL STATUS LIKE 'Innodb_data_fsyncs'" | awk '{print $2}')
			sysbench "$MY/nextval.lua" --db-driver=mysql --mysql-socket="$MY/sock" --mysql-user=root \
				--mysql-db=bench --threads="$c" --time="$DUR" --histogram --percentile=99 \
				--stmt="SELECT NEXTVAL(bench.s_$seq)" run >"$RAW/mariadb-$seq-$c.txt" 2>&1
			f1=$(my -e "SHOW GLOBAL STATUS LIKE 'Innodb_data_fsyncs'" | awk '{print $2}')
			$REPORT add-sysbench "$OUT" "$RAW/mariadb-$seq-$c.txt" "$seq" "$c" $((f1 - f0))
		done
	done
	stop_pid "$MY_PID"
fi

# ---- the report and the plots ------------------------------------------------------

$REPORT report "$OUT" "$OUT/meta.json"
if ! skipped plots; then
	# (a peer left out leaves empty columns: gnuplot says so once per column)
	gnuplot -e "dir='$OUT'" "$ROOT/tools/plot/plots.gp" 2>&1 | grep -v "Skipping data file with no valid points" >&2 ||
		true
	[ -s "$OUT/throughput.png" ] || echo "bench-compare.sh: gnuplot made no plots; the tables are complete" >&2
fi
if [ -s "$RAW/python.md" ]; then
	printf '\n## Python, one client\n\n' >>"$OUT/results.md"
	cat "$RAW/python.md" >>"$OUT/results.md"
fi
say "results: $OUT/results.md${SKIP:+ (skipped: $SKIP)}"
cat "$OUT/results.md"
if [ -s "$OUT/repeats.md" ]; then
	say "repeated rows: $OUT/repeats.md"
	cat "$OUT/repeats.md"
fi
if [ -s "$OUT/cluster.md" ]; then
	say "cluster mode: $OUT/cluster.md"
	cat "$OUT/cluster.md"
fi
if [ -s "$OUT/nemesis.md" ]; then
	say "cluster nemesis: $OUT/nemesis.md"
	cat "$OUT/nemesis.md"
fi
