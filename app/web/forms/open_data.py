"""The council's open data choice: whether each ballot keeps its voter's neighbourhood and age
band for the open data of rounds whose voting opens from now on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField

from app.web.forms.fields import GovSubmitInput, RadioChoiceField, options


class OpenDataForm(FlaskForm):
    voter_details = RadioChoiceField(
        _l("Give each ballot's voter's neighbourhood and age band in the open data?"),
        description=_l(
            "This applies to rounds whose voting opens from now on, and voters are told on "
            "their ballot. Nothing finer is kept: no name, address, date of birth or time. "
            "Rounds with encrypted ballots never keep them: details beside an encrypted "
            "ballot would let anyone follow it through the shuffle, undoing the secret "
            "ballot. In the downloads, a neighbourhood and age band shared by fewer ballots "
            "than the round's minimum for publishing is left blank."
        ),
        choices=options(
            [
                ("yes", _l("Yes: each ballot keeps its voter's neighbourhood and age band")),
                ("no", _l("No: ballots keep nothing about their voters")),
            ]
        ),
        required_message=_l("Select whether ballots keep their voter's neighbourhood and age band"),
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())
