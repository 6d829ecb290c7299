"""The forms of the messages pages: a resident's choice of what we send them, and an
officer's choice of failed messages to try again."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SelectMultipleField, StringField, SubmitField

from app.web.forms.fields import GovCheckboxesInput, options
from app.workflow import outbox


class MessagePreferencesForm(FlaskForm):
    # Not checked against the choices here: a topic we do not have is the workflow's to refuse.
    topics = SelectMultipleField(
        _l("Messages we send you"),
        description=_l("Tick the messages you want. Untick those you do not."),
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )
    submit = SubmitField(_l("Save your choices"), widget=GovSubmitInput())


def preferences_form(offered: list[str]) -> MessagePreferencesForm:
    """The form with a box for each topic ``offered``, in the page's language."""
    form = MessagePreferencesForm()
    form.topics.choices = options((t, _(outbox.TOPICS[t])) for t in offered)
    return form


class RetryMessagesForm(FlaskForm):
    """The failed messages ticked (``messages``), and which button was pressed (``action``:
    ``all`` tries every failed message again)."""

    messages = SelectMultipleField(_l("Failed messages"), validate_choice=False)
    action = StringField()
