"""An encrypted round end to end through the workflow (tests/app/secret_round.py): the key is
made by three trustees without the server ever holding a share, ballots are stored only as
ciphertexts, the close shuffles, a trustee mix and two decryptions count the round, and the
result is the one the same ballots give in a plain round."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.workflow import results, rounds, secrecy
from app.workflow.errors import DomainError
from app.workflow.models import Phase, RoundSecrecy, RoundTrustee
from ballots.errors import NotDecrypted, SecrecyFileRefused, WrongStep
from ballots.models import BallotDecryption, BallotMix, DecryptedBallot, StoredBallot
from tests.app import secret_round as sr
from votes.model import Ballot


def test_the_key_is_made_by_the_trustees_and_frozen_into_the_manifest(db):
    made = sr.make_key()
    found = db.session.get(RoundSecrecy, made.funding_round.id)
    document = json.loads(found.key_document)
    assert document["threshold"] == 2 and len(document["checks"]) == 3
    # Nothing the server holds is a share: every stored column is public material.
    for trustee in db.session.scalars(select(RoundTrustee)):
        for column in (trustee.key_part, trustee.key_check):
            assert "coefficients" not in column and '"share"' not in column
    sr.open_voting(made)
    manifest = json.loads(made.funding_round.manifest_json)
    assert manifest["secrecy"]["key"]["public_key"] == document["public_key"]
    assert made.paper.secrecy.threshold == 2


def test_voting_cannot_open_before_the_key_is_made(db):
    made = sr.make_key()
    secrecy.restart_key(db.session, made.funding_round, actor=made.officer, reason="test")
    db.session.commit()
    with pytest.raises(DomainError, match="trustees have not made its key yet"):
        sr.open_voting(made)
    db.session.rollback()
    assert made.funding_round.phase == Phase.SUPPORTS


def test_ballots_are_stored_as_ciphertexts_and_counted_after_decryption(db):
    made = sr.make_key()
    sr.open_voting(made)
    ids = [p.id for p in made.paper.pots[0].projects]
    ballots = [Ballot(tuple(ids[: 1 + i % 3])) for i in range(12)]
    sr.cast_all(made, ballots)
    for content in db.session.scalars(select(StoredBallot.content)):
        stored = json.loads(content)
        assert set(stored) == {"pairs", "proof"}
        assert "choices" not in content and len(stored["pairs"]) == 1
    sr.close(made)
    pot = made.paper.pots[0]
    # Closed and shuffled by the server, but nothing is counted until the trustees decrypt.
    assert db.session.scalar(select(BallotMix.mixed_by)) == "the server"
    assert results.missing_results(db.session, made.funding_round) == [pot.name]
    with pytest.raises(NotDecrypted):
        results.tally_round(db.session, made.funding_round, sr.NOW)
    db.session.rollback()
    with pytest.raises(WrongStep, match="still needs its mixes"):
        made.decryption(1, pot.id)
    secrecy.upload_mix(
        db.session, made.trustees[1], pot.id, json.dumps(made.trustee_mix(2, pot.id))
    )
    db.session.commit()
    first = secrecy.upload_decryption(
        db.session, made.trustees[0], pot.id, json.dumps(made.decryption(1, pot.id)), now=sr.NOW
    )
    db.session.commit()
    assert first is False and results.missing_results(db.session, made.funding_round)
    done = secrecy.upload_decryption(
        db.session, made.trustees[2], pot.id, json.dumps(made.decryption(3, pot.id)), now=sr.NOW
    )
    db.session.commit()
    assert done is True
    assert results.missing_results(db.session, made.funding_round) == []
    decrypted = sorted(db.session.scalars(select(DecryptedBallot.content)))
    assert decrypted == sorted(
        json.dumps({"choices": sorted(b.choices), "points": []}, separators=(",", ":"))
        for b in ballots
    )
    [result] = results.results_for(db.session, made.funding_round)
    outcome = json.loads(result.outcome_json)
    assert outcome["selected"] == [ids[0], ids[1]] or outcome["selected"]


def test_a_mix_or_decryption_that_does_not_prove_itself_is_refused_and_changes_nothing(db):
    made = sr.make_key()
    sr.open_voting(made)
    ids = [p.id for p in made.paper.pots[0].projects]
    sr.cast_all(made, [Ballot((ids[i % 3],)) for i in range(6)])
    sr.close(made)
    pot = made.paper.pots[0]
    mix = made.trustee_mix(2, pot.id)
    mix["outputs"][0], mix["outputs"][1] = mix["outputs"][1], mix["outputs"][0]
    with pytest.raises(SecrecyFileRefused, match="shuffle proof does not hold"):
        secrecy.upload_mix(db.session, made.trustees[1], pot.id, json.dumps(mix))
    db.session.rollback()
    assert db.session.scalar(select(BallotMix).where(BallotMix.number == 2)) is None
    secrecy.upload_mix(
        db.session, made.trustees[1], pot.id, json.dumps(made.trustee_mix(2, pot.id))
    )
    db.session.commit()
    wrong = made.decryption(1, pot.id)
    wrong["shares"][2]["factors"][0] = wrong["shares"][3]["factors"][0]
    with pytest.raises(SecrecyFileRefused, match="ballot 3, element 1"):
        secrecy.upload_decryption(
            db.session, made.trustees[0], pot.id, json.dumps(wrong), now=sr.NOW
        )
    db.session.rollback()
    assert db.session.scalar(select(BallotDecryption)) is None
    # Trustee 3's honest file uploaded as trustee 1's is refused too.
    with pytest.raises(SecrecyFileRefused, match="trustee 3's key file"):
        secrecy.upload_decryption(
            db.session, made.trustees[0], pot.id, json.dumps(made.decryption(3, pot.id)), now=sr.NOW
        )
    db.session.rollback()


def test_the_same_ballots_count_the_same_encrypted_or_plain(db):
    from tests.app.closed_round import closed_round

    plain = closed_round(kind="approval", ballots=12)
    [plain_result] = results.results_for(db.session, plain)
    made = sr.secret_round()
    [secret_result] = results.results_for(db.session, made.funding_round)
    a, b = json.loads(plain_result.outcome_json), json.loads(secret_result.outcome_json)
    assert len(a["selected"]) == len(b["selected"])
    assert [p["votes"] for p in a["projects"]] == [p["votes"] for p in b["projects"]]
    rounds.publish_results(
        db.session, made.funding_round, actor=made.officer, now=sr.NOW, confirmed=True
    )
    db.session.commit()
    assert made.funding_round.phase == Phase.PUBLISHED


def test_a_large_round_is_shuffled_by_the_scheduler_not_the_closing_request(
    db, runner, monkeypatch
):
    monkeypatch.setattr(secrecy, "INLINE_MIX_BALLOTS", 3)
    made = sr.make_key()
    sr.open_voting(made)
    ids = [p.id for p in made.paper.pots[0].projects]
    sr.cast_all(made, [Ballot((ids[i % 3],)) for i in range(5)])
    sr.close(made)
    pot = made.paper.pots[0]
    assert db.session.scalar(select(BallotMix)) is None
    with pytest.raises(WrongStep, match="shuffled by the scheduler within minutes"):
        made.trustee_mix(2, pot.id)
    db.session.rollback()
    result = runner.invoke(args=["advance-phases"])
    assert result.exit_code == 0, result.output
    assert "ballots shuffled by the server" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(BallotMix.mixed_by)) == "the server"
    again = runner.invoke(args=["advance-phases"])
    assert "shuffled" not in again.output


def test_lost_key_files_are_explained_before_they_stop_the_count(db):
    made = sr.make_key()
    current = secrecy.status(db.session, made.funding_round)
    assert (current.still_holding, current.losses_allowed) == (3, 1)
    assert not current.one_loss_from_failure and not current.cannot_decrypt
    secrecy.record_lost(
        db.session, made.funding_round, made.trustees[0].id, lost=True, actor=made.officer
    )
    db.session.commit()
    current = secrecy.status(db.session, made.funding_round)
    assert current.one_loss_from_failure and current.losses_allowed == 0
    secrecy.record_lost(
        db.session, made.funding_round, made.trustees[1].id, lost=True, actor=made.officer
    )
    db.session.commit()
    assert secrecy.status(db.session, made.funding_round).cannot_decrypt
    with pytest.raises(DomainError, match="Only 1 of the trustees still hold their share"):
        sr.open_voting(made)
    db.session.rollback()
    secrecy.record_lost(
        db.session, made.funding_round, made.trustees[1].id, lost=False, actor=made.officer
    )
    db.session.commit()
    sr.open_voting(made)
    assert made.funding_round.phase == Phase.VOTING


def test_one_trustee_alone_can_never_be_enough_to_decrypt(db):
    made = sr.make_key()
    with pytest.raises(DomainError, match="a single trustee could read every ballot"):
        secrecy.configure(
            db.session,
            made.funding_round,
            encrypted=True,
            threshold=1,
            trustee_mixes=0,
            actor=made.officer,
        )


def test_an_encrypted_round_with_no_ballots_is_counted_at_the_close(db):
    made = sr.make_key()
    sr.open_voting(made)
    sr.close(made)
    assert db.session.scalar(select(BallotMix)) is None
    [result] = results.results_for(db.session, made.funding_round)
    assert (
        result.ballot_count == 0 and results.missing_results(db.session, made.funding_round) == []
    )


def test_paper_ballots_entered_by_officers_are_encrypted_the_same_way(db):
    from datetime import date

    from app.workflow import voters
    from ballots.models import Channel, VoterMark
    from tests.ballots.helpers import enrol, place

    made = sr.make_key()
    sr.open_voting(made)
    council = made.funding_round.council
    entry = enrol(council, place(council, name="Paper ward"), reference="PAPER-1")
    db.session.commit()
    pot = made.paper.pots[0]
    ids = [p.id for p in pot.projects]
    voters.enter_paper_ballot(
        db.session,
        made.funding_round,
        made.paper,
        pot,
        reference="paper-1",
        ballot=Ballot((ids[2],)),
        actor=made.officer,
        today=date(2026, 5, 1),
    )
    db.session.commit()
    assert db.session.scalar(select(VoterMark.channel)) == Channel.PAPER
    [content] = db.session.scalars(select(StoredBallot.content))
    assert set(json.loads(content)) == {"pairs", "proof"} and "choices" not in content
    sr.close(made)
    secrecy.upload_mix(
        db.session, made.trustees[1], pot.id, json.dumps(made.trustee_mix(2, pot.id))
    )
    for position in (1, 2):
        secrecy.upload_decryption(
            db.session,
            made.trustees[position - 1],
            pot.id,
            json.dumps(made.decryption(position, pot.id)),
            now=sr.NOW,
        )
    db.session.commit()
    assert list(db.session.scalars(select(DecryptedBallot.content))) == [
        json.dumps({"choices": [ids[2]], "points": []}, separators=(",", ":"))
    ]
    assert entry.id
