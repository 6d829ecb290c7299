"""Auditor exports: one ZIP per pot from which the published result can be recomputed without
Devolve (``python -m votes verify EXPORT.zip``).

Every byte is a function of what is stored: entries in name order, a fixed timestamp
(1980-01-01) and permissions, canonical JSON, CSV with CRLF line endings. Exporting the same
closed round twice gives identical files. Nothing in an export refers to a voter: ballots are
listed by their random ids in id order (which says nothing about when they were cast), and the
receipts list holds only the hashes of receipt codes, not which ballot each is for, so a
receipt can never be used to show someone how you voted.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow.errors import DomainError
from app.workflow.models import FundingRound, PotResult
from app.workflow.results import PUBLISHED, results_for
from ballots.models import (
    BallotDecryption,
    BallotMix,
    DecryptedBallot,
    LogEntry,
    LogKind,
    Receipt,
    StoredBallot,
)
from ballots.paper import ballot_paper
from ballots.refusals import N_
from votes import csv_cells
from votes.model import Ballot, BallotKind, BallotRules, RankedScoring
from votes.pabulib import dumps
from votes.recipes import PABUTOOLS_VERSION, pabutools_script
from votes.verify import (
    canonical_json,
    election_from_contents,
    election_from_rows,
    manifest_rules,
    sha256,
)

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def filename(funding_round: FundingRound, pot_id: int) -> str:
    return f"{funding_round.council.slug}-{funding_round.slug}-pot-{pot_id}.zip"


# Rows fetched, and JSON items encoded, at a time: a round can hold hundreds of thousands of
# ballots and log entries.
_CHUNK = 5000


def _stream(session: Session, statement):
    """A Core query's rows, streamed (a server-side cursor on PostgreSQL)."""
    return session.connection().execute(statement.execution_options(yield_per=_CHUNK))


def _json_array(items) -> bytes:
    """``canonical_json(list(items))`` as UTF-8, encoded a chunk at a time so that only the
    text, not every item's dict, is held at once."""
    parts, chunk = [], []
    for item in items:
        chunk.append(item)
        if len(chunk) == _CHUNK:
            parts.append(canonical_json(chunk)[1:-1])
            chunk = []
    if chunk:
        parts.append(canonical_json(chunk)[1:-1])
    return ("[" + ",".join(parts) + "]").encode("utf-8")


@dataclasses.dataclass(frozen=True)
class _RoundData:
    """What every pot's export of a round holds in common, read once per export."""

    ballots_json: bytes
    log_json: bytes
    receipts_json: bytes
    ballots: list[tuple[str, int, str]]  # (id, pot_id, content), in id order
    counted: set[str]  # logged and not superseded (``votes.verify.counted_ballot_ids``)


def _round_data(session: Session, round_id: int) -> _RoundData:
    ballots = [
        tuple(row)
        for row in _stream(
            session,
            select(StoredBallot.id, StoredBallot.pot_id, StoredBallot.content)
            .where(StoredBallot.round_id == round_id)
            .order_by(StoredBallot.id),
        )
    ]
    logged: set[str] = set()
    replaced: set[str] = set()

    def log_items():
        rows = _stream(
            session,
            select(
                LogEntry.sequence,
                LogEntry.kind,
                LogEntry.ballot_id,
                LogEntry.payload_hash,
                LogEntry.previous_hash,
                LogEntry.entry_hash,
            )
            .where(LogEntry.round_id == round_id)
            .order_by(LogEntry.sequence),
        )
        for sequence, kind, ballot_id, payload, previous, digest in rows:
            if kind is LogKind.BALLOT:
                logged.add(ballot_id)
            elif kind is LogKind.SUPERSEDE:
                replaced.add(ballot_id)
            yield {
                "sequence": sequence,
                "kind": kind.value,
                "ballot_id": ballot_id,
                "payload_hash": payload,
                "previous_hash": previous,
                "entry_hash": digest,
            }

    log_json = _json_array(log_items())
    ballots_json = _json_array({"id": i, "pot_id": pot, "content": c} for i, pot, c in ballots)
    receipts = sorted(
        _stream(
            session,
            select(Receipt.receipt_hash)
            .join(StoredBallot, StoredBallot.id == Receipt.ballot_id)
            .where(StoredBallot.round_id == round_id),
        ).scalars()
    )
    return _RoundData(
        ballots_json=ballots_json,
        log_json=log_json,
        receipts_json=canonical_json(receipts).encode("utf-8"),
        ballots=ballots,
        counted=logged - replaced,
    )


def _secrecy_files(
    session: Session, round_id: int, pot_id: int, manifest: dict
) -> tuple[dict[str, bytes], list[str]]:
    """An encrypted round's ``secrecy/`` files for one pot, and the pot's decrypted ballots
    (canonical JSON, in the last mix's order): the key as frozen in the manifest, every mix
    and every trustee's decryption as stored, and the ballots they decrypt to."""
    folder = f"secrecy/pot-{pot_id}"
    files = {"secrecy/key.json": canonical_json(manifest["secrecy"]["key"]).encode("utf-8")}
    for number, document in session.execute(
        select(BallotMix.number, BallotMix.document)
        .where(BallotMix.round_id == round_id, BallotMix.pot_id == pot_id)
        .order_by(BallotMix.number)
    ):
        files[f"{folder}/mix-{number}.json"] = document.encode("utf-8")
    for trustee, document in session.execute(
        select(BallotDecryption.trustee, BallotDecryption.document)
        .where(BallotDecryption.round_id == round_id, BallotDecryption.pot_id == pot_id)
        .order_by(BallotDecryption.trustee)
    ):
        files[f"{folder}/decryption-{trustee}.json"] = document.encode("utf-8")
    contents = list(
        _stream(
            session,
            select(DecryptedBallot.content)
            .where(DecryptedBallot.round_id == round_id, DecryptedBallot.pot_id == pot_id)
            .order_by(DecryptedBallot.position),
        ).scalars()
    )
    # Each content is canonical JSON already, so the list of them joined is too.
    files[f"{folder}/ballots.json"] = ("[" + ",".join(contents) + "]").encode("utf-8")
    return files, contents


def _decoded(contents: list[str]) -> Iterator[dict]:
    """Each content parsed, once per distinct text."""
    parsed: dict[str, dict] = {}
    for text in contents:
        content = parsed.get(text)
        if content is None:
            content = parsed[text] = json.loads(text)
        yield content


def results_json(funding_round: FundingRound, result: PotResult) -> dict:
    return {
        "council": funding_round.council.slug,
        "round_id": funding_round.id,
        "pot_id": result.pot_id,
        "pot_name": result.pot.name,
        "rule": result.rule,
        "tie_break": result.tie_break,
        "manifest_hash": result.manifest_hash,
        "log_head_hash": result.log_head_hash,
        "ballot_count": result.ballot_count,
        "withheld": result.withheld,
        # Exports exist from the count on; this says whether the result is public yet, so
        # that `votes verify` does not call a count checked before publication "published".
        "published": funding_round.phase in PUBLISHED,
        "computed_at": result.computed_at.isoformat().replace("+00:00", "Z"),
        "outcome": json.loads(result.outcome_json),
    }


def results_csv(outcome: dict) -> bytes:
    out = io.StringIO(newline="")
    # Every cell escaped, numbers too: the reader undoes it for every cell alike.
    writer = csv_cells.writer(out, lineterminator="\r\n")
    writer.writerow(["project_id", "title", "cost_pence", "funded", "votes", "points", "reason"])
    for p in outcome["projects"]:
        writer.writerow(
            [
                p["id"],
                p["name"],
                p["cost_pence"],
                "yes" if p["funded"] else "no",
                p["votes"],
                p["points"],
                p["explanation"],
            ]
        )
    return out.getvalue().encode("utf-8")


TOOL_VARIANTS = {
    "mes": "cost utilities, no completion",
    "mes-cardinality": "cardinality utilities, no completion",
    "mes-greedy": "cost utilities, completed by utilitarian greedy",
    "mes-add1": "cost utilities, completed by the add-one budget increase",
}
TIE_WORDS = {
    "cost-votes": "ties broken by lower cost first, then more votes",
    "lexicographic": "ties broken by the project id",
}
RECOUNT_START = "----- recount.py: from this line -----"
RECOUNT_END = "----- recount.py: to this line -----"


def _scoring_sentence(rules: BallotRules) -> str | None:
    if rules.kind is not BallotKind.RANKED:
        return None
    k = rules.max_choices
    if rules.ranked_scoring is RankedScoring.BORDA:
        return (
            "Ranked ballots are scored the Borda way, as this round was frozen with: a ballot "
            "ranking L projects gives them L-1, L-2, ... 0 (greedy counts L, L-1, ... 1)."
        )
    return (
        f"Ranked ballots score rank points: with up to {k} ranks, a 1st choice gets {k} "
        f"points, a 2nd {k - 1}, and so on down to 1 for the last rank; every rule counts "
        "these points."
    )


def readme_text(funding_round: FundingRound, result: PotResult, manifest: dict) -> str:
    """The export's README.txt: what the files are, the fingerprints to compare with the
    council's published ones, and how to recount the pot with software Devolve did not
    write (a pabutools script for the round's rule, run on ``election.pb``)."""
    rules = manifest_rules(manifest)
    pot_name = ballot_paper(funding_round.manifest_json).pot(result.pot_id).name
    lines = [
        f"{funding_round.council.name}: {funding_round.title}",
        f"Pot: {pot_name} (pot {result.pot_id} of round {funding_round.id})",
        "",
        f"Counted with: {result.rule}, ties broken by {result.tie_break}, "
        f"from {result.ballot_count} ballots.",
        _scoring_sentence(rules),
        "",
        "FINGERPRINTS",
        f"  manifest hash  {result.manifest_hash}",
        f"  ballot log head  {result.log_head_hash}",
        "Compare both with the values the council published on the round's page when voting",
        "opened and closed: anyone holding the data could rewrite it and recount, so only",
        "fingerprints published before this export prove these files are the real ones.",
        "",
        "CHECK EVERYTHING",
        "  python -m votes verify THIS-FILE.zip \\",
        f"      --manifest-hash {result.manifest_hash} \\",
        f"      --log-head {result.log_head_hash}",
        "checks every checksum, the hash chain of the ballot log, every ballot against the",
        "log, the receipts, and recounts the pot with the rules frozen in manifest.json.",
        "",
        "FILES",
        "  manifest.json  the round as frozen when voting opened; its SHA-256 is the manifest hash",
        (
            "  ballots.json   every ballot of the round, by random id; no voter data but each"
            "\n                 ballot's voter's neighbourhood and age band (voter_details)"
            if manifest.get("voter_details")
            else "  ballots.json   every ballot of the round, by random id; no voter data"
        ),
        "  log.json       the hash-chained ballot log; its last entry_hash is the log head",
        "  receipts.json  the SHA-256 of every receipt code given out",
        "  results.json   the pot's stored result",
        "  results.csv    the same result, a row per project, for a spreadsheet",
        "  election.pb    the pot's counted ballots in pabulib format (amounts in pence)",
        "  SHA256SUMS     checksums of the other files (sha256sum -c SHA256SUMS)",
        "",
    ]
    if manifest.get("secrecy"):
        lines += [
            "SECRET BALLOT",
            "This round's ballots were encrypted when cast: ballots.json, the log and the receipts",
            "hold and commit to the ciphertexts, and no one ever saw which ballot a voter cast.",
            "secrecy/ holds what turned them into the counted ballots:",
            "  secrecy/key.json                 the round's public key and the trustees' proofs",
            "                                   (the same as the key in manifest.json)",
            f"  secrecy/pot-{result.pot_id}/mix-K.json        each shuffle of the pot's ballots "
            "and its proof,",
            "                                   K = 1 (the server's), 2, ... (the trustees')",
            f"  secrecy/pot-{result.pot_id}/decryption-J.json trustee J's share of the "
            "decryption, with proofs",
            f"  secrecy/pot-{result.pot_id}/ballots.json      the decrypted ballots, in the "
            "last mix's order",
            "election.pb and the recount are of the decrypted ballots. python -m votes verify",
            "checks, in order: (1) the key's proofs, (2) every ciphertext's proof, (3) that each",
            "mix shuffles the one before it, (4) every trustee's decryption proof, with at least",
            "as many trustees as the key needs, (5) that the last mix decrypts to exactly",
            f"secrecy/pot-{result.pot_id}/ballots.json, position by position, and (6) the "
            "recount. Every",
            "proof is bound to the manifest hash, so none can be copied from another round.",
            "",
        ]
    lines.append("RECOUNT WITH PABUTOOLS")
    script = pabutools_script(rules, result.rule, result.tie_break)
    if script is None:
        lines += [
            f"pabutools has no {result.rule} count. Count it from election.pb by hand: each",
            "ballot's first choice is a vote"
            + (
                "; the project with the fewest votes is eliminated and its ballots move to "
                "their next choice still in the count, until one project has more than half."
                if result.rule == "irv"
                else "; the project with the most votes wins."
            ),
        ]
    else:
        lines += [
            f"Install pabutools {PABUTOOLS_VERSION} (python -m pip install "
            f"pabutools=={PABUTOOLS_VERSION}), save the lines between the two markers below as",
            "recount.py beside election.pb and run it (python recount.py). It prints the",
            'funded project ids; they are the "selected" ids of results.json.',
            RECOUNT_START,
            script.rstrip("\n"),
            RECOUNT_END,
        ]
        if result.rule == "mes-add1":
            lines += [
                "",
                "The add-one search runs one Equal Shares count for every penny added to each",
                "voter's share, so on a pot with a large share per voter pabutools can take",
                "a long time (python -m votes tally election.pb --rule mes-add1 skips the",
                "shares that provably cannot change the outcome, and gives the same answer).",
            ]
        if rules.kind in (BallotKind.APPROVAL, BallotKind.KNAPSACK, BallotKind.SINGLE) and (
            result.rule.startswith("mes")
        ):
            lines += [
                "",
                "For Equal Shares on approval ballots, equalshares.net's online tool",
                "(equalshares.net/tools/compute) also reads election.pb; choose the variant this",
                f"pot used ({TOOL_VARIANTS.get(result.rule, result.rule)}) and "
                f"{TIE_WORDS[result.tie_break]}.",
            ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def zip_with_sums(files: dict[str, bytes]) -> bytes:
    """``files`` (name -> bytes) and their SHA256SUMS as one ZIP, the same bytes every time:
    names in order, a fixed date, the same attributes (the auditor exports, the open data)."""
    files = dict(files)
    files["SHA256SUMS"] = "".join(
        f"{sha256(data)}  {name}\n" for name, data in sorted(files.items())
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            z.writestr(info, files[name])
    return buffer.getvalue()


def export_pot(
    session: Session,
    funding_round: FundingRound,
    pot_id: int,
    data: _RoundData | None = None,
) -> bytes:
    """The ZIP for one pot of a counted round. Raises ``DomainError`` before the count."""
    result = next((r for r in results_for(session, funding_round) if r.pot_id == pot_id), None)
    if result is None:
        raise DomainError(N_("This pot has not been counted yet: exports follow the count."))
    manifest_text = funding_round.manifest_json
    data = data or _round_data(session, funding_round.id)
    document = results_json(funding_round, result)
    manifest = json.loads(manifest_text)
    secret_files: dict[str, bytes] = {}
    if manifest.get("secrecy"):
        # The ballots the log commits to are ciphertexts; the count is of what they decrypt to.
        secret_files, contents = _secrecy_files(session, funding_round.id, pot_id, manifest)
        election = election_from_contents(manifest, pot_id, _decoded(contents))
        del contents
    else:
        election = election_from_rows(manifest, data.ballots, pot_id, data.counted)
    pot_name = ballot_paper(manifest_text).pot(pot_id).name
    election = dataclasses.replace(
        election,
        # Numbered voters for election.pb; each needs a ballot of its own for its number.
        ballots=tuple(
            Ballot(b.choices, b.points, str(i), b.extra) for i, b in enumerate(election.ballots, 1)
        ),
        meta=(
            ("description", f"{funding_round.title}: {pot_name}"),
            ("country", "United Kingdom"),
            ("unit", funding_round.council.name),
            ("currency", "GBP pence"),
        ),
    )
    files = {
        "manifest.json": manifest_text.encode("utf-8"),
        "ballots.json": data.ballots_json,
        "log.json": data.log_json,
        "receipts.json": data.receipts_json,
        "results.json": canonical_json(document).encode("utf-8"),
        "results.csv": results_csv(document["outcome"]),
        "election.pb": dumps(election).encode("utf-8"),
        "README.txt": readme_text(funding_round, result, manifest).encode("utf-8"),
        **secret_files,
    }
    return zip_with_sums(files)


def export_files(session: Session, funding_round: FundingRound) -> Iterator[tuple[str, bytes]]:
    """Every pot's ZIP with its file name, one at a time, the round's ballots and log read
    once for all of them. Raises ``DomainError`` for a round not yet counted."""
    rows = results_for(session, funding_round)
    if not rows:
        raise DomainError(
            N_("This round has not been counted: exports are available once voting has closed.")
        )
    data = _round_data(session, funding_round.id)
    for r in rows:
        yield filename(funding_round, r.pot_id), export_pot(session, funding_round, r.pot_id, data)


def export_round(session: Session, funding_round: FundingRound) -> dict[str, bytes]:
    """Every pot's ZIP, by file name. Raises ``DomainError`` for a round not yet counted."""
    return dict(export_files(session, funding_round))


def download(session: Session, funding_round: FundingRound, pot_id: int, *, actor) -> bytes:
    """The pot's export, with an audit event saying who downloaded which file."""
    from app.workflow import audit

    data = export_pot(session, funding_round, pot_id)
    audit.record(
        session,
        action="results.exported",
        actor=actor,
        round=funding_round,
        subject=funding_round,
        after={"pot_id": pot_id, "sha256": sha256(data)},
    )
    return data


def refuse(session: Session, funding_round: FundingRound, pot_id: int, *, actor) -> None:
    """Record that someone without access asked for an existing pot's export (nothing is sent).
    The event names only the round and the pot, never text from the request."""
    from app.workflow import audit

    pot = next(p for p in funding_round.pots if p.id == pot_id)
    audit.record(
        session,
        action="results.export_refused",
        actor=actor,
        round=funding_round,
        subject=pot,
        after={"pot_id": pot.id},
    )
