#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""MariaDB's own sequence regression tests, translated, against MariaDB and shmseq.

Reads every .test file of MariaDB's `sql_sequence` mysqltest suite (Debian's
mariadb-test-data), translates the mysqltest script into plain statements
(--error, --echo, --disable_*/--enable_*, connect/connection/disconnect,
let/eval with simple $variables, delimiter, --sorted_result,
--replace_column; include files and shell commands are skipped), keeps the
statements within shmseq's scope, drops those whose outcome depends on a
skipped statement, and runs each file's kept statements as one session on a
live MariaDB server (fresh database) and on a fresh shmseqd (one
`shmseq sql --format=json` per connection), comparing every answer as
tests/differential/difftest.py does: error code, OK, or column headings and
rows as text (the ENGINE= clause of SHOW CREATE left out).

Prints kept/agreeing per file and in all, and each disagreement with the
file, line, statement and both answers; writes the same, with every kept and
dropped statement and the rule that dropped it, to --results. Run by hand;
exits 0 whatever it finds.

Usage: /usr/bin/python3 tests/differential/regress.py [--build DIR]
       [--socket PATH] [--suite DIR] [--results FILE] [--check-result] [--list]
       [FILE.test ...]
"""
import argparse
import collections
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
import run as conformance  # noqa: E402  (its daemon, shell session and answer normalisation)
from difftest import frozen, norm  # noqa: E402  (answers as difftest compares them)

try:
    import pymysql
    from pymysql.constants import ER
except ImportError:
    sys.exit("regress: needs pymysql (Debian: python3-pymysql; run with /usr/bin/python3)")

SUITE = "/usr/share/mysql/mysql-test/suite/sql_sequence"
# The database the tests run in (`test`) becomes this one, on MariaDB and as the
# shmseq instance name, so that qualified names and messages read alike.
DB = "regress_%d" % os.getpid()

# ---------------------------------------------------------------------------
# mysqltest script reading

# mysqltest's own commands (the first word of a command that does not start with --).
MYSQLTEST_COMMANDS = set("""
connect connection disconnect dirty_close let eval evalp echo source delimiter error send
send_eval reap sleep real_sleep sync_slave_with_master sync_with_master save_master_pos
wait_for_slave_to_stop if while end inc dec die exit skip vertical_results
horizontal_results query_vertical query_horizontal query replace_result replace_column
replace_regex sorted_result partially_sorted_result result_format exec execw exec_in_background
system copy_file move_file remove_file remove_files_wildcard write_file append_file cat_file
file_exists mkdir rmdir force-rmdir list_files list_files_write_file list_files_append_file
diff_files change_user ping send_quit shutdown_server send_shutdown character_set require
result perl output lowercase_result start_timer end_timer query_get_value chmod copy_files_wildcard
""".split())


def commands(path):
    """The script's commands: (line, kind, text), kind 'cmd' (mysqltest) or 'sql'."""
    delim = ";"
    buf, start = "", 0
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not buf:
            if not line or line.startswith("#"):
                continue
            if line.startswith("--"):
                text = line[2:].strip()
                word = text.split(None, 1)[0].lower() if text else ""
                if word == "delimiter":
                    delim = text.split(None, 1)[1].strip()
                    continue
                yield no, "cmd", text
                continue
            start = no
        buf += raw + "\n"
        while True:
            cut = find_delimiter(buf, delim)
            if cut < 0:
                break
            text, buf = buf[:cut].strip(), buf[cut + len(delim):]
            if buf.lstrip(" \t").startswith("#"):  # `stmt; # comment`
                buf = buf.split("\n", 1)[1] if "\n" in buf else ""
            if buf.strip() == "":
                buf = ""
            if not text:
                continue
            first = re.split(r"[\s(]", text, 1)[0].lower()
            if first == "delimiter":
                delim = text.split(None, 1)[1].strip()
            elif first in MYSQLTEST_COMMANDS or first.startswith(("enable_", "disable_")):
                yield start, "cmd", text
            else:
                yield start, "sql", text
            start = no
        if buf and not buf.strip():
            buf = ""


def find_delimiter(text, delim):
    """The offset of the first `delim` outside quotes, or -1."""
    q = None
    i = 0
    while i < len(text):
        c = text[i]
        if q:
            if c == "\\" and q != "`":
                i += 2
                continue
            if c == q:
                q = None
        elif c in "'\"`":
            q = c
        elif text.startswith(delim, i):
            return i
        i += 1
    return -1


# ---------------------------------------------------------------------------
# Statements: tokens, names, scope

TOKEN = re.compile(r"""\s+|/\*.*?\*/|--\s[^\n]*|#[^\n]*"""
                   r"""|'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`"""
                   r"""|@@?[\w.$]+|\w+|<=>|<=|>=|<>|!=|\|\||&&|:=|.""", re.S)


def tokens(stmt):
    out = []
    for m in TOKEN.finditer(stmt):
        t = m.group(0)
        if t.isspace() or t.startswith(("/*", "-- ", "#")) and not t.startswith("/*!"):
            continue
        out.append(t)
    return out


def ident(t):
    """A token as a lower-cased identifier, or None for strings and punctuation."""
    if t.startswith("`"):
        return t[1:-1].replace("``", "`").lower()
    if re.match(r"^[A-Za-z_$][\w$]*$", t) or re.match(r"^\d*[A-Za-z_$][\w$]*$", t):
        return t.lower()
    return None


def names_in(toks):
    return {n for n in (ident(t) for t in toks) if n}


# Functions shmseq evaluates; every other `word (` is a function or construct outside its scope.
FUNCS = {"nextval", "lastval", "setval", "count"}
PAREN_OK = FUNCS | {"and", "or", "not", "select", "like", "is", "div", "mod", "values",
                    "when", "then"}
# Words that make a SELECT/SET/DO expression outside shmseq's grammar (README, "The SQL it runs").
EXPR_OUT = {"in", "between", "case", "xor", "union", "with", "into", "group", "having",
            "join", "straight_join", "lock", "window", "over", "exists", "interval",
            "binary", "collate", "escape", "regexp", "rlike", "sounds", "distinct", "all",
            "any", "some", "default", "row", "procedure", "high_priority", "sql_calc_found_rows",
            "sql_no_cache", "sql_cache", "sql_small_result", "sql_big_result",
            "sql_buffer_result", "date", "time", "timestamp", "current_date", "current_time",
            "current_timestamp", "now", "user", "database", "schema", "true_", "offset"}
# CREATE TABLE options beside ENGINE and COMMENT: about storage, outside shmseq's scope.
TABLE_OPTIONS = {"row_format", "min_rows", "max_rows", "avg_row_length", "key_block_size",
                 "checksum", "pack_keys", "page_checksum", "transactional", "stats_persistent",
                 "stats_auto_recalc", "stats_sample_pages", "data", "index", "connection",
                 "password", "delay_key_write", "insert_method", "union", "tablespace",
                 "encrypted", "encryption_key_id", "page_compressed", "page_compression_level",
                 "auto_increment", "charset", "character", "collate", "default"}
SEQUENCE_ENGINE = re.compile(r"^seq_\d+_to_\d+(_step_\d+)?$")
STATE_CHANGING = {"insert", "update", "delete", "replace", "alter", "rename", "truncate",
                  "load", "call", "execute", "repair", "optimize", "import", "handler"}


def uses_seq_functions(toks):
    up = [t.upper() for t in toks]
    for i, t in enumerate(up):
        if t in ("NEXTVAL", "SETVAL") and i + 1 < len(up) and up[i + 1] == "(":
            return True
        if t == "NEXT" and up[i + 1:i + 3] == ["VALUE", "FOR"]:
            return True
    return False


def expr_out_of_scope(toks):
    """Why an expression list (SELECT/SET/DO) is outside shmseq's SQL, or None."""
    low = [t.lower() for t in toks]
    for i, t in enumerate(low):
        if t.startswith("@@"):
            return "system variable"
        if t in EXPR_OUT or t == "for" and (i == 0 or low[i - 1] != "value"):
            return "'%s' (not in shmseq's SELECT grammar)" % t.upper()
        if t == "(" and i + 1 < len(low) and low[i + 1] in ("select", "with", "values"):
            return "subquery"
        if t == "(" and i > 0 and low[i - 1] not in PAREN_OK and ident(toks[i - 1]):
            return "function %s()" % toks[i - 1]
        if t in ("||", "&&", "!", "~", "^", "|", "&", "<<", ">>", "<=>", ":="):
            return "operator %s" % t
        if re.match(r"^0x[0-9a-f]+$|^x'|^b'|^\d+(\.\d*)?e[-+]?\d+$|^0b[01]+$", t):
            return "literal %s" % t
        if t.startswith(("_", "n'")) and len(t) > 1 and t[1:].isalnum() and i + 1 < len(low) \
                and low[i + 1].startswith("'"):
            return "charset introducer"
    return None


def from_tables(toks):
    """The table references after FROM (lower-cased names), or None if not a single one."""
    low = [t.lower() for t in toks]
    if "from" not in low:
        return []
    i = low.index("from") + 1
    refs = []
    j = i
    end_words = {"where", "order", "limit", "group", "having", "procedure", "into", "for",
                 "lock", "union", "window"}
    while j < len(low) and low[j] not in end_words:
        j += 1
    part = toks[i:j]
    if any(t == "," for t in part) or any(t.lower() in ("join", "straight_join", "natural",
                                                         "(", "left", "right", "inner",
                                                         "cross") for t in part):
        return None
    # name | db.name | information_schema.X, optional [AS] alias
    names = [t for t in part if t != "."]
    if not names:
        return None
    if len(part) >= 3 and part[1] == ".":
        refs.append((ident(part[0]), ident(part[2])))
        rest = part[3:]
    else:
        refs.append((None, ident(part[0])))
        rest = part[1:]
    if rest and rest[0].lower() == "as":
        rest = rest[1:]
    if len(rest) > 1:
        return None
    return refs


class Translator:
    """mysqltest script → (line, connection, statement, options) steps, with the reason
    for every statement left out."""

    def __init__(self, path):
        self.path = path
        self.steps = []        # ("sql", line, conn, stmt, opts) | ("disconnect", line, conn)
        self.dropped = []      # (line, stmt, reason)
        self.vars = {}
        self.conns = {"default": (1, True)}  # name -> (id, in scope)
        self.next_id = 2
        self.current = "default"
        self.cur_db_ok = {"default": True}
        self.seqs = set()      # names the translated session holds as sequences (a guess)
        self.foreign = {}      # names of objects only skipped statements created -> reason
        self.dirty = {}        # sequences a skipped statement changed -> reason
        self.kinds = {}        # foreign name -> table, view, sequence, ...
        self.prepared = {}     # prepared statement name -> its text
        self.procedures = {}   # procedure name -> the tokens of its body
        self.last_kept = {}    # connection -> was its previous statement kept
        self.pending = {}      # options for the next statement: error, sorted, replace
        self.send_next = False
        self.mode = None       # why every statement is left out now (server mode, global lock)
        self.locked = {}       # connection -> LOCK TABLES / XA / read-only transaction it is in
        self.read_only_next = None
        self.log = {"query_log": True, "result_log": True, "metadata": False, "results": False}
        self.dbs = {"test"}    # the test's databases: all are the one database here
        self.grants = set()    # (user, db) with GRANT ALL: such a user is as root there
        self.only_db = {}      # connection -> the one database its user may use (not root)
        self.cur_db = {}       # connection -> its current database (the test's name)
        self.seq_db = {}       # sequence -> the test's database it was made in
        self.auto_inc = None   # a global auto_increment_* setting in force

    # -- mysqltest commands
    def command(self, line, text):
        m = re.match(r"^([\w-]+)\s*(.*)$", text, re.S)
        if not m:
            return
        word, rest = m.group(1).lower(), m.group(2).strip().rstrip(";").strip()
        if word == "error":
            self.pending["error"] = [c.strip() for c in rest.split(",") if c.strip()]
        elif word in ("sorted_result", "partially_sorted_result"):
            self.pending["sorted"] = True
        elif word in ("replace_result", "replace_regex", "query_vertical"):
            self.pending["replaced"] = True
            if word == "query_vertical":
                self.sql(line, rest)
        elif word in ("disable_query_log", "enable_query_log", "disable_result_log",
                      "enable_result_log", "enable_metadata", "disable_metadata",
                      "vertical_results", "horizontal_results"):
            self.log[word.split("_", 1)[1]] = word.startswith(("enable", "vertical"))
        elif word == "replace_column":
            cols = rest.split()
            self.pending["replace"] = [int(c) for c in cols[0::2] if c.isdigit()]
        elif word == "let":
            self.let(rest)
        elif word in ("eval", "evalp", "send_eval", "query", "query_horizontal"):
            stmt = self.substitute(rest)
            if word == "send_eval":
                self.drop_stmt(line, rest, "sent asynchronously (--send)")
            elif stmt is None:
                self.drop_stmt(line, rest, "unresolved $variable")
            else:
                self.sql(line, stmt)
        elif word == "send":
            if rest:
                self.drop_stmt(line, rest, "sent asynchronously (--send)")
            else:
                self.send_next = True
        elif word == "reap":
            self.pending.pop("error", None)
        elif word == "connect":
            self.connect(line, rest)
        elif word == "connection":
            name = rest.strip()
            if name not in self.conns:
                # master/slave connections come from skipped include files
                self.conns[name] = (self.next_id, name in ("master", "master1", "server_1"))
                self.cur_db_ok[name] = True
                self.next_id += 1
            self.current = name
        elif word == "sync_slave_with_master":
            self.current = "slave"
            if "slave" not in self.conns:
                self.conns["slave"] = (self.next_id, False)
                self.next_id += 1
        elif word == "source" and "have_binlog_format_statement" in rest:
            self.mode = "binlog_format=STATEMENT (the test's server)"
        elif word == "source" and re.search(r"restart_mysqld|kill_and_restart|restart_slave",
                                            rest):
            # a restart with options puts the server in a mode the translation does not take
            self.mode = "a server restarted with %s" % self.vars["restart_parameters"] \
                if self.vars.get("restart_parameters") else None
            for n in self.seqs:  # a restart throws away the caches, as FLUSH TABLES does
                self.dirty[n] = "server restart (the cache is thrown away)"
        elif word in ("disconnect", "dirty_close"):
            name = rest.strip()
            if name in self.conns:
                cid, ok = self.conns.pop(name)
                if ok:
                    self.steps.append(("disconnect", line, cid))
        # everything else (echo, source, enable_/disable_, exec, sync_*, ...) has no
        # statement for the server to run, or runs outside it: skipped.

    def let(self, rest):
        m = re.match(r"^\$(\w+)\s*=\s*(.*)$", rest, re.S)
        if not m:
            return
        val = m.group(2).strip()
        if val.startswith("`") or "$" in val:
            self.vars.pop(m.group(1), None)  # a query result or another variable: unknown
        else:
            self.vars[m.group(1)] = val

    def substitute(self, text):
        unknown = []

        def repl(m):
            if m.group(1) in self.vars:
                return self.vars[m.group(1)]
            unknown.append(m.group(1))
            return m.group(0)
        out = re.sub(r"\$(\w+)", repl, text)
        return None if unknown else out

    def connect(self, line, rest):
        m = re.match(r"^\(?\s*([^,]*?)\s*,\s*([^,]*?)\s*,\s*([^,]*?)\s*,\s*([^,]*?)\s*"
                     r"(?:,\s*([^,)]*?)\s*)?(?:,\s*([^)]*?)\s*)?\)?\s*$", rest)
        if not m:
            return
        name, host, user, _pw, db, port = m.groups()
        db = db or "test"
        ok = (user == "root" or (user, db) in self.grants) and db in self.dbs and \
            port in (None, "", "$MASTER_MYPORT")
        self.conns[name] = (self.next_id, ok)
        self.only_db[name] = None if user == "root" else db
        self.cur_db[name] = db
        self.cur_db_ok[name] = True
        self.next_id += 1
        self.current = name

    # -- statements
    def opts(self):
        o, self.pending = self.pending, {}
        return o

    def drop_stmt(self, line, stmt, reason, toks=None):
        errors = self.opts().get("error")
        self.dropped.append((line, stmt, reason))
        self.last_kept[self.current] = False
        if toks is None:
            toks = tokens(stmt)
        low = [t.lower() for t in toks[:4]]
        if errors and "0" not in errors and low and low[0] != "drop" and \
                low[:3] != ["create", "or", "replace"]:
            # failed in the test: made and changed nothing (a failed DROP list or CREATE OR
            # REPLACE can still have dropped something in 10.11)
            return
        self.effects(None, toks)

    def effects(self, stmt, toks=None):
        """What a skipped statement did that kept ones cannot see: objects it made
        (foreign) and sequences it changed (dirty)."""
        if toks is None:
            toks = tokens(stmt)
        if not toks:
            return
        low = [t.lower() for t in toks]
        names = names_in(toks)
        head = low[0]
        why = "left-out %s" % " ".join(low[:2]).upper()
        if head == "create":
            kinds = [w for w in low[1:8] if w in OBJECT_KINDS]
            why = "left-out CREATE %s" % (kinds[0].upper() if kinds else "")
        if head == "create":
            obj = created_object(toks)
            if obj:
                # a table, view, ... only the test has; where the translation holds a
                # sequence of that name it keeps it (seqs), and DROPs of it stay
                self.foreign[obj] = why
                self.kinds[obj] = object_kind(toks)
        if head == "alter" and "rename" in low:
            # ALTER TABLE a RENAME [TO|AS] b
            j = low.index("rename") + 1
            if low[j:j + 1] in (["to"], ["as"]):
                j += 1
            if j < len(toks):
                self.foreign[ident(toks[j])] = why
                self.kinds[ident(toks[j])] = "table"
        if head == "prepare" and len(low) > 3 and toks[3][:1] in "'\"":
            self.prepared[low[1]] = toks[3][1:-1]
        if head == "rename":
            # RENAME TABLE a TO b[, c TO d]: the old names vanish, the new ones appear
            for i, t in enumerate(low):
                if t == "to" and i > 0 and i + 1 < len(low):
                    self.foreign[low[i + 1]] = why
                    if low[i - 1] in self.seqs:
                        self.dirty[low[i - 1]] = why
        if head == "drop":
            for n in names:
                if n in self.seqs:
                    self.dirty[n] = why  # gone in the test, not in the translation
                if drops_kind(low, self.kinds.get(n)):
                    self.foreign.pop(n, None)
        if head == "flush" and re.match(r"flush (local |no_write_to_binlog )?tables?\b",
                                        " ".join(low)):
            # MariaDB reloads the sequences: the unused part of each cache is lost, so the
            # values after it are not those of the translated session
            named = names & self.seqs
            for n in named or self.seqs:
                self.dirty[n] = "FLUSH TABLES (the cache is thrown away)"
        if head == "execute" and len(low) > 1 and low[1] in self.prepared:
            self.effects(self.prepared[low[1]])
        if head == "create" and "procedure" in low[1:6]:
            j = low.index("procedure") + 1
            depth, k = 0, j + 1
            while k < len(toks):  # past the parameter list
                depth += toks[k] == "("
                depth -= toks[k] == ")"
                k += 1
                if depth == 0:
                    break
            self.procedures[low[j]] = toks[k:]
        if head == "call" and len(low) > 1 and low[1] in self.procedures:
            body = [t for t in self.procedures[low[1]] if t.lower() not in ("begin", "end")]
            stmt_toks = []
            for t in body + [";"]:
                if t == ";":
                    if stmt_toks:
                        self.effects(None, stmt_toks)
                    stmt_toks = []
                else:
                    stmt_toks.append(t)
        if uses_seq_functions(toks) or head in STATE_CHANGING or head == "create":
            for n in names:
                if n in self.seqs and (uses_seq_functions(toks) or head != "create"):
                    self.dirty[n] = why

    def sql(self, line, stmt):
        orig = stmt
        conn_id, conn_ok = self.conns.get(self.current, (0, False))
        raw = tokens(stmt)
        rlow = [t.lower() for t in raw]
        if rlow[:2] in (["create", "database"], ["create", "schema"]) and conn_ok:
            self.dbs.add(ident(raw[-1]))
        m = re.match(r"grant all (privileges )?on `?(\w+)`? \. \* to '?(\w+)", " ".join(rlow))
        if m and conn_ok:
            self.grants.add((m.group(3), m.group(2)))
        if rlow[:2] in (["drop", "database"], ["drop", "schema"]) and conn_ok \
                and not self.pending.get("error"):
            return self.drop_database(line, stmt, rlow)
        m = re.match(r"set global auto_increment_(increment|offset) ?= ?(\w+)", " ".join(rlow))
        if m:
            self.auto_inc = None if m.group(2) in ("default", "1") else stmt
        only = self.only_db.get(self.current)
        if conn_ok and only and any(raw[i + 1] == "." and ident(t) in self.dbs - {only}
                                    for i, t in enumerate(raw[:-1])):
            return self.drop_stmt(line, stmt, "privileges: another database than the user's",
                                  toks=raw)
        cur = self.cur_db.get(self.current, "test")
        if rlow[:1] == ["create"] and "sequence" in rlow[1:4]:
            i = rlow.index("sequence") + 1
            if rlow[i:i + 3] == ["if", "not", "exists"]:
                i += 3
            if i + 2 < len(raw) and raw[i + 1] == ".":
                self.seq_db[ident(raw[i + 2])] = ident(raw[i])
            elif i < len(raw):
                self.seq_db[ident(raw[i])] = cur
        stmt = localise(stmt, self.dbs)
        toks = tokens(stmt)
        if self.send_next:
            self.send_next = False
            return self.drop_stmt(line, stmt, "sent asynchronously (--send)", toks=toks)
        if not conn_ok:
            return self.drop_stmt(line, stmt, "connection %s: another user, server or "
                                  "database" % self.current, toks=toks)
        if not self.cur_db_ok.get(self.current, True) and not (
                toks and toks[0].lower() == "use"):
            return self.drop_stmt(line, stmt, "after USE of another database", toks=toks)
        if not toks:
            return self.drop_stmt(line, stmt, "empty")
        low = [t.lower() for t in toks]
        if self.auto_inc and low[0] != "set":
            return self.drop_stmt(line, stmt, "under SET GLOBAL auto_increment_* (INCREMENT 0 "
                                  "follows it)", toks=toks)
        why = self.mode_of(low)
        if why:
            return self.drop_stmt(line, stmt, why, toks=toks)
        if low[0] == "use":
            self.cur_db_ok[self.current] = len(low) > 1 and low[1] in self.dbs | {DB}
            if len(rlow) > 1:
                self.cur_db[self.current] = ident(raw[1])
            return self.drop_stmt(line, stmt, "USE (the one database)", toks=toks)
        verdict = self.scope(toks)
        if isinstance(verdict, str) and self.pending.get("error") in (["ER_PARSE_ERROR"],
                                                                       ["1064"]) \
                and not verdict.startswith(("a literal", "a name in")):
            verdict = True  # a syntax error in MariaDB: shmseq must say 1064 too
        if isinstance(verdict, str):
            return self.drop_stmt(line, stmt, verdict, toks=toks)
        stmt = verdict if verdict is not True else stmt
        toks = tokens(stmt)
        opts = self.opts()
        low = [t.lower() for t in toks]
        names = names_in(toks)
        head = low[0]
        expect_ok = not opts.get("error") or "0" in opts.get("error")
        fresh = self.creates_fresh(low, expect_ok)
        tainted = [n for n in names if (n in self.foreign or n in self.dirty) and n != fresh]
        if head in ("show", "select") and ("tables" in low[:3] or "information_schema" in low) \
                and (self.foreign or self.dirty):
            tainted = tainted or sorted(set(self.foreign) | set(self.dirty))
        if tainted and head != "drop":
            why = self.foreign.get(tainted[0]) or self.dirty.get(tainted[0])
            self.dropped.append((line, stmt, "uses %s, made or changed by a %s" %
                                 (tainted[0], why if why.startswith(("FLUSH", "server")) else
                                  why + " statement")))
            self.last_kept[self.current] = False
            return
        if head == "show" and "warnings" in low and not self.last_kept.get(self.current):
            self.dropped.append((line, stmt, "SHOW WARNINGS after a skipped statement"))
            return
        if head == "drop":
            stmt = self.drop_names(line, stmt, toks, expect_ok)
            if stmt is None:
                return
        if fresh:
            self.foreign.pop(fresh, None)
            self.dirty.pop(fresh, None)
            self.seqs.add(fresh)
        # how the test's .result file shows it (for --check-result)
        opts["orig"] = stmt if stmt == localise(orig, self.dbs) and self.log["query_log"] \
            else None
        opts["plain"] = self.log["result_log"] and not self.log["metadata"] and \
            not self.log["results"] and not opts.get("replaced")
        self.steps.append(("sql", line, conn_id, stmt, opts))
        self.last_kept[self.current] = True

    def drop_database(self, line, stmt, rlow):
        """DROP DATABASE x: x is the one database here, so drop the sequences the
        translation made in x instead (DROP SEQUENCE IF EXISTS, run and compared)."""
        self.opts()
        db = rlow[-1].strip("`")
        gone = sorted(n for n in self.seqs if self.seq_db.get(n) == db)
        for n in names_in(tokens(stmt)) | set(gone):
            self.foreign.pop(n, None)
        for n, d in list(self.seq_db.items()):
            if d == db:
                self.foreign.pop(n, None)
                self.dirty.pop(n, None)
        self.dropped.append((line, stmt, "DROP DATABASE (its sequences are dropped instead)"))
        if db == "test" or not gone:
            return
        for n in gone:
            self.seqs.discard(n)
        conn_id = self.conns[self.current][0]
        self.steps.append(("sql", line, conn_id, "DROP SEQUENCE IF EXISTS " + ", ".join(gone),
                           {}))

    def mode_of(self, low):
        """Why a statement runs in a state the translation does not take (LOCK TABLES,
        FLUSH TABLES WITH READ LOCK, XA, a read-only transaction, a restarted server), or
        None. Updates that state."""
        c = self.current
        text = " ".join(low)
        if self.mode:
            if self.mode.startswith("FLUSH") and text.startswith("unlock tables") \
                    and self.mode.endswith("connection " + c):
                self.mode = None
            return "under " + (self.mode or "FLUSH TABLES WITH READ LOCK (released here)")
        if c in self.locked:
            what = self.locked[c]
            if (what == "LOCK TABLES" and text.startswith("unlock table")) or \
                    (what == "XA" and re.match(r"xa (commit|rollback)", text)) or \
                    (what == "a read-only transaction" and re.match(
                        r"(commit|rollback)\b", text)) or \
                    (what.startswith("binlog_format") and re.match(
                        r"set (session )?(@@(session\.)?)?binlog_format ?= ?'?(row|mixed|default)",
                        text)) or \
                    (what.startswith("innodb_compression_default") and re.match(
                        r"set (session )?(@@(session\.)?)?innodb_compression_default ?= ?"
                        r"'?(off|default|0)", text)):
                del self.locked[c]
            return "under " + what
        if re.match(r"set (session )?(@@(session\.)?)?binlog_format ?= ?'?statement", text):
            # NEXTVAL and INSERT into an InnoDB sequence fail (1665) in the test
            self.locked[c] = "binlog_format=STATEMENT"
            return "binlog_format=STATEMENT"
        if re.match(r"set (session )?(@@(session\.)?)?innodb_compression_default ?= ?'?(on|1)",
                    text):
            # InnoDB sequences made now show PAGE_COMPRESSED in SHOW CREATE
            self.locked[c] = "innodb_compression_default=ON"
            return "innodb_compression_default=ON"
        if text.startswith("lock table"):
            self.locked[c] = "LOCK TABLES"
            return "LOCK TABLES"
        if re.match(r"flush tables?( [\w`, .]+)? (with read lock|for export)", text):
            self.mode = "FLUSH TABLES WITH READ LOCK of connection " + c
            return "FLUSH TABLES WITH READ LOCK"
        if text.startswith("xa start") or text.startswith("xa begin"):
            self.locked[c] = "XA"
            return "XA"
        if re.match(r"set (session )?transaction read only", text):
            self.read_only_next = c
        if re.match(r"start transaction|begin", text) and self.read_only_next == c:
            self.locked[c] = "a read-only transaction"
            return "a read-only transaction"
        return None

    def creates_fresh(self, low, expect_ok):
        """The name a kept CREATE SEQUENCE makes anew (whatever was there), else None."""
        if low[0] != "create" or "sequence" not in low[:4]:
            return None
        i = low.index("sequence") + 1
        if low[i:i + 3] == ["if", "not", "exists"]:
            i += 3
        name = low[i + 2] if low[i + 1:i + 2] == ["."] else low[i]
        name = name.strip("`")
        if "replace" in low[:3] or expect_ok:
            return name
        return None

    def drop_names(self, line, stmt, toks, expect_ok):
        """DROP ... list: leave out names only skipped statements made; the others stay."""
        low = [t.lower() for t in toks]
        i = 1
        while i < len(low) and low[i] in ("temporary", "sequence", "table", "tables", "view",
                                          "if", "exists"):
            i += 1
        head, items = toks[:i], []
        cur = []
        for t in toks[i:]:
            if t == ",":
                items.append(cur)
                cur = []
            else:
                cur.append(t)
        items.append(cur)
        keep = []
        lenient = expect_ok or "if" in low[1:4]
        for it in items:
            n = ident(it[-1]) if it else None
            kind = self.kinds.get(n) if n in self.foreign else None
            hits_skipped = n in self.foreign and (
                n not in self.seqs or
                (kind or "").startswith("temporary") and drops_kind(low, kind))
            if hits_skipped:
                # the test drops an object only a skipped statement made (a temporary
                # table shadows a sequence of the same name): leave the name out
                if lenient and drops_kind(low, kind):
                    self.foreign.pop(n, None)
                continue
            keep.append(it)
            self.dirty.pop(n, None)
            self.seqs.discard(n)
            if n in self.foreign and drops_kind(low, kind) and lenient:
                self.foreign.pop(n, None)
        if not keep:
            self.dropped.append((line, stmt, "drops only objects of skipped statements"))
            self.last_kept[self.current] = False
            return None
        if len(keep) == len(items):
            return stmt
        return " ".join(head) + " " + ", ".join("".join(it) for it in keep)

    def scope(self, toks):
        """True (keep as is), a rewritten statement, or the reason it is out of scope."""
        low = [t.lower() for t in toks]
        head = low[0]
        for i, t in enumerate(toks[:-1]):
            if toks[i + 1] == "." and ident(t) not in (DB, "information_schema", None) \
                    and (i == 0 or toks[i - 1] != "."):
                return "a name in another database (%s.)" % t
        for i, t in enumerate(low):
            if t.isdigit() and int(t) >= 2**63:
                return "a literal beyond 10.11's BIGINT (%s; the 11.5 rule, README)" % (
                    "-" + t if i and low[i - 1] == "-" else t)
        if head in ("create", "alter") and "sequence" in low[1:4]:
            for i, t in enumerate(low):
                if t == "engine":
                    e = low[i + 2] if low[i + 1:i + 2] == ["="] else low[i + 1]
                    e = e.strip("'\"`")
                    if e not in ("innodb", "myisam", "aria", "maria"):
                        return "ENGINE=%s (storage engines: only the server's built-in ones)" % e
                if t in TABLE_OPTIONS:
                    return "table option %s (storage options: only ENGINE and COMMENT)" % (
                        t.upper())
        if any(t.startswith("/*!") for t in toks):
            return "executable comment"
        if head == "create":
            if "sequence" in low[1:4] and "table" not in low[1:4]:
                return True
            kinds = [w for w in low[1:8] if w in OBJECT_KINDS]
            return "CREATE %s (not a sequence)" % (kinds[0].upper() if kinds else low[1].upper())
        if head == "alter":
            return True if low[1:2] == ["sequence"] else "ALTER %s" % low[1].upper()
        if head == "drop":
            j = 2 if low[1:2] == ["temporary"] else 1
            if low[j:j + 1] in (["sequence"], ["table"], ["tables"], ["view"]):
                return True
            return "DROP %s" % low[j].upper()
        if head in ("select", "do", "set"):
            return self.expr_scope(toks)
        if head == "show":
            rest = low[1:]
            if rest[:2] in (["create", "sequence"], ["create", "table"]):
                return True
            if rest[:1] == ["tables"] or rest[:2] == ["full", "tables"]:
                return True
            if rest[:1] == ["warnings"]:
                return True
            if rest[:1] in (["columns"], ["fields"]) or rest[:2] in (["full", "columns"],
                                                                      ["full", "fields"]):
                return True
            return "SHOW %s" % " ".join(rest[:2]).upper()
        if head in ("describe", "desc"):
            return True
        if head == "use":
            return True
        if head == "insert":
            # INSERT [INTO] s VALUES (...) into a sequence the session made
            i = 2 if low[1:2] == ["into"] else 1
            target = ident(toks[i]) if i < len(toks) else None
            if target in self.seqs and low[i + 1:i + 2] in (["values"], ["value"]):
                if not re.match(r"^(\(\s*([-+]?\s*\d+\s*(,\s*[-+]?\s*\d+\s*)*)?\)\s*,?\s*)+$",
                                " ".join(toks[i + 2:])):
                    return "INSERT INTO s VALUES with other than integer literals " \
                        "(shmseq takes the dump/restore form, SEMANTICS 7.4)"
                return True
            return "INSERT into a table, or not INSERT ... VALUES"
        return "%s statement" % head.upper()

    def expr_scope(self, toks):
        low = [t.lower() for t in toks]
        if low[0] == "set":
            # SET @a = expr [, @b = expr]: user variables only
            if not toks[1].startswith("@") or toks[1].startswith("@@"):
                return "SET of a system variable or session setting"
            depth, i = 0, 1
            while i < len(toks):
                if toks[i] == "(":
                    depth += 1
                elif toks[i] == ")":
                    depth -= 1
                elif toks[i] == "," and depth == 0 and i + 1 < len(toks) \
                        and not toks[i + 1].startswith("@"):
                    return "SET of a system variable or session setting"
                i += 1
        why = expr_out_of_scope(toks[1:])
        if why:
            return why
        if low[0] == "select":
            refs = from_tables(toks)
            if refs is None:
                return "FROM with a join or more than one table"
            for db, name in refs:
                if db == "information_schema":
                    if name != "sequences":
                        return "information_schema.%s" % name.upper()
                elif db not in (None, DB):
                    return "another database"
                elif SEQUENCE_ENGINE.match(name or ""):
                    return "the SEQUENCE engine's %s" % name
        return True


def object_kind(toks):
    low = [t.lower() for t in toks[:8]]
    kinds = [w for w in low if w in OBJECT_KINDS]
    if not kinds:
        return None
    return ("temporary " if "temporary" in low else "") + kinds[0]


def drops_kind(low, kind):
    """Whether DROP ... (low) removes an object of this kind."""
    what = [w for w in low[1:3] if w in ("table", "tables", "view", "sequence")]
    if not kind or not what:
        return True
    what = what[0]
    if what == "view":
        return kind == "view"
    if what == "sequence":
        return kind.endswith("sequence")
    if "temporary" in low[1:2]:
        return kind.startswith("temporary")
    return kind != "view"


OBJECT_KINDS = ("table", "view", "trigger", "procedure", "function", "database", "schema",
                "index", "user", "role", "event", "server", "sequence")


def created_object(toks):
    """The name a CREATE statement makes (table, view, trigger, ...), or None."""
    low = [t.lower() for t in toks]
    i = 1
    skip = {"or", "replace", "temporary", "algorithm", "=", "merge", "temptable", "undefined",
            "definer", "sql", "security", "invoker", "aggregate", "unique", "fulltext",
            "spatial", "online", "offline", "current_user", "global"}
    while i < len(low) and (low[i] in skip or low[i].startswith(("@", "'", "`root"))
                            or low[i] == "root"):
        i += 1
    if i >= len(low):
        return None
    kind = low[i]
    if kind not in OBJECT_KINDS:
        return None
    i += 1
    if low[i:i + 3] == ["if", "not", "exists"]:
        i += 3
    if i >= len(toks):
        return None
    if i + 2 < len(toks) and toks[i + 1] == ".":
        i += 2
    return ident(toks[i])


def localise(stmt, dbs):
    """The test's databases (`test` and those it creates) → DB: qualified names, schema
    strings. shmseq has one database per instance."""
    for d in dbs:
        stmt = re.sub(r"(?<![\w.$`])`?%s`?(?=\s*\.)" % d, DB, stmt)
        stmt = re.sub(r"""(['"])%s\1""" % d, "'%s'" % DB, stmt)
    return stmt


def translate(path):
    t = Translator(path)
    for line, kind, text in commands(path):
        if kind == "cmd":
            t.command(line, text)
        else:
            stmt = t.substitute(text)
            if stmt is None:
                t.drop_stmt(line, text, "unresolved $variable")
            else:
                t.sql(line, stmt)
    return t


# ---------------------------------------------------------------------------
# Running

def show(a):
    if a[0] == "rows":
        return "%s %s" % (list(a[1]), [list(r) for r in a[2]])
    if a[0] == "error":
        return "error %s" % a[1]
    return a[0] if a[0] != "unknown" else "unknown: %s" % a[1]


def adjust(a, opts):
    """--replace_column N: column N is '#' on both sides; --sorted_result: rows sorted."""
    if a[0] != "rows":
        return a
    rows = a[2]
    if opts.get("replace"):
        rows = tuple(tuple("#" if i + 1 in opts["replace"] else v for i, v in enumerate(r))
                     for r in rows)
    if opts.get("sorted"):
        rows = tuple(sorted(rows, key=lambda r: [("" if v is None else v) for v in r]))
    return ("rows", a[1], rows)


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
            self.conns[conn] = pymysql.connect(unix_socket=self.sock, user="root",
                                               database=DB, autocommit=True)
        try:
            with self.conns[conn].cursor() as c:
                c.execute(stmt)
                if c.description:
                    return ("rows", tuple(d[0] for d in c.description),
                            tuple(tuple(norm(v) for v in row) for row in c.fetchall()))
                return ("ok",)
        except pymysql.err.MySQLError as e:
            return ("error", e.args[0])

    def disconnect(self, conn):
        c = self.conns.pop(conn, None)
        if c:
            c.close()

    def close(self):
        for c in self.conns.values():
            c.close()
        admin = pymysql.connect(unix_socket=self.sock, user="root", autocommit=True)
        with admin.cursor() as c:
            c.execute("DROP DATABASE IF EXISTS %s" % DB)
        admin.close()


class Shmseq:
    def __init__(self, build):
        conformance.DAEMON = os.path.join(build, "daemon", "shmseqd")
        conformance.CLI = os.path.join(build, "tools", "shmseq")
        self.tmp = tempfile.mkdtemp(prefix="shmseq-regress-")
        self.conns = {}
        try:
            self.daemon = conformance.Daemon(DB, self.tmp)
        except RuntimeError:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    def ask(self, conn, stmt):
        if conn not in self.conns:
            self.conns[conn] = conformance.Session(DB, self.daemon.env)
        # the shell reads one statement per line
        one_line = " ".join(stmt.split("\n"))
        try:
            return frozen(conformance.answer_of(self.conns[conn].ask(one_line)))
        except BrokenPipeError:
            return ("unknown", "the shell exited")

    def disconnect(self, conn):
        s = self.conns.pop(conn, None)
        if s:
            s.close()

    def close(self):
        for c in self.conns.values():
            c.close()
        self.daemon.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def error_codes(names):
    out = set()
    for n in names:
        n = n.strip()
        if n.isdigit():
            out.add(int(n))
        elif n.startswith("ER_") and n in EXTRA_ER:
            out.add(EXTRA_ER[n])
        elif n.startswith("ER_") and hasattr(ER, n[3:]):
            out.add(getattr(ER, n[3:]))
        else:
            return None  # SQLSTATE or a name not known here: not checked
    return out


# Error names of 10.x that pymysql's table lacks.
EXTRA_ER = {"ER_SEQUENCE_RUN_OUT": 4084, "ER_SEQUENCE_INVALID_DATA": 4085,
            "ER_SEQUENCE_INVALID_TABLE_STRUCTURE": 4086, "ER_SEQUENCE_ACCESS_ERROR": 4087,
            "ER_SEQUENCE_BINLOG_FORMAT": 4088, "ER_NOT_SEQUENCE": 4089,
            "ER_NOT_SEQUENCE2": 4090, "ER_UNKNOWN_SEQUENCES": 4091, "ER_UNKNOWN_VIEW": 4092,
            "ER_IT_IS_A_VIEW": 1965, "ER_DUP_ARGUMENT": 1225, "ER_BAD_TABLE_ERROR": 1051,
            "ER_PARSE_ERROR": 1064, "ER_NO_SUCH_TABLE": 1146,
            "ER_BINLOG_STMT_MODE_AND_ROW_ENGINE": 1665, "ER_TABLE_NOT_LOCKED_FOR_WRITE": 1099,
            "ER_TABLE_NOT_LOCKED": 1100, "ER_CANT_UPDATE_WITH_READLOCK": 1223,
            "ER_OPEN_AS_READONLY": 1036, "ER_ILLEGAL_HA_CREATE_OPTION": 1478,
            "ER_UNKNOWN_STORAGE_ENGINE": 1286, "ER_ILLEGAL_HA": 1031,
            "ER_TABLEACCESS_DENIED_ERROR": 1142}


ENGINE = re.compile(r" ENGINE=\w+")


def find_echo(lines, pos, stmt, window):
    """Where the .result file echoes `stmt` (a query echo is its text and ';'), or None."""
    first = stmt.split("\n")[0].rstrip()
    target = first + ";" if "\n" not in stmt else first
    for i in range(pos, min(len(lines), pos + window)):
        if lines[i] == target:
            return i
    return None


def against_result(lines, pos, opts, m):
    """MariaDB's answer to a kept statement in the translated session against the
    original run's, as the test's .result file shows it: ("same" | "differs" |
    "unknown", position to search on from)."""
    orig = opts.get("orig")
    if not orig:
        return "unknown", pos
    i = find_echo(lines, pos, orig, 400)
    if i is None:
        return "unknown", pos
    j = i + orig.count("\n") + 1
    ans = lines[j] if j < len(lines) else ""
    if m[0] == "error":
        return ("same" if ans.startswith("ERROR") else "differs"), j
    if ans.startswith("ERROR"):
        return "differs", j
    if m[0] == "ok" or not opts.get("plain"):
        return "same" if m[0] == "ok" else "unknown", j
    if ans != "\t".join(m[1]):
        return "differs", j
    if not m[2] or opts.get("sorted") or opts.get("replace"):
        return "same", j
    row = "\t".join("NULL" if v is None else v for v in m[2][0]).split("\n")[0]
    got = lines[j + 1] if j + 1 < len(lines) else ""
    return ("same" if got == row else "differs"), j


def run_file(path, args, out):
    t = translate(path)
    name = os.path.basename(path)
    kept = [s for s in t.steps if s[0] == "sql"]
    res = {"file": name, "kept": len(kept), "agree": 0, "dropped": len(t.dropped),
           "disagree": [], "unexpected": [], "reasons": collections.Counter(),
           "result": collections.Counter(), "result_diff": []}
    for _, _, reason in t.dropped:
        res["reasons"][re.sub(r"uses \S+, made", "uses a name made", reason)] += 1
    out.write("\n### %s: %d kept, %d left out\n" % (name, len(kept), len(t.dropped)))
    events = sorted([(e[1], 0, e) for e in t.steps] +
                    [(ln, 1, ("drop", ln, s, r)) for ln, s, r in t.dropped],
                    key=lambda x: (x[0], x[1]))
    if args.list:
        for _, _, e in events:
            if e[0] == "sql":
                out.write("  %4d [%d] KEEP %s\n" % (e[1], e[2], oneline(e[3])))
            elif e[0] == "drop":
                out.write("  %4d     DROP %s  -- %s\n" % (e[1], oneline(e[2]), e[3]))
            else:
                out.write("  %4d [%d] disconnect\n" % (e[1], e[2]))
        return res
    if not kept:
        return res
    result_lines, rpos = None, 0
    if args.check_result and os.path.exists(path[:-5] + ".result"):
        with open(path[:-5] + ".result", encoding="utf-8", errors="replace") as f:
            result_lines = [localise(ENGINE.sub("", ln.rstrip("\n")), t.dbs) for ln in f]
    maria = Maria(args.socket)
    shm = Shmseq(args.build)
    try:
        for _, _, e in events:
            if e[0] == "disconnect":
                maria.disconnect(e[2])
                shm.disconnect(e[2])
                out.write("  %4d [%d] disconnect\n" % (e[1], e[2]))
                continue
            if e[0] == "drop":
                if result_lines is not None:  # its echo moves the position on
                    i = find_echo(result_lines, rpos, e[2], 40)
                    rpos = rpos if i is None else i + 1
                out.write("  %4d     DROP %s  -- %s\n" % (e[1], oneline(e[2]), e[3]))
                continue
            _, line, conn, stmt, opts = e
            m = adjust(maria.ask(conn, stmt), opts)
            s = adjust(shm.ask(conn, stmt), opts)
            if result_lines is not None:
                verdict, rpos = against_result(result_lines, rpos, opts, m)
                res["result"][verdict] += 1
                if verdict == "differs":
                    res["result_diff"].append((line, stmt, m, rpos))
            want = error_codes(opts.get("error", [])) if opts.get("error") else {0}
            got = m[1] if m[0] == "error" else 0
            if want is not None and got not in want:
                res["unexpected"].append((line, stmt, opts.get("error"), m))
            if m == s:
                res["agree"] += 1
                out.write("  %4d [%d] ok   %s => %s\n" % (line, conn, oneline(stmt),
                                                          short_answer(m)))
            else:
                res["disagree"].append((line, conn, stmt, m, s))
                out.write("  %4d [%d] DIFF %s\n        mariadb: %s\n        shmseq:  %s\n" %
                          (line, conn, oneline(stmt), show(m), show(s)))
    finally:
        maria.close()
        shm.close()
    return res


def oneline(s):
    return " ".join(s.split())


def short_answer(a):
    if a[0] == "rows":
        text = show(a)
        return text if len(text) < 100 else text[:97] + "..."
    return show(a)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="meson build directory (default build)")
    ap.add_argument("--socket", default="/run/mysqld/mysqld.sock", help="MariaDB socket")
    ap.add_argument("--suite", default=SUITE, help="the sql_sequence suite directory")
    ap.add_argument("--results", default=None,
                    help="report file (default BUILD/regress-results.txt)")
    ap.add_argument("--check-result", action="store_true",
                    help="also compare MariaDB's answers in the translated session with the "
                         "test's .result file (the original run): a check of the translation")
    ap.add_argument("--list", action="store_true",
                    help="translate only: write the kept and left-out statements, run nothing")
    ap.add_argument("files", nargs="*", help=".test files (default: all of the suite)")
    args = ap.parse_args()
    results = args.results or os.path.join(args.build, "regress-results.txt")
    if not args.list:
        for b in ("daemon/shmseqd", "tools/shmseq"):
            if not os.access(os.path.join(args.build, b), os.X_OK):
                sys.exit("regress: no %s in %s; build first" % (b, args.build))
    files = args.files or sorted(os.path.join(args.suite, f) for f in os.listdir(args.suite)
                                 if f.endswith(".test"))
    if not files:
        sys.exit("regress: no .test files in %s (Debian: apt-get install mariadb-test-data)" %
                 args.suite)
    started = time.time()
    all_res = []
    with open(results, "w") as out:
        out.write("regress: MariaDB %s, suite %s\n" % (server_version(args.socket), args.suite))
        for f in files:
            all_res.append(run_file(f, args, out))
        kept = sum(r["kept"] for r in all_res)
        agree = sum(r["agree"] for r in all_res)
        lines = ["", "%-28s %6s %6s %6s" % ("file", "kept", "agree", "left")]
        for r in all_res:
            lines.append("%-28s %6d %6d %6d" % (r["file"], r["kept"], r["agree"], r["dropped"]))
        lines.append("%-28s %6d %6d %6d" % ("total", kept, agree,
                                            sum(r["dropped"] for r in all_res)))
        if not args.list:
            lines.append("")
            lines.append("regress: %d files, %d kept statements, %d agree, %d disagree, %.0fs" %
                         (len(all_res), kept, agree, kept - agree, time.time() - started))
            for r in all_res:
                for line, conn, stmt, m, s in r["disagree"]:
                    lines.append("DISAGREE %s:%d [conn %d] %s\n    mariadb: %s\n    shmseq:  %s"
                                 % (r["file"], line, conn, oneline(stmt), show(m), show(s)))
            unexpected = [(r["file"], u) for r in all_res for u in r["unexpected"]]
            lines.append("")
            lines.append("MariaDB answered otherwise than the test expects (translated "
                         "session, not counted against shmseq): %d" % len(unexpected))
            for f, (line, stmt, exp, m) in unexpected:
                lines.append("  %s:%d %s  expects %s, got %s" % (
                    f, line, oneline(stmt)[:80], ",".join(exp) if exp else "success", show(m)))
        if args.check_result and not args.list:
            rc = collections.Counter()
            for r in all_res:
                rc.update(r["result"])
            lines.append("")
            lines.append("MariaDB in the translated session against the test's .result file: "
                         "%d same, %d differ, %d not checked" %
                         (rc["same"], rc["differs"], rc["unknown"]))
            for r in all_res:
                for line, stmt, m, rpos in r["result_diff"]:
                    lines.append("  %s:%d %s  got %s; .result line %d" % (
                        r["file"], line, oneline(stmt)[:70], short_answer(m), rpos + 1))
        reasons = collections.Counter()
        for r in all_res:
            reasons.update(r["reasons"])
        lines.append("")
        lines.append("Statements left out, by rule:")
        for why, n in reasons.most_common():
            lines.append("%6d  %s" % (n, why))
        out.write("\n".join(lines) + "\n")
    for ln in lines:
        print(ln)
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
