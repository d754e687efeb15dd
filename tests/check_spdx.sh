#!/bin/sh
# SPDX-License-Identifier: MIT
# Every tracked source file (.c .h .cpp .py .sh) names its licence in its
# first lines: "SPDX-License-Identifier: MIT" (in line 1, or line 2 after a
# "#!" line). Usage: check_spdx.sh [SOURCE_ROOT]. Exit 77 (skipped) outside
# a git checkout, 1 naming each file that lacks the line.
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 1
command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1 || {
	echo "not a git checkout: skipping"
	exit 77
}
bad=0
for f in $(git ls-files -- '*.c' '*.h' '*.cpp' '*.py' '*.sh'); do
	[ -f "$f" ] || continue
	if ! head -n 2 "$f" | grep -q 'SPDX-License-Identifier: MIT'; then
		echo "no SPDX-License-Identifier line: $f"
		bad=1
	fi
done
exit $bad
