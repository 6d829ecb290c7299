"""Response headers every page carries, what templates need on every page, whose address a
request is (behind trusted proxies), the client addresses the rate limits do not apply to, and
the values no URL may carry (ids beyond the database's integers, control characters)."""

from __future__ import annotations

import ipaddress
import re
import secrets

from flask import Flask, current_app, g, has_request_context, request, session
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.web.extensions import limiter
from ballots.refusals import N_, Text

EXEMPT = "rate_limit_exempt_networks"

# Every id column is a PostgreSQL ``integer``: a larger number in a URL names nothing, and
# binding it would fail in the database ("integer out of range") rather than find nothing.
MAX_ID = 2**31 - 1

# C0 control characters and DEL. No URL or query string needs one; a form's text may hold tab,
# line feed and carriage return (a description typed in a text area), never the others: NUL in
# particular cannot be stored in PostgreSQL text.
CONTROL_IN_URL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_IN_FORM = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BAD_CHARACTER = Text(
    N_(
        "The web address or the form contained a control character (such as a NUL byte), "
        "which nothing here accepts. Nothing has been changed."
    )
)


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: 0 to ``MAX_ID`` in at most 10 ASCII digits. Anything else
    (a negative or larger number, other digits) matches no route, so it is a 404 page."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed=False)


def register_converters(app: Flask) -> None:
    """Before any blueprint adds its routes: they are compiled with the converter they name."""
    app.url_map.converters["int"] = IdConverter


def _refuse_control_characters() -> None:
    """400, saying why, for a control character in the path, the query string or a form."""
    found = CONTROL_IN_URL.search(request.path) or any(
        CONTROL_IN_URL.search(key) or CONTROL_IN_URL.search(value)
        for key, value in request.args.items(multi=True)
    )
    if not found and request.method in ("POST", "PUT", "PATCH"):
        found = any(
            CONTROL_IN_FORM.search(key) or CONTROL_IN_FORM.search(value)
            for key, value in request.form.items(multi=True)
        )
    if found:
        refusal = BadRequest(BAD_CHARACTER)
        refusal.show_description = True
        raise refusal


NONCE = "devolve.csp_nonce"


def csp_nonce() -> str:
    """This response's nonce for its inline script and style (made on first use). Kept with
    the request, not in ``g``: an application context can outlive one request. Empty outside a
    request (an email rendered by a command)."""
    if not has_request_context():
        return ""
    if NONCE not in request.environ:
        request.environ[NONCE] = secrets.token_urlsafe(18)
    return request.environ[NONCE]


def content_security_policy(nonce: str | None) -> str:
    """Scripts and styles only from this site's files, or an element carrying this response's
    nonce (the GOV.UK template's one-line ``js-enabled`` script, the council's header colour):
    no ``unsafe-inline``, so injected markup runs nothing and no event handler attribute works.
    No framing (clickjacking), no plugins, forms only back to this site."""
    own = f" 'nonce-{nonce}'" if nonce else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{own}",
            f"style-src 'self'{own}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _signed_in() -> bool:
    user = g.get("_login_user")
    if user is not None and user.is_authenticated:
        return True
    return "_user_id" in session


def private(response) -> bool:
    """Whether the response must not be stored by the browser or any cache on the way: every
    download, and every page for someone signed in (or whose session holds anything, such as a
    form's CSRF token or a message to show once). Static files are the same for everyone."""
    if "attachment" in response.headers.get("Content-Disposition", ""):
        return True
    if request.endpoint == "static":
        return False
    return _signed_in() or bool(session)


def exempt_networks(setting: str | list[str] | tuple[str, ...]) -> tuple:
    """The networks in RATE_LIMIT_EXEMPT_ADDRESSES: addresses or CIDR ranges, separated by commas
    or spaces (or a list of them). ``RuntimeError`` naming any that is not one."""
    items = setting.replace(",", " ").split() if isinstance(setting, str) else list(setting)
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise RuntimeError(
                f"RATE_LIMIT_EXEMPT_ADDRESSES: {item!r} is not an IP address or network"
            ) from None
    return tuple(networks)


@limiter.request_filter
def _exempt_from_limits() -> bool:
    """True for a request from an address the rate limits are set not to count (a load
    generator on the operator's own network): none unless RATE_LIMIT_EXEMPT_ADDRESSES says so.
    Registered once, with the limiter, for every app."""
    networks = current_app.extensions.get(EXEMPT)
    if not networks or not request.remote_addr:
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr)
    except ValueError:
        return False
    return any(address in network for network in networks)


def trusted_proxies(setting: str | int) -> int:
    """The number in TRUSTED_PROXIES; ``RuntimeError`` unless it is a whole number, 0 or more."""
    text = str(setting).strip()
    if not text.isdigit():
        raise RuntimeError(
            f"TRUSTED_PROXIES: {text!r} is not 0 or the number of proxies in front of the app"
        )
    return int(text)


def register(app: Flask) -> None:
    app.extensions[EXEMPT] = exempt_networks(app.config.get("RATE_LIMIT_EXEMPT_ADDRESSES", ""))
    proxies = trusted_proxies(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a proxy every request comes from the proxy's address, so the rate limits would
        # count the whole city as one client; trust only as many X-Forwarded-For hops as there
        # are proxies, so a client cannot name another address to escape its limit.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    app.before_request(_refuse_control_characters)
    hsts = app.config.get("STRICT_TRANSPORT_SECURITY")

    @app.after_request
    def headers(response):
        nonce = request.environ.get(NONCE)
        response.headers["Content-Security-Policy"] = content_security_policy(nonce)
        if hsts:
            response.headers["Strict-Transport-Security"] = hsts
        if private(response):
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response

    @app.context_processor
    def page_context():
        # The council whose page this is (set by the view) brands the header.
        # cspNonce: the GOV.UK template puts it on its inline script.
        return {"brand": getattr(g, "council", None), "cspNonce": csp_nonce()}
