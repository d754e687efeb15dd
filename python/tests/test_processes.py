# SPDX-License-Identifier: MIT
"""shmseq from several Python processes: fork rules, 8 processes on one
sequence, a daemon restart while they draw."""
import multiprocessing
import os
import time

import pytest

import shmseq

FORK = multiprocessing.get_context("fork")


def test_connection_after_fork(db, name):
    db.create(name, cache=100)
    h = db.sequence(name)
    assert h.nextval() == 1
    pid = os.fork()
    if pid == 0:  # the child: exit status says what it saw
        status = 0
        try:
            for call in (h.nextval, lambda: db.nextval(name), lambda: db.execute("SELECT 1"),
                         lambda: db.sequence(name), lambda: h.nextval_n(3)):
                try:
                    call()
                    status |= 1  # the parent's connection must not serve the child
                except shmseq.InterfaceError as e:
                    if "fork" not in str(e):
                        status |= 2
            with shmseq.connect() as mine:
                v = mine.sequence(name).nextval()
                if v <= 1:
                    status |= 4
            db.close()  # the child may disconnect its copy
        except BaseException:
            import traceback
            traceback.print_exc()
            status |= 8
        os._exit(status)
    _, st = os.waitpid(pid, 0)
    assert os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, os.WEXITSTATUS(st)
    # the parent's connection and handle go on
    v = h.nextval()
    assert v > 1 and db.lastval(name) == v


def draw(args):
    """A worker: its own connection (after fork), values through a handle
    and in batches."""
    name, count = args
    out = []
    with shmseq.connect() as db:
        h = db.sequence(name)
        while len(out) < count:
            out.append(h.nextval())
            if len(out) % 1000 == 0:
                out.extend(h.nextval_n(50))
            if len(out) % 3000 == 0:
                out.append(db.nextval(name))
    return os.getpid(), out


def test_eight_processes_one_sequence(db, name):
    db.create(name, cache=1000)
    with FORK.Pool(8) as pool:
        results = pool.map(draw, [(name, 20000)] * 8, chunksize=1)
    every = []
    for _, vals in results:
        assert vals == sorted(vals) and len(vals) == len(set(vals))  # increasing per process
        every.extend(vals)
    assert len(every) == len(set(every))  # distinct across processes
    assert len({pid for pid, _ in results}) == 8


def draw_through_restart(name, deadline, ready, progress, restarted, q):
    """Draw until the daemon restarted and this process drew after it; the
    daemon being away shows as OperationalError (retried)."""
    vals, errors, after = [], 0, 0
    try:
        db = shmseq.connect()
        h = db.sequence(name)
        with ready.get_lock():
            ready.value += 1
        while time.monotonic() < deadline:
            try:
                vals.append(h.nextval())
                if restarted.value:
                    after += 1
                    if after >= 2000:
                        break
            except shmseq.OperationalError:
                errors += 1
                time.sleep(0.002)
            with progress.get_lock():
                progress.value += 1
        db.close()
        q.put((os.getpid(), vals, errors, after, None))
    except BaseException as e:
        q.put((os.getpid(), vals, errors, after, repr(e)))


def test_daemon_restart_while_drawing(daemon, db, name):
    db.create(name, cache=100)  # refills every 100 values: the daemon is needed often
    ready = FORK.Value("i", 0)
    progress = FORK.Value("q", 0)
    restarted = FORK.Value("b", 0)
    q = FORK.Queue()
    deadline = time.monotonic() + 60
    procs = [FORK.Process(target=draw_through_restart, args=(name, deadline, ready, progress, restarted, q))
             for _ in range(4)]
    for p in procs:
        p.start()
    try:
        while (ready.value < len(procs) or progress.value < 20000) and time.monotonic() < deadline:
            time.sleep(0.01)
        daemon.restart()
        restarted.value = 1
        results = [q.get(timeout=90) for _ in procs]
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    every = []
    for pid, vals, errors, after, failed in results:
        assert failed is None, f"process {pid}: {failed}"
        assert after >= 2000, f"process {pid} drew {after} values after the restart ({errors} errors)"
        assert vals == sorted(vals), f"process {pid}: values went back"
        every.extend(vals)
    print("restart:", [(len(v), e, a) for _, v, e, a, _ in results])
    assert len(every) == len(set(every)), "a value was handed out twice across the restart"
    # the parent's connection re-attached by itself
    v = db.nextval(name)
    assert v > max(every)


def test_gil_released_while_waiting_on_daemon(daemon, name):
    """A call that waits on the daemon lets the other threads run, and the
    connection cannot be closed under it. The daemon is stopped (SIGSTOP)
    while a thread creates a sequence: if that call kept the GIL, the main
    thread would not run at all until the daemon answered."""
    import signal
    import threading
    db = shmseq.connect()
    entered = threading.Event()
    out = {}

    def create():
        entered.set()
        try:
            db.create(name, cache=0)
            out["ok"] = True
        except Exception as e:  # reported below
            out["error"] = e
    os.kill(daemon.proc.pid, signal.SIGSTOP)
    try:
        t = threading.Thread(target=create)
        t.start()
        assert entered.wait(10)
        # the main thread runs meanwhile: counts for 0.3 s
        spins, end = 0, time.monotonic() + 0.3
        while time.monotonic() < end:
            spins += 1
        assert t.is_alive(), "the call did not wait on the stopped daemon"
        assert spins > 1000
        with pytest.raises(shmseq.InterfaceError):
            db.close()  # another thread is inside a call on it
    finally:
        os.kill(daemon.proc.pid, signal.SIGCONT)
    t.join(30)
    assert out == {"ok": True}, out
    assert db.nextval(name) == 1
    db.close()


def test_spawned_processes(db, name):
    """A spawned (not forked) worker imports the module afresh and connects
    on its own, through $SHMSEQ_RUNTIME_DIR / $SHMSEQ_INSTANCE."""
    db.create(name, cache=10)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(draw, [(name, 3000)] * 2)
    every = [v for _, vals in results for v in vals]
    assert len(every) == len(set(every))
    for _, vals in results:
        assert vals == sorted(vals)
