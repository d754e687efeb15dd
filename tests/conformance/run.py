#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Conformance runner: replay MariaDB's recorded answers against shmseq.

For every CASE.sql that has a CASE.expected.jsonl beside it (in the
directories given, else $SHMSEQ_OWN_CONFORMANCE and $SHMSEQ_SHARED_CONFORMANCE),
start a fresh shmseqd on a private instance named like the database the
recorder used (c_<case>), open one `shmseq sql --format=json --lines --force`
process per connection of the case, feed the statements one per line and compare each
answer with the recorded one:
  - ok: both succeeded without a result set;
  - error: same error code;
  - result sets: same column headings and the same rows, values compared as
    text (NULL as null); in SHOW CREATE text the storage-engine clause is
    left out of the comparison (shmseq has no storage engines).
Prints one line per mismatch and a closing "N passed, M failed" line; exits 1
on any failure, 77 (skip) when the binaries are missing.
"""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile

DAEMON = os.environ.get("SHMSEQD", "")
CLI = os.environ.get("SHMSEQ_CLI", "")
TIMEOUT = 20


def parse_case(path):
    steps, conn = [], 1
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            m = re.match(r"--\s*@conn\s+(\d+)", line)
            if m:
                conn = int(m.group(1))
                continue
            if line.startswith("--"):
                continue
            steps.append((conn, line.rstrip(";").strip()))
    return steps


ENGINE = re.compile(r" ENGINE=\w+")


def norm_value(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    return ENGINE.sub("", str(v))


def answer_of(rec):
    """Reduce a recorded or produced answer to a comparable tuple."""
    if "error" in rec:
        e = rec["error"]
        return ("error", e["code"] if isinstance(e, dict) else e)
    if "columns" in rec:
        rows = [[norm_value(v) for v in r] for r in rec["rows"]]
        return ("rows", list(rec["columns"]), rows)
    if rec.get("ok"):
        return ("ok",)
    return ("unknown", json.dumps(rec))


class Daemon:
    def __init__(self, instance, tmp):
        self.env = dict(os.environ, SHMSEQ_RUNTIME_DIR=os.path.join(tmp, "run"))
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            [DAEMON, "--instance", instance, "--data-dir", os.path.join(tmp, "data"),
             "--ready-fd", str(w), "--max-sequences", "4096"],
            env=self.env, pass_fds=(w,), stderr=subprocess.PIPE)
        os.close(w)
        ready, _, _ = select.select([r], [], [], TIMEOUT)
        ok = bool(ready) and os.read(r, 1) == b"R"
        os.close(r)
        if not ok:
            self.stop()
            raise RuntimeError("shmseqd did not become ready: " +
                               self.proc.stderr.read().decode(errors="replace"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Session:
    def __init__(self, instance, env):
        self.proc = subprocess.Popen(
            [CLI, "--instance", instance, "sql", "--format=json", "--lines", "--force"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, stmt):
        self.proc.stdin.write(stmt + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        if not ready:
            return {"unknown": "no answer within %ds" % TIMEOUT}
        line = self.proc.stdout.readline()
        if not line:
            return {"unknown": "the shell exited: " + self.proc.stderr.read()}
        try:
            return json.loads(line)
        except ValueError:
            return {"unknown": "not JSON: " + line.strip()}

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(TIMEOUT)
        except Exception:
            self.proc.kill()


def run_case(path):
    name = os.path.basename(path)[:-4]
    instance = "c_" + re.sub(r"\W", "_", name)
    expected_path = path[:-4] + ".expected.jsonl"
    with open(expected_path) as f:
        expected = [json.loads(l) for l in f if l.strip()]
    steps = parse_case(path)
    failures = []
    if len(steps) != len(expected):
        return len(steps), ["%s: %d statements but %d recorded answers" %
                            (name, len(steps), len(expected))]
    tmp = tempfile.mkdtemp(prefix="shmseq-conf-")
    daemon = None
    sessions = {}
    try:
        daemon = Daemon(instance, tmp)
        for (conn, stmt), exp in zip(steps, expected):
            if conn not in sessions:
                sessions[conn] = Session(instance, daemon.env)
            got = sessions[conn].ask(stmt)
            want, have = answer_of(exp), answer_of(got)
            if want != have:
                failures.append("%s: conn %d: %s\n    expected %s\n    got      %s" %
                                (name, conn, stmt, json.dumps(exp), json.dumps(got)))
    except RuntimeError as e:
        failures.append("%s: %s" % (name, e))
    finally:
        for s in sessions.values():
            s.close()
        if daemon:
            daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return len(steps), failures


def main():
    if not (DAEMON and CLI and os.access(DAEMON, os.X_OK) and os.access(CLI, os.X_OK)):
        print("conformance: SHMSEQD and SHMSEQ_CLI must name the built binaries; skipping")
        return 77
    dirs = sys.argv[1:] or [d for d in (os.environ.get("SHMSEQ_OWN_CONFORMANCE"),
                                        os.environ.get("SHMSEQ_SHARED_CONFORMANCE")) if d]
    cases = []
    for d in dirs:
        if not os.path.isdir(d):
            print("conformance: no case directory %s (skipped)" % d)
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(".sql") and os.path.exists(os.path.join(d, f[:-4] + ".expected.jsonl")):
                cases.append(os.path.join(d, f))
    passed = failed = 0
    for c in cases:
        n, failures = run_case(c)
        for msg in failures:
            print("FAIL " + msg)
        failed += len(failures)
        passed += n - len(failures) if n >= len(failures) else 0
        print("%-45s %d statements, %d mismatches" % (os.path.basename(c), n, len(failures)))
    print("conformance: %d cases" % len(cases))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
