"""Response headers every page carries, what templates need on every page, and the client
addresses the rate limits do not apply to."""

from __future__ import annotations

import ipaddress

from flask import Flask, current_app, g, request

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


def register(app: Flask) -> None:
    app.extensions[EXEMPT] = exempt_networks(app.config.get("RATE_LIMIT_EXEMPT_ADDRESSES", ""))

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
