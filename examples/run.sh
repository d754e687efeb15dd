#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh SHMSEQD PROGRAM [ARGS...] — run an example against a daemon of its
# own: a private instance, runtime and data directory under a temporary
# directory, stopped (SIGTERM) and removed afterwards. Exits with PROGRAM's
# status; 1 when the daemon does not come up within 30 s.
set -u
daemon=$1
shift
dir=$(mktemp -d /tmp/shmseq-example-XXXXXX) || exit 1
export SHMSEQ_RUNTIME_DIR="$dir/run" SHMSEQ_INSTANCE="example-$$"
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The daemon writes one byte to --ready-fd once its socket accepts clients.
mkfifo "$dir/ready" || exit 1
"$daemon" --data-dir "$dir/data" --ready-fd 3 3>"$dir/ready" 2>"$dir/shmseqd.err" &
pid=$!
if [ "$(timeout 30 head -c 1 "$dir/ready")" != R ]; then
	echo "run.sh: $daemon did not become ready:" >&2
	cat "$dir/shmseqd.err" >&2
	exit 1
fi
timeout 120 "$@"
status=$?
[ "$status" = 0 ] || cat "$dir/shmseqd.err" >&2
exit "$status"
