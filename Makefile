SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV := uv run --quiet

.PHONY: setup run test lint pytest bench

setup:
	@bash scripts/setup.sh

## Start the whole app on http://127.0.0.1:8000 (web, workers, beat, player).
run: setup
	@bash scripts/run.sh

## Lint, type-check and run every test, browser tests included.
test: setup lint pytest

lint:
	$(UV) ruff check .
	$(UV) ruff format --check .
	$(UV) mypy .
	$(UV) lint-imports
	$(UV) python scripts/check_cycles.py

pytest:
	$(UV) pytest -m "not cluster"

## Print the benchmark figures the issues ask for.
bench: setup
	$(UV) python -m benchmarks
