"""The floor's settings: every choice that costs time per request is the real server's (enfance/settings.py),
the rest is Django's `startproject` default, so that the comparison measures the portal and not a setting."""

import os
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parent.parent.parent  # the repository

DEBUG = os.environ.get("DEBUG", "0").strip().lower() in {"1", "true", "yes", "on"}
SECRET_KEY = os.environ["SECRET_KEY"]  # bench/portal_pages.py draws a random one for each run
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "floor",
]

# startproject's middleware. The portal's own extras (whitenoise, locale, axes, its security headers) are
# part of what the portal costs, so the floor leaves them out.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "floor.urls"
WSGI_APPLICATION = "floor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,  # with DEBUG off Django wraps the loaders in its cached loader, as for the portal
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The same database as the portal, opened the same way: persistent connections (DB_CONN_MAX_AGE, 60 s by
# default), none on SQLite. A floor that reconnected on every request would flatter the portal.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'enfance.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE") or 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The same cache and sessions: rows of django_session in the database, or Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "enfance_cache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 8

# The generated logins' rows of accounts_user, read through an unmanaged model; the same hashers, so that
# their Argon2 hashes verify (and a login costs the floor what it costs the portal).
AUTH_USER_MODEL = "floor.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "/connexion/"
LOGIN_REDIRECT_URL = "/portail/"

LANGUAGE_CODE = "fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# Plain http on 127.0.0.1, as the bench serves the portal (ENFANCE_HTTPS=0): cookies without Secure.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
