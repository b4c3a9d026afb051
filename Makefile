SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV := uv run --quiet

.PHONY: setup run test lint pytest bench update-ytdlp

setup:
	@bash scripts/setup.sh

## Start the whole app on http://127.0.0.1:8000 (web, workers, beat, player).
run: setup
	@bash scripts/run.sh

## Lint, type-check and run the test suite, browser tests included (CI adds the chaos and cluster tests).
test: setup lint pytest

lint:
	$(UV) ruff check .
	$(UV) ruff format --check .
	$(UV) mypy .
	$(UV) lint-imports
	$(UV) python scripts/check_cycles.py

# The chaos tests (processes killed mid-work, ~5 minutes) and the cluster tests run in CI (`.ci/run`).
pytest:
	$(UV) pytest -n 3 --dist loadgroup -m "not cluster and not chaos"

## Print the benchmark figures the issues ask for.
bench: setup
	$(UV) python -m benchmarks

## Bump yt-dlp, its JavaScript solver scripts (yt-dlp-ejs) and runtime (deno) in uv.lock, then sync .venv.
## Sites change every few weeks and an old yt-dlp stops finding formats: run this, run the extraction tests,
## commit uv.lock. It refuses a lock that brought in curl-cffi (it resolves names past the URL guard).
update-ytdlp:
	uv lock --upgrade-package yt-dlp --upgrade-package yt-dlp-ejs --upgrade-package deno
	@if grep -q '^name = "curl-cffi"' uv.lock; then echo "uv.lock now holds curl-cffi: refused (see extraction/urlguard.py)" >&2; exit 1; fi
	uv sync --locked
	$(UV) python -c 'from extraction import tooling; print(tooling.summary())'
