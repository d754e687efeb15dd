#!/bin/sh
# SPDX-License-Identifier: MIT
# The systemd unit passes `systemd-analyze verify` and its sandbox scores an
# exposure of at most 2.5 in `systemd-analyze security` (offline).
# Usage: check_unit.sh SYSTEMD_ANALYZE UNIT.in SHMSEQD. Exit 77 (skipped)
# where systemd-analyze cannot run.
sa=$1 unit_in=$2 daemon=$3
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
sed "s|@sbindir@|$(dirname "$daemon")|" "$unit_in" >"$dir/shmseqd@.service" || exit 1
cd "$dir" || exit 1
"$sa" --version >/dev/null 2>&1 || { echo "systemd-analyze does not run: skipping"; exit 77; }
"$sa" --help 2>/dev/null | grep -q -- '--offline' || { echo "systemd-analyze before 250 (no --offline): skipping"; exit 77; }
"$sa" verify --man=no ./shmseqd@.service || { echo "FAIL: systemd-analyze verify"; exit 1; }
out=$("$sa" security --offline=true --threshold=25 ./shmseqd@.service 2>&1)
rc=$?
echo "$out" | grep -E "Overall exposure"
if [ $rc -ne 0 ]; then
	echo "$out"
	echo "FAIL: exposure above 2.5"
	exit 1
fi
echo "ok: verified, exposure within 2.5"
