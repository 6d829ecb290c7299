"""The demo's rehearsal of a secret ballot: an Oldham round whose ballots were encrypted to
three demo trustees, closed and shuffled by the server, waiting for a trustee's mix and two
trustees' decryptions.

The trustees' key files are written where the demo's command says (``instance/demo-trustees``
for ``make run``), sealed under a passphrase printed with the demo logins; their page links
are fixed, so they can be printed every time. Both are for rehearsing only: ``seed-demo``
refuses to run in production.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy.orm import Session

from app.workflow import secrecy
from app.workflow.models import FundingRound, User
from votes.secrecy import keys, store

ROUND_SLUG = "secret-ballot-2026"
TRUSTEES = (
    "Returning officer (demo)",
    "Independent auditor (demo)",
    "Community representative (demo)",
)
THRESHOLD = 2
TRUSTEE_MIXES = 1
PASSPHRASE = "demo-trustee-passphrase"  # noqa: S105  (printed on purpose: demo only)


def link_token(position: int) -> str:
    """Trustee ``position``'s page link (demo only: a real link is 192 random bits)."""
    return f"demo-{ROUND_SLUG}-trustee-{position}"


def key_file(folder: Path, position: int) -> Path:
    return folder / ROUND_SLUG / f"trustee-{position}.key"


def prepare(
    session: Session, funding_round: FundingRound, officer: User, folder: Path | None
) -> None:
    """Encrypt the round, add its trustees and make its key, as they would offline; write
    their key files to ``folder`` (none when it is None: the key is made all the same)."""
    secrecy.configure(
        session,
        funding_round,
        encrypted=True,
        threshold=THRESHOLD,
        trustee_mixes=TRUSTEE_MIXES,
        actor=officer,
    )
    trustees, states = [], []
    for position, name in enumerate(TRUSTEES, start=1):
        trustee, _ = secrecy.add_trustee(session, funding_round, name=name, actor=officer)
        trustee.token_hash = hashlib.sha256(link_token(position).encode()).hexdigest()
        state = keys.new_trustee(name)
        registration = {
            "format": secrecy.REGISTRATION,
            "name": name,
            "transport_key": keys.transport_key(state),
        }
        secrecy.register(session, trustee, json.dumps(registration))
        trustees.append(trustee)
        states.append(state)
    secrecy.start_ceremony(session, funding_round, actor=officer)
    ceremony = json.loads(secrecy.secrecy_of(session, funding_round).ceremony)
    for trustee, state in zip(trustees, states, strict=True):
        secrecy.upload_key_part(session, trustee, json.dumps(keys.keygen(state, ceremony)))
    parts = secrecy.key_parts(session, funding_round)
    for trustee, state in zip(trustees, states, strict=True):
        secrecy.upload_key_check(session, trustee, json.dumps(keys.check(state, ceremony, parts)))
    if folder is not None:
        for position, state in enumerate(states, start=1):
            path = key_file(folder, position)
            path.parent.mkdir(parents=True, exist_ok=True)
            store.save(path, state, PASSPHRASE, strength="interactive")


def notes(folder: Path, base_url: str) -> list[str]:
    """How to rehearse the count, for the demo's command to print."""
    here = folder / ROUND_SLUG
    if here.is_relative_to(Path.cwd()):  # else the whole path
        here = here.relative_to(Path.cwd())
    return [
        "Secret ballot rehearsal: Oldham's “Community dividend: secret ballot rehearsal” is "
        "closed and shuffled; its trustees now mix and decrypt it.",
        f"  Trustees' key files: {here}/trustee-1.key … trustee-3.key (passphrase: {PASSPHRASE})",
        *[
            f"  {name}: {base_url}/trustee/{link_token(position)}"
            for position, name in enumerate(TRUSTEES, start=1)
        ],
        "  On trustee 2's page download the mix task, then run "
        "python -m votes trustee mix mix-task.json --out mix.json and upload mix.json;",
        "  on trustees 1 and 3's pages download the decryption task, then run "
        f"DEVOLVE_TRUSTEE_PASSPHRASE={PASSPHRASE} python -m votes trustee decrypt "
        f"{here}/trustee-1.key decryption-task.json --out decryption.json and upload it.",
    ]
