#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# shmseq.sh — the two set-up commands of the README.
#   ./shmseq.sh demo   install what is missing, build, start a daemon on the
#                      default instance, create sequences, run a benchmark
#   ./shmseq.sh test   install what is missing, build, run the whole test
#                      suite, then again under AddressSanitizer + UBSan, the
#                      concurrency tests under ThreadSanitizer, and a short
#                      run of each fuzz target (clang's libFuzzer)
set -euo pipefail
cd "$(dirname "$0")"

DEPS=(meson ninja-build gcc pkg-config liburcu-dev libcmocka-dev libedit-dev python3
	libcurl4-openssl-dev libjson-c-dev # these two: cluster mode's etcd client
	scdoc # the man pages
	python3-dev) # the Python module
TEST_DEPS=(clang etcd-server etcd-client libfuse3-dev fuse3 python3-pytest tmux systemd iptables)
# clang: the fuzz targets; etcd: the cluster tests; fuse3: plfs (the powerloss test); pytest: the
# Python module; tmux: the shell on a terminal; systemd: systemd-analyze checks the unit; iptables:
# the cluster partition tests cut links in a network namespace of their own

need_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		echo "shmseq.sh: run as root or install: ${DEPS[*]}" >&2; exit 1; fi
}

install_deps() { # install_deps [extra packages...]
	local missing=()
	for p in "${DEPS[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "== installing ${missing[*]}"
		need_root apt-get update -qq
		need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

build() { # build DIR [meson options...]
	local dir=$1; shift
	[ -d "$dir" ] || meson setup "$dir" ${MESON_OPTS:-} "$@" >/dev/null
	meson compile -C "$dir"
}

demo() {
	install_deps
	build build
	local cli=build/tools/shmseq
	if ! "$cli" status --quiet 2>/dev/null; then
		echo "== starting shmseqd on the default instance"
		local log="${TMPDIR:-/tmp}/shmseqd-default.log"
		nohup build/daemon/shmseqd >"$log" 2>&1 &
		for _ in $(seq 100); do "$cli" status --quiet 2>/dev/null && break; sleep 0.05; done
		if ! "$cli" status --quiet 2>/dev/null; then
			echo "shmseqd did not start; it said ($log):" >&2
			cat "$log" >&2
			exit 1
		fi
	fi
	"$cli" status
	echo "== MariaDB's statements, through the SQL shell"
	"$cli" sql --format=table -e "
		CREATE OR REPLACE SEQUENCE demo_orders START WITH 1000 INCREMENT BY 10 CACHE 100;
		CREATE OR REPLACE SEQUENCE demo_tickets MINVALUE 1 MAXVALUE 3 CYCLE NOCACHE;
		SELECT NEXTVAL(demo_orders), NEXTVAL(demo_orders), NEXT VALUE FOR demo_orders;
		SELECT NEXTVAL(demo_tickets), NEXTVAL(demo_tickets), NEXTVAL(demo_tickets), NEXTVAL(demo_tickets);
		SELECT * FROM demo_tickets;
		SHOW CREATE SEQUENCE demo_orders;
		SHOW FULL TABLES;"
	echo "== benchmark: 2 processes on one sequence, against a bare atomic fetch-add"
	build/tools/shmseq-bench --processes 2 --threads 1 --duration 3 --sequence demo_bench --create 'cache 1000'
	echo "== 4 processes x 2 threads, every value checked: all distinct, each thread's increasing"
	build/tools/shmseq-bench --processes 4 --threads 2 --count 2000000 --sequence demo_verify --create 'cache 1000' --verify
	echo "== single thread, through a handle"
	build/tools/shmseq-bench --processes 1 --threads 1 --duration 2 --sequence demo_bench1 --create 'cache 1000'
	echo "== the daemon keeps running; stop it with: $cli shutdown"
}

run_tests() {
	install_deps "${TEST_DEPS[@]}"
	build build
	meson test -C build --print-errorlogs --num-processes 2
	echo "== again under AddressSanitizer and UndefinedBehaviorSanitizer"
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
		--no-suite torture
	echo "== the concurrency tests under ThreadSanitizer"
	build build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug
	TSAN_OPTIONS="halt_on_error=1" \
		meson test -C build-tsan --print-errorlogs --num-processes 1 --timeout-multiplier 3 \
		region concurrency crash batch names
	echo "== each fuzz target: its seed corpus, then ${FUZZ_SECONDS:-20} s of mutations"
	CC=clang build build-fuzz -Dfuzz=true -Dbuildtype=debugoptimized
	local t work rc
	for t in sql wire region wal records; do
		work=$(mktemp -d)
		# new inputs go to a scratch dir; the seeds in the tree stay as they are
		rc=0
		build-fuzz/tests/fuzz_$t -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 \
			-print_final_stats=1 "$work" tests/fuzz/corpus/$t \
			$([ $t = sql ] && echo tests/conformance/cases) >"$work.log" 2>&1 || rc=$?
		echo "fuzz_$t: $(grep -E '^stat::number_of_executed_units' "$work.log" | grep -oE '[0-9]+$') runs," \
			"exit $rc"
		[ $rc = 0 ] || tail -n 40 "$work.log" >&2
		rm -rf "$work" "$work.log"
		[ $rc = 0 ] || { echo "fuzz_$t found a crash (above)" >&2; exit 1; }
	done
}

case "${1:-}" in
demo) demo ;;
test) run_tests ;;
deps) shift; install_deps "$@" ;; # the build's packages and these (tools/bench-compare.sh)
*) echo "usage: $0 demo|test|deps [PACKAGE...]" >&2; exit 2 ;;
esac
