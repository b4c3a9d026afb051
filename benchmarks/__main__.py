"""Run every benchmark in turn: `make bench`, or `python -m benchmarks foundation` for one."""

from __future__ import annotations

import importlib
import sys

BENCHES = [
    "foundation", "sounds", "files", "board", "board_speed", "play", "click", "rooms", "player", "dashboard",
    "extraction", "cluster", "crowd",
]  # fmt: skip


def main() -> None:
    chosen = sys.argv[1:] or BENCHES
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"benchmarks.bench_{name}").main()


if __name__ == "__main__":
    main()
