#!/bin/sh
# SPDX-License-Identifier: MIT
# One version everywhere: meson.build's project version is the header's
# (SHMSEQ_VERSION_*), the library's (shmseq_version()), the pkg-config
# file's and what every program's --version prints; no other tracked source
# file spells it out.
# Usage: check_version.sh VERSION SOURCE_ROOT PC_FILE VERSION_PROG SHMSEQD SHMSEQ SHMSEQ_BENCH
set -u
want=$1 root=$2 pc=$3 prog=$4
shift 4
bad=0
fail() {
	echo "FAIL: $*"
	bad=1
}
out=$("$prog") || fail "$prog failed"
[ "$(echo "$out" | sed -n 's/^header //p')" = "$want" ] || fail "header says: $out; want $want"
[ "$(echo "$out" | sed -n 's/^library //p')" = "$want" ] || fail "shmseq_version() says: $out; want $want"
grep -qx "Version: $want" "$pc" || fail "$pc: $(grep '^Version' "$pc"); want $want"
for p in "$@"; do
	for opt in --version -V; do
		line=$("$p" $opt) || fail "$p $opt exited $?"
		name=$(basename "$p")
		case "$line" in
		"$name $want" | "$name $want (libshmseq $want)") echo "ok: $p $opt: $line" ;;
		*) fail "$p $opt printed '$line', want '$name $want'" ;;
		esac
	done
done
if command -v git >/dev/null 2>&1 && git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	others=$(git -C "$root" grep -lF "$want" -- '*.c' '*.h' '*.in' '*.py' '*.sh' '*.scd' 'meson.build' '*/meson.build' |
		grep -vx meson.build)
	[ -z "$others" ] || fail "the version $want is spelled out outside meson.build: $others"
fi
[ $bad = 0 ] && echo "version $want everywhere"
exit $bad
