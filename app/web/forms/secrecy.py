"""Forms for an encrypted round: the officer's settings and trustee list, and the trustees'
uploads of the files ``python -m votes trustee`` writes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from app.web.forms.fields import RadioChoiceField, WholeNumberField, options


class EncryptionForm(FlaskForm):
    encrypted = RadioChoiceField(
        _l("Are this round's ballots encrypted?"),
        choices=options(
            [
                ("yes", _l("Yes: nobody can read a ballot until the trustees decrypt them")),
                ("no", _l("No: ballots are stored as they are cast")),
            ]
        ),
        required_message=_l("Select whether the ballots are encrypted"),
        invalid_choice_message=_l("Select whether the ballots are encrypted from the list"),
    )
    threshold = WholeNumberField(
        _l("Trustees needed to decrypt"),
        description=_l("How many of the trustees must take part to decrypt the ballots, like 2"),
        validators=[Optional()],
        message=_l("Enter the number of trustees needed to decrypt as a whole number, like 2"),
    )
    trustee_mixes = RadioChoiceField(
        _l("Extra shuffles by trustees"),
        description=_l(
            "After voting closes the server shuffles the ballots; each extra shuffle "
            "by a trustee means nobody can trace a ballot unless the server and every shuffling "
            "trustee work together."
        ),
        choices=options(
            [("0", lazy_pgettext("extra shuffles", "None")), ("1", "1"), ("2", "2"), ("3", "3")]
        ),
        required_message=_l("Select how many extra shuffles by trustees"),
        invalid_choice_message=_l("Select how many extra shuffles by trustees from the list"),
    )
    save = SubmitField(_l("Save encryption settings"), widget=GovSubmitInput())


class TrusteeForm(FlaskForm):
    name = StringField(
        _l("Trustee's name"),
        description=_l("For example: the returning officer, an independent auditor"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the trustee's name")),
            Length(max=120, message=_l("The trustee's name must be 120 characters or fewer")),
        ],
    )
    add = SubmitField(_l("Add trustee"), widget=GovSubmitInput())


class ButtonForm(FlaskForm):
    """A button and its CSRF token: removing a trustee, a new link, starting the key."""

    go = SubmitField(_l("Continue"), widget=GovSubmitInput())


class RestartForm(FlaskForm):
    reason = StringField(
        _l("Why is the key being made again?"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter why the key is being made again")),
            Length(max=300, message=_l("The reason must be 300 characters or fewer")),
        ],
    )
    restart = SubmitField(_l("Start the key again"), widget=GovSubmitInput())


class UploadForm(FlaskForm):
    file = FileField(_l("The file to upload"), widget=GovFileInput())
    upload = SubmitField(_l("Upload"), widget=GovSubmitInput())
