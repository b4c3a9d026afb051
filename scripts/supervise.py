"""Run every process of a Procfile, restart the ones that exit, stop them all on Ctrl-C or SIGTERM.

`make run` uses it instead of a plain Procfile runner so one crashing process (a player that lost its sound
card, a worker killed by the OOM killer) comes back on its own while the others keep serving. A process that
keeps dying is restarted with a growing pause (1 s, 2 s, 4 s … 30 s), reset once it has stayed up for a
minute. Output is prefixed with the process name, as honcho and foreman do.

    python scripts/supervise.py [-f Procfile] [-p PORT]

Each process runs under bash with the environment plus `.env` (which never overrides what is already set);
the first process gets `PORT`, as with honcho.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 60.0
STOP_GRACE_S = 10.0
COLOURS = ["36", "33", "35", "32", "34", "31"]


@dataclass
class Process:
    name: str
    command: str
    colour: str
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = 1.0
    restart_at: float | None = None
    restarts: int = 0
    reader: threading.Thread | None = field(default=None, repr=False)


def read_procfile(path: Path) -> list[tuple[str, str]]:
    entries = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#") or ":" not in line:
            continue
        name, command = line.split(":", 1)
        entries.append((name.strip(), command.strip()))
    return entries


def read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip().strip("'\"")
    return values


class Supervisor:
    def __init__(self, entries: list[tuple[str, str]], env: dict[str, str], port: int) -> None:
        self.env = env
        self.port = port
        self.processes = [Process(n, c, COLOURS[i % len(COLOURS)]) for i, (n, c) in enumerate(entries)]
        self.width = max(len(p.name) for p in self.processes)
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def say(self, process: Process | None, text: str) -> None:
        name = process.name if process else "system"
        colour = process.colour if process else "1"
        with self.lock:
            sys.stdout.write(f"\033[{colour}m{time.strftime('%H:%M:%S')} {name:<{self.width}} |\033[0m {text}\n")
            sys.stdout.flush()

    def start(self, process: Process, index: int) -> None:
        env = {**self.env, "PORT": str(self.port + index * 100)}
        process.proc = subprocess.Popen(
            ["bash", "-c", f"exec {process.command}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a stop reaches whatever it started
        )
        process.started_at = time.monotonic()
        process.restart_at = None
        self.say(process, f"started (pid {process.proc.pid})")
        process.reader = threading.Thread(target=self._pump, args=(process, process.proc), daemon=True)
        process.reader.start()

    def _pump(self, process: Process, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            self.say(process, raw.decode(errors="replace").rstrip())

    def run(self) -> int:
        for index, process in enumerate(self.processes):
            self.start(process, index)
        while not self.stopping.wait(0.2):
            now = time.monotonic()
            for index, process in enumerate(self.processes):
                proc = process.proc
                if proc is not None and proc.poll() is not None:
                    if now - process.started_at >= STABLE_AFTER_S:
                        process.backoff = 1.0
                    self.say(process, f"exited with {proc.returncode}; restarting in {process.backoff:.0f} s")
                    process.proc = None
                    process.restart_at = now + process.backoff
                    process.backoff = min(process.backoff * 2, BACKOFF_MAX_S)
                elif process.proc is None and process.restart_at is not None and now >= process.restart_at:
                    process.restarts += 1
                    self.start(process, index)
        self.stop_all()
        return 0

    def stop_all(self) -> None:
        running = [p for p in self.processes if p.proc is not None and p.proc.poll() is None]
        for process in running:
            self.say(process, "stopping")
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in running:
            assert process.proc is not None
            try:
                process.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(process, "did not stop in time; killing it")
                self._signal(process, signal.SIGKILL)
                process.proc.wait()

    @staticmethod
    def _signal(process: Process, sig: signal.Signals) -> None:
        assert process.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.proc.pid, sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-f", "--procfile", default="Procfile")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("-e", "--env-file", default=".env")
    args = parser.parse_args(argv)
    env = {**read_dotenv(Path(args.env_file)), **os.environ}
    supervisor = Supervisor(read_procfile(Path(args.procfile)), env, args.port)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: supervisor.stopping.set())
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
