"""The language catalogues as the tests read them: every .po file, and the texts the code marks."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "N_": None,
    "Nn_": (1, 2),
    "NP_": ((1, "c"), 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
# (domain, the folder of its catalogues, its extraction mapping)
DOMAINS = (
    ("messages", ROOT / "app/web/translations", ROOT / "app/web/translations/babel.cfg"),
    ("votes", ROOT / "votes/locale", ROOT / "votes/locale/babel.cfg"),
)


def po_files(domain: str, folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*/LC_MESSAGES/{domain}.po"))


def read(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale=path.parent.parent.name, domain=path.stem)


def extracted(mapping: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of every text the code and templates mark, as `make messages` finds."""
    with mapping.open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple | list) else message
        found.add((context, msgid))
    return found


def compile_stale() -> None:
    """Compile every .po whose .mo is missing or older, as `make translations` does."""
    for domain, folder, _ in DOMAINS:
        for po in po_files(domain, folder):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            buffer = BytesIO()
            write_mo(buffer, read(po))
            # Written aside and moved into place: test workers may compile at the same time.
            tmp = mo.with_name(f"{mo.name}.{os.getpid()}")
            tmp.write_bytes(buffer.getvalue())
            os.replace(tmp, mo)
