# SPDX-License-Identifier: MIT
"""The shmseq module against a real daemon: every method, every exception."""
import errno
import pickle
import threading

import pytest

import shmseq


def test_connect_default_and_named(daemon):
    # None: $SHMSEQ_INSTANCE (the fixture's)
    with shmseq.connect() as a, shmseq.connect(daemon.instance) as b:
        assert a.instance == b.instance == daemon.instance
        assert not a.closed
        assert repr(a).startswith("<shmseq.Connection")
    assert a.closed and b.closed


def test_execute_create_and_rows(db, name):
    r = db.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH 10 INCREMENT BY 5 CACHE 1000")
    assert r.columns is None and r.rowcount == -1 and r.fetchall() == []
    assert r.statement.startswith("CREATE SEQUENCE")
    # a second time: a note, not an error
    r = db.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
    assert [(lvl, code) for lvl, code, _ in r.warnings] == [("Note", 1050)]
    with db.execute(f"SELECT NEXTVAL({name}), NEXTVAL({name})") as r:
        assert r.columns == (f"NEXTVAL({name})", f"NEXTVAL({name})")
        assert r.rowcount == 1
        rows = list(r)
    assert rows == [(10, 15)]
    with pytest.raises(shmseq.InterfaceError):
        r.fetchone()
    rows = db.execute(f"SELECT * FROM {name}").fetchall()
    assert len(rows) == 1
    cols = db.execute(f"SELECT * FROM {name}").columns
    assert cols[:3] == ("next_not_cached_value", "minimum_value", "maximum_value")
    row = dict(zip(cols, rows[0]))
    assert row["increment"] == 5 and row["cache_size"] == 1000 and row["start_value"] == 10
    assert all(isinstance(v, int) for v in rows[0])
    # text and NULL cells
    r = db.execute(f"SHOW CREATE SEQUENCE {name}")
    assert r.columns == ("Table", "Create Table")
    (tbl, text), = r
    assert tbl == name and text.startswith("CREATE SEQUENCE")
    assert db.execute("SELECT NULL").fetchone() == (None,)


def test_execute_several_statements(db, name):
    r = db.execute(f"CREATE SEQUENCE {name}; SELECT NEXTVAL({name}); SELECT LASTVAL({name})")
    assert r.columns is None
    assert r.nextset()
    assert r.fetchone() == (1,) and r.fetchone() is None
    assert r.nextset()
    assert r.fetchall() == [(1,)]
    assert not r.nextset()
    r.close()
    r.close()


def test_handle_nextval_and_batch(db, name):
    db.execute(f"CREATE SEQUENCE {name} CACHE 1000")
    with db.sequence(name) as h:
        assert h.name == name and h.connection is db and h.lease is None
        assert not h.unsigned and not h.closed
        assert [h.nextval() for _ in range(3)] == [1, 2, 3]
        b = h.nextval_n(100)
        assert isinstance(b, range) and b == range(4, 104)
        assert db.lastval(name) == 103
        assert h.nextval() == 104
    assert h.closed
    with pytest.raises(shmseq.InterfaceError):
        h.nextval()
    with pytest.raises(shmseq.InterfaceError):
        h.nextval_n(2)
    with pytest.raises(ValueError):
        db.sequence(name).nextval_n(0)
    with pytest.raises(ValueError):
        db.sequence(name).nextval_n(shmseq.BATCH_MAX + 1)


def test_batch_steps(db, name):
    db.create(name, start=100, increment=-7, minvalue=-10**6, maxvalue=100, cache=50)
    h = db.sequence(name)
    b = h.nextval_n(10)
    assert b == range(100, 100 - 70, -7)
    # a batch stops at the end of the window's round: never past a bound
    db.create(name + "b", maxvalue=5, cache=0)
    b = db.sequence(name + "b").nextval_n(10)
    assert list(b) == [1, 2, 3, 4, 5]
    with pytest.raises(shmseq.RunOut):
        db.sequence(name + "b").nextval_n(10)
    # by name
    assert db.nextval_n(name, 3) == range(30, 9, -7)
    assert db.lastval(name) == 16


def test_unsigned_values(db, name):
    top = 2**64 - 1
    db.execute(f"CREATE SEQUENCE {name} AS BIGINT UNSIGNED START WITH {2**63 + 5} "
               f"MINVALUE 1 MAXVALUE {top} CACHE 10")
    h = db.sequence(name)
    assert h.unsigned
    assert h.nextval() == 2**63 + 5
    assert db.nextval(name) == 2**63 + 6
    assert db.lastval(name) == 2**63 + 6
    assert h.nextval_n(3) == range(2**63 + 7, 2**63 + 10)
    assert db.setval(name, 2**63 + 1000) == 2**63 + 1000
    assert h.nextval() == 2**63 + 1001
    with pytest.raises(OverflowError):
        db.setval(name, 2**64)
    with pytest.raises(OverflowError):
        db.setval(name, -2**63 - 1)


def test_by_name_nextval_lastval_setval(db, name):
    db.create(name, start=1, cache=100)
    assert db.lastval(name) is None
    assert db.nextval(name) == 1
    assert db.lastval(name) == 1
    assert db.setval(name, 5000) == 5000
    assert db.nextval(name) == 5001
    # forward only: a value behind is ignored (NULL)
    assert db.setval(name, 10) is None
    assert db.setval(name, 6000, is_used=False) == 6000
    assert db.nextval(name) == 6000
    # a round increase of a NOCYCLE sequence
    with pytest.raises(shmseq.RunOut) as ei:
        db.setval(name, 1, True, 1)
    assert ei.value.code == 4084
    assert db.setval(name, 7000, round=0, is_used=True) == 7000
    # other connections do not share LASTVAL
    with shmseq.connect() as other:
        assert other.lastval(name) is None
        assert other.nextval(name) == 7001


def test_create_alter_drop(db, name):
    db.create(name, start=5, increment=2, minvalue=1, maxvalue=100, cache=0, cycle=True, comment="c")
    text = db.execute(f"SHOW CREATE SEQUENCE {name}").fetchone()[1]
    assert "start with 5" in text and "increment by 2" in text and "nocache" in text
    assert "cycle" in text and "COMMENT='c'" in text
    with pytest.raises(shmseq.SequenceExists) as ei:
        db.create(name)
    assert (ei.value.code, ei.value.sqlstate) == (1050, "42S01")
    db.create(name, if_not_exists=True)
    assert db.nextval(name) == 5
    db.alter(name, increment=10)
    assert db.nextval(name) == 7  # NOCACHE: the next position; the new step after it
    assert db.nextval(name) == 17
    db.alter(name, restart=50)
    assert db.nextval(name) == 50
    db.alter(name, restart=True)
    assert db.nextval(name) == 5
    db.create(name, or_replace=True, start=3)
    assert db.nextval(name) == 3
    with pytest.raises(TypeError):
        db.create(name + "x", bogus=1)
    with pytest.raises(TypeError):
        db.alter(name, or_replace=True)
    db.drop(name)
    with pytest.raises(shmseq.UnknownSequence):
        db.drop(name)
    with pytest.raises(shmseq.UnknownSequence):
        db.alter(name, increment=2)


def test_temporary(db, name):
    db.create(name, start=100)
    db.create(name, temporary=True, start=1)
    assert db.nextval(name) == 1  # the temporary one hides the base sequence
    with shmseq.connect() as other:
        assert other.nextval(name) == 100
    db.drop(name)
    assert db.nextval(name) == 101  # the base one again


def test_status_and_strerror(db, daemon):
    st = db.status()
    assert st["daemon_pid"] == daemon.proc.pid
    assert st["connections"] >= 1 and st["failed"] is False
    assert st["data_dir"].endswith("data")
    assert shmseq.strerror(4084) == shmseq.strerror(-4084) == "Sequence has run out"
    assert shmseq.strerror(4091) == "Unknown SEQUENCE"
    text = shmseq.strerror(errno.ECONNREFUSED)
    assert text == shmseq.strerror(-errno.ECONNREFUSED) and text and text != shmseq.strerror(errno.EIO)
    with pytest.raises(OverflowError):
        shmseq.strerror(2**40)


def test_leased_handle(db, name):
    db.create(name, cache=1000)
    h = db.sequence(name, lease=100)
    assert h.lease == 100
    seen = []
    lock = threading.Lock()

    def draw():
        got = [h.nextval() for _ in range(500)]
        assert got == sorted(got)
        with lock:
            seen.extend(got)
    ts = [threading.Thread(target=draw) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(set(seen)) == 2000
    b = h.nextval_n(10)  # a batch of its own, evenly spaced
    assert isinstance(b, range) and len(b) == 10 and b.step == 1 and not set(b) & set(seen)
    with pytest.raises(ValueError):
        db.sequence(name, lease=0)
    h.close()


def test_threads_share_handle(db, name):
    db.create(name, cache=100)
    h = db.sequence(name)
    out = [[] for _ in range(4)]

    def draw(i):
        for _ in range(3000):
            out[i].append(h.nextval())
        out[i].extend(h.nextval_n(50))
    ts = [threading.Thread(target=draw, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    every = [v for o in out for v in o]
    assert len(every) == len(set(every)) == 4 * 3050
    for o in out:
        assert o == sorted(o)


# ---- errors -----------------------------------------------------------------

def test_exception_classes():
    for c in (shmseq.InterfaceError, shmseq.OperationalError, shmseq.ProgrammingError, shmseq.RunOut,
              shmseq.UnknownSequence, shmseq.SequenceExists, shmseq.InvalidOptions):
        assert issubclass(c, shmseq.Error)
    assert issubclass(shmseq.UnknownSequence, shmseq.ProgrammingError)
    e = shmseq.RunOut(4084, "HY000", "Sequence 'x' has run out")
    assert (e.code, e.sqlstate, e.message, e.errno) == (4084, "HY000", "Sequence 'x' has run out", None)
    assert str(e) == "(4084, HY000) Sequence 'x' has run out"
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is shmseq.RunOut and back.code == 4084 and back.message == e.message


def test_run_out(db, name):
    db.execute(f"CREATE SEQUENCE {name} MAXVALUE 2 NOCACHE")
    h = db.sequence(name)
    assert h.nextval() == 1 and db.nextval(name) == 2
    with pytest.raises(shmseq.RunOut) as ei:
        h.nextval()
    assert (ei.value.code, ei.value.sqlstate, ei.value.errno) == (4084, "HY000", None)
    with pytest.raises(shmseq.RunOut):
        db.nextval(name)
    assert db.lastval(name) is None  # LASTVAL becomes NULL
    with pytest.raises(shmseq.RunOut) as ei:
        db.execute(f"SELECT NEXTVAL({name})")
    assert name in ei.value.message  # MariaDB's full message from SQL


def test_unknown_sequence(db, name):
    for call in (lambda: db.sequence(name), lambda: db.nextval(name), lambda: db.lastval(name),
                 lambda: db.setval(name, 1), lambda: db.nextval_n(name, 5),
                 lambda: db.execute(f"SELECT NEXTVAL({name})")):
        with pytest.raises(shmseq.UnknownSequence) as ei:
            call()
        assert (ei.value.code, ei.value.sqlstate) == (4091, "42S02")
        assert ei.value.message == f"Unknown SEQUENCE: '{name}'"
        assert isinstance(ei.value, shmseq.ProgrammingError)


def test_programming_errors(db, name):
    with pytest.raises(shmseq.ProgrammingError) as ei:
        db.execute("SELEC 1")
    assert (ei.value.code, ei.value.sqlstate) == (1064, "42000")
    assert "syntax" in ei.value.message
    for pad in range(3):  # the quoted text is cut at a byte count, maybe inside a character
        with pytest.raises(shmseq.ProgrammingError) as ei:
            db.execute("SELEC " + "x" * pad + "\u00e9" * 100)
        assert ei.value.code == 1064 and "near" in ei.value.message
    with pytest.raises(shmseq.ProgrammingError) as ei:
        db.execute(f"SELECT * FROM {name}")
    assert (ei.value.code, ei.value.sqlstate) == (1146, "42S02")
    with pytest.raises(shmseq.ProgrammingError) as ei:
        db.nextval("")  # a bad name: -EINVAL
    assert ei.value.errno == errno.EINVAL and ei.value.code is None
    with pytest.raises(shmseq.InvalidOptions) as ei:
        db.create(name, minvalue=10, maxvalue=5)
    assert ei.value.code == 4085
    with pytest.raises(shmseq.InvalidOptions):
        db.execute(f"CREATE SEQUENCE {name} MINVALUE 10 MAXVALUE 5")
    with pytest.raises(shmseq.SequenceExists):
        db.execute(f"CREATE SEQUENCE {name}; CREATE SEQUENCE {name}")
    # the statement before the failed one took effect
    assert db.nextval(name) == 1
    with pytest.raises(shmseq.ProgrammingError):
        shmseq.connect("bad name!")
    with pytest.raises(TypeError):
        db.execute(b"SELECT 1")
    # a NUL would cut the name or the SQL short in C: refused
    for call in (lambda: db.nextval(name + "\0x"), lambda: db.lastval(name + "\0x"),
                 lambda: db.sequence(name + "\0x"), lambda: db.setval(name + "\0x", 1),
                 lambda: db.execute(f"SELECT NEXTVAL({name})\0; DROP SEQUENCE {name}")):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(TypeError):
        db.nextval(5)


def test_operational_error(daemon):
    with pytest.raises(shmseq.OperationalError) as ei:
        shmseq.connect(daemon.instance + "-none")
    assert ei.value.errno in (errno.ECONNREFUSED, errno.ENOENT)
    assert ei.value.code is None and ei.value.sqlstate == "HY000"
    assert daemon.instance + "-none" in ei.value.message or "socket" in ei.value.message


def test_interface_errors(daemon, name):
    db = shmseq.connect()
    db.create(name)
    h = db.sequence(name)
    r = db.execute("SELECT 1")
    db.close()
    db.close()
    assert db.closed and h.closed
    for call in (lambda: db.nextval(name), lambda: db.execute("SELECT 1"), lambda: db.sequence(name),
                 lambda: db.lastval(name), lambda: db.setval(name, 1), lambda: db.create(name),
                 lambda: db.alter(name, cache=5), lambda: db.drop(name), lambda: db.status(),
                 lambda: db.nextval_n(name, 2), lambda: h.nextval(), lambda: h.unsigned,
                 lambda: db.__enter__()):
        with pytest.raises(shmseq.InterfaceError):
            call()
    assert r.fetchone() == (1,)  # a result outlives its connection
    h.close()


def test_context_managers(daemon, name):
    with shmseq.connect() as db:
        db.create(name)
        with db.sequence(name) as h, db.execute(f"SELECT NEXTVAL({name})") as r:
            assert r.fetchone() == (1,)
            assert h.nextval() == 2
        assert h.closed
        with pytest.raises(shmseq.InterfaceError):
            r.fetchall()
    assert db.closed
    # exceptions pass through
    with pytest.raises(KeyError):
        with shmseq.connect():
            raise KeyError("x")


def test_module_docs():
    assert "shared-memory" in shmseq.__doc__
    for obj in (shmseq.connect, shmseq.Connection.execute, shmseq.Connection.sequence,
                shmseq.Sequence.nextval, shmseq.Sequence.nextval_n, shmseq.Result, shmseq.Error):
        assert obj.__doc__


def test_readme_example(daemon, capsys):
    """The README's Python example runs as written, with the values its
    comments show."""
    import pathlib
    readme = pathlib.Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text()
    section = text[text.index("## Using it from Python"):]
    code = section[section.index("```python\n") + 10:]
    code = code[:code.index("```")]
    code = code.replace("orders.nextval()  ", "assert orders.nextval() == 1000  ")
    code = code.replace("orders.nextval_n(100)  ", "assert orders.nextval_n(100) == range(1001, 1101)  ")
    exec(compile(code, str(readme), "exec"), {})
    out = capsys.readouterr().out
    assert "(4091, 42S02) Unknown SEQUENCE: 'nosuch'" in out


def test_stubs_match_module():
    """shmseq.pyi (next to the module, as installed) names every public
    name of the module and of its classes, and nothing else."""
    import ast
    import pathlib
    stub = pathlib.Path(shmseq.__file__).with_name("shmseq.pyi")
    tree = ast.parse(stub.read_text())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            top.add(node.name)
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | \
                {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        elif isinstance(node, ast.FunctionDef):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            top.add(node.target.id)
    assert top == {n for n in dir(shmseq) if not n.startswith("_")}
    for cls in ("Connection", "Sequence", "Result"):
        public = {n for n in dir(getattr(shmseq, cls)) if not n.startswith("_")}
        assert public == {n for n in members[cls] if not n.startswith("_")}, cls
    assert {"code", "sqlstate", "message", "errno"} <= members["Error"]
