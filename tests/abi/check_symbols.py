#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The dynamic symbols libshmseq.so defines must be exactly those listed in
symbols.txt (one `name@VERSION` a line, '#' comments): a symbol that appears
or disappears is an ABI change, made on purpose by editing the list.

With ABSENT_TXT, also none of the functions listed there (one name a line)
may be defined in the library at all, even as a local symbol: code that
belongs to the daemon alone must not be linked into it.

usage: check_symbols.py NM LIBRARY SYMBOLS_TXT [ABSENT_TXT]"""
import subprocess
import sys


def exported(nm, lib):
    out = subprocess.run([nm, '-D', '--defined-only', lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) < 3:
            continue
        kind, name = f[1], f[2]
        if kind == 'A' and '@' not in name:
            # the version node itself (SHMSEQ_0): listed as a definition
            syms.add('VERSION ' + name)
            continue
        # name@@VER (default version) and name@VER (older) both count
        syms.add(name.replace('@@', '@'))
    return syms


def defined_anywhere(nm, lib):
    """Every function the library defines, local ones too (None when it
    has no symbol table: stripped)."""
    r = subprocess.run([nm, '--defined-only', lib], capture_output=True, text=True)
    if r.returncode != 0 or 'no symbols' in r.stderr:
        return None
    names = set()
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 3 and f[1] in 'tTwW':
            names.add(f[2].split('@', 1)[0])
    return names


def expected(path):
    syms = set()
    with open(path) as fh:
        for line in fh:
            line = line.split('#', 1)[0].strip()
            if line:
                syms.add(line)
    return syms


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    nm, lib, listed = sys.argv[1:4]
    have = exported(nm, lib)
    want = expected(listed)
    added = sorted(have - want)
    removed = sorted(want - have)
    for s in added:
        print('exported but not in %s: %s' % (listed, s))
    for s in removed:
        print('in %s but not exported: %s' % (listed, s))
    if added or removed:
        print('libshmseq ABI changed: %d added, %d removed' % (len(added), len(removed)))
        return 1
    print('%d symbols, as listed' % len(have))
    if len(sys.argv) == 5:
        inside = defined_anywhere(nm, lib)
        if inside is None:
            print('no symbol table (stripped): daemon-only code not checked')
            return 0
        banned = expected(sys.argv[4])
        present = sorted(banned & inside)
        for s in present:
            print('daemon-only function linked into the library: %s' % s)
        if present:
            return 1
        print('none of %d daemon-only functions inside' % len(banned))
    return 0


if __name__ == '__main__':
    sys.exit(main())
