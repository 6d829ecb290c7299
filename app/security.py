"""Response headers every page carries, what templates need on every page, whose address a
request is (behind trusted proxies), and the client addresses the rate limits do not apply to."""

from __future__ import annotations

import ipaddress

from flask import Flask, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import limiter

EXEMPT = "rate_limit_exempt_networks"


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

    @app.after_request
    def headers(response):
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
        return {"brand": getattr(g, "council", None)}
