#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""report.py — the bookkeeping half of tools/bench-compare.sh.

Each measurement of the comparison is turned into one JSON line in
OUT/results.jsonl by one of the `add-*` commands; `report` then writes the
Markdown tables (OUT/results.md), the done-when checks and the data files the
gnuplot script (plots.gp) draws.

A record: {"peer", "item", "clients", "ops_per_s", "ns_per_op" (wall time per
operation per client), "lat_ns": {"p50", "p90", "p99", "p999", "max"},
"curve": [[percentile, ns], ...], "syncs" (fdatasyncs or WAL/redo flushes
during the run, when known), "extra": {...}}.
"""
import json
import math
import os
import re
import sys

PCTS = [50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99]


def percentiles_from_hist(hist):
    """hist: sorted [(value_ns, count)]. Percentile = smallest value whose
    cumulative count reaches q * total (what shmseq-bench does)."""
    total = sum(c for _, c in hist)
    if not total:
        return {}, []

    def at(q):
        rank = max(1, math.ceil(q / 100.0 * total))
        cum = 0
        for v, c in hist:
            cum += c
            if cum >= rank:
                return v
        return hist[-1][0]

    lat = {"p50": at(50), "p90": at(90), "p99": at(99), "p999": at(99.9), "max": hist[-1][0]}
    curve = [[p, at(p)] for p in PCTS if total * (1 - p / 100.0) >= 1]
    return lat, curve


def append(out, rec):
    with open(os.path.join(out, "results.jsonl"), "a") as f:
        f.write(json.dumps(rec) + "\n")


def base_rec(peer, item, clients, ops_per_s):
    return {
        "peer": peer,
        "item": item,
        "clients": clients,
        "ops_per_s": ops_per_s,
        "ns_per_op": (1e9 * clients / ops_per_s) if ops_per_s else None,
        "lat_ns": {},
        "curve": [],
        "syncs": None,
        "extra": {},
    }


def add_shmseq(out, path, item, clients, with_baselines):
    with open(path) as f:
        j = json.loads(f.read().strip().splitlines()[-1])
    r = base_rec("shmseq", item, clients, j["ops_per_s"])
    r["ns_per_op"] = j["ns_per_op"]
    hist = sorted((v, c) for v, c in j["latency_ns"]["histogram"])
    r["lat_ns"], r["curve"] = percentiles_from_hist(hist)
    r["lat_ns"]["max"] = j["latency_ns"]["max"]
    d = j.get("daemon", {})
    if "syncs" in d:
        r["syncs"] = d["syncs"]
    r["extra"] = {
        "sequences": j["sequences"],
        "mode": j["mode"],
        "pick": j.get("pick"),
        "create": j.get("create"),
        "create_s": j.get("create_s"),
        "create_threads": j.get("create_threads"),
        "create_syncs": j.get("create_syncs"),
        "warmup_s": j.get("warmup_s"),
        "errors": j["errors"],
        "client": j.get("client", {}),
        "daemon": d,
        "ratio_bare": j.get("ratio"),
        "bare_ns": j["bare"]["ns_per_op"] if "bare" in j else None,
        "processes": j["processes"],
        "threads": j["threads"],
        "ops": j["ops"],
    }
    if "verify" in j:
        r["extra"]["verify"] = j["verify"]
    append(out, r)
    if with_baselines:
        for key, item2 in (("bare", "fetch-add"), ("mutex", "mutex")):
            if key not in j:
                continue
            b = j[key]
            rb = base_rec("limit", item2, clients, b["ops_per_s"])
            rb["ns_per_op"] = b["ns_per_op"]
            hist = sorted((v, c) for v, c in b["latency_ns"]["histogram"])
            rb["lat_ns"], rb["curve"] = percentiles_from_hist(hist)
            rb["lat_ns"]["max"] = b["latency_ns"]["max"]
            append(out, rb)


def add_redis(out, path, item, clients, pipeline):
    rows = [l for l in open(path).read().splitlines() if l.startswith('"INCR"')]
    if not rows:
        sys.exit("report.py: no INCR row in " + path)
    f = [x.strip('"') for x in rows[-1].split(",")]
    rps = float(f[1])
    r = base_rec("redis", item, clients, rps)
    ms = lambda x: float(x) * 1e6
    # redis-benchmark times a request from its send to its reply; with -P the
    # pipeline's requests share that time.
    r["lat_ns"] = {"p50": ms(f[4]), "p99": ms(f[6]), "max": ms(f[7])}
    r["curve"] = [[50, ms(f[4])], [95, ms(f[5])], [99, ms(f[6])]]
    r["extra"] = {"avg_ns": ms(f[2]), "pipeline": pipeline}
    append(out, r)


def add_pgbench(out, path, logprefix, item, clients, syncs):
    text = open(path).read()
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", text)
    if not m:
        sys.exit("report.py: no tps in " + path)
    r = base_rec("postgresql", item, clients, float(m.group(1)))
    n = re.search(r"number of transactions actually processed: (\d+)", text)
    r["extra"]["ops"] = int(n.group(1)) if n else None
    d = os.path.dirname(logprefix) or "."
    base = os.path.basename(logprefix)
    lats = []
    for fn in os.listdir(d):
        if fn.startswith(base + "."):
            with open(os.path.join(d, fn)) as f:
                for line in f:
                    p = line.split()
                    if len(p) >= 3:
                        lats.append(int(p[2]) * 1000)
    if lats:
        lats.sort()
        hist = []
        for v in lats:
            if hist and hist[-1][0] == v:
                hist[-1][1] += 1
            else:
                hist.append([v, 1])
        r["lat_ns"], r["curve"] = percentiles_from_hist(hist)
    r["syncs"] = syncs
    append(out, r)


def add_sysbench(out, path, item, clients, syncs):
    text = open(path).read()
    m = re.search(r"queries:\s+(\d+)\s+\(([0-9.]+) per sec\.\)", text)
    if not m:
        sys.exit("report.py: no query rate in " + path)
    r = base_rec("mariadb", item, clients, float(m.group(2)))
    hist = []
    for line in text.splitlines():
        h = re.match(r"\s+([0-9.]+)\s+\|[* ]*\s(\d+)\s*$", line)
        if h:
            hist.append([float(h.group(1)) * 1e6, int(h.group(2))])
    errs = re.search(r"ignored errors:\s+(\d+)", text)
    if hist:
        hist.sort()
        r["lat_ns"], r["curve"] = percentiles_from_hist(hist)
    mx = re.search(r"max:\s+([0-9.]+)", text)
    if mx:
        r["lat_ns"]["max"] = float(mx.group(1)) * 1e6
    r["syncs"] = syncs
    r["extra"] = {"errors": int(errs.group(1)) if errs else None, "ops": int(m.group(1))}
    append(out, r)


# ---- the report ----------------------------------------------------------


def load(out):
    recs = []
    p = os.path.join(out, "results.jsonl")
    if os.path.exists(p):
        with open(p) as f:
            recs = [json.loads(l) for l in f if l.strip()]
    return recs


def find(recs, peer, item, clients=None):
    for r in reversed(recs):
        if r["peer"] == peer and r["item"] == item and (clients is None or r["clients"] == clients):
            return r
    return None


def fmt_rate(v):
    if v is None:
        return "–"
    if v >= 1e9:
        return "%.2f G" % (v / 1e9)
    if v >= 1e6:
        return "%.2f M" % (v / 1e6)
    if v >= 1e3:
        return "%.1f k" % (v / 1e3)
    return "%.0f" % v


def fmt_ns(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return "%.2f ms" % (v / 1e6)
    if v >= 1e4:
        return "%.1f µs" % (v / 1e3)
    if v >= 1e3:
        return "%.2f µs" % (v / 1e3)
    return "%.1f ns" % v


def lat(r, k):
    return fmt_ns(r["lat_ns"].get(k)) if r and r.get("lat_ns") else "–"


# (peer, item, label, configuration) in the order of the tables
ROWS = [
    ("limit", "fetch-add", "bare atomic fetch-add on shared memory", "`lock xadd` on one 64-bit counter"),
    ("limit", "mutex", "pthread mutex counter in shared memory", "PTHREAD_PROCESS_SHARED mutex + `counter++`"),
    ("shmseq", "handle", "shmseq, handle", "`shmseq_seq_nextval()`, CACHE 1000 (default)"),
    ("shmseq", "name", "shmseq, by name", "`shmseq_nextval(db, \"bench\")`"),
    ("shmseq", "exec", "shmseq, SQL", "`shmseq_exec(\"SELECT NEXTVAL(bench)\")`"),
    ("shmseq", "nocache", "shmseq, NOCACHE", "every value's record fdatasync'ed before it is returned"),
    ("redis", "incr", "Redis INCR", "redis-benchmark, unpipelined, no persistence"),
    ("redis", "incr-p16", "Redis INCR, pipelined ×16", "redis-benchmark -P 16, no persistence"),
    ("redis", "incr-aof", "Redis INCR, AOF fsync always", "appendonly yes, appendfsync always"),
    ("postgresql", "cache1", "PostgreSQL nextval(), CACHE 1", "pgbench, fsync=on, synchronous_commit=on"),
    ("postgresql", "cache1000", "PostgreSQL nextval(), CACHE 1000", "pgbench, per-session cache"),
    ("mariadb", "default", "MariaDB NEXTVAL, CACHE 1000", "sysbench client loop, default cache"),
    ("mariadb", "nocache", "MariaDB NEXTVAL, NOCACHE", "sysbench client loop"),
]


def clients_of(recs):
    return sorted({r["clients"] for r in recs if r["peer"] != "shmseq" or r["item"] in ("handle", "nocache")})


def write_dat(out, recs, clients):
    """The data files of plots.gp, and plots.vars: which plots have data."""
    have = {}
    # throughput against clients: one column per row of ROWS
    with open(os.path.join(out, "throughput.dat"), "w") as f:
        f.write("clients " + " ".join('"%s"' % lab for _, _, lab, _ in ROWS) + "\n")
        for c in clients:
            vals = []
            for peer, item, _, _ in ROWS:
                r = find(recs, peer, item, c)
                vals.append("%.1f" % r["ops_per_s"] if r and r["ops_per_s"] else "NaN")
                have["throughput"] = have.get("throughput", 0) or int(vals[-1] != "NaN")
            f.write("%d %s\n" % (c, " ".join(vals)))
    # durable values per second against clients
    dur = [
        ("shmseq", "nocache", "shmseq NOCACHE (fdatasync per value, group commit)"),
        ("postgresql", "cache1", "PostgreSQL CACHE 1 (WAL flush per 32 values)"),
        ("mariadb", "nocache", "MariaDB NOCACHE (redo not flushed per value)"),
        ("redis", "incr-aof", "Redis INCR, appendfsync always"),
    ]
    with open(os.path.join(out, "durable.dat"), "w") as f:
        f.write("clients " + " ".join('"%s"' % lab for _, _, lab in dur) + "\n")
        for c in clients:
            vals = []
            for peer, item, _ in dur:
                r = find(recs, peer, item, c)
                vals.append("%.1f" % r["ops_per_s"] if r and r["ops_per_s"] else "NaN")
                have["durable"] = have.get("durable", 0) or int(vals[-1] != "NaN")
            f.write("%d %s\n" % (c, " ".join(vals)))
    # latency percentiles with one client: one block per row, gnuplot `index`
    # (latency.idx: the ROWS index of each block, for its line style)
    with open(os.path.join(out, "latency.dat"), "w") as f:
        titles = []
        idx = []
        for i, (peer, item, lab, _) in enumerate(ROWS):
            r = find(recs, peer, item, 1)
            if not r or not r.get("curve"):
                continue
            f.write("# %s\n" % lab)
            for p, ns in r["curve"]:
                f.write("%g %g\n" % (p, max(ns, 1)))
            f.write("\n\n")
            titles.append(lab)
            idx.append(str(i + 1))
            have["latency"] = 1
    with open(os.path.join(out, "latency.titles"), "w") as f:
        f.write("\n".join(titles) + "\n")
    with open(os.path.join(out, "latency.idx"), "w") as f:
        f.write(" ".join(idx) + "\n")
    # cost against number of sequences
    with open(os.path.join(out, "sequences.dat"), "w") as f:
        f.write('K "by name, random" "by name, round-robin" "handle, random" "bare fetch-add on K counters, random"\n')
        ks = sorted({r["extra"]["sequences"] for r in recs if r["peer"] == "shmseq" and r["item"].startswith("seqs-")})
        for k in ks:
            vals = []
            for it in ("seqs-name", "seqs-name-rr", "seqs-handle"):
                r = next((x for x in reversed(recs) if x["item"] == it and x["extra"]["sequences"] == k), None)
                vals.append("%.2f" % r["ns_per_op"] if r else "NaN")
                have["sequences"] = have.get("sequences", 0) or int(r is not None)
            r = next((x for x in reversed(recs) if x["item"] == "seqs-name" and x["extra"]["sequences"] == k), None)
            vals.append("%.2f" % r["extra"]["bare_ns"] if r and r["extra"].get("bare_ns") else "NaN")
            f.write("%d %s\n" % (k, " ".join(vals)))
    with open(os.path.join(out, "plots.vars"), "w") as f:
        f.write("throughput_columns = %d\n" % (len(ROWS) + 1))
        for k in ("throughput", "durable", "latency", "sequences"):
            f.write("have_%s = %d\n" % (k, have.get(k, 0)))


def report(out, meta):
    recs = load(out)
    m = {}
    if meta and os.path.exists(meta):
        m = json.load(open(meta))
    clients = clients_of(recs)
    write_dat(out, recs, clients)
    L = []
    w = L.append
    w("# shmseq next to the hardware limit, Redis, PostgreSQL and MariaDB\n")
    if m:
        w("Run of %s on %s: %s, %s CPUs, %s. %s s per measurement%s.\n"
          % (m.get("date", "?"), m.get("host", "?"), m.get("cpu", "?"), m.get("cpus", "?"), m.get("kernel", "?"),
             m.get("duration", "?"), " (--quick)" if m.get("quick") else ""))
    w("## One client\n")
    w("| what | configuration | values/s | ns per value | p50 | p99 | p99.9 | max | vs bare fetch-add |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    bare1 = find(recs, "limit", "fetch-add", 1)
    for peer, item, lab, conf in ROWS:
        r = find(recs, peer, item, 1)
        if not r:
            continue
        ratio = "%.2f×" % (r["ns_per_op"] / bare1["ns_per_op"]) if bare1 and r["ns_per_op"] else "–"
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            lab, conf, fmt_rate(r["ops_per_s"]), fmt_ns(r["ns_per_op"]), lat(r, "p50"), lat(r, "p99"),
            lat(r, "p999"), lat(r, "max"), ratio))
    w("")
    w("ns per value is wall time per value per client (elapsed × clients / values). shmseq and the two limits time one")
    w("call in 64 (rdtsc); pgbench logs every transaction; sysbench keeps a histogram of every event; redis-benchmark")
    w("reports its own percentiles (no p99.9).\n")

    w("## Throughput against clients (values per second, all clients together)\n")
    w("| what | " + " | ".join("%d" % c for c in clients) + " |")
    w("|---|" + "---:|" * len(clients))
    for peer, item, lab, _ in ROWS:
        cells = []
        any_ = False
        for c in clients:
            r = find(recs, peer, item, c)
            cells.append(fmt_rate(r["ops_per_s"]) if r else "–")
            any_ = any_ or bool(r)
        if any_:
            w("| %s | %s |" % (lab, " | ".join(cells)))
    w("")
    w("shmseq and the limits run one sequence (one counter) shared by every client process. A client is a process")
    w("(shmseq, limits), a connection (Redis, PostgreSQL, MariaDB). With more clients than CPUs, clients time-slice.\n")

    w("## Durability: values per second, and how many share one flush to disk\n")
    w("| clients | shmseq NOCACHE | values per fdatasync | PostgreSQL CACHE 1 | values per WAL sync | MariaDB NOCACHE | values per fsync | Redis INCR, appendfsync always |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|")

    def per_sync(r):
        if not r or not r.get("syncs") or not r["extra"].get("ops"):
            return "–" if not r or r.get("syncs") != 0 else "no flush"
        v = r["extra"]["ops"] / r["syncs"]
        return "%.1f" % v if v < 100 else "%.0f" % v

    for c in clients:
        s = find(recs, "shmseq", "nocache", c)
        p = find(recs, "postgresql", "cache1", c)
        md = find(recs, "mariadb", "nocache", c)
        ra = find(recs, "redis", "incr-aof", c)
        if not (s or p or md or ra):
            continue
        w("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
            c, fmt_rate(s["ops_per_s"]) if s else "–", per_sync(s), fmt_rate(p["ops_per_s"]) if p else "–",
            per_sync(p), fmt_rate(md["ops_per_s"]) if md else "–", per_sync(md),
            fmt_rate(ra["ops_per_s"]) if ra else "–"))
    w("")
    w("shmseq NOCACHE returns a value only after its record is on disk (fdatasync, shared by the requests that arrived")
    w("meanwhile). PostgreSQL logs a sequence 32 values ahead and flushes the WAL at commit. MariaDB writes each NOCACHE")
    w("value to the sequence table's redo log but does not flush it when NEXTVAL returns (innodb_flush_log_at_trx_commit=1")
    w("flushes at the commit of a writing transaction; a SELECT NEXTVAL is not one): the fsyncs counted are")
    w("Innodb_data_fsyncs. Redis with appendfsync always fsyncs its append-only file before replying.\n")

    w("## Cost against number of sequences\n")
    w("| sequences | by name, random | × one sequence | by name, round-robin | handle, random | bare fetch-add on K counters, random | create (connections) | CREATEs per fdatasync | warm-up | daemon private memory | client private memory | region bytes per sequence |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ks = sorted({r["extra"]["sequences"] for r in recs if r["item"] == "seqs-name"})
    one = next((r for r in reversed(recs) if r["item"] == "seqs-name" and r["extra"]["sequences"] == 1), None)
    for k in ks:
        r = next(x for x in reversed(recs) if x["item"] == "seqs-name" and x["extra"]["sequences"] == k)
        rr = next((x for x in reversed(recs) if x["item"] == "seqs-name-rr" and x["extra"]["sequences"] == k), None)
        h = next((x for x in reversed(recs) if x["item"] == "seqs-handle" and x["extra"]["sequences"] == k), None)
        e = r["extra"]
        d = e.get("daemon", {})
        cr = e.get("create_s")
        crs = "%.2f s (%s/s, %s)" % (cr, fmt_rate(k / cr), e.get("create_threads")) if cr else "–"
        cps = "%.1f" % (k / e["create_syncs"]) if e.get("create_syncs") else "–"
        rb = "%.1f" % (d["region_bytes"] / d["capacity"]) if d.get("capacity") else "–"
        w("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            k, fmt_ns(r["ns_per_op"]), "%.2f×" % (r["ns_per_op"] / one["ns_per_op"]) if one else "–",
            fmt_ns(rr["ns_per_op"]) if rr else "–", fmt_ns(h["ns_per_op"]) if h else "–",
            fmt_ns(e["bare_ns"]) if e.get("bare_ns") else "–", crs, cps,
            "%.2f s" % e["warmup_s"] if e.get("warmup_s") is not None else "–",
            "%d kB" % d["rss_anon_kb"] if "rss_anon_kb" in d else "–",
            "%d kB" % e["client"]["rss_anon_kb"] if e.get("client", {}).get("rss_anon_kb") else "–", rb))
    w("")
    seq1 = next((r for r in reversed(recs) if r["item"] == "create-sequential"), None)
    if seq1:
        e = seq1["extra"]
        w("Without group commit (one connection, each CREATE waiting for its own fdatasync): %d sequences in %.2f s,"
          " %s CREATEs/s.\n" % (e["sequences"], e["create_s"], fmt_rate(e["sequences"] / e["create_s"])))
    big = [x for x in recs if x["item"] == "seqs-name" and x["extra"]["sequences"] > 1]
    if big and one:
        b = max(big, key=lambda x: x["extra"]["sequences"])
        d1 = one["extra"].get("daemon", {})
        db = b["extra"].get("daemon", {})
        if "rss_anon_kb" in d1 and "rss_anon_kb" in db:
            k = b["extra"]["sequences"]
            w("Memory per sequence at %d sequences: daemon %.0f bytes private, client %.0f bytes private (its name cache),"
              " region %.0f bytes (resident only once touched).\n" % (
                  k, (db["rss_anon_kb"] - d1["rss_anon_kb"]) * 1024.0 / (k - 1),
                  (b["extra"]["client"].get("rss_anon_kb", 0) - one["extra"]["client"].get("rss_anon_kb", 0)) * 1024.0 / (k - 1),
                  db["region_bytes"] / db["capacity"]))
    ver = next((r for r in reversed(recs) if r["item"] == "verify"), None)
    if ver:
        v = ver["extra"].get("verify", {})
        w("Check: %d processes × %d threads, %d values checked with --verify: %s.\n" % (
            ver["extra"]["processes"], ver["extra"]["threads"], v.get("values", 0),
            "all distinct, each thread's increasing" if v.get("ok") else "FAILED"))

    # done-when
    w("## The done-when ratios\n")
    w("| criterion | measured | target | |")
    w("|---|---:|---:|---|")

    def check(name, val, target, ok, fmt="%.2f"):
        if val is None:
            w("| %s | not measured | %s | |" % (name, target))
        else:
            w("| %s | %s | %s | %s |" % (name, fmt % val, target, "met" if ok else "**not met**"))

    h1 = find(recs, "shmseq", "handle", 1)
    b1 = find(recs, "limit", "fetch-add", 1)
    v = h1["ns_per_op"] / b1["ns_per_op"] if h1 and b1 else None
    check("handle, one thread: cost / bare fetch-add", v, "≤ 2", v is not None and v <= 2, "%.2f×")
    h2 = find(recs, "shmseq", "handle", 2)
    b2 = find(recs, "limit", "fetch-add", 2)
    v = h2["ops_per_s"] / b2["ops_per_s"] if h2 and b2 else None
    check("2 processes, one sequence: throughput / bare contended fetch-add", v, "≥ 0.7", v is not None and v >= 0.7,
          "%.2f×")
    for peer, item, lab in (("redis", "incr", "Redis INCR (unpipelined)"), ("postgresql", "cache1", "PostgreSQL nextval() (CACHE 1)"),
                            ("postgresql", "cache1000", "PostgreSQL nextval() (CACHE 1000)"),
                            ("mariadb", "default", "MariaDB NEXTVAL (CACHE 1000)")):
        o = find(recs, peer, item, 1)
        v = h1["ops_per_s"] / o["ops_per_s"] if h1 and o else None
        check("one shmseq client / one %s client" % lab, v, "≥ 1,000", v is not None and v >= 1000, "%.0f×")
    n8 = find(recs, "shmseq", "nocache", 8)
    check("shmseq NOCACHE, 8 clients: durable values/s", n8["ops_per_s"] if n8 else None, "≥ 30,000",
          n8 is not None and n8["ops_per_s"] >= 30000, "%.0f")
    m8 = find(recs, "mariadb", "nocache", 8)
    v = n8["ops_per_s"] / m8["ops_per_s"] if n8 and m8 else None
    check("shmseq NOCACHE / MariaDB NOCACHE, 8 clients", v, "≥ 1", v is not None and v >= 1, "%.2f×")
    k100 = next((x for x in reversed(recs) if x["item"] == "seqs-name" and x["extra"]["sequences"] == 100000), None)
    v = k100["ns_per_op"] / one["ns_per_op"] if k100 and one else None
    check("by name at random over 100,000 sequences / by name on one", v, "≤ 3", v is not None and v <= 3, "%.2f×")
    if k100 and k100["extra"].get("daemon", {}).get("capacity"):
        d = k100["extra"]["daemon"]
        v = d["region_bytes"] / d["capacity"]
    else:
        v = None
    check("region bytes per sequence", v, "≤ 256", v is not None and v <= 256, "%.1f")
    w("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(L) + "\n")


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: report.py COMMAND OUT ARGS...")
    cmd, out = argv[1], argv[2]
    a = argv[3:]
    if cmd == "add-shmseq":  # FILE ITEM CLIENTS [baselines]
        add_shmseq(out, a[0], a[1], int(a[2]), len(a) > 3 and a[3] == "baselines")
    elif cmd == "add-redis":  # FILE ITEM CLIENTS PIPELINE
        add_redis(out, a[0], a[1], int(a[2]), int(a[3]))
    elif cmd == "add-pgbench":  # FILE LOGPREFIX ITEM CLIENTS SYNCS
        add_pgbench(out, a[0], a[1], a[2], int(a[3]), int(a[4]) if a[4] != "" else None)
    elif cmd == "add-sysbench":  # FILE ITEM CLIENTS SYNCS
        add_sysbench(out, a[0], a[1], int(a[2]), int(a[3]) if a[3] != "" else None)
    elif cmd == "report":  # [META]
        report(out, a[0] if a else None)
    else:
        sys.exit("report.py: unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
