"""A resident's choice of the messages we send them (the topics of ``app.workflow.outbox``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms.messages import preferences_form
from app.web.residents import bp
from app.web.views import attempt, show_error
from app.workflow import outbox
from app.workflow.errors import Refusal


@bp.route("/account/messages", methods=["GET", "POST"])
@login_required
def message_preferences():
    offered = outbox.topics_for(current_user)
    form = preferences_form(offered)
    if not form.is_submitted():
        stopped = outbox.opt_outs(db.session, current_user.id)
        form.topics.data = [t for t in offered if t not in stopped]
    elif form.validate():
        try:
            attempt(outbox.set_preferences, current_user, form.topics.data, asked=offered)
        except Refusal as refused:
            show_error(form, refused, "topics")
        else:
            flash(_("Your choices are saved: we send you only the messages you ticked."), "success")
            return redirect(url_for("residents.account"))
    return render_template("residents/message_preferences.html", form=form)
