"""Configuration classes, chosen by the DEVOLVE_ENV environment variable.

development (the default): SQLite under instance/, a secret key generated once into instance/.
testing: what the test suite passes to ``create_app``; CSRF stays on so tests see what users see.
production: refuses to start without a real SECRET_KEY, DATABASE_URL, PUBLIC_URL, and
NOTIFY_API_KEY or MAIL_SERVER.
"""

from __future__ import annotations

import os


def database_url(url: str) -> str:
    """Normalise a database URL so PostgreSQL always goes through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str | None = (
        database_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    )
    # The tables' owner, for `flask db upgrade` and `flask create-app-role` only; the app itself
    # connects as DATABASE_URL's role, which cannot rewrite the append-only tables (app/roles.py).
    # Unset: the migrations run as DATABASE_URL's role.
    MIGRATION_DATABASE_URL: str | None = (
        database_url(os.environ["MIGRATION_DATABASE_URL"])
        if os.environ.get("MIGRATION_DATABASE_URL")
        else None
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # a resident may leave a long ballot open; the session bounds it
    # In-process counting by default; several workers or hosts want a shared store (redis://...).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Client addresses (or networks) the rate limits do not count, such as a load generator's:
    # none by default. Only for addresses the operator controls; behind a proxy every request
    # comes from the proxy's address, so never list that.
    RATE_LIMIT_EXEMPT_ADDRESSES = os.environ.get("RATE_LIMIT_EXEMPT_ADDRESSES", "")
    # How many proxies (a load balancer, a TLS terminator) stand in front of the app and add to
    # X-Forwarded-For: the client's address is taken from there. 0: the connection's address.
    TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "0")
    # Voter verification codes are kept as HMACs under this key (else one derived from SECRET_KEY).
    VERIFICATION_CODE_KEY: str | None = os.environ.get("VERIFICATION_CODE_KEY")
    SIGN_IN_RATE_LIMIT = "10 per minute"
    # Refused requests for the audit pages and exports (no access, nothing there), per account.
    REFUSAL_RATE_LIMIT = "10 per minute;100 per day"
    # Per account too, whatever the address: a flood against one account from many addresses
    # is refused after this many tries (the owner is told how long to wait).
    SIGN_IN_ACCOUNT_RATE_LIMIT = "10 per 15 minutes"
    # Codes for the second factor, per account (per address: SIGN_IN_RATE_LIMIT).
    TWO_FACTOR_ACCOUNT_RATE_LIMIT = "10 per 15 minutes"
    # Sessions end after this long without a request: staff (officers, administrators,
    # auditors) soon, residents after longer.
    STAFF_SESSION_IDLE_MINUTES = int(os.environ.get("STAFF_SESSION_IDLE_MINUTES", "30"))
    RESIDENT_SESSION_IDLE_DAYS = int(os.environ.get("RESIDENT_SESSION_IDLE_DAYS", "14"))
    REGISTER_RATE_LIMIT = "20 per hour"
    # Wrong check-in tokens typed at one event kiosk.
    KIOSK_WRONG_SLIP_LIMIT = "20 per minute"
    # Asking for a link by email (to choose a new password, to confirm an address).
    EMAIL_LINK_RATE_LIMIT = "10 per hour"
    # How long the links work, in seconds.
    PASSWORD_RESET_MAX_AGE = 60 * 60
    EMAIL_CONFIRM_MAX_AGE = 7 * 24 * 60 * 60
    # Where residents reach the site, for the links in emails (https://pb.council.example).
    PUBLIC_URL: str | None = os.environ.get("PUBLIC_URL")
    # Email (the links above). Without MAIL_SERVER nothing is sent: each message is written to
    # the log instead (development and tests); production refuses to start.
    MAIL_SERVER: str | None = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "true").lower() in ("1", "true", "yes")
    MAIL_USERNAME: str | None = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD: str | None = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Devolve <no-reply@devolve.example>"
    )
    # Argon2id as OWASP recommends first: 19 MiB, 2 passes, 1 lane (about 35 ms of one core per
    # sign-in). Spelled out rather than named by an argon2.profiles entry, whose meaning could
    # change with a release. A stored hash made with other parameters is rehashed with these at
    # its next successful sign-in.
    PASSWORD_HASH_PARAMETERS = {
        "memory_cost": 19 * 1024,  # KiB
        "time_cost": 2,
        "parallelism": 1,
        "hash_len": 32,
        "salt_len": 16,
    }
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # A trustee's mix or decryption of a pot is about 300 bytes a ballot: their uploads may be
    # larger (100,000 ballots is some 30 MB), on the trustee pages alone.
    TRUSTEE_UPLOAD_MAX_BYTES = int(os.environ.get("TRUSTEE_UPLOAD_MAX_BYTES", 100 * 1024 * 1024))
    # Every request to a trustee page, and the requests whose link names no trustee, per address.
    TRUSTEE_RATE_LIMIT = "120 per minute"
    TRUSTEE_WRONG_LINK_RATE_LIMIT = "10 per minute;100 per day"
    # Sent on every response when set: production only, where the site is served over HTTPS.
    STRICT_TRANSPORT_SECURITY: str | None = None

    # Messages (docs/messages.md, docs/notify.md). Each is a row in the outbox, sent by
    # `flask send-messages`; in development and tests a request's messages are also sent by
    # the same process as soon as its response has gone (never in production).
    MESSAGES_IN_PROCESS = os.environ.get("MESSAGES_IN_PROCESS", "true").lower() in ("1", "true")
    # GOV.UK Notify: with a key, email, text messages and letters all go through it (email
    # through MAIL_SERVER instead with EMAIL_GATEWAY=smtp). NOTIFY_TEMPLATES maps each kind of
    # message to its template in each language: JSON, or @path of a JSON file.
    NOTIFY_API_KEY: str | None = os.environ.get("NOTIFY_API_KEY")
    NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
    NOTIFY_TEMPLATES: str | None = os.environ.get("NOTIFY_TEMPLATES")
    NOTIFY_EMAIL_REPLY_TO_ID: str | None = os.environ.get("NOTIFY_EMAIL_REPLY_TO_ID")
    NOTIFY_SMS_SENDER_ID: str | None = os.environ.get("NOTIFY_SMS_SENDER_ID")
    NOTIFY_TIMEOUT_SECONDS = int(os.environ.get("NOTIFY_TIMEOUT_SECONDS", "10"))
    EMAIL_GATEWAY = os.environ.get("EMAIL_GATEWAY", "notify")
    # Messages a minute per channel, counted across every worker. GOV.UK Notify allows 3,000
    # a minute for a service in all: these leave room for a second service on the same key.
    MESSAGE_RATES = {
        "email": int(os.environ.get("MESSAGE_RATE_EMAIL", "1200")),
        "sms": int(os.environ.get("MESSAGE_RATE_SMS", "600")),
        "letter": int(os.environ.get("MESSAGE_RATE_LETTER", "600")),
    }
    # A failed message is tried again after 30 s, then twice as long each time up to an hour,
    # and given up after 8 tries (a little over an hour): officers see it and can try it again.
    MESSAGE_MAX_ATTEMPTS = int(os.environ.get("MESSAGE_MAX_ATTEMPTS", "8"))
    MESSAGE_RETRY_SECONDS = int(os.environ.get("MESSAGE_RETRY_SECONDS", "30"))
    MESSAGE_RETRY_MAX_SECONDS = int(os.environ.get("MESSAGE_RETRY_MAX_SECONDS", "3600"))
    # What a message said, and to whom, is emptied this many days after it went.
    MESSAGE_RETENTION_DAYS = int(os.environ.get("MESSAGE_RETENTION_DAYS", "7"))
    # Where the open data files are kept once built (docs/open-data.md), shared by every
    # worker and restart: unset, instance/open-data; empty, only in each process's memory.
    OPEN_DATA_DIR: str | None = os.environ.get("OPEN_DATA_DIR")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # Plain http on 127.0.0.1: a Secure cookie would never come back.
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    # The tests say which database they migrate, whatever the shell has set.
    MIGRATION_DATABASE_URL = None
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # The limits' tests must see them whatever the shell that runs the suite has set.
    RATE_LIMIT_EXEMPT_ADDRESSES = ""
    TRUSTED_PROXIES = "0"
    # Each test's open data is built in its own process's memory (a test of the folder
    # gives it one).
    OPEN_DATA_DIR = ""
    # The cheapest Argon2id there is (argon2.profiles.CHEAPEST): the suite hashes hundreds of
    # passwords, none of them worth cracking.
    PASSWORD_HASH_PARAMETERS = {
        "memory_cost": 8,
        "time_cost": 1,
        "parallelism": 1,
        "hash_len": 4,
        "salt_len": 8,
    }


class ProductionConfig(Config):
    ENV_NAME = "production"
    # The worker sends every message: a web worker never talks to a mail server or Notify.
    MESSAGES_IN_PROCESS = False
    # A year, subdomains included: browsers then never ask for the site over plain http.
    STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("DEVOLVE_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"DEVOLVE_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}"
        ) from None
