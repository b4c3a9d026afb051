#!/usr/bin/env bash
# Everything `make run` and `make test` need on a fresh Debian/Ubuntu machine, done only when missing:
# system packages, uv, the virtual environment, .env, Redis. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.local/bin:$PATH"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33m!!\033[0m %s\n' "$*" >&2; }

# --- System packages --------------------------------------------------------------------------------------
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
have_lib 'libvlc.so.5' || missing+=(libvlc5)
# The plugins give libvlc its decoders and its file/ALSA/Pulse audio outputs.
ls /usr/lib/*/vlc/plugins/audio_output 2>/dev/null | grep -q . || missing+=(vlc-plugin-base)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# prlimit and setpriv bound every ffmpeg/espeak-ng child and make it die with its worker (sounds/limits.py).
command -v prlimit >/dev/null && command -v setpriv >/dev/null || missing+=(util-linux)
# pg_dump / pg_restore: `manage.py backup` and `restore` on PostgreSQL.
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || missing+=(postgresql-client)
# wrk: `make bench`'s HTTP load generator (a Python one on a 2-core machine measures itself, not the server).
command -v wrk >/dev/null || missing+=(wrk)
redis_answers() {
  python3 - "$1" <<'PY' 2>/dev/null
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=1)
s.sendall(b"PING\r\n"); sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
PY
}
REDIS_URL_VALUE="${REDIS_URL:-$(grep -E '^REDIS_URL=' .env 2>/dev/null | cut -d= -f2- || true)}"
REDIS_URL_VALUE="${REDIS_URL_VALUE:-redis://127.0.0.1:6379/0}"
if ! redis_answers "$REDIS_URL_VALUE" && ! command -v redis-server >/dev/null; then missing+=(redis-server); fi

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null; then SUDO="sudo"; else
        warn "Missing system packages: ${missing[*]}. Run as root: apt-get update && apt-get install -y ${missing[*]}"
        exit 1
      fi
    fi
    say "Installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    warn "Missing system packages: ${missing[*]}. Install them with your package manager, e.g.:"
    warn "  brew install ffmpeg vlc espeak-ng chromium redis     (macOS)"
    exit 1
  fi
fi

# --- uv and the virtual environment -----------------------------------------------------------------------
if ! command -v uv >/dev/null; then
  say "Installing uv"
  python3 -m pip install --quiet --user uv 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages uv
fi
say "Syncing the virtual environment (.venv)"
uv sync --locked --quiet

# --- .env -------------------------------------------------------------------------------------------------
if [ ! -f .env ]; then
  say "Writing .env with a fresh SECRET_KEY"
  key=$(uv run --quiet python -c 'import secrets; print(secrets.token_urlsafe(50))')
  cat > .env <<ENV
# Written by scripts/setup.sh; see .env.example for every setting.
SECRET_KEY=$key
DEBUG=false
# Plain HTTP on localhost: no HTTPS redirect, no secure-only cookies.
SECURE_SSL_REDIRECT=false
ALLOWED_HOSTS=127.0.0.1,localhost
ENV
fi

# --- Redis ------------------------------------------------------------------------------------------------
if ! redis_answers "$REDIS_URL_VALUE"; then
  port=$(python3 -c "import urllib.parse,sys; print(urllib.parse.urlparse(sys.argv[1]).port or 6379)" "$REDIS_URL_VALUE")
  say "Starting redis-server on 127.0.0.1:$port (nothing answered at $REDIS_URL_VALUE)"
  mkdir -p var/redis
  # An append-only file, so queued jobs, live state and rate limits survive a restart; noeviction, because
  # an evicted Celery message is a job lost with its credits taken.
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" \
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
    --dir "$PWD/var/redis" --logfile "$PWD/var/redis.log"
  for _ in $(seq 1 50); do redis_answers "$REDIS_URL_VALUE" && break; sleep 0.1; done
  redis_answers "$REDIS_URL_VALUE" || { warn "Redis did not start; see var/redis.log"; exit 1; }
fi
policy=$(python3 - "$REDIS_URL_VALUE" <<'PY' 2>/dev/null || true
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=1)
s.sendall(b"CONFIG GET maxmemory-policy\r\n"); print(s.recv(256).split(b"\r\n")[4].decode())
PY
)
if [ -n "$policy" ] && [ "$policy" != "noeviction" ]; then
  warn "The Redis at $REDIS_URL_VALUE evicts keys (maxmemory-policy $policy): queued jobs could be lost. Set noeviction."
fi
say "Set-up complete"
