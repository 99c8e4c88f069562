"""Settings read from the environment.

Development defaults need no service at all (SQLite, database cache, e-mails
written under var/mail); production sets DATABASE_URL, SECRET_KEY, REDIS_URL
and friends, and a bad value stops the start-up instead of being guessed.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ENFANCE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected 1/0, true/false, yes/no or on/off")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected an integer") from None


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("ENFANCE_TESTING", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Without a key and with DEBUG off, the web server refuses to start (enfance/wsgi.py) and
# `check --deploy` fails; commands that sign nothing (makemigrations, migrate) still run.
SECRET_KEY_MISSING = not SECRET_KEY and not DEBUG and not TESTING and not env_bool("ENFANCE_DEV_DEFAULTS", False)
if not SECRET_KEY:
    SECRET_KEY = "dev-only-not-secret-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "enfance.core",
    "enfance.accounts",
    "enfance.families",
    "enfance.changes",
    "enfance.rules",
    "enfance.messaging",
    "enfance.activities",
    "enfance.billing",
    "enfance.payments",
    "enfance.documents",
    "enfance.portal",
    "enfance.public",
    "enfance.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "enfance.core.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "enfance.urls"
WSGI_APPLICATION = "enfance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "enfance.core.context_processors.site",
                "enfance.backoffice.context_processors.staff_counts",
                "enfance.portal.context_processors.inbox",
            ],
        },
    },
]

# Widgets through Jinja2 (Django's own widget templates, the commonest in Python: enfance/core/renderers.py):
# the same markup as the template engine's, in a fraction of the time, and forms are most of the portal's pages.
FORM_RENDERER = "enfance.core.renderers.FormRenderer"

# --- database -----------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'enfance.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Immediate transactions so that concurrent writers wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, sessions ------------------------------------------------------
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
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "enfance_cache",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- authentication ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked-out login is refused before any password check
    "enfance.accounts.backends.LoginBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "enfance.accounts.validators.LengthValidator"},
    {"NAME": "enfance.accounts.validators.LettersAndDigitsValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day for a reset link
ACTIVATION_TIMEOUT = 60 * 60 * 48  # 48 hours for a new login's activation link

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "enfance.accounts.backends.axes_username"  # lower case: no extra tries by changing case
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- i18n ------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "enfance" / "locale"]

# --- files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
STORAGES = {
    # No public media URL: private files are served by views that check access.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and not TESTING
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
PHOTO_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# Supporting documents (an avis d'imposition, a medical certificate) stay with the decision they justify
# this many days, then the sweep removes them; refused or cancelled requests' files go at once.
ATTACHMENT_RETENTION_DAYS = env_int("ENFANCE_ATTACHMENT_RETENTION_DAYS", 365)

# --- e-mail ----------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A mail server that stops answering must not hold a task worker: the send fails and is retried later.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Portail Famille <portail-famille@localhost>")

# --- background tasks --------------------------------------------------------
# Production and `make run`: TASKS_BACKEND=django_tasks_db.DatabaseBackend, with one `manage.py db_worker`
# per queue ("email" for e-mail, "default" for long work) and `manage.py sweep` every minute. The immediate
# backend (the default, and the tests') runs each task inside the request; `check --deploy` warns about it.
TASK_QUEUES = ["default", "email"]
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
        "QUEUES": TASK_QUEUES,
    }
}

# --- security ----------------------------------------------------------------
SECURE = env_bool("ENFANCE_HTTPS", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- the commune --------------------------------------------------------------
COMMUNE_NAME = os.environ.get("ENFANCE_COMMUNE_NAME", "Tourrettes")
COMMUNE_WEBSITE = os.environ.get("ENFANCE_COMMUNE_WEBSITE", "https://www.mairie-tourrettes-83.fr")
# The town hall's contact details, shown in the footer and wherever a page says to contact it. The demo
# phone is in a range the ARCEP keeps for fiction (04 65 71 xx xx): nobody is called by mistake.
COMMUNE_ADDRESS = os.environ.get("ENFANCE_COMMUNE_ADDRESS", "Place de la Mairie, 83440 Tourrettes")
COMMUNE_PHONE = os.environ.get("ENFANCE_COMMUNE_PHONE", "04 65 71 83 40")
COMMUNE_EMAIL = os.environ.get("ENFANCE_COMMUNE_EMAIL", "enfance@mairie-tourrettes-83.fr")
COMMUNE_HOURS = os.environ.get("ENFANCE_COMMUNE_HOURS",
                               "du lundi au vendredi, de 8 h 30 à 12 h et de 13 h 30 à 17 h")
# The commune's logo on the PDF editions (enfance/documents): a PNG, JPEG or SVG file anywhere on the server,
# read once per process; none by default (the letterhead then shows the name alone).
COMMUNE_LOGO = os.environ.get("ENFANCE_COMMUNE_LOGO", "")
# The commune's postcodes, comma-separated, when it has several (else the one of COMMUNE_ADDRESS): with the
# city's name, they decide who pays the rate of households living outside the commune.
COMMUNE_POSTAL_CODES = env_list("ENFANCE_COMMUNE_POSTAL_CODES", [])
SITE_URL = os.environ.get("ENFANCE_SITE_URL", "http://127.0.0.1:8000")
# The school-holiday zone of the commune's academy, as the `holidays` package names it (the Var: zone B).
SCHOOL_ZONE = os.environ.get("ENFANCE_SCHOOL_ZONE", "Zone B")
if SCHOOL_ZONE not in ("Zone A", "Zone B", "Zone C"):
    raise ImproperlyConfigured(f"ENFANCE_SCHOOL_ZONE must be Zone A, Zone B or Zone C, not {SCHOOL_ZONE!r}")
# Where a household's quotient familial comes from: "caf" (the CAF's quotient only), "tax" (revenu fiscal de
# référence / 12 / parts only) or "caf_then_tax" (the CAF's when given, else the tax notice's).
# --- online payment -------------------------------------------------------------
# The sandbox bank (a local page offering pay, refuse and cancel) stands in for a real bank under `make run`
# and in the tests; a régie without settings of its own pays there. Production refuses it.
PAYMENT_SANDBOX = env_bool("ENFANCE_PAYMENT_SANDBOX", DEBUG or TESTING)
if PAYMENT_SANDBOX and not (DEBUG or TESTING):
    raise ImproperlyConfigured("ENFANCE_PAYMENT_SANDBOX is for demonstrations and tests: not with DEBUG off")
# Until the commune has its PayFiP agreement: the page of its own site where families pay (the régies' own
# settings may name another).
PAYMENT_FALLBACK_URL = os.environ.get("ENFANCE_PAYMENT_FALLBACK_URL", "")
# A dotted path to a function returning the requests.Session the PayFiP web service is reached through (the
# tests' simulator); empty: eopayment's own.
PAYFIP_SESSION_FACTORY = os.environ.get("ENFANCE_PAYFIP_SESSION_FACTORY", "")
# Where the pay button's form may send the browser besides this site (the CSP's form-action), on the pages holding
# one only (core.middleware.form_origins): its POST is answered by a redirect to PayFiP's page, and browsers check
# that redirect against the policy of the page holding the form. A bank whose form is posted (SystemPay, Paybox,
# Sips) is allowed on that page only (payments.views.go). Every other page: 'self'.
PAYMENT_FORM_ORIGINS = ("https://www.payfip.gouv.fr",)

QF_RULE = os.environ.get("ENFANCE_QF_RULE", "caf_then_tax")
if QF_RULE not in ("caf", "tax", "caf_then_tax"):
    raise ImproperlyConfigured(f"ENFANCE_QF_RULE must be caf, tax or caf_then_tax, not {QF_RULE!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # eopayment logs a bank's options and the string it signs, the shop's secret in it, at DEBUG.
    "loggers": {"eopayment": {"level": "INFO"}},
}
