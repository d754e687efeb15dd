# SPDX-License-Identifier: MIT
"""The pytest fixtures of the Python module's tests: a real shmseqd of the
build ($SHMSEQD) on a private runtime directory and a unique instance,
started with the --ready-fd handshake and stopped at the end."""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import uuid

import pytest

TIMEOUT = 30


class Daemon:
    def __init__(self, binary):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="shmseq-py-")
        os.chmod(self.tmp, 0o700)
        self.run_dir = os.path.join(self.tmp, "run")
        self.data_dir = os.path.join(self.tmp, "data")
        self.instance = "py-" + uuid.uuid4().hex[:12]
        self.proc = None

    def start(self):
        env = dict(os.environ, SHMSEQ_RUNTIME_DIR=self.run_dir)
        r, w = os.pipe()
        self.log = open(os.path.join(self.tmp, "shmseqd.log"), "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--instance", self.instance, "--data-dir", self.data_dir,
             "--ready-fd", str(w), "--max-sequences", "4096"],
            env=env, pass_fds=(w,), stdout=self.log, stderr=self.log)
        os.close(w)
        ready, _, _ = select.select([r], [], [], TIMEOUT)
        ok = bool(ready) and os.read(r, 1) == b"R"
        os.close(r)
        if not ok:
            self.stop()
            with open(os.path.join(self.tmp, "shmseqd.log"), "rb") as f:
                raise RuntimeError("shmseqd did not become ready: " + f.read().decode(errors="replace"))

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def daemon():
    binary = os.environ.get("SHMSEQD")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail("set SHMSEQD to the built shmseqd (meson test does)")
    d = Daemon(binary)
    saved = {k: os.environ.get(k) for k in ("SHMSEQ_RUNTIME_DIR", "SHMSEQ_INSTANCE")}
    os.environ["SHMSEQ_RUNTIME_DIR"] = d.run_dir
    os.environ["SHMSEQ_INSTANCE"] = d.instance
    try:
        d.start()
        yield d
    finally:
        d.cleanup()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def db(daemon):
    import shmseq
    with shmseq.connect(daemon.instance) as conn:
        yield conn


@pytest.fixture
def name():
    """A sequence name no other test uses."""
    return "s_" + uuid.uuid4().hex[:16]
