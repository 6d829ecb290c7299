"""Officers' pages for voting: the roll (upload, figures), posting verification codes, and
entering paper ballots from a voting event.

The figures never include ballots while voting is open: not per project, not per pot. (How
many ballots have been cast in the whole round can be read from the public ballot log's entry
numbers; that is a property of a public log, not a tally.)
"""

from __future__ import annotations

import io

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.web.extensions import db
from app.web.forms.ballots import IssueCodesForm, RollForm, ballot_form
from app.web.officers import bp, officer_round_or_404
from app.web.presenters.formatting import plural
from app.web.residents.voting import code_key, paper_for
from app.workflow import audit
from app.workflow.clock import in_london, london_today, utcnow
from app.workflow.models import Neighbourhood, Phase
from ballots import box, roll
from ballots.errors import (
    AlreadyVoted,
    CodeError,
    InvalidBallot,
    NotEligible,
    RollInvalid,
    RoundClosed,
)
from ballots.models import (
    COUNCIL_SCOPE,
    Channel,
    RollEntry,
    Verification,
    VerificationCode,
    VoterMark,
    reference_key,
    round_scope,
)
from votes import csv_cells
from votes.model import BallotKind

M = "/<slug>/rounds/<round_slug>"


def _figures(council, funding_round) -> dict:
    def roll_figures(scope: str) -> dict:
        entries = select(RollEntry.id).where(
            RollEntry.council_id == council.id, RollEntry.scope == scope
        )
        now = utcnow()
        codes = select(func.count()).where(VerificationCode.roll_entry_id.in_(entries))
        return {
            "people": db.session.scalar(select(func.count()).where(RollEntry.id.in_(entries))),
            "codes": db.session.scalar(codes),
            "live": db.session.scalar(
                codes.where(
                    VerificationCode.used_at.is_(None),
                    VerificationCode.expires_at > now,
                )
            ),
            "verified": db.session.scalar(
                select(func.count()).where(Verification.roll_entry_id.in_(entries))
            ),
        }

    figures = {
        "round": roll_figures(round_scope(funding_round.id)),
        "council": roll_figures(COUNCIL_SCOPE),
        "uses": roll.roll_scope_for(db.session, funding_round.id),
        # References someone may be guessing codes for: wrong tries slow them down, and
        # officers can tell their owners, or the police, before anyone is kept waiting.
        "under_attack": roll.references_under_attack(
            db.session,
            council_id=council.id,
            scopes=(round_scope(funding_round.id), COUNCIL_SCOPE),
        ),
    }
    if funding_round.phase.index > Phase.VOTING.index:
        figures["turnout"] = dict(
            db.session.execute(
                select(VoterMark.channel, func.count())
                .where(VoterMark.round_id == funding_round.id)
                .group_by(VoterMark.channel)
            ).all()
        )
    return figures


def _neighbourhoods(council) -> dict[str, int]:
    hoods = db.session.scalars(select(Neighbourhood).where(Neighbourhood.council_id == council.id))
    out = {}
    for h in hoods:
        out[h.name.lower()] = h.id
        out[h.slug.lower()] = h.id
    return out


@bp.route(M + "/voters", methods=["GET", "POST"])
@login_required
def voters(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = RollForm()
    row_problems: list[tuple[int, str]] = []
    if form.validate_on_submit():
        upload = request.files.get("roll")
        if upload is None or not upload.filename:
            form.roll.errors = ["Select a CSV file of the roll"]
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                text = None
                form.roll.errors = ["The file must be a CSV file saved as UTF-8"]
            if text is not None:
                round_id = funding_round.id if form.scope.data == "round" else None
                try:
                    added = roll.import_roll(
                        db.session,
                        council_id=council.id,
                        round_id=round_id,
                        text=text,
                        neighbourhoods=_neighbourhoods(council),
                        today=london_today(),
                    )
                    audit.record(
                        db.session,
                        action="voters.roll_imported",
                        actor=current_user,
                        council=council,
                        round=funding_round,
                        after={"scope": form.scope.data, "added": added},
                    )
                    db.session.commit()
                    flash(f"{plural(added, 'person', 'people')} added to the roll", "success")
                    return redirect(url_for("officers.voters", slug=slug, round_slug=round_slug))
                except RollInvalid as error:
                    db.session.rollback()
                    row_problems = error.problems
                    n = len(error.problems)
                    form.roll.errors = [
                        f"The roll has {n} {'problem' if n == 1 else 'problems'}, listed below; "
                        "nobody was added. Correct the file and upload it again."
                    ]
    return render_template(
        "officers/voters.html",
        council=council,
        round=funding_round,
        form=form,
        codes_form=IssueCodesForm(formdata=None),
        row_problems=row_problems,
        figures=_figures(council, funding_round),
    )


@bp.route(M + "/voters/codes", methods=["POST"])
@login_required
def issue_codes(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = IssueCodesForm()
    if not form.validate_on_submit():
        flash("Select which roll to issue codes for", "important")
        return redirect(url_for("officers.voters", slug=slug, round_slug=round_slug))
    scope = round_scope(funding_round.id) if form.which.data == "round" else COUNCIL_SCOPE
    reference = (form.reference.data or "").strip()
    if reference:
        try:
            issued = [
                roll.reissue_code(
                    db.session,
                    council_id=council.id,
                    scope=scope,
                    reference=reference,
                    key=code_key(),
                    now=utcnow(),
                )
            ]
        except CodeError as error:
            db.session.rollback()
            flash(error.message, "important")
            return redirect(url_for("officers.voters", slug=slug, round_slug=round_slug))
    else:
        issued = roll.issue_codes(
            db.session, council_id=council.id, scope=scope, key=code_key(), now=utcnow()
        )
    audit.record(
        db.session,
        action="voters.codes_issued",
        actor=current_user,
        council=council,
        round=funding_round,
        after={"scope": form.which.data, "codes": len(issued)}
        | ({"reissued_for": reference} if reference else {}),
    )
    db.session.commit()
    names = {v: k for k, v in _neighbourhood_names(council).items()}
    out = io.StringIO()
    writer = csv_cells.writer(out)
    writer.writerow(["reference", "neighbourhood", "code", "expires"])
    for c in issued:
        expires = in_london(c.expires_at).strftime("%d %B %Y")
        writer.writerow([c.reference, names.get(c.neighbourhood_id, ""), c.code, expires])
    stamp = in_london(utcnow()).strftime("%Y%m%d-%H%M")
    # Shown this once: only the codes' hashes are kept, so this file cannot be downloaded again.
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="codes-{round_slug}-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _neighbourhood_names(council) -> dict[str, int]:
    return {
        h.name: h.id
        for h in db.session.scalars(
            select(Neighbourhood).where(Neighbourhood.council_id == council.id)
        )
    }


@bp.route(M + "/paper")
@login_required
def paper_pots(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    paper = paper_for(funding_round)
    return render_template(
        "officers/paper_pots.html",
        council=council,
        round=funding_round,
        paper=paper,
        open=funding_round.phase == Phase.VOTING and paper is not None,
    )


@bp.route(M + "/paper/<int:pot_id>", methods=["GET", "POST"])
@login_required
def paper_ballot(slug: str, round_slug: str, pot_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    paper = paper_for(funding_round)
    if funding_round.phase != Phase.VOTING or paper is None:
        return render_template(
            "errors/error.html",
            title="Voting is not open",
            body="Paper ballots can be entered only while voting is open.",
        ), 409
    pot = paper.pot(pot_id)
    if pot is None or not pot.projects:
        body = (
            "That pot is not in this round."
            if pot is None
            else f"There is nothing to vote for in {pot.name}: no project is on its ballot."
        )
        return render_template("errors/error.html", title="Page not found", body=body), 404
    form = ballot_form(paper, pot, with_reference=True)
    if form.validate_on_submit():
        reference = form.reference.data.strip()
        entry = db.session.scalar(
            select(RollEntry).where(
                RollEntry.council_id == council.id,
                RollEntry.scope == roll.roll_scope_for(db.session, funding_round.id),
                RollEntry.reference_key == reference_key(reference),
            )
        )
        try:
            if entry is None:
                raise NotEligible(f"{reference} is not on this round's roll.")
            box.cast(
                db.session,
                paper,
                entry,
                pot.id,
                form.to_ballot(),
                today=london_today(),
                channel=Channel.PAPER,
                recorded_by_id=current_user.id,
            )
            # Who entered it, and in which pot; not the reference, so the audit trail's times
            # cannot be lined up with the roll.
            audit.record(
                db.session,
                action="ballot.paper_entered",
                actor=current_user,
                council=council,
                round=funding_round,
                after={"pot": pot.name},
            )
            db.session.commit()
            flash(f"Paper ballot entered in {pot.name} for {entry.reference}", "success")
            return redirect(request.path)
        except InvalidBallot as error:
            db.session.rollback()
            form.show_problems(error.problems)
        except AlreadyVoted:
            db.session.rollback()
            form.reference.errors = [f"{reference} has already voted in {pot.name}"]
        except NotEligible as error:
            db.session.rollback()
            form.reference.errors = [error.message]
        except RoundClosed as error:
            db.session.rollback()
            form.reference.errors = [error.message]
        except SQLAlchemyError:
            # Not "already voted" (the cast turns that constraint's violation into
            # AlreadyVoted): a lock timeout, a dropped connection. Rolled back whole; the
            # officer enters the same ballot again, as the form still holds it.
            db.session.rollback()
            current_app.logger.exception(
                "Entering a paper ballot in pot %s of round %s failed; nothing was saved",
                pot.id,
                funding_round.id,
            )
            form.reference.errors = [
                f"Nothing was saved for {reference}: the database did not complete the entry. "
                "Please enter this ballot again."
            ]
    return render_template(
        "officers/paper_ballot.html",
        council=council,
        round=funding_round,
        paper=paper,
        pot=pot,
        form=form,
        totals=form.totals(),
        kinds=BallotKind,
    )
