#!/usr/bin/env bash
# Start every process of the Procfile after preparing the database and static files.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.local/bin:$PATH"
uv run --quiet python manage.py migrate --noinput
uv run --quiet python manage.py collectstatic --noinput --verbosity 0
printf '\n\033[1;32mSoundboard is starting on http://%s:%s\033[0m  (Ctrl-C stops everything)\n\n' \
  "${HOST:-127.0.0.1}" "${PORT:-8000}"
# Our supervisor restarts a process that exits (honcho would stop them all); the web process, first in the
# Procfile, gets $PORT.
exec uv run --quiet python scripts/supervise.py -f Procfile -p "${PORT:-8000}"
