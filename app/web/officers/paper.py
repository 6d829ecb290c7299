"""Officers' pages for a file of paper ballots for one pot: upload it, read its
reconciliation report, then store its accepted ballots or discard it. The work itself is
``app.workflow.paper_batches`` (docs/paper-ballots.md)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms.ballots import BatchDecisionForm, PaperBatchForm
from app.web.officers import bp, officer_round_or_404
from app.web.officers.voters import M, _open_paper_pot
from app.web.presenters.formatting import number
from app.web.views import attempt, paper_texts, say
from app.workflow import paper_batches as batches
from app.workflow.clock import london_today, utcnow
from app.workflow.errors import NotSaved
from app.workflow.voting import paper_for
from ballots.refusals import Refusal

B = M + "/paper/<int:pot_id>/batch"
# The refused rows a report page lists (all are counted, by reason, above the list).
SHOWN = 1000


@bp.route(B, methods=["GET", "POST"])
@login_required
def paper_batch_upload(slug: str, round_slug: str, pot_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    paper, pot = _open_paper_pot(funding_round, pot_id)
    form = PaperBatchForm()
    text = _batch_text(form) if form.validate_on_submit() else None
    checked = _check(form, funding_round, pot, text) if text is not None else None
    if checked is not None:
        return redirect(url_for(".paper_batch", **request.view_args, batch_id=checked.batch.id))
    waiting = [
        b for b in batches.pending(db.session, funding_round, utcnow()) if b.pot_id == pot.id
    ]
    return render_template(
        "officers/paper_batch_upload.html",
        council=council,
        round=funding_round,
        paper=paper,
        pot=pot,
        form=form,
        waiting=waiting,
        most=batches.MAX_ROWS,
        **paper_texts(funding_round, [p.id for p in pot.projects]),
    )


def _batch_text(form: PaperBatchForm) -> str | None:
    """The uploaded file's text, or None with the reason beside the file field."""
    upload = request.files.get("batch")
    if upload is None or not upload.filename:
        form.batch.errors = [_("Select a CSV file of paper ballots")]
        return None
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.batch.errors = [
            _(
                "The file must be a CSV file saved as UTF-8 (in a spreadsheet: Save as, "
                "CSV UTF-8), not a workbook or another encoding"
            )
        ]
        return None


def _check(form, funding_round, pot, text: str) -> batches.Report | None:
    """The file checked (and kept, waiting for a decision); or None with why beside it."""
    try:
        return attempt(
            batches.check,
            funding_round,
            pot,
            text=text,
            filename=request.files["batch"].filename,
            actor=current_user,
            today=london_today(),
        )
    except Refusal as error:  # the file refused whole, voting closed, or nothing saved
        form.batch.errors = [say(error)]
        return None


@bp.route(B + "/<batch_id>", methods=["GET", "POST"])
@login_required
def paper_batch(slug: str, round_slug: str, pot_id: int, batch_id: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    paper = paper_for(funding_round)
    pot = paper.pot(pot_id) if paper is not None else None
    batch = batches.find(db.session, funding_round, pot_id, batch_id) if pot else None
    if batch is None:
        abort(404)
    form = BatchDecisionForm()
    if form.validate_on_submit() and _decide(form, funding_round, batch):
        return redirect(request.path)
    report = attempt(batches.report, funding_round, pot, batch, today=london_today())
    return render_template(
        "officers/paper_batch.html",
        council=council,
        round=funding_round,
        pot=pot,
        form=form,
        report=report,
        refused=_refused_rows(report)[:SHOWN],
        reasons=[(_(batches.REASONS[code]), n) for code, n in report.by_reason],
        pot_names=paper_texts(funding_round)["pot_names"],
    ), (409 if form.errors else 200)


def _decide(form: BatchDecisionForm, funding_round, batch) -> bool:
    """Store, check again or discard; True when done (with what was done flashed), else
    False with why beside the buttons."""
    action = form.action.data
    try:
        if action == "store":
            done = attempt(
                batches.store, batch.id, funding_round, actor=current_user, today=london_today()
            )
            flash(_stored_words(done), "success")
        elif action == "recheck":
            attempt(batches.check_again, batch.id, funding_round, today=london_today())
            flash(
                _("The file was checked again: the report below is as things are now."), "success"
            )
        else:
            attempt(batches.discard, batch.id, funding_round, actor=current_user)
            flash(_("The file was discarded: no ballot in it was stored."), "success")
        return True
    except (Refusal, NotSaved) as error:
        form.action.errors = [say(error)]
        return False


def _stored_words(done: batches.StoredBatch) -> str:
    return ngettext(
        "%(count)s paper ballot stored in %(pot)s.",
        "%(count)s paper ballots stored in %(pot)s.",
        done.stored,
        count=number(done.stored),
        pot=done.pot_name,
    )


def _refused_rows(report: batches.Report) -> list[tuple[int, str, str, str]]:
    """(row, reference as written, why in short, the reason in full) in the page's
    language, for each refused row."""
    return [
        (r.number, r.reference, _(batches.REASONS[r.code]), say(r.reason)) for r in report.refused
    ]
