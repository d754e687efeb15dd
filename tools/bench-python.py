#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench-python.py — the cost of one value from Python, one client:

  abs(x)                    a trivial C-implemented builtin call: the yardstick
  Sequence.nextval()        shmseq through a handle (the fast path)
  Sequence.nextval_n(100)   shmseq in batches, per value
  Connection.nextval(name)  shmseq by name (the GIL released around it)
  execute(SELECT NEXTVAL)   shmseq's SQL
  redis-py INCR             Redis over its Unix socket or TCP (--redis-socket / --redis-url)
  psycopg2 nextval()        PostgreSQL (--pg-dsn)

all in the same run, each with timeit: --repeat runs of --number calls, the
median and the spread (min-max) in ns per call, and each row's ratio to
abs(x). Redis and PostgreSQL rows are skipped, with the reason, when their
Python package is not installed or the server does not answer.

The shmseq module is imported from PYTHONPATH (the build's python/ dir); the
daemon is the instance --instance names, or one started here from $SHMSEQD
(or --shmseqd) on a private runtime directory and stopped at the end.

  PYTHONPATH=build/python SHMSEQD=build/daemon/shmseqd tools/bench-python.py
"""
import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit


def start_daemon(binary):
    tmp = tempfile.mkdtemp(prefix="shmseq-benchpy-")
    env = dict(os.environ, SHMSEQ_RUNTIME_DIR=os.path.join(tmp, "run"))
    r, w = os.pipe()
    proc = subprocess.Popen([binary, "--instance", "benchpy", "--data-dir", os.path.join(tmp, "data"),
                             "--ready-fd", str(w)], env=env, pass_fds=(w,))
    os.close(w)
    ok = select.select([r], [], [], 30)[0] and os.read(r, 1) == b"R"
    os.close(r)
    if not ok:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit("bench-python.py: shmseqd did not become ready")
    os.environ["SHMSEQ_RUNTIME_DIR"] = env["SHMSEQ_RUNTIME_DIR"]
    return proc, tmp


def measure(stmt, ns, repeat, number, per=1):
    """ns per value: the median and the spread of `repeat` runs."""
    return measure_all([(stmt, number, per)], ns, repeat)[0]


def measure_all(items, ns, repeat):
    """measure() of several statements, their runs interleaved (one run of
    each in turn, `repeat` times) so that a slow spell of a busy machine
    falls on every row alike."""
    timers = [(timeit.Timer(stmt, globals=ns), number, per) for stmt, number, per in items]
    for t, number, _ in timers:
        t.timeit(max(1, number // 10))  # warm-up
    runs = [[] for _ in timers]
    for _ in range(repeat):
        for i, (t, number, per) in enumerate(timers):
            runs[i].append(t.timeit(number) / number / per * 1e9)
    return [(statistics.median(r), min(r), max(r), r) for r in runs]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7, help="timeit runs per row (default 7)")
    ap.add_argument("--number", type=int, default=1000000,
                    help="calls per run of the in-process rows (default 1,000,000; "
                    "the network rows run a fiftieth of it)")
    ap.add_argument("--instance", help="an instance whose daemon runs already")
    ap.add_argument("--shmseqd", default=os.environ.get("SHMSEQD"), help="the daemon to start ($SHMSEQD)")
    ap.add_argument("--redis-socket", help="Redis's Unix socket")
    ap.add_argument("--redis-url", help="Redis as a URL (redis://127.0.0.1:6379)")
    ap.add_argument("--pg-dsn", help="a PostgreSQL DSN for psycopg2 ('host=/tmp dbname=postgres')")
    ap.add_argument("--markdown", action="store_true", help="a Markdown table")
    ap.add_argument("--check", type=float, metavar="RATIO",
                    help="exit 1 unless the handle's nextval() costs at most RATIO x abs(x)")
    a = ap.parse_args()
    if a.repeat < 1 or a.number < 10:
        ap.error("--repeat at least 1, --number at least 10")

    import shmseq
    proc = tmp = None
    if not a.instance:
        if not a.shmseqd:
            ap.error("give --instance, or --shmseqd / $SHMSEQD to start a daemon")
        proc, tmp = start_daemon(a.shmseqd)
        a.instance = "benchpy"
    rows = []  # (name, (median, lo, hi, runs) or None, note, measured in turn with abs(x))
    try:
        db = shmseq.connect(a.instance)
        db.execute("CREATE OR REPLACE SEQUENCE bench_py CACHE 1000")
        ns = {"x": -5, "h": db.sequence("bench_py"), "db": db}
        net = max(10, a.number // 50)
        local = [
            ("abs(x)", "abs(x)", a.number, 1, "the yardstick"),
            ("Sequence.nextval()", "h.nextval()", a.number, 1, "handle, CACHE 1000"),
            ("Sequence.nextval_n(100), per value", "h.nextval_n(100)", a.number // 100, 100, "range of 100"),
            ("Connection.nextval(name)", "db.nextval('bench_py')", a.number // 4, 1, "by name, GIL released"),
            ("execute('SELECT NEXTVAL(bench_py)')", "db.execute('SELECT NEXTVAL(bench_py)').fetchone()",
             net, 1, "SQL text, a result"),
        ]
        got = measure_all([(stmt, n, per) for _, stmt, n, per, _ in local], ns, a.repeat)
        rows.extend((name, m, note, True) for (name, _, _, _, note), m in zip(local, got))

        # Redis INCR through redis-py
        try:
            import redis
            if a.redis_socket:
                r = redis.Redis(unix_socket_path=a.redis_socket)
            else:
                r = redis.Redis.from_url(a.redis_url or "redis://127.0.0.1:6379")
            r.ping()
            ns["r"] = r
            rows.append(("redis-py INCR", measure("r.incr('bench_py')", ns, a.repeat, net),
                         "redis-py %s, %s" % (redis.__version__, "Unix socket" if a.redis_socket else "TCP"), False))
        except ImportError:
            rows.append(("redis-py INCR", None, "skipped: no redis-py (python3-redis)", False))
        except Exception as e:  # not reachable
            rows.append(("redis-py INCR", None, "skipped: %s" % str(e).splitlines()[0], False))

        # PostgreSQL nextval() through psycopg2
        try:
            import psycopg2
            pg = psycopg2.connect(a.pg_dsn or "")
            pg.autocommit = True
            cur = pg.cursor()
            cur.execute("CREATE SEQUENCE IF NOT EXISTS bench_py CACHE 1")
            ns["cur"] = cur
            rows.append(("psycopg2 nextval()",
                         measure("cur.execute(\"SELECT nextval('bench_py')\"); cur.fetchone()", ns, a.repeat,
                                 net), "psycopg2 %s, autocommit" % psycopg2.__version__.split()[0], False))
            pg.close()
        except ImportError:
            rows.append(("psycopg2 nextval()", None, "skipped: no psycopg2 (python3-psycopg2)", False))
        except Exception as e:
            rows.append(("psycopg2 nextval()", None, "skipped: %s" % str(e).strip().splitlines()[0], False))
        ns["h"].close()
        db.close()
    finally:
        if proc:
            proc.terminate()
            proc.wait(30)
            shutil.rmtree(tmp, ignore_errors=True)

    base_runs = rows[0][1][3]

    def ratio(row):
        """For the rows measured in turn with abs(x): the median of the
        per-run ratios; else the ratio of the medians."""
        m = row[1]
        if row[3]:
            return statistics.median(x / b for x, b in zip(m[3], base_runs))
        return m[0] / rows[0][1][0]

    head = ("Python %s, %d runs each: ns per value, median (min-max); x abs(x): the median of the "
            "ratios of runs made in turn (the rows above redis-py), else of the medians") % (
        sys.version.split()[0], a.repeat)
    if a.markdown:
        print(head + "\n")
        print("| call | ns/value (median) | min-max | x abs(x) | note |")
        print("|---|---:|---:|---:|---|")
        for row in rows:
            name, m, note, _ = row
            if m:
                print("| %s | %.1f | %.1f-%.1f | %.2f | %s |" % (name, m[0], m[1], m[2], ratio(row), note))
            else:
                print("| %s | | | | %s |" % (name, note))
    else:
        print(head)
        for row in rows:
            name, m, note, _ = row
            if m:
                print("%-38s %10.1f ns  (%.1f-%.1f)  %7.2fx  %s" % (name, m[0], m[1], m[2], ratio(row), note))
            else:
                print("%-38s %s" % (name, note))
    if a.check is not None:
        r = ratio(rows[1])
        if r > a.check:
            print("bench-python.py: the handle's nextval() costs %.2fx abs(x), above %.2fx" % (r, a.check),
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
