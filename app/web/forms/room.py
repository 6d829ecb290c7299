"""The forms of voting in the room at a general meeting: the desk's card for a member, the
kiosk's card code, and a motion's ballot there."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from app.web.forms.fields import GovSubmitInput, GovTextInput, RadioChoiceField, options


class CardDeskForm(FlaskForm):
    """The desk: a member's number, and what to do (``action``: give, replace or revoke)."""

    member_number = StringField(
        _l("Member number"),
        description=_l("The number on the member's membership card or letter"),
        validators=[InputRequired(_l("Enter the member number")), Length(max=64)],
        widget=GovTextInput(),
    )


class CardForm(FlaskForm):
    card = StringField(
        _l("Your voting card"),
        description=_l("Type the code on your card, like ABCD-EFGH-JKLM-NPQR, or scan its QR code"),
        validators=[InputRequired(_l("Enter the code on your voting card")), Length(max=60)],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Start voting"), widget=GovSubmitInput())


class MotionBallotForm(FlaskForm):
    choice = RadioChoiceField(
        _l("Your vote"),
        choices=options(
            [("for", _l("For")), ("against", _l("Against")), ("abstain", _l("Abstain"))]
        ),
        required_message=_l("Choose for, against or abstain"),
        invalid_choice_message=_l("Choose for, against or abstain"),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())
