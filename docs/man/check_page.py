#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""check_page.py — a man page renders, and names every option the program prints.

  check_page.py [--scdoc SCDOC] [--verbs] [--drop OPT] PAGE.scd PROGRAM
  check_page.py [--scdoc SCDOC] [--drop NAME] --header shmseq.h PAGE.scd

Renders PAGE.scd with scdoc (a syntax error fails), then runs
`PROGRAM --help` and collects every option it prints (-x, --long-name). With
--verbs the help has a "Verbs" section: every verb listed there must appear
in the page as *verb*, and `PROGRAM VERB --help` is read for its options
too. Each option must appear in the page source as a whole word, and each
option or verb the page defines (a line that starts with it) must still be
printed by some --help. So a page cannot silently fall behind its program. With --header, every function the
header exports (SHMSEQ_API) must appear in the page instead.

--drop OPT removes every mention of OPT from the page before checking: the
check must then fail (the meson test that uses it is should_fail), which
shows that it catches a missing option.
"""
import re
import shutil
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*[a-z0-9]|-[a-zA-Z])(?![\w-])")


def help_text(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}")
    return p.stdout


def verbs_of(text):
    verbs, inside = [], False
    for line in text.splitlines():
        if line.startswith("Verbs"):
            inside = True
            continue
        if inside:
            if not line.strip():
                break
            m = re.match(r"^  ([a-z][a-z-]*)(\s|$)", line)
            if m:
                verbs.append(m.group(1))
    return verbs


def mentioned(page, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", page) is not None


def check_header(page_path, page, header):
    text = open(header, encoding="utf-8").read()
    funcs = re.findall(r"SHMSEQ_API\b[^;(]*?\**\s*\b(shmseq_\w+)\s*\(", text)
    if not funcs:
        sys.exit(f"{header}: no SHMSEQ_API functions found")
    # the page escapes '_' as '\_' (scdoc)
    plain = page.replace("\\_", "_")
    missing = [f for f in funcs if not re.search(r"\b" + re.escape(f) + r"\(", plain)]
    if missing:
        print(f"{page_path} is stale: {header} exports what the page does not describe:")
        for f in missing:
            print("  function " + f)
        return 1
    print(f"{page_path}: renders; describes all {len(funcs)} functions of {header}")
    return 0


def main():
    args = sys.argv[1:]
    scdoc, with_verbs, drop, header = "scdoc", False, None, None
    while args and args[0].startswith("--"):
        a = args.pop(0)
        if a == "--scdoc":
            scdoc = args.pop(0)
        elif a == "--verbs":
            with_verbs = True
        elif a == "--drop":
            drop = args.pop(0)
        elif a == "--header":
            header = args.pop(0)
        else:
            sys.exit(f"unknown option {a}")
    if len(args) != (1 if header else 2):
        sys.exit(__doc__)
    page_path = args[0]
    page = open(page_path, encoding="utf-8").read()
    if drop:
        page = re.sub(r"(?<![\w-])" + re.escape(drop.replace("_", "\\_")) + r"(?![\w-])", "", page)
        page = re.sub(r"(?<![\w-])" + re.escape(drop) + r"(?![\w-])", "", page)

    r = subprocess.run([scdoc], input=page, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    if r.returncode != 0 or ".TH" not in r.stdout:
        sys.exit(f"{page_path}: scdoc failed: {r.stderr.strip()}")

    # groff, when there, must read the result without a warning
    groff = shutil.which("groff")
    if groff:
        g = subprocess.run([groff, "-k", "-man", "-ww", "-z", "-Tutf8"], input=r.stdout,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        if g.returncode != 0 or g.stderr.strip():
            sys.exit(f"{page_path}: groff warns about the rendered page:\n{g.stderr.strip()}")

    if header:
        return check_header(page_path, page, header)
    prog = args[1]
    top = help_text([prog, "--help"])
    wanted = {o: "--help" for o in OPT.findall(top)}
    missing = []
    if with_verbs:
        verbs = verbs_of(top)
        if not verbs:
            sys.exit(f"{prog} --help lists no verbs")
        for v in verbs:
            if f"*{v}*" not in page:
                missing.append(f"verb {v}")
            if v == "help":
                continue
            for o in OPT.findall(help_text([prog, v, "--help"])):
                wanted.setdefault(o, f"{v} --help")
    for o, where in sorted(wanted.items()):
        if not mentioned(page, o):
            missing.append(f"option {o} (from {where})")
    # And the other way: an option the page defines (a line that starts
    # with it, as in OPTIONS) that no --help prints any more.
    for line in page.splitlines():
        if re.match(r"^\t*\*-", line):
            for o in OPT.findall(line.replace("*", " ")):
                if o not in wanted:
                    missing.append(f"option {o}: the page defines it, {prog} --help does not print it")
    if with_verbs:
        # definitions in the VERBS section: "*verb* ..." followed by an indented line
        section = re.search(r"^# VERBS$(.*?)(^# |\Z)", page, re.M | re.S)
        for m in re.finditer(r"^\*([a-z][a-z-]*)\*(?: [^\n]*)?\n\t", section.group(1) if section else "",
                             re.M):
            if m.group(1) not in verbs and m.group(1) != "help":
                missing.append(f"verb {m.group(1)}: the page defines it, {prog} --help does not list it")
    if missing:
        print(f"{page_path} is stale: it and {prog} --help disagree:")
        for m in missing:
            print("  " + m)
        return 1
    print(f"{page_path}: renders; names all {len(wanted)} options"
          + (f" and {len(verbs)} verbs" if with_verbs else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
