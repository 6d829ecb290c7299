"""docs/notify.md's table of kinds is what a council builds its GOV.UK Notify templates from:
it must list every kind Devolve can word, on each of its channels, with exactly the fields
Devolve sends (a field missing from a Notify template is dropped from the message; a field
the template has and Devolve does not send makes Notify refuse every message of it).

The table is read from the document itself, so a kind added to ``WORDINGS`` fails here until
its rows are written.
"""

from __future__ import annotations

import re

from app.web.messages.wording import WORDINGS
from app.workflow import outbox
from tests.conftest import ROOT

DOC = ROOT / "docs" / "notify.md"
HEADER = ("kind", "channel", "fields")


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def documented() -> dict[tuple[str, str], list[str]]:
    """The table's rows: (kind, channel) -> fields, in the document's order."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(
        (i for i, line in enumerate(lines) if tuple(cells(line)[:3]) == HEADER),
        None,
    )
    assert start is not None, f"docs/notify.md has no table headed {' | '.join(HEADER)}"
    rows: dict[tuple[str, str], list[str]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        kind, channel, fields = cells(line)[:3]
        key = (kind.strip("`"), channel)
        assert key not in rows, f"docs/notify.md lists {key} twice"
        rows[key] = re.findall(r"`([^`]+)`", fields)
    return rows


def expected() -> dict[tuple[str, str], list[str]]:
    """What the code sends: each worded kind on each channel it has a text for, with
    ``Wording.names`` and, for a kind with a topic, the unsubscribe link."""
    rows = {}
    for kind, wording in WORDINGS.items():
        fields = list(wording.names)
        if outbox.kind(kind).topic is not None:
            fields.append("unsubscribe")
        for channel in wording.templates:
            rows[(kind, channel.value)] = fields
    return rows


def test_the_notify_doc_lists_every_kind_on_each_channel_with_exactly_its_fields():
    doc, code = documented(), expected()
    missing = sorted(set(code) - set(doc))
    assert not missing, f"add to docs/notify.md's table: {missing}"
    extra = sorted(set(doc) - set(code))
    assert not extra, f"docs/notify.md lists kinds or channels nothing words: {extra}"
    wrong = {key: (doc[key], code[key]) for key in code if doc[key] != code[key]}
    assert not wrong, f"docs/notify.md's fields (documented, sent) differ: {wrong}"


def test_the_table_is_read_as_written():
    """The reader finds the rows as a council reads them (a guard on the test above)."""
    rows = documented()
    assert rows[("confirm_email", "email")] == ["name", "link", "lasts"]
    assert all(kind in outbox.KINDS for kind, _ in rows)
    assert all(channel in {c.value for c in outbox.KINDS[k].channels} for k, channel in rows)
