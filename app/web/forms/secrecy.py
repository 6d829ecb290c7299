"""Forms for an encrypted round: the officer's settings and trustee list, and the trustees'
uploads of the files ``python -m votes trustee`` writes."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from app.web.forms.fields import RadioChoiceField, WholeNumberField, options


class EncryptionForm(FlaskForm):
    encrypted = RadioChoiceField(
        "Are this round's ballots encrypted?",
        choices=options(
            [
                ("yes", "Yes: nobody can read a ballot until the trustees decrypt them"),
                ("no", "No: ballots are stored as they are cast"),
            ]
        ),
        required_message="Select whether the ballots are encrypted",
        invalid_choice_message="Select whether the ballots are encrypted from the list",
    )
    threshold = WholeNumberField(
        "Trustees needed to decrypt",
        description="How many of the trustees must take part to decrypt the ballots, like 2",
        validators=[Optional()],
        message="Enter the number of trustees needed to decrypt as a whole number, like 2",
    )
    trustee_mixes = RadioChoiceField(
        "Extra shuffles by trustees",
        description="After voting closes the server shuffles the ballots; each extra shuffle "
        "by a trustee means nobody can trace a ballot unless the server and every shuffling "
        "trustee work together.",
        choices=options([("0", "None"), ("1", "1"), ("2", "2"), ("3", "3")]),
        required_message="Select how many extra shuffles by trustees",
        invalid_choice_message="Select how many extra shuffles by trustees from the list",
    )
    save = SubmitField("Save encryption settings", widget=GovSubmitInput())


class TrusteeForm(FlaskForm):
    name = StringField(
        "Trustee's name",
        description="For example: the returning officer, an independent auditor",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the trustee's name"),
            Length(max=120, message="The trustee's name must be 120 characters or fewer"),
        ],
    )
    add = SubmitField("Add trustee", widget=GovSubmitInput())


class ButtonForm(FlaskForm):
    """A button and its CSRF token: removing a trustee, a new link, starting the key."""

    go = SubmitField("Continue", widget=GovSubmitInput())


class RestartForm(FlaskForm):
    reason = StringField(
        "Why is the key being made again?",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter why the key is being made again"),
            Length(max=300, message="The reason must be 300 characters or fewer"),
        ],
    )
    restart = SubmitField("Start the key again", widget=GovSubmitInput())


class UploadForm(FlaskForm):
    file = FileField("The file to upload", widget=GovFileInput())
    upload = SubmitField("Upload", widget=GovSubmitInput())
