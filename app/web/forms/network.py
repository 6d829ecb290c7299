"""The form of a council's place in the network."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from app.web.forms.fields import RadioChoiceField, options


class NetworkForm(FlaskForm):
    in_network = RadioChoiceField(
        _l("Show this council on the network's pages?"),
        description=_l(
            "The network's home, the comparison of councils and what worked show the published "
            "rounds of every council that takes part. Your council's own pages, results and "
            "open data stay public either way."
        ),
        choices=options(
            [
                ("yes", _l("Yes, show our published rounds beside the other councils'")),
                ("no", _l("No, leave us off the network's pages")),
            ]
        ),
        required_message=_l("Select whether to show the council on the network's pages"),
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())
