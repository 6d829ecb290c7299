"""Officers' pages for voting: the roll (upload, figures), posting verification codes, and
entering paper ballots from a voting event. The work itself is ``app.workflow.voters``."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from app.web import i18n
from app.web.extensions import db
from app.web.forms.ballots import IssueCodesForm, RollForm, ballot_form
from app.web.messages import gateways
from app.web.officers import bp, officer_round_or_404
from app.web.presenters.formatting import number
from app.web.residents.voting import code_key
from app.web.views import attempt, paper_texts, say
from app.workflow import voters as voting
from app.workflow.clock import in_london, london_today, utcnow
from app.workflow.errors import NotSaved
from app.workflow.models import MessageChannel, Phase
from app.workflow.voting import paper_for
from ballots.errors import CodeError, RollInvalid, RoundClosed
from ballots.models import RollEntry
from ballots.refusals import N_, Refusal, Text
from votes.model import BallotKind

M = "/<slug>/rounds/<round_slug>"


@bp.route(M + "/voters", methods=["GET", "POST"])
@login_required
def voters(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = RollForm()
    text = _roll_text(form) if form.validate_on_submit() else None
    if text is None:
        return _voters_page(council, funding_round, form)
    for_round = form.scope.data == "round"
    try:
        added = attempt(
            voting.import_roll,
            council,
            funding_round,
            actor=current_user,
            for_round=for_round,
            text=text,
            today=london_today(),
            languages=i18n.languages(),
        )
    except RollInvalid as error:
        form.roll.errors = [_roll_problems(len(error.problems))]
        problems = [(row, say(problem)) for row, problem in error.problems]
        return _voters_page(council, funding_round, form, problems)
    flash(_added(added), "success")
    return _to_voters(slug, round_slug)


def _added(added: int) -> str:
    return ngettext(
        "%(count)s person added to the roll",
        "%(count)s people added to the roll",
        added,
        count=number(added),
    )


def _roll_text(form: RollForm) -> str | None:
    """The uploaded roll's text, or None with the reason beside the file field."""
    upload = request.files.get("roll")
    if upload is None or not upload.filename:
        form.roll.errors = [_("Select a CSV file of the roll")]
        return None
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.roll.errors = [_("The file must be a CSV file saved as UTF-8")]
        return None


def _roll_problems(n: int) -> str:
    return ngettext(
        "The roll has %(count)s problem, listed below; nobody was added. Correct the file and "
        "upload it again.",
        "The roll has %(count)s problems, listed below; nobody was added. Correct the file and "
        "upload it again.",
        n,
        count=number(n),
    )


def _voters_page(council, funding_round, form, row_problems=()):
    return render_template(
        "officers/voters.html",
        council=council,
        round=funding_round,
        form=form,
        codes_form=IssueCodesForm(formdata=None),
        row_problems=list(row_problems),
        figures=voting.roll_figures(db.session, council, funding_round, now=utcnow()),
        languages=", ".join(i18n.languages()),
    )


def _to_voters(slug: str, round_slug: str):
    return redirect(url_for("officers.voters", slug=slug, round_slug=round_slug))


@bp.route(M + "/voters/codes", methods=["POST"])
@login_required
def issue_codes(slug: str, round_slug: str):
    council, funding_round = officer_round_or_404(slug, round_slug)
    form = IssueCodesForm()
    if not form.validate_on_submit():
        flash(_first_problem(form), "important")
        return _to_voters(slug, round_slug)
    if form.how.data != "download":
        return _send_codes(council, funding_round, form)
    try:
        issued = attempt(
            voting.issue_codes,
            council,
            funding_round,
            actor=current_user,
            for_round=form.which.data == "round",
            reference=form.reference.data or "",
            key=code_key(),
            now=utcnow(),
        )
    except CodeError as error:
        flash(say(error), "important")
        return _to_voters(slug, round_slug)
    return _letters(voting.letter_rows(db.session, council, issued), round_slug)


def _first_problem(form: IssueCodesForm) -> str:
    """Why the codes form was not taken: the roll first, then how they go or the reference."""
    others = [str(error) for field in (form.how, form.reference) for error in field.errors]
    if form.which.errors or not others:
        return _("Select which roll to issue codes for")
    return others[0]


def _send_codes(council, funding_round, form: IssueCodesForm):
    """Codes sent by letter or text through GOV.UK Notify, queued as they are issued; refused
    with nothing issued where Notify is not set up (production) or nobody can be reached."""
    channel, _needs = voting.SENT_BY[form.how.data]
    back = _to_voters(council.slug, funding_round.slug)
    if not gateways.available(channel):
        flash(str(NEEDS_NOTIFY[channel]), "important")
        return back
    try:
        sent = attempt(
            voting.send_codes,
            council,
            funding_round,
            actor=current_user,
            for_round=form.which.data == "round",
            reference=form.reference.data or "",
            how=form.how.data,
            key=code_key(),
            now=utcnow(),
        )
    except (CodeError, NotSaved) as error:  # nothing issued, nothing queued
        flash(say(error), "important")
        return back
    flash(_sent_words(sent), "success")
    return back


NEEDS_NOTIFY = {
    MessageChannel.LETTER: _l(
        "Letters need GOV.UK Notify: set NOTIFY_API_KEY. No codes were issued."
    ),
    MessageChannel.SMS: _l(
        "Text messages need GOV.UK Notify: set NOTIFY_API_KEY. No codes were issued."
    ),
}


def _sent_words(sent: voting.CodesSent) -> str:
    """What was queued, and who still needs a code the chosen way cannot reach."""
    letters = sent.channel == MessageChannel.LETTER
    if not sent.sent:
        return _("Nobody on this roll needs a code: each has one that still works, or is verified.")
    if letters:
        words = ngettext(
            "%(count)s code issued, to be posted as a letter through GOV.UK Notify.",
            "%(count)s codes issued, to be posted as letters through GOV.UK Notify.",
            sent.sent,
            count=number(sent.sent),
        )
    else:
        words = ngettext(
            "%(count)s code issued, to be sent as a text message through GOV.UK Notify.",
            "%(count)s codes issued, to be sent as text messages through GOV.UK Notify.",
            sent.sent,
            count=number(sent.sent),
        )
    if not sent.left:
        return words
    if letters:
        rest = ngettext(
            "%(count)s person who needs a code has no postal address on the roll: download "
            "their code to post it yourselves.",
            "%(count)s people who need a code have no postal address on the roll: download "
            "their codes to post them yourselves.",
            sent.left,
            count=number(sent.left),
        )
    else:
        rest = ngettext(
            "%(count)s person who needs a code has no mobile number on the roll: download "
            "their code to post it yourselves.",
            "%(count)s people who need a code have no mobile number on the roll: download "
            "their codes to post them yourselves.",
            sent.left,
            count=number(sent.left),
        )
    return f"{words} {rest}"


def _letters(rows: list[list[str]], round_slug: str) -> Response:
    stamp = in_london(utcnow()).strftime("%Y%m%d-%H%M")
    # Shown this once: only the codes' hashes are kept, so this file cannot be downloaded again.
    return Response(
        # The headings and the expiry dates in the officer's language.
        voting.letters_csv([[say(cell) for cell in row] for row in rows]),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="codes-{round_slug}-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


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
        pot_names=i18n.in_page_language_by_id(funding_round.pots, "name"),
    )


@bp.route(M + "/paper/<int:pot_id>", methods=["GET", "POST"])
@login_required
def paper_ballot(slug: str, round_slug: str, pot_id: int):
    council, funding_round = officer_round_or_404(slug, round_slug)
    paper, pot = _open_paper_pot(funding_round, pot_id)
    form = ballot_form(paper, pot, with_reference=True)
    entry = _enter(form, funding_round, paper, pot) if form.validate_on_submit() else None
    texts = paper_texts(funding_round, [p.id for p in pot.projects])
    if entry is not None:
        flash(
            _(
                "Paper ballot entered in %(pot)s for %(reference)s",
                pot=str(texts["pot_names"].get(pot.id, pot.name)),
                reference=entry.reference,
            ),
            "success",
        )
        return redirect(request.path)
    return render_template(
        "officers/paper_ballot.html",
        council=council,
        round=funding_round,
        paper=paper,
        pot=pot,
        form=form,
        totals=form.totals(),
        kinds=BallotKind,
        **texts,
    )


def _enter(form, funding_round, paper, pot) -> RollEntry | None:
    """The paper ballot on the form, entered; or None with why beside its fields."""
    try:
        return attempt(
            voting.enter_paper_ballot,
            funding_round,
            paper,
            pot,
            actor=current_user,
            reference=form.reference.data,
            ballot=form.to_ballot(),
            today=london_today(),
        )
    except NotSaved:
        # The form still holds the ballot, so the officer enters it again as it is.
        form.reference.errors = [_not_saved(form.reference.data.strip())]
    except Refusal as error:
        form.show_refusal(error, "reference")
    return None


def _open_paper_pot(funding_round, pot_id: int):
    """The round's ballot paper and the pot, while voting is open and the pot has projects;
    refused otherwise (409 while voting is not open, 404 for another or an empty pot)."""
    paper = paper_for(funding_round)
    if funding_round.phase != Phase.VOTING or paper is None:
        raise RoundClosed(N_("Paper ballots can be entered only while voting is open."))
    pot = paper.pot(pot_id)
    if pot is None or not pot.projects:
        missing = NotFound(
            Text(N_("That pot is not in this round."))
            if pot is None
            else Text(
                N_("There is nothing to vote for in %(pot)s: no project is on its ballot."),
                pot=pot.name,
            )
        )
        missing.show_description = True
        raise missing
    return paper, pot


def _not_saved(reference: str) -> str:
    return _(
        "Nothing was saved for %(reference)s: the database did not complete the entry. "
        "Please enter this ballot again.",
        reference=reference,
    )
