"""Council brand colours: the header is white text on the council's colour, so the colour
must be dark enough for WCAG 2.2 AA contrast (4.5:1) with white."""

from __future__ import annotations

import re

MIN_CONTRAST_WITH_WHITE = 4.5
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of white text on ``colour`` ("#rrggbb")."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)
    return 1.05 / (luminance + 0.05)


def check_colour(colour: str) -> str:
    """The colour in lower case, or ValueError saying what is wrong with it."""
    if not _HEX.match(colour or ""):
        raise ValueError(f"{colour!r} is not a colour like #00594f")
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST_WITH_WHITE:
        raise ValueError(
            f"{colour} is too light for white text ({ratio:.1f}:1; at least "
            f"{MIN_CONTRAST_WITH_WHITE}:1 is needed)"
        )
    return colour.lower()
