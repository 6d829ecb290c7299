"""The one JSON text of a value that hashes and comparisons rely on."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["canonical_json"]


def canonical_json(value: Any) -> str:
    """``value`` as JSON with sorted keys, no spaces and characters as they are (not escaped).

    Equal values give equal text, so the text can be hashed, signed or compared byte for byte.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
