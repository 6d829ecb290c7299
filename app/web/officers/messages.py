"""A council's messages, for its officers: how many are in each state, the ones that could
not be sent (whom to, hidden but for enough to tell them apart), and trying them again."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms.messages import RetryMessagesForm
from app.web.officers import bp, officer_council_or_403
from app.web.presenters import messages as words
from app.web.presenters.formatting import number
from app.web.views import attempt, show_error
from app.workflow import outbox
from app.workflow.errors import Refusal
from app.workflow.models import Council


@bp.route("/<slug>/messages", methods=["GET", "POST"])
@login_required
def messages(slug: str):
    council = officer_council_or_403(slug)
    form = RetryMessagesForm()
    if form.validate_on_submit():
        try:
            tried = attempt(_retry, council, form.action.data, form.messages.data)
        except Refusal as refused:
            show_error(form, refused, "messages")
        else:
            flash(_queued_again(tried), "success")
            return redirect(url_for("officers.messages", slug=council.slug))
    return render_template(
        "officers/messages.html",
        council=council,
        form=form,
        counts=outbox.counts(db.session, council),
        failed=outbox.failed_messages(db.session, council),
        words=words,
    )


def _retry(session, council: Council, action: str, ids: list[str]) -> int:
    """The messages ticked, or with the "Try all again" button every failed one."""
    if action == "all":
        return outbox.retry_all(session, council=council, actor=current_user)
    return outbox.retry(session, council=council, message_ids=ids, actor=current_user)


def _queued_again(n: int) -> str:
    return ngettext(
        "%(count)s message will be tried again.",
        "%(count)s messages will be tried again.",
        n,
        count=number(n),
    )
