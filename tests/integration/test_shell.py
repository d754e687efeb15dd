#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_shell.py — the SQL shell on a terminal (tmux), with the mariadb client's habits:
Ctrl-C clears the line being typed and keeps the shell, Ctrl-D exits, help and \\G,
a statement typed on several lines is one history entry, Tab completes SQL
keywords and sequence names. Exits 77 (skipped) without tmux or libedit.

  test_shell.py HAVE_LIBEDIT   ($SHMSEQD and $SHMSEQ_CLI name the built programs)
"""
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

DAEMON = os.environ.get("SHMSEQD", "")
CLI = os.environ.get("SHMSEQ_CLI", "")
TIMEOUT = 10


def main():
    if len(sys.argv) < 2 or sys.argv[1] != "libedit":
        print("built without libedit: skipping")
        return 77
    if not shutil.which("tmux") or not DAEMON or not CLI:
        print("no tmux, or SHMSEQD / SHMSEQ_CLI unset: skipping")
        return 77
    tmp = tempfile.mkdtemp(prefix="shmseq-shell-", dir="/tmp")
    instance = "shell-%d" % os.getpid()
    env = dict(os.environ, SHMSEQ_RUNTIME_DIR=os.path.join(tmp, "run"), HOME=tmp, TERM="xterm")
    r, w = os.pipe()
    daemon = subprocess.Popen([DAEMON, "--instance", instance, "--data-dir", os.path.join(tmp, "data"),
                               "--ready-fd", str(w)], env=env, pass_fds=(w,))
    os.close(w)
    ready, _, _ = select.select([r], [], [], TIMEOUT)
    if not ready or os.read(r, 1) != b"R":
        print("FAIL: shmseqd did not become ready")
        daemon.kill()
        return 1
    tmux = ["tmux", "-L", "shmseq-test-%d" % os.getpid(), "-f", "/dev/null"]
    failures = []

    def pane():
        return subprocess.run(tmux + ["capture-pane", "-p", "-S", "-200", "-t", "t"], env=env,
                              stdout=subprocess.PIPE, text=True).stdout

    def keys(*k):
        for key in k:  # text literally (a trailing ';' would end a tmux command)
            named = key in ("Enter", "Up", "Tab", "C-c", "C-d")
            if key.endswith(";"):
                key = key[:-1] + "\\;"
            subprocess.run(tmux + ["send-keys", "-t", "t"] + ([] if named else ["-l"]) + [key], env=env,
                           check=True)

    def wait_for(text, count=1):
        end = time.time() + TIMEOUT
        while time.time() < end:
            if pane().count(text) >= count:
                return True
            time.sleep(0.05)
        failures.append("never saw %r (x%d) in:\n%s" % (text, count, pane()))
        return False

    def check(what, ok):
        print("%s: %s" % ("ok" if ok else "FAIL", what))
        if not ok:
            failures.append(what + "\n" + pane())

    try:
        subprocess.run([CLI, "--instance", instance, "sql", "-e", "CREATE SEQUENCE compl_seq"], env=env,
                       check=True)
        subprocess.run(tmux + ["new-session", "-d", "-s", "t", "-x", "160", "-y", "60",
                               "%s --instance %s sql; echo exited $?; sleep 60" % (CLI, instance)], env=env, check=True)
        wait_for("Welcome")
        prompt = "shmseq [%s]> " % instance

        # Ctrl-C: the line goes, the shell stays
        keys("SELECT 41 AS gone_col")
        keys("C-c")
        wait_for("^C")
        keys("SELECT 2 AS two;", "Enter")
        wait_for("| two |")
        check("Ctrl-C cleared the line and kept the shell", "| gone_col |" not in pane())
        # ... and in a statement's second line: the whole statement goes
        keys("SELECT 43", "Enter", "AS gone2")
        keys("C-c")
        wait_for("^C", 2)
        keys("SELECT 3 AS three;", "Enter")
        wait_for("| three |")
        check("Ctrl-C on a continuation line dropped the statement", "gone2 |" not in pane())

        # a statement on two lines: one history entry, run again with Up
        keys("SELECT", "Enter", "NEXTVAL(compl_seq) AS hist_col;", "Enter")
        wait_for("| hist_col |")
        keys("Up")
        wait_for(prompt + "SELECT NEXTVAL(compl_seq) AS hist_col;")
        keys("Enter")
        wait_for("| hist_col |", 2)

        # Tab: keywords (in the case typed) and sequence names, not files
        open(os.path.join(tmp, "compl_file"), "w").close()
        keys("sel", "Tab")
        wait_for(prompt + "select")
        keys("NEXTVAL(compl", "Tab")
        wait_for("NEXTVAL(compl_seq")
        keys(") AS tab_col;", "Enter")
        wait_for("| tab_col |")
        check("Tab completed a keyword and a sequence name",
              prompt + "select NEXTVAL(compl_seq) AS tab_col;" in pane().replace("compl_seq ) AS", "compl_seq) AS"))

        # help, \G
        keys("help", "Enter")
        wait_for("List of shell commands")
        keys("SELECT 7 AS vert_col\\G", "Enter")
        wait_for("1. row")
        check("\\G printed vertically", "vert_col: 7" in pane())

        # Ctrl-D: bye, history saved with the two-line statement as one line
        keys("C-d")
        wait_for("Bye")
        wait_for("exited 0")
        hist = os.path.join(tmp, ".shmseq_history")
        end = time.time() + TIMEOUT
        while time.time() < end and not os.path.exists(hist):
            time.sleep(0.05)
        text = open(hist, errors="replace").read() if os.path.exists(hist) else ""
        check("the history file holds the two-line statement as one entry",
              "SELECT NEXTVAL(compl_seq) AS hist_col;" in text.replace("\\040", " "))
        check("the history file holds no half statement", "NEXTVAL(compl_seq) AS hist_col;\n" not in
              text.replace("\\040", " ").replace("SELECT NEXTVAL(compl_seq) AS hist_col;\n", ""))
    finally:
        subprocess.run(tmux + ["kill-server"], env=env, stderr=subprocess.DEVNULL)
        daemon.terminate()
        daemon.wait(TIMEOUT)
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
