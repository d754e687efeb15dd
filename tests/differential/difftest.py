#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Differential tester: the same random SEQUENCE statements to MariaDB and to shmseq.

Generates seeded sessions of statements over a few sequence names (CREATE with
random options and edge values, ALTER, DROP, NEXTVAL/LASTVAL/SETVAL, NEXT VALUE
FOR, SELECT * FROM, SHOW CREATE SEQUENCE, DO; expressions in select lists,
aliases and column qualifiers, user variables, SHOW WARNINGS, SHOW TABLES,
DESCRIBE, COUNT(*), LIMIT, information_schema.SEQUENCES, USE, DROP VIEW,
keywords after options; occasional junk tokens), runs
every session on a live MariaDB server (fresh database `difftest_PID`) and on a
fresh shmseqd started here, and compares each answer:
  - error code, or OK without a result set;
  - for result sets, column headings and rows as text (NULL as None); the
    storage-engine clause of SHOW CREATE text is left out.
Writes a report (agreement rate, disagreement classes with an example each)
to --results and prints the summary. Run by hand; always exits 0 unless it
could not run at all.

Usage: /usr/bin/python3 tests/differential/difftest.py [--build DIR]
       [--socket PATH] [--seed N] [--count N] [--length N] [--in-range]
       [--results FILE]
"""
import argparse
import collections
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
import run as conformance  # noqa: E402  (its daemon, shell session and answer normalisation)

try:
    import pymysql
except ImportError:
    sys.exit("difftest: needs pymysql (Debian: python3-pymysql; run with /usr/bin/python3)")

# The MariaDB database and the shmseq instance: the same name, so that qualified names
# (db.seq) mean the same on both; per process, as instance names are machine-wide.
DB = "difftest_%d" % os.getpid()

# ---------------------------------------------------------------------------
# Generator

I63 = 2**63 - 1
EDGES = [0, 1, -1, 2, -2, 3, -3, 5, -5, 10, -10, 100, -100, 1000,
         2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**32, -2**32,
         I63, I63 - 1, -I63, -I63 + 1, I63 - 2, 2**62, -2**62,
         2**63, -2**63]  # the last two are out of the literal range


def rand_int(r):
    x = r.random()
    if x < 0.45:
        return r.randint(-20, 50)
    if x < 0.9:
        return r.choice(EDGES)
    return r.randint(-10**12, 10**12)


def kw(r, word):
    """Keywords in upper, lower or mixed case."""
    x = r.random()
    if x < 0.6:
        return word.upper()
    if x < 0.9:
        return word.lower()
    return "".join(c.upper() if r.random() < 0.5 else c.lower() for c in word)


def lit(r, v):
    if v < 0 and r.random() < 0.05:
        return "- %d" % -v
    if v > 0 and r.random() < 0.03:
        return "+%d" % v
    return str(v)


def seq_option(r, which, sane):
    """One sequence option of kind `which` (start, increment, min, max, cache, cycle)."""
    if which == "start":
        form = r.choice(["START WITH %s", "START=%s", "START %s"])
        return form.replace("START", kw(r, "START")).replace("WITH", kw(r, "WITH")) % lit(
            r, sane.get("start", rand_int(r)))
    if which == "increment":
        form = r.choice(["INCREMENT BY %s", "INCREMENT=%s", "INCREMENT %s"])
        v = sane.get("increment", rand_int(r))
        return form.replace("INCREMENT", kw(r, "INCREMENT")).replace("BY", kw(r, "BY")) % lit(r, v)
    if which in ("min", "max"):
        word = "MINVALUE" if which == "min" else "MAXVALUE"
        x = r.random()
        if x < 0.15:
            return kw(r, "NO") + " " + kw(r, word)
        if x < 0.25:
            return kw(r, "NO" + word)
        v = sane.get(which, rand_int(r))
        return kw(r, word) + ("=" if r.random() < 0.3 else " ") + lit(r, v)
    if which == "cache":
        if r.random() < 0.2:
            return kw(r, "NOCACHE")
        v = r.choice([0, 1, 2, 3, 5, 10, 20, 1000, -1, 2**31, I63]) if r.random() < 0.5 \
            else r.randint(0, 30)
        return kw(r, "CACHE") + ("=" if r.random() < 0.3 else " ") + lit(r, v)
    if which == "cycle":
        return kw(r, r.choice(["CYCLE", "NOCYCLE"]))
    raise ValueError(which)


def sane_values(r):
    """Mostly consistent START/INCREMENT/MIN/MAX so that sequences get used."""
    if r.random() < 0.3:
        return {}
    inc = r.choice([1, 1, 1, 2, 3, -1, -1, -2, 5, 10, 0, -7, 2**31, I63, -I63])
    lo = r.choice([-20, -5, 0, 1, 1, 1, 5, -2**31, -I63, 2**62])
    hi = lo + r.choice([1, 3, 5, 10, 20, 100, 2**31])
    hi = min(hi, I63)
    start = r.randint(lo, hi) if r.random() < 0.8 else r.choice([lo, hi, lo - 1, hi + 1])
    return {"increment": inc, "min": lo, "max": hi, "start": start}


def options(r, kinds, n):
    sane = sane_values(r)
    chosen = r.sample(kinds, min(n, len(kinds)))
    if r.random() < 0.05 and chosen:
        chosen.append(r.choice(chosen))  # a duplicate option
    return [seq_option(r, k, sane) for k in chosen]


OPTION_KINDS = ["start", "increment", "min", "max", "cache", "cycle"]
# No ';': `shmseq sql` runs a line's ';'-separated statements one by one (one answer each),
# while the MariaDB client connection here does not allow multi-statements (1064).
JUNK = [",", "FOO", "'x'", "1.5", "(", ")", "WITH", "=", "NULL", "0x10", "1e3", "SEQUENCE",
        "--", "`", "RESTART", "9223372036854775808"]


COLUMNS = ["next_not_cached_value", "minimum_value", "maximum_value", "start_value",
           "increment", "cache_size", "cycle_option", "cycle_count"]
IS_COLUMNS = ["SEQUENCE_CATALOG", "SEQUENCE_SCHEMA", "SEQUENCE_NAME", "DATA_TYPE",
              "NUMERIC_PRECISION", "NUMERIC_PRECISION_RADIX", "NUMERIC_SCALE", "START_VALUE",
              "MINIMUM_VALUE", "MAXIMUM_VALUE", "INCREMENT", "CYCLE_OPTION"]
# Non-reserved keywords that MariaDB's grammar might take for the start of something after a
# sequence's options (TEMPORARY, VALUE, TYPE, ...), or for a name.
NONRESERVED = ["TEMPORARY", "VALUE", "TYPE", "DATA", "NAME", "COMMENT", "ENGINE", "SEQUENCE",
               "NOCACHE", "CYCLE", "RESTART", "AS", "NEXT", "PREVIOUS", "FIRST", "LAST", "KEY"]
# Set by --in-range: leave out what shmseq answers by MariaDB 11.5+'s rules on purpose
# (literals beyond the signed 64-bit range, information_schema.SEQUENCES; README.md).
ONLY_1011 = [False]


class Session:
    """A generated session: a list of (connection, statement)."""

    def __init__(self, r, length):
        self.r = r
        self.names = ["s%d" % i for i in range(1, r.choice([3, 4]) + 1)]
        self.live = set()  # names a CREATE was generated for and no DROP since (a guess)
        self.vars = set()  # user variables a SET was generated for
        self.steps = []
        while len(self.steps) < length:
            conn = 2 if r.random() < 0.1 else 1
            self.steps.append((conn, self.statement()))
            # SHOW WARNINGS after a random statement, on its connection: the notes, warnings
            # and errors it left (rows compared like any result, messages included).
            if len(self.steps) < length and r.random() < 0.12:
                self.steps.append((conn, self.show_warnings()))

    def name(self):
        r = self.r
        if self.live and r.random() < 0.8:
            n = r.choice(sorted(self.live))
        else:
            n = r.choice(self.names)
        self.last = n
        x = r.random()
        if x < 0.02:
            return n.upper()
        if x < 0.05:
            return "`%s`" % n
        if x < 0.07:
            return "%s.%s" % (DB, n)
        return n

    def statement(self):
        r = self.r
        x = r.random()
        if x < 0.17 or (not self.live and x < 0.5):
            s = self.create()
            self.live.add(self.last)
        elif x < 0.25:
            s = self.alter()
        elif x < 0.29:
            s = self.drop()
            self.live.discard(self.last)
        elif x < 0.40:
            s = self.nextval()
        elif x < 0.44:
            s = "%s %s(%s)" % (kw(r, "SELECT"), kw(r, "LASTVAL"), self.name()) \
                if r.random() < 0.7 else "%s %s %s %s %s" % (
                    kw(r, "SELECT"), kw(r, "PREVIOUS"), kw(r, "VALUE"), kw(r, "FOR"), self.name())
        elif x < 0.51:
            s = self.setval()
        elif x < 0.55:
            s = "%s * %s %s" % (kw(r, "SELECT"), kw(r, "FROM"), self.name())
            if r.random() < 0.3:
                s += " %s %d" % (kw(r, "LIMIT"), r.choice([0, 1, 2, 5]))
        elif x < 0.59:
            s = "%s %s %s" % (kw(r, "SHOW CREATE"), kw(r, "SEQUENCE"), self.name())
        elif x < 0.63:
            s = "%s %s(%s)" % (kw(r, "DO"), kw(r, r.choice(["NEXTVAL", "LASTVAL"])), self.name())
        elif x < 0.75:
            s = self.select_expr()
        elif x < 0.80:
            s = self.select_from()
        elif x < 0.84:
            s = self.set_var()
        elif x < 0.86:
            s = self.show_tables()
        elif x < 0.88:
            s = self.describe()
        elif x < 0.90:
            s = self.count()
        elif x < 0.92:
            s = self.info_schema() if not ONLY_1011[0] else self.select_expr()
        elif x < 0.94:
            s = self.use()
        elif x < 0.96:
            s = self.drop_view()
        elif x < 0.98:
            s = self.show_warnings()
        else:
            s = self.nonreserved()
        if r.random() < 0.03:
            s = self.junk(s)
        return s

    # -- the sequence statements -------------------------------------------------------

    def create(self):
        r = self.r
        parts = [kw(r, "CREATE")]
        if r.random() < 0.25:
            parts.append(kw(r, "OR REPLACE"))
        if r.random() < 0.15:
            parts.append(kw(r, "TEMPORARY"))
        parts.append(kw(r, "SEQUENCE"))
        if r.random() < 0.2:
            parts.append(kw(r, "IF NOT EXISTS"))
        parts.append(self.name())
        parts += options(r, OPTION_KINDS, r.randint(0, 6))
        if r.random() < 0.05:
            parts.append(r.choice(["ENGINE=InnoDB", "COMMENT 'c'", "COMMENT='c'"]))
        return " ".join(parts)

    def alter(self):
        r = self.r
        parts = [kw(r, "ALTER SEQUENCE")]
        if r.random() < 0.2:
            parts.append(kw(r, "IF EXISTS"))
        parts.append(self.name())
        opts = options(r, OPTION_KINDS, r.randint(0, 3))
        if r.random() < 0.5 or not opts:
            restart = kw(r, "RESTART")
            y = r.random()
            if y < 0.3:
                pass
            elif y < 0.6:
                restart += " %s %s" % (kw(r, "WITH"), lit(r, rand_int(r)))
            elif y < 0.8:
                restart += "=" + lit(r, rand_int(r))
            else:
                restart += " " + lit(r, rand_int(r))
            opts.insert(r.randint(0, len(opts)), restart)
        if r.random() < 0.03:
            opts = []
        return " ".join(parts + opts)

    def drop(self):
        r = self.r
        parts = [kw(r, "DROP")]
        if r.random() < 0.2:
            parts.append(kw(r, "TEMPORARY"))
        parts.append(kw(r, "SEQUENCE"))
        if r.random() < 0.4:
            parts.append(kw(r, "IF EXISTS"))
        names = [self.name()]
        if r.random() < 0.2:
            names.append(self.name())
        return " ".join(parts) + " " + ", ".join(names)

    def nextval(self):
        r = self.r
        if r.random() < 0.7:
            e = "%s(%s)" % (kw(r, "NEXTVAL"), self.name())
        else:
            e = "%s %s %s %s" % (kw(r, "NEXT"), kw(r, "VALUE"), kw(r, "FOR"), self.name())
        if r.random() < 0.1:
            e += ", %s(%s)" % (kw(r, "NEXTVAL"), self.name())
        return "%s %s" % (kw(r, "SELECT"), e)

    def setval(self):
        r = self.r
        args = [self.name(), lit(r, rand_int(r))]
        if r.random() < 0.6:
            args.append(r.choice(["0", "1", "2", "TRUE", "FALSE", "-1"]))
            if r.random() < 0.5:
                args.append(str(r.choice([0, 1, 2, 5, 100, -1, I63, rand_int(r)])))
        verb = kw(r, "SELECT") if r.random() < 0.85 else kw(r, "DO")
        return "%s %s(%s)" % (verb, kw(r, "SETVAL"), ", ".join(args))

    def nonreserved(self):
        """CREATE or ALTER with a non-reserved keyword after (or among) the options."""
        r = self.r
        s = self.create() if r.random() < 0.6 else self.alter()
        toks = s.split(" ")
        at = len(toks) if r.random() < 0.6 else r.randint(3, len(toks))
        word = kw(r, r.choice(NONRESERVED))
        if r.random() < 0.2:
            word += " " + str(r.randint(0, 5))
        toks.insert(at, word)
        return " ".join(toks)

    # -- expressions --------------------------------------------------------------------

    def func(self):
        r = self.r
        y = r.random()
        if y < 0.45:
            return "%s(%s)" % (kw(r, "NEXTVAL"), self.name())
        if y < 0.7:
            return "%s(%s)" % (kw(r, "LASTVAL"), self.name())
        if y < 0.8:
            return "%s %s %s %s" % (kw(r, "NEXT"), kw(r, "VALUE"), kw(r, "FOR"), self.name())
        if y < 0.87:
            return "%s %s %s %s" % (kw(r, "PREVIOUS"), kw(r, "VALUE"), kw(r, "FOR"), self.name())
        return "%s(%s, %s)" % (kw(r, "SETVAL"), self.name(), lit(r, rand_int(r)))

    def small_lit(self):
        r = self.r
        y = r.random()
        if y < 0.7:
            return str(r.randint(-5, 20))
        if y < 0.8:
            return r.choice(["NULL", "TRUE", "FALSE"])
        if y < 0.9:
            return r.choice(["'abc'", "'7'", "''", "\"x\""])
        return str(r.choice([I63, -I63, 2**31, 2**32, 10**12]))

    def column(self, qual):
        """A column of the sequence in FROM, qualified by one of `qual` (or not)."""
        r = self.r
        c = r.choice(COLUMNS)
        if r.random() < 0.05:
            c = r.choice(["nosuch", "next_value", "value"])
        if r.random() < 0.1:
            c = c.upper()
        q = r.choice(qual) if qual and r.random() < 0.4 else None
        return "%s.%s" % (q, c) if q else c

    def atom(self, qual, depth):
        r = self.r
        y = r.random()
        if qual is not None and y < 0.3:
            return self.column(qual)
        if y < 0.55:
            return self.func()
        if y < 0.65 and self.vars:
            return "@" + r.choice(sorted(self.vars))
        if y < 0.68:
            return "@" + r.choice(["x", "y", "unset"])
        if y < 0.75 and depth < 2:
            return "(%s)" % self.expr(qual, depth + 1)
        return self.small_lit()

    def expr(self, qual=None, depth=0):
        r = self.r
        e = self.atom(qual, depth)
        y = r.random()
        if depth < 2 and y < 0.35:
            op = r.choice(["+", "-", "*", " + ", " - ", " * ", " DIV ", " % ", " MOD "])
            e = "%s%s%s" % (e, kw(r, op), self.atom(qual, depth + 1))
        elif depth < 2 and y < 0.45:
            op = r.choice([" = ", " < ", " > ", " <> ", "=", " >= "])
            e = "%s%s%s" % (e, op, self.atom(qual, depth + 1))
        elif depth < 2 and y < 0.5:
            e = "%s %s" % (e, kw(r, r.choice(["IS NULL", "IS NOT NULL"])))
        elif y < 0.55:
            e = r.choice(["-", "+", "- "]) + e
        return e

    def alias(self):
        r = self.r
        a = r.choice(["id", "x", "n", "`my id`", "'q'", "\"dq\"", "a"])
        return (" %s " % kw(r, "AS") if r.random() < 0.6 else " ") + a

    def items(self, qual, extra=()):
        r = self.r
        out = []
        for _ in range(r.choice([1, 1, 1, 2, 2, 3])):
            if extra and r.random() < 0.25:
                it = r.choice(extra)
            else:
                it = self.expr(qual)
            if r.random() < 0.2:
                it += self.alias()
            out.append(it)
        return ", ".join(out)

    def select_expr(self):
        """SELECT over the sequence functions, literals and variables; no table."""
        r = self.r
        s = "%s %s" % (kw(r, "SELECT"), self.items(None))
        y = r.random()
        if y < 0.25:
            s += " %s %s" % (kw(r, "FROM"), kw(r, "DUAL"))
        if r.random() < 0.1:
            s += " %s %s" % (kw(r, "WHERE"), self.expr(None, 1))
        if r.random() < 0.1:
            s += " %s %d" % (kw(r, "LIMIT"), r.choice([0, 1, 2]))
        return s

    def from_clause(self):
        """FROM a sequence, with or without an alias; the qualifiers its columns may take,
        right ones and wrong ones."""
        r = self.r
        n = self.name()
        base = self.last
        alias = None
        y = r.random()
        if y < 0.25:
            alias = r.choice(["a", "b", "t", "`my alias`"])
            f = "%s %s %s" % (n, kw(r, "AS"), alias)
        elif y < 0.4:
            alias = r.choice(["a", "b", "t"])
            f = "%s %s" % (n, alias)
        else:
            f = n
        if alias:
            good = [alias]
        else:
            good = [base, "%s.%s" % (DB, base)]
        wrong = ["x", r.choice(self.names), "nodb.%s" % base, "%s.x" % DB]
        if alias:
            wrong += [base, "%s.%s" % (DB, alias)]
        qual = good * 3 + wrong
        return f, qual

    def select_from(self):
        r = self.r
        f, qual = self.from_clause()
        star = ["*", "%s.*" % r.choice(qual), kw(r, "COUNT(*)")]
        s = "%s %s %s %s" % (kw(r, "SELECT"), self.items(qual, star), kw(r, "FROM"), f)
        if r.random() < 0.2:
            s += " %s %s" % (kw(r, "WHERE"), self.expr(qual, 1))
        if r.random() < 0.15:
            s += " %s %d" % (kw(r, "LIMIT"), r.choice([0, 1, 2]))
        return s

    def count(self):
        r = self.r
        s = "%s %s %s %s" % (kw(r, "SELECT"), kw(r, "COUNT(*)"), kw(r, "FROM"), self.name())
        if r.random() < 0.2:
            s += " %s %d" % (kw(r, "LIMIT"), r.choice([0, 1]))
        return s

    def set_var(self):
        r = self.r
        parts = []
        for _ in range(r.choice([1, 1, 2])):
            v = r.choice(["x", "x", "y", "z", "X", "`x`"])
            self.vars.add(v.strip("`").lower())
            parts.append("@%s %s %s" % (v, r.choice(["=", ":="]), self.expr(None, 1)))
        return "%s %s" % (kw(r, "SET"), ", ".join(parts))

    # -- SHOW, DESCRIBE, USE, DROP VIEW, information_schema -----------------------------

    def show_warnings(self):
        r = self.r
        s = "%s %s" % (kw(r, "SHOW"), kw(r, "WARNINGS"))
        if r.random() < 0.05:
            s += " %s %d" % (kw(r, "LIMIT"), r.choice([0, 1]))
        return s

    def show_tables(self):
        r = self.r
        s = kw(r, "SHOW")
        full = r.random() < 0.3
        if full:
            s += " " + kw(r, "FULL")
        s += " " + kw(r, "TABLES")
        if r.random() < 0.1:
            s += " %s %s" % (kw(r, r.choice(["FROM", "IN"])), r.choice([DB, "nodb"]))
        y = r.random()
        if y < 0.4:
            s += " %s '%s'" % (kw(r, "LIKE"), r.choice(["s%", "s1", "S%", "%", "s_", "x%", "%2"]))
        elif y < 0.7:
            col = "Tables_in_%s" % DB
            if full and r.random() < 0.4:
                cond = "Table_type %s" % r.choice(["= 'SEQUENCE'", "LIKE 'seq%'", "<> 'SEQUENCE'"])
            else:
                cond = "%s %s" % (r.choice([col, col.lower()]), r.choice(
                    ["LIKE 's%'", "= 's1'", "<> 's2'", "> 's1'", "IS NULL", "= 'S1'"]))
            if r.random() < 0.15:
                cond = r.choice(["1", "0", "nosuch = 1"])
            s += " %s %s" % (kw(r, "WHERE"), cond)
        return s

    def describe(self):
        r = self.r
        y = r.random()
        if y < 0.4:
            s = "%s %s" % (kw(r, r.choice(["DESCRIBE", "DESC", "EXPLAIN"])), self.name())
            if r.random() < 0.2:
                s += " " + r.choice(["cycle_option", "'c%'", "nosuch", "INCREMENT"])
            return s
        s = "%s%s %s %s %s" % (kw(r, "SHOW"), " " + kw(r, "FULL") if r.random() < 0.2 else "",
                               kw(r, r.choice(["COLUMNS", "FIELDS"])),
                               kw(r, r.choice(["FROM", "IN"])), self.name())
        y = r.random()
        if y < 0.2:
            s += " %s '%s'" % (kw(r, "LIKE"), r.choice(["c%", "%value", "C%", "x"]))
        elif y < 0.3:
            s += " %s %s" % (kw(r, "WHERE"), r.choice(
                ["Field LIKE '%value'", "`Null` = 'NO'", "Type LIKE 'tiny%'", "nosuch = 1"]))
        return s

    def info_schema(self):
        r = self.r
        cols = "*" if r.random() < 0.4 else ", ".join(r.sample(IS_COLUMNS, r.randint(1, 3)))
        s = "%s %s %s %s" % (kw(r, "SELECT"), cols, kw(r, "FROM"),
                             r.choice(["information_schema.SEQUENCES",
                                       "INFORMATION_SCHEMA.sequences"]))
        if r.random() < 0.7:
            s += " %s SEQUENCE_SCHEMA = '%s'" % (kw(r, "WHERE"), DB)
            if r.random() < 0.3:
                s += " %s SEQUENCE_NAME %s" % (kw(r, "AND"), r.choice(["= 's1'", "LIKE 's%'",
                                                                        "<> 's2'"]))
        if r.random() < 0.6:
            s += " %s %s%s" % (kw(r, "ORDER BY"), r.choice(["SEQUENCE_NAME", "INCREMENT",
                                                           "START_VALUE", "1", "3"]),
                               r.choice(["", " DESC", " ASC"]))
        if r.random() < 0.3:
            s += " %s %d" % (kw(r, "LIMIT"), r.choice([0, 1, 2]))
        return s

    def use(self):
        r = self.r
        return "%s %s" % (kw(r, "USE"), r.choice([DB, DB, "`%s`" % DB, "nodb", "``",
                                                  "information_schema_x"]))

    def drop_view(self):
        r = self.r
        s = "%s %s" % (kw(r, "DROP"), kw(r, "VIEW"))
        if r.random() < 0.7:
            s += " " + kw(r, "IF EXISTS")
        names = [r.choice(["v", "v1", self.name(), "nodb.v", "%s.v" % DB])]
        if r.random() < 0.2:
            names.append(r.choice(["v2", self.name()]))
        return s + " " + ", ".join(names)

    def junk(self, s):
        r = self.r
        toks = s.split(" ")
        y = r.random()
        if y < 0.5:
            toks.insert(r.randint(1, len(toks)), r.choice(JUNK))
        elif y < 0.8 and len(toks) > 1:
            del toks[r.randint(1, len(toks) - 1)]
        else:
            toks = toks[:r.randint(1, len(toks))]
        return " ".join(toks)


def generate(seed, count, length=20):
    """Sessions whose statement counts add up to `count`."""
    sessions, total, k = [], 0, 0
    while total < count:
        r = random.Random("%d/%d" % (seed, k))
        s = Session(r, min(length + r.randint(-3, 3), count - total))
        sessions.append(s)
        total += len(s.steps)
        k += 1
    return sessions


# ---------------------------------------------------------------------------
# Answers

def norm(v):
    if isinstance(v, bytes):
        v = v.decode(errors="replace")
    return conformance.norm_value(v)


def frozen(a):
    """conformance.answer_of's tuple, hashable (rows as tuples)."""
    if a[0] == "rows":
        return ("rows", tuple(a[1]), tuple(tuple(norm(v) for v in r) for r in a[2]))
    return a


def short(a):
    if a[0] == "error":
        return "error %s" % a[1]
    if a[0] == "rows":
        return "rows"
    return a[0]


def show(a):
    if a[0] == "rows":
        return "%s %s" % (list(a[1]), [list(r) for r in a[2]])
    return short(a) if a[0] != "unknown" else "unknown: %s" % a[1]


class Maria:
    def __init__(self, sock):
        self.sock = sock
        self.conns = {}
        admin = pymysql.connect(unix_socket=sock, user="root", autocommit=True)
        with admin.cursor() as c:
            c.execute("DROP DATABASE IF EXISTS %s" % DB)
            c.execute("CREATE DATABASE %s" % DB)
        admin.close()

    def ask(self, conn, stmt):
        if conn not in self.conns:
            # conv={}: values as the server sent them, text (a double as "0", not 0.0)
            self.conns[conn] = pymysql.connect(unix_socket=self.sock, user="root",
                                               database=DB, autocommit=True, conv={})
        try:
            with self.conns[conn].cursor() as c:
                c.execute(stmt)
                if c.description:
                    return ("rows", tuple(d[0] for d in c.description),
                            tuple(tuple(norm(v) for v in row) for row in c.fetchall()))
                return ("ok",)
        except pymysql.err.MySQLError as e:
            return ("error", e.args[0])

    def close(self):
        for c in self.conns.values():
            c.close()


class Shmseq:
    """A fresh shmseqd on a private runtime directory, one `shmseq sql` per
    connection: the conformance runner's daemon and shell sessions."""

    def __init__(self, build):
        conformance.DAEMON = os.path.join(build, "daemon", "shmseqd")
        conformance.CLI = os.path.join(build, "tools", "shmseq")
        self.tmp = tempfile.mkdtemp(prefix="shmseq-difftest-")
        self.conns = {}
        try:
            self.daemon = conformance.Daemon(DB, self.tmp)
        except RuntimeError:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    def ask(self, conn, stmt):
        if conn not in self.conns:
            self.conns[conn] = conformance.Session(DB, self.daemon.env)
        try:
            return frozen(conformance.answer_of(self.conns[conn].ask(stmt)))
        except BrokenPipeError:
            return ("unknown", "the shell exited")

    def close(self):
        for c in self.conns.values():
            c.close()
        self.daemon.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# Comparison and report

def kind(stmt):
    """A short statement class for signatures: the leading keywords, upper-cased."""
    t = " ".join(stmt.upper().split())
    for k in ("CREATE OR REPLACE TEMPORARY SEQUENCE", "CREATE OR REPLACE SEQUENCE",
              "CREATE TEMPORARY SEQUENCE", "CREATE SEQUENCE", "ALTER SEQUENCE",
              "DROP TEMPORARY SEQUENCE", "DROP SEQUENCE", "DROP VIEW", "SHOW CREATE SEQUENCE",
              "SHOW WARNINGS", "SHOW FULL TABLES", "SHOW TABLES", "SHOW FULL COLUMNS",
              "SHOW COLUMNS", "SHOW FIELDS", "SHOW FULL FIELDS", "SELECT COUNT(*)", "SELECT *",
              "DO NEXTVAL", "DO LASTVAL", "DO SETVAL"):
        if t.startswith(k):
            if k == "ALTER SEQUENCE" and "RESTART" in t:
                k += " ..RESTART"
            if k.startswith(("CREATE", "ALTER")) and any(
                    " %s" % w in t for w in NONRESERVED if w not in ("SEQUENCE", "TEMPORARY")
                    and w not in ("NOCACHE", "CYCLE", "RESTART", "NEXT")):
                k += " ..keyword"
            return k
    if t.startswith("SELECT"):
        if "INFORMATION_SCHEMA" in t:
            return "SELECT .. information_schema"
        if " FROM " in t and " FROM DUAL" not in t:
            return "SELECT .. FROM seq" + (" (qualified)" if "." in t.split(" FROM ")[0] else "")
        for k in ("SELECT NEXTVAL", "SELECT NEXT VALUE", "SELECT LASTVAL",
                  "SELECT PREVIOUS VALUE", "SELECT SETVAL"):
            if t.startswith(k) and "," not in t and not any(o in t for o in "+-*%@="):
                return k
        return "SELECT expr"
    if t.startswith(("DESC", "EXPLAIN")):
        return "DESCRIBE"
    if t.startswith("SET @"):
        return "SET @var"
    return " ".join(t.split()[:2])


def signature(stmt, m, s):
    sig = "%s: mariadb %s / shmseq %s" % (kind(stmt), short(m), short(s))
    if m[0] == s[0] == "rows":
        if m[1] != s[1]:
            sig += " (column headings)"
        elif len(m[2]) != len(s[2]) or any(len(a) != len(b) for a, b in zip(m[2], s[2])):
            sig += " (row shape)"
        else:
            cols = [m[1][i] for i in range(len(m[1]))
                    if any(a[i] != b[i] for a, b in zip(m[2], s[2]))]
            sig += " (values of %s)" % ", ".join(cols[:3])
    return sig


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="meson build directory (default build)")
    ap.add_argument("--socket", default="/run/mysqld/mysqld.sock", help="MariaDB socket")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=2000, help="statements in all")
    ap.add_argument("--length", type=int, default=20, help="statements per session (about)")
    ap.add_argument("--examples", type=int, default=40, help="disagreement classes written out")
    ap.add_argument("--in-range", action="store_true",
                    help="leave out what shmseq answers by 11.5's rules on purpose (README.md, "
                         "'Which MariaDB'): literals outside the signed 64-bit range (2^63, "
                         "-2^63), where 10.11 says 1064, and information_schema.SEQUENCES, "
                         "which 10.11 does not have")
    ap.add_argument("--results", default=None,
                    help="report file (default BUILD/difftest-results.txt)")
    args = ap.parse_args()
    results = args.results or os.path.join(args.build, "difftest-results.txt")
    for b in ("daemon/shmseqd", "tools/shmseq"):
        if not os.access(os.path.join(args.build, b), os.X_OK):
            sys.exit("difftest: no %s in %s; build first" % (b, args.build))

    if args.in_range:
        EDGES[:] = [e for e in EDGES if -I63 <= e <= I63]
        JUNK.remove("9223372036854775808")
        ONLY_1011[0] = True
    sessions = generate(args.seed, args.count, args.length)
    total = agree = 0
    classes = collections.Counter()          # every disagreement
    first_classes = collections.Counter()    # the first disagreement of each session
    examples = {}
    outcomes = collections.Counter()         # what MariaDB answered, to show the mix
    started = time.time()
    for k, sess in enumerate(sessions):
        maria = Maria(args.socket)
        shm = Shmseq(args.build)
        first = True
        try:
            for i, (conn, stmt) in enumerate(sess.steps):
                m = maria.ask(conn, stmt)
                s = shm.ask(conn, stmt)
                total += 1
                outcomes[short(m)] += 1
                if m == s:
                    agree += 1
                    continue
                sig = signature(stmt, m, s)
                classes[sig] += 1
                if first:
                    first_classes[sig] += 1
                    first = False
                    if sig not in examples:
                        examples[sig] = (k, i, sess.steps[:i + 1], m, s)
        finally:
            maria.close()
            shm.close()
    elapsed = time.time() - started
    admin = pymysql.connect(unix_socket=args.socket, user="root", autocommit=True)
    with admin.cursor() as c:
        c.execute("DROP DATABASE IF EXISTS %s" % DB)
    admin.close()

    pct = 100.0 * agree / total if total else 0.0
    summary = ("difftest: seed %d, %d sessions, %d statements, %d agree (%.2f%%), %d disagree, "
               "%.0fs" % (args.seed, len(sessions), total, agree, pct, total - agree, elapsed))
    with open(results, "w") as f:
        f.write(summary + "\n")
        f.write("mariadb %s\n\n" % server_version(args.socket))
        f.write("MariaDB's answers: %s\n\n" % ", ".join(
            "%s %d" % (o, n) for o, n in outcomes.most_common()))
        f.write("First disagreement of each session, by class (%d sessions disagree):\n" %
                sum(first_classes.values()))
        for sig, n in first_classes.most_common():
            f.write("%6d  %s\n" % (n, sig))
        f.write("\nAll disagreements, by class (later ones may follow from an earlier one):\n")
        for sig, n in classes.most_common():
            f.write("%6d  %s\n" % (n, sig))
        f.write("\nExamples (one per class of first disagreement; the session up to it):\n")
        for sig, _ in first_classes.most_common(args.examples):
            k, i, steps, m, s = examples[sig]
            f.write("\n== %s\n   session %d, statement %d\n" % (sig, k, i))
            for conn, stmt in steps:
                f.write("   [conn %d] %s\n" % (conn, stmt))
            f.write("   mariadb: %s\n   shmseq:  %s\n" % (show(m), show(s)))
    print(summary)
    print("mariadb answered: %s" % ", ".join("%s %d" % (o, n) for o, n in outcomes.most_common(8)))
    print("top classes (first disagreement per session):")
    for sig, n in first_classes.most_common(10):
        print("%6d  %s" % (n, sig))
    print("report: %s" % results)
    return 0


def server_version(sock):
    try:
        c = pymysql.connect(unix_socket=sock, user="root")
        with c.cursor() as cur:
            cur.execute("SELECT VERSION()")
            v = cur.fetchone()[0]
        c.close()
        return v
    except pymysql.err.MySQLError as e:
        return "unknown (%s)" % e


if __name__ == "__main__":
    sys.exit(main())
