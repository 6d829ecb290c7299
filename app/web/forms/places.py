"""Forms for places on a map: a council's neighbourhood boundaries, and where a proposal is
(an address from the council's list, a click on its map, a latitude and longitude typed in,
or nowhere)."""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, HiddenField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, StopValidation

from app.web.forms.fields import (
    GovFileInput,
    GovSubmitInput,
    GovTextInput,
    RadioChoiceField,
    options,
)


class BoundariesForm(FlaskForm):
    boundaries = FileField(_l("Boundaries (GeoJSON)"), widget=GovFileInput())
    name_property = StringField(
        _l("The property that names each neighbourhood (optional)"),
        description=_l(
            "Leave it empty to use the usual ones: name, ward, or an ONS name such as WD24NM"
        ),
        widget=GovTextInput(),
        validators=[Optional(), Length(max=64, message=_l("A property is 64 characters or fewer"))],
    )
    submit = SubmitField(_l("Upload boundaries"), widget=GovSubmitInput())


class AddressPlaceForm(FlaskForm):
    """One of the addresses at the postcode looked up."""

    address = RadioChoiceField(
        _l("Which address is the project at?"),
        required_message=_l("Select the project's address"),
        invalid_choice_message=_l("Select an address from the list"),
    )
    place_address = SubmitField(_l("Place it at this address"), widget=GovSubmitInput())

    def __init__(self, *args, addresses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.address.choices = options((a.id, a.address) for a in addresses)


class MapClick(Field):
    """A click on an ``<input type="image" name="map">``: the browser sends ``map.x`` and
    ``map.y``, whole pixels from the image's top left. Drawn by the page (the image is the
    council's map), so it has no widget of its own."""

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.data = None
        self.object_data = data
        if formdata is None:
            return
        x, y = formdata.get(f"{self.name}.x"), formdata.get(f"{self.name}.y")
        if x is None or y is None:
            return
        try:
            self.data = (int(float(x)), int(float(y)))
        except ValueError:
            self.process_errors.append(_l("Click on the map where the project would be"))

    def pre_validate(self, form):
        if self.data is None:
            raise StopValidation(_l("Click on the map where the project would be"))


class MapPlaceForm(FlaskForm):
    # The map the click was on (``places.Frame.key``): a click on an older map is not read.
    frame = HiddenField()
    map = MapClick(_l("Or click on the map where the project would be"))


def _degrees(label, hint, required):
    return StringField(
        label,
        description=hint,
        widget=GovTextInput(),
        validators=[
            InputRequired(message=required),
            Length(max=20, message=_l("Enter the number in degrees, like 51.4613")),
        ],
    )


class PointPlaceForm(FlaskForm):
    latitude = _degrees(
        _l("Latitude"), _l("In degrees north, like 51.4613"), _l("Enter the latitude")
    )
    longitude = _degrees(
        _l("Longitude"),
        _l("In degrees east, like -0.1156 (west of Greenwich is negative)"),
        _l("Enter the longitude"),
    )
    place_point = SubmitField(_l("Place it at this point"), widget=GovSubmitInput())

    def degrees(self) -> tuple[float, float] | None:
        """(latitude, longitude) typed, or None with the reason beside the field."""
        out = []
        for field in (self.latitude, self.longitude):
            try:
                value = float(field.data.strip())
            except ValueError:
                value = math.nan
            if math.isfinite(value):
                out.append(value)
            else:
                field.errors = [*field.errors, str(_l("Enter the number in degrees, like 51.4613"))]
        return (out[0], out[1]) if len(out) == 2 else None


class RemovePlaceForm(FlaskForm):
    remove = SubmitField(_l("Take it off the map"), widget=GovSubmitInput())
