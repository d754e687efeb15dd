#!/bin/sh
# SPDX-License-Identifier: MIT
# install_check.sh MESON BUILD_DIR SOURCE_DIR — what a packager and a user
# see: `meson install --destdir` into a temporary directory must install the
# man pages (when scdoc built them), the header, the library, shmseq.pc and
# the daemon; then the examples must build against that install with
# pkg-config alone (no path into the source or build tree) and run against
# the installed daemon. Exit 77 (skipped) without pkg-config or a C compiler.
set -u
meson=$1 build=$2 src=$3
command -v pkg-config >/dev/null 2>&1 || { echo "no pkg-config: skipping"; exit 77; }
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || { echo "no C compiler: skipping"; exit 77; }
dest=$(mktemp -d /tmp/shmseq-install-XXXXXX) || exit 1
trap 'rm -rf "$dest"' EXIT
fail() { echo "install_check: $*" >&2; exit 1; }

timeout 120 "$meson" install --no-rebuild --quiet -C "$build" --destdir "$dest/root" \
	>"$dest/install.log" 2>&1 || { cat "$dest/install.log"; fail "meson install failed"; }
root=$dest/root

# The man pages, when this build has scdoc.
if command -v scdoc >/dev/null 2>&1; then
	for page in man1/shmseq.1 man1/shmseq-bench.1 man8/shmseqd.8 man3/libshmseq.3; do
		f=$(find "$root" -path "*/man/$page" | head -n 1)
		[ -n "$f" ] || fail "$page not installed"
		grep -q '^\.TH' "$f" || fail "$f is not a man page"
	done
	echo "man pages installed"
fi

pc=$(find "$root" -name shmseq.pc | head -n 1)
[ -n "$pc" ] || fail "shmseq.pc not installed"
daemon=$(find "$root" -name shmseqd -type f | head -n 1)
[ -n "$daemon" ] || fail "shmseqd not installed"
# The .pc names the install prefix; the sysroot puts it under the destdir.
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$root"
flags=$(pkg-config --cflags --libs shmseq) || fail "pkg-config --cflags --libs shmseq failed"
echo "pkg-config: $flags"
libdir=$(pkg-config --variable=libdir shmseq)
for ex in hello workers; do
	# shellcheck disable=SC2086 # the flags are words
	"$cc" -std=c11 -Wall -Wextra -Werror -o "$dest/$ex" "$src/examples/$ex.c" $flags \
		|| fail "examples/$ex.c does not build against the installed library"
done
case $libdir in "$root"/*) ;; *) libdir=$root$libdir ;; esac # pkgconf adds the sysroot itself
export LD_LIBRARY_PATH="$libdir"
ldd "$dest/hello" | grep -q "$root" || fail "hello does not load the installed libshmseq"
"$src/examples/run.sh" "$daemon" "$dest/hello" || fail "hello failed against the installed daemon"
"$src/examples/run.sh" "$daemon" "$dest/workers" 4 20000 || fail "workers failed"
echo "examples built with pkg-config alone and ran against the installed daemon"
