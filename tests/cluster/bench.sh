#!/bin/sh
# SPDX-License-Identifier: MIT
# bench.sh — cluster mode's figures on one machine: a 1-member etcd on
# 127.0.0.11, a local-mode daemon and a cluster member side by side,
# shmseq-bench on each in turn (same run), then N statements on the member;
# the member's status gives segment allocation and statement p50/p99.
# Usage: tests/cluster/bench.sh BUILD_DIR [SECONDS] [STATEMENTS] [PEERS]
# PEERS more idle members (default 0): the statements then wait for their
# acknowledgements (the fence).
set -eu
B=$(cd "${1:?build directory}" && pwd)
SECS=${2:-3}
N=${3:-200}
PEERS=${4:-0}
command -v etcd >/dev/null || { echo "etcd is not installed: skipping" >&2; exit 77; }
T=$(mktemp -d /tmp/shmseq-clbench.XXXXXX)
PORT=$((24000 + $$ % 1000))
cleanup() {
	[ -n "${PL:-}" ] && kill "$PL" 2>/dev/null
	[ -n "${PC:-}" ] && kill "$PC" 2>/dev/null
	for p in ${PP:-}; do kill "$p" 2>/dev/null; done
	[ -n "${PE:-}" ] && kill "$PE" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
etcd --name m1 --data-dir "$T/etcd" --listen-client-urls "http://127.0.0.11:$PORT" \
	--advertise-client-urls "http://127.0.0.11:$PORT" --listen-peer-urls "http://127.0.0.11:$((PORT + 1000))" \
	--initial-advertise-peer-urls "http://127.0.0.11:$((PORT + 1000))" \
	--initial-cluster "m1=http://127.0.0.11:$((PORT + 1000))" >"$T/etcd.log" 2>&1 &
PE=$!
export SHMSEQ_RUNTIME_DIR="$T/run"
mkdir -p "$SHMSEQ_RUNTIME_DIR"
i=0
until etcdctl --endpoints "http://127.0.0.11:$PORT" get x >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "etcd did not start" >&2; exit 1; }; sleep 0.1
done
"$B/daemon/shmseqd" -i bl -d "$T/local" 2>"$T/local.log" &
PL=$!
"$B/daemon/shmseqd" -i bc -d "$T/member" --etcd "http://127.0.0.11:$PORT" --cluster bench --host b1 \
	2>"$T/member.log" &
PC=$!
PP=
p=1
while [ $p -le "$PEERS" ]; do
	"$B/daemon/shmseqd" -i bp$p -d "$T/peer$p" --etcd "http://127.0.0.11:$PORT" --cluster bench \
		--host p$p 2>"$T/peer$p.log" &
	PP="$PP $!"
	p=$((p + 1))
done
i=0
until "$B/tools/shmseq" -i bl status -q && "$B/tools/shmseq" -i bc status -q; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "a daemon did not start" >&2; exit 1; }; sleep 0.1
done
for round in 1 2; do
	for inst in bl bc; do
		printf '%s round %s: ' "$([ $inst = bl ] && echo local ' ' || echo cluster)" $round
		"$B/tools/shmseq-bench" -i $inst -c '' -d "$SECS" -b none | grep -E '^ops/s' | tr -s ' '
	done
done
k=0
while [ $k -lt "$N" ]; do echo "ALTER SEQUENCE bench CACHE $((1000 + k));"; k=$((k + 1)); done |
	"$B/tools/shmseq" -i bc sql >/dev/null
"$B/tools/shmseq" -i bc status | sed -n '/^mode:/,$p'
