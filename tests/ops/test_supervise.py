"""`make run`'s supervisor: a process that dies comes back, the others are untouched, a stop ends them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(condition: Callable[[], object], timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def _pids(folder: Path, name: str) -> list[int]:
    return sorted(int(p.suffix[1:]) for p in folder.glob(f"{name}.*"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_crashed_process_is_restarted_and_a_stop_ends_every_process(tmp_path: Path):
    pids = tmp_path / "pids"
    pids.mkdir()
    program = "import os, sys, time; open(sys.argv[1] + '.' + str(os.getpid()), 'w').close(); time.sleep(120)"
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        f'crashy: {sys.executable} -c "{program}" {pids}/crashy\n'
        f'steady: {sys.executable} -c "{program}" {pids}/steady\n'
    )
    supervisor = subprocess.Popen(
        [sys.executable, "scripts/supervise.py", "-f", str(procfile), "-e", str(tmp_path / "no.env")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = _wait_for(lambda: _pids(pids, "crashy"))
        steady = _wait_for(lambda: _pids(pids, "steady"))
        assert isinstance(first, list)
        assert isinstance(steady, list)
        os.kill(first[0], signal.SIGKILL)
        restarted = _wait_for(lambda: [p for p in _pids(pids, "crashy") if p != first[0]])
        assert isinstance(restarted, list)
        assert _alive(restarted[0])
        assert _pids(pids, "steady") == steady
        assert _alive(steady[0])

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=20) == 0
        assert not _alive(restarted[0])
        assert not _alive(steady[0])
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    output = supervisor.stdout.read() if supervisor.stdout else ""
    assert "crashy" in output
    assert "exited with -9; restarting" in output
