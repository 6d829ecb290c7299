"""A meeting item's auditor export: the ZIP that ``python -m votes verify`` re-checks without
Devolve (the format is ``votes.members``'s docstring and docs/governance.md).

It holds the manifest as frozen (its exact text, so its SHA-256 is the published manifest
hash), every ballot with no member and no time, the item's hash chain, how many receipts were
given, the declared result, a README with the fingerprints and SHA256SUMS. Nothing in it names
a member: proxies' links to their ballots were removed when voting closed.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.workflow.errors import WrongPhase
from app.workflow.governance.models import ItemState, MeetingItem
from ballots.models import MemberBallot, MemberLogEntry, MemberReceipt
from ballots.refusals import N_

# The timestamp written into the ZIP (fixed, so the same item gives the same bytes).
_EPOCH = (2020, 1, 1, 0, 0, 0)


def item_export(
    session: Session,
    item: MeetingItem,
    *,
    extra: dict[str, str] | None = None,
    notes: str = "",
) -> bytes:
    """The ZIP's bytes, with ``extra`` files (an election's BLT files) and ``notes`` added to
    the README. Refused (``WrongPhase``) until the item's result is declared."""
    if item.state is not ItemState.DECLARED or item.result_json is None:
        raise WrongPhase(N_("The export is made once the item's result has been declared."))
    ballots = [
        {"id": b.id, "constituency": b.constituency, "content": b.content}
        for b in session.scalars(
            select(MemberBallot).where(MemberBallot.item_id == item.id).order_by(MemberBallot.id)
        )
    ]
    log = [
        {
            "sequence": e.sequence,
            "kind": e.kind.value,
            "ballot_id": e.ballot_id,
            "payload_hash": e.payload_hash,
            "previous_hash": e.previous_hash,
            "entry_hash": e.entry_hash,
        }
        for e in session.scalars(
            select(MemberLogEntry)
            .where(MemberLogEntry.item_id == item.id)
            .order_by(MemberLogEntry.sequence)
        )
    ]
    receipts = session.scalar(
        select(func.count())
        .select_from(MemberReceipt)
        .join(MemberBallot, MemberBallot.id == MemberReceipt.ballot_id)
        .where(MemberBallot.item_id == item.id)
    )
    files = {
        "manifest.json": item.manifest_json,
        "ballots.json": json.dumps(ballots, indent=1),
        "log.json": json.dumps(log, indent=1),
        "receipts.json": json.dumps({"receipts": receipts or 0}),
        "result.json": item.result_json,
        "README.txt": _readme(item, log) + (f"\n{notes}" if notes else ""),
        **(extra or {}),
    }
    sums = "".join(
        f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}  {name}\n"
        for name, text in sorted(files.items())
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in [*sorted(files.items()), ("SHA256SUMS", sums)]:
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    return buffer.getvalue()


def _readme(item: MeetingItem, log: list[dict]) -> str:
    head = log[-1]["entry_hash"] if log else ""
    return (
        f"{item.title}\n\n"
        "The ballots, hash-chained log and declared result of one item of a general meeting.\n"
        "Re-check it without Devolve:\n\n"
        "    python -m pip install devolve-votes   (or from a checkout: pip install .)\n"
        f"    python -m votes verify EXPORT.zip --manifest-hash {item.manifest_hash} "
        f"--log-head {head}\n\n"
        f"Manifest hash (published when voting opened): {item.manifest_hash}\n"
        f"Log head (published when voting closed):      {head}\n"
    )
