#!/bin/sh
# SPDX-License-Identifier: MIT
# bench.sh — cluster mode's figures on one machine: an etcd of MEMBERS
# members on 127.0.0.11-13, a local-mode daemon and a cluster member side by
# side, shmseq-bench one thread on a handle on each in turn, ROUNDS times
# (same run), then N statements on the member; the member's status gives
# segment allocation and statement p50/p99, and how often a refill waited on
# the store.
# Usage: tests/cluster/bench.sh BUILD_DIR [SECONDS] [STATEMENTS] [PEERS]
# PEERS more idle members (default 0): the statements then wait for their
# acknowledgements (the fence).
# Environment: MEMBERS (1 or 3, default 1), ROUNDS (default 2), JSON=FILE
# (also write the figures there, one JSON object), KEEP=1 (keep the
# temporary directory and its logs).
set -eu
B=$(cd "${1:?build directory}" && pwd)
SECS=${2:-3}
N=${3:-200}
PEERS=${4:-0}
MEMBERS=${MEMBERS:-1}
ROUNDS=${ROUNDS:-2}
case $MEMBERS in 1 | 3) ;; *) echo "bench.sh: MEMBERS is 1 or 3" >&2; exit 2 ;; esac
command -v etcd >/dev/null || { echo "etcd is not installed: skipping" >&2; exit 77; }
T=$(mktemp -d /tmp/shmseq-clbench.XXXXXX)
PORT=$((24000 + $$ % 1000))
# instance names are machine-wide (the region and its lock live in /dev/shm)
I=$$
cleanup() {
	[ -n "${PL:-}" ] && kill "$PL" 2>/dev/null
	[ -n "${PC:-}" ] && kill "$PC" 2>/dev/null
	for p in ${PP:-} ${PE:-}; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM
CLUSTER=
ENDPOINTS=
m=1
while [ $m -le "$MEMBERS" ]; do
	CLUSTER="$CLUSTER${CLUSTER:+,}m$m=http://127.0.0.1$m:$((PORT + 1000))"
	ENDPOINTS="$ENDPOINTS${ENDPOINTS:+,}http://127.0.0.1$m:$PORT"
	m=$((m + 1))
done
PE=
m=1
while [ $m -le "$MEMBERS" ]; do
	a=127.0.0.1$m
	etcd --name m$m --data-dir "$T/etcd$m" --listen-client-urls "http://$a:$PORT" \
		--advertise-client-urls "http://$a:$PORT" --listen-peer-urls "http://$a:$((PORT + 1000))" \
		--initial-advertise-peer-urls "http://$a:$((PORT + 1000))" --initial-cluster "$CLUSTER" \
		--initial-cluster-token "clbench$I" >"$T/etcd$m.log" 2>&1 &
	PE="$PE $!"
	m=$((m + 1))
done
export SHMSEQ_RUNTIME_DIR="$T/run"
mkdir -p "$SHMSEQ_RUNTIME_DIR"
i=0
until etcdctl --endpoints "$ENDPOINTS" put /clbench/ready 1 >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "etcd did not start" >&2; exit 1; }; sleep 0.1
done
"$B/daemon/shmseqd" -i bl$I -d "$T/local" 2>"$T/local.log" &
PL=$!
"$B/daemon/shmseqd" -i bc$I -d "$T/member" --etcd "$ENDPOINTS" --cluster bench --host b1 \
	2>"$T/member.log" &
PC=$!
PP=
p=1
while [ $p -le "$PEERS" ]; do
	"$B/daemon/shmseqd" -i bp$I.$p -d "$T/peer$p" --etcd "$ENDPOINTS" --cluster bench \
		--host p$p 2>"$T/peer$p.log" &
	PP="$PP $!"
	p=$((p + 1))
done
i=0
until "$B/tools/shmseq" -i bl$I status -q && "$B/tools/shmseq" -i bc$I status -q; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "a daemon did not start" >&2; exit 1; }; sleep 0.1
done
LOCAL=
MEMBER=
round=1
while [ $round -le "$ROUNDS" ]; do
	for inst in bl$I bc$I; do
		ops=$("$B/tools/shmseq-bench" -i $inst -c '' -d "$SECS" -b none -f json |
			sed -n 's/.*"ops_per_s":\([0-9.]*\).*/\1/p' | head -n 1)
		if [ $inst = bl$I ]; then
			LOCAL="$LOCAL${LOCAL:+,}$ops"
			printf 'local   round %s: %s values/s\n' $round "$ops"
		else
			MEMBER="$MEMBER${MEMBER:+,}$ops"
			printf 'cluster round %s: %s values/s\n' $round "$ops"
		fi
	done
	round=$((round + 1))
done
k=0
while [ $k -lt "$N" ]; do echo "ALTER SEQUENCE bench CACHE $((1000 + k));"; k=$((k + 1)); done |
	"$B/tools/shmseq" -i bc$I sql >/dev/null
"$B/tools/shmseq" -i bc$I status >"$T/status"
sed -n '/^mode:/,$p' "$T/status"
if [ -n "${JSON:-}" ]; then
	# grants: 13 (p50 3207 us, p99 13337 us); statements: 52 (p50 4624 us, p99 16663 us)
	g=$(sed -n 's/^grants: \([0-9]*\) (p50 \([0-9]*\) us, p99 \([0-9]*\) us); statements: \([0-9]*\) (p50 \([0-9]*\) us, p99 \([0-9]*\) us).*/\1 \2 \3 \4 \5 \6/p' "$T/status")
	w=$(sed -n 's/^refills that waited on the store: \([0-9]*\);.*/\1/p' "$T/status")
	set -- $g
	printf '{"members":%s,"peers":%s,"seconds":%s,"local_ops":[%s],"member_ops":[%s],"grants":%s,"grant_p50_us":%s,"grant_p99_us":%s,"statements":%s,"ddl_p50_us":%s,"ddl_p99_us":%s,"store_waits":%s}\n' \
		"$MEMBERS" "$PEERS" "$SECS" "$LOCAL" "$MEMBER" "${1:-null}" "${2:-null}" "${3:-null}" "${4:-null}" \
		"${5:-null}" "${6:-null}" "${w:-null}" >"$JSON"
fi
