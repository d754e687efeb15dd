#!/bin/sh
# SPDX-License-Identifier: MIT
# install_check.sh MESON BUILD_DIR PYTHON — `meson install --destdir` into a
# temporary directory must install the Python module and its stubs; the
# installed module must import from there (not from the build tree) and
# draw values from the installed daemon.
set -u
meson=$1 build=$2 py=$3
dest=$(mktemp -d /tmp/shmseq-pyinstall-XXXXXX) || exit 1
trap 'rm -rf "$dest"' EXIT
fail() { echo "install_check: $*" >&2; exit 1; }

timeout 120 "$meson" install --no-rebuild --quiet -C "$build" --destdir "$dest/root" \
	>"$dest/install.log" 2>&1 || { cat "$dest/install.log"; fail "meson install failed"; }
root=$dest/root
mod=$(find "$root" -name 'shmseq.cpython-*.so' -o -name 'shmseq.abi3.so' | head -n 1)
[ -n "$mod" ] || fail "the module was not installed"
moddir=$(dirname "$mod")
[ -f "$moddir/shmseq.pyi" ] || fail "shmseq.pyi not installed next to the module"
lib=$(find "$root" -name 'libshmseq.so.0' | head -n 1)
[ -n "$lib" ] || fail "libshmseq.so.0 not installed"
daemon=$(find "$root" -name shmseqd -type f | head -n 1)
[ -n "$daemon" ] || fail "shmseqd not installed"
echo "module: $mod"

cd "$dest" || exit 1
env -u PYTHONPATH PYTHONPATH="$moddir" LD_LIBRARY_PATH="$(dirname "$lib")" SHMSEQD="$daemon" \
	SHMSEQ_RUNTIME_DIR="$dest/run" PYTHONDONTWRITEBYTECODE=1 "$py" - "$root" <<'PYEOF' || fail "the installed module failed"
import os, select, subprocess, sys
import shmseq
root = sys.argv[1]
assert shmseq.__file__.startswith(root), shmseq.__file__
r, w = os.pipe()
d = subprocess.Popen([os.environ["SHMSEQD"], "--instance", "pyinst", "--data-dir", "data",
                      "--ready-fd", str(w)], pass_fds=(w,))
os.close(w)
try:
    ok = select.select([r], [], [], 30)[0] and os.read(r, 1) == b"R"
    assert ok, "shmseqd did not become ready"
    with shmseq.connect("pyinst") as db:
        db.execute("CREATE SEQUENCE IF NOT EXISTS orders CACHE 1000")
        orders = db.sequence("orders")
        assert [orders.nextval(), orders.nextval()] == [1, 2]
    print("imported from", shmseq.__file__, "and drew values from the installed daemon")
finally:
    d.terminate()
    d.wait(30)
PYEOF
