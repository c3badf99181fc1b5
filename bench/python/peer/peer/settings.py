"""The Python peer of the benchmarks: the usual Django JWT stack, configured like the template.

Django + DRF + simplejwt (refresh rotation with blacklist) + dj-rest-auth, on SQLite in WAL mode,
argon2id with the template's parameters. Only for loopback benchmarks: the secret comes from the
environment and DEBUG is off so that Django does no per-request debug bookkeeping.
"""
import os
from datetime import timedelta
from pathlib import Path

SECRET_KEY = os.environ["PEER_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "dj_rest_auth",
]

# A JSON API behind Bearer tokens needs neither sessions nor CSRF; SecurityMiddleware adds the
# security headers, as the template's Shield does.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "peer.urls"
WSGI_APPLICATION = "peer.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PEER_DB", str(Path(__file__).resolve().parent.parent / "peer.db")),
        # Persistent connections, as the template pools them (Django's default reconnects per request).
        "CONN_MAX_AGE": 600,
        # WAL like sqlx's default; IMMEDIATE so two workers' writes wait instead of failing.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}

# argon2id, m = 19 MiB, t = 2, p = 1: the template's hash (Django's own default is PBKDF2).
PASSWORD_HASHERS = ["peer.hashers.TemplateArgon2"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}

SIMPLE_JWT = {
    # One hour, as the template gets for the benchmark (ROCKET_ACCESS_TOKEN_TTL=3600).
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=1),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=14),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": os.environ["PEER_SECRET_KEY"],
}

REST_AUTH = {
    "USE_JWT": True,
    "TOKEN_MODEL": None,
    # JWT only: no Django session row per login (the template writes one session row, as here).
    "SESSION_LOGIN": False,
    # Refresh token in the JSON body, like the template's body mode used by the benchmark.
    "JWT_AUTH_HTTPONLY": False,
    "JWT_AUTH_COOKIE": None,
    "JWT_AUTH_REFRESH_COOKIE": None,
}

LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
