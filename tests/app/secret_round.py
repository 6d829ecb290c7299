"""An encrypted round, made the way a council makes one: the officer configures encryption and
adds three trustees (two needed to decrypt, one trustee mix required); each trustee, offline,
registers, makes their part of the key and checks the others' (``votes.secrecy.keys``, as
``python -m votes trustee`` does); voting opens through the officers' phase change with the key
in the manifest; residents cast; the officer closes (the server shuffles); then a trustee adds
their mix and two trustees decrypt, which counts the round."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from app.web.extensions import db
from app.workflow import rounds, secrecy
from app.workflow.models import Council, FundingRound, Phase, ProposalStatus, Role, RoundTrustee
from ballots import box
from ballots.paper import BallotPaper, ballot_paper
from tests.ballots.helpers import enrol, place
from tests.factories import create_council, create_proposal, create_round, create_user
from votes.model import Ballot
from votes.secrecy import bundle, keys
from votes.secrecy.decryption import decrypt_share
from votes.secrecy.group import scalar
from votes.secrecy.shuffle import shuffle

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
NAMES = ("Returning officer", "Independent auditor", "Community representative")


@dataclass
class SecretRound:
    funding_round: FundingRound
    officer: object
    trustees: list[RoundTrustee]
    states: list[dict] = field(default_factory=list)  # the trustees' key files, in memory
    links: list[str] = field(default_factory=list)

    @property
    def paper(self) -> BallotPaper:
        return ballot_paper(self.funding_round.manifest_json)

    def share(self, position: int) -> int:
        digest = self.paper.secrecy.ceremony_hash
        return scalar(self.states[position - 1]["ceremonies"][digest]["share"], "share")

    def trustee_mix(self, position: int, pot_id: int) -> dict:
        """What `votes trustee mix` uploads for the pot's next mix."""
        task = secrecy.mix_task(db.session, self.funding_round, pot_id)
        context, key, number, inputs = bundle.read_mix_task(task)
        outputs, proof = shuffle(inputs, key, context, number)
        return bundle.mix_result(context, number, outputs, proof)

    def decryption(self, position: int, pot_id: int) -> dict:
        """What `votes trustee decrypt` uploads for the pot."""
        task = secrecy.decryption_task(db.session, self.funding_round, pot_id)
        ceremony, context, vectors = bundle.read_decryption_task(task)
        shares = decrypt_share(vectors, self.share(position), position, context)
        return bundle.decryption_result(ceremony, context, position, shares)


def make_key(council: Council | None = None, *, trustee_mixes: int = 1, threshold: int = 2):
    """A round in supports with three proposals, encrypted, whose trustees have made its key."""
    council = council or create_council()
    funding_round = create_round(
        council, phase=Phase.SUPPORTS, total_budget_pence=50_000_00, pots=[(None, 50_000_00)]
    )
    funding_round.ballot_kind = "approval"
    funding_round.rule = "greedy"
    funding_round.supports_enabled = True
    for cost in (10_000_00, 20_000_00, 30_000_00):
        create_proposal(funding_round.pots[0], cost_pence=cost, status=ProposalStatus.FEASIBLE)
    db.session.commit()
    officer = create_user(roles={council: Role.OFFICER})
    secrecy.configure(
        db.session,
        funding_round,
        encrypted=True,
        threshold=threshold,
        trustee_mixes=trustee_mixes,
        actor=officer,
    )
    made = SecretRound(funding_round, officer, [])
    for name in NAMES:
        trustee, link = secrecy.add_trustee(db.session, funding_round, name=name, actor=officer)
        made.trustees.append(trustee)
        made.links.append(link)
    db.session.commit()
    for trustee in made.trustees:
        state = keys.new_trustee(trustee.name)
        made.states.append(state)
        registration = {
            "format": "devolve-trustee-registration/v1",
            "name": trustee.name,
            "transport_key": keys.transport_key(state),
        }
        secrecy.register(db.session, trustee, json.dumps(registration))
    secrecy.start_ceremony(db.session, funding_round, actor=officer)
    db.session.commit()
    found = secrecy.secrecy_of(db.session, funding_round)
    ceremony = json.loads(found.ceremony)
    for trustee, state in zip(made.trustees, made.states, strict=True):
        secrecy.upload_key_part(db.session, trustee, json.dumps(keys.keygen(state, ceremony)))
    parts = secrecy.key_parts(db.session, funding_round)
    for trustee, state in zip(made.trustees, made.states, strict=True):
        secrecy.upload_key_check(
            db.session, trustee, json.dumps(keys.check(state, ceremony, parts))
        )
    db.session.commit()
    return made


def _move(made: SecretRound, target: Phase, expected: Phase) -> None:
    rounds.change_phase(
        db.session,
        made.funding_round,
        target=target,
        expected=expected,
        actor=made.officer,
        now=NOW,
    )
    db.session.commit()


def open_voting(made: SecretRound) -> None:
    _move(made, Phase.VOTING, Phase.SUPPORTS)


def cast_all(made: SecretRound, ballots: list[Ballot]) -> None:
    council = made.funding_round.council
    hood = place(council, name=f"Ward {made.funding_round.id}")
    pot = made.paper.pots[0]
    for i, ballot in enumerate(ballots):
        entry = enrol(council, hood, reference=f"S{made.funding_round.id}-{i}")
        box.cast(db.session, made.paper, entry, pot.id, ballot, today=date(2026, 5, 1))
        db.session.commit()


def close(made: SecretRound) -> None:
    _move(made, Phase.CLOSED, Phase.VOTING)


def secret_round(ballots: list[Ballot] | None = None, **options) -> SecretRound:
    """The whole way through: key, voting, ballots, close, one trustee mix, two decryptions."""
    made = make_key(**options)
    open_voting(made)
    ids = [p.id for p in made.paper.pots[0].projects]
    ballots = (
        ballots if ballots is not None else [Ballot(tuple(ids[: 1 + i % 3])) for i in range(12)]
    )
    cast_all(made, ballots)
    close(made)
    pot = made.paper.pots[0]
    for position in range(2, 2 + made.paper.secrecy.trustee_mixes):
        secrecy.upload_mix(
            db.session,
            made.trustees[position - 1],
            pot.id,
            json.dumps(made.trustee_mix(position, pot.id)),
        )
        db.session.commit()
    for position in (1, 3)[: made.paper.secrecy.threshold]:
        secrecy.upload_decryption(
            db.session,
            made.trustees[position - 1],
            pot.id,
            json.dumps(made.decryption(position, pot.id)),
            now=NOW,
        )
        db.session.commit()
    return made
