"""The page where a proposal is placed on the map, for its author and for the council's
officers alike: by an address from the council's list (a postcode first, sent with GET, then
one of its addresses), by a click on the council's map (an ``<input type="image">``: no
JavaScript), by a latitude and longitude typed in, or taken off the map. Each is its own small
form on the page, saying which it is in ``how``; the work is ``app.workflow.places``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.web.extensions import db
from app.web.forms.places import (
    AddressPlaceForm,
    MapPlaceForm,
    PointPlaceForm,
    RemovePlaceForm,
)
from app.web.forms.registration import PostcodeForm
from app.web.i18n import in_page_language
from app.web.presenters import maps
from app.web.views import attempt, refusal_page, show_error
from app.workflow import places
from app.workflow import registrations as registering
from app.workflow.errors import DomainError
from app.workflow.models import Council, FundingRound, Proposal


def _forms(addresses) -> dict:
    return {
        "address": AddressPlaceForm(addresses=addresses),
        "map": MapPlaceForm(),
        "point": PointPlaceForm(),
        "remove": RemovePlaceForm(),
    }


def _done(how: str) -> str:
    return {
        "address": _("The proposal is placed at the address"),
        "map": _("The proposal is placed where you clicked on the map"),
        "point": _("The proposal is placed at the latitude and longitude"),
        "remove": _("The proposal is off the map"),
    }[how]


def _carry_out(how: str, form, proposal: Proposal) -> DomainError | bool:
    """Do what the form asks: True when done; False, or the refusal, with the refusal beside
    its field."""
    try:
        if how == "address":
            attempt(
                places.place_at_address,
                proposal,
                actor=current_user,
                address_id=int(form.address.data),
            )
        elif how == "map":
            x, y = form.map.data
            attempt(
                places.place_at_click,
                proposal,
                actor=current_user,
                x=x,
                y=y,
                frame_key=form.frame.data or "",
            )
        elif how == "point":
            degrees = form.degrees()
            if degrees is None:
                return False
            attempt(
                places.place_at_point,
                proposal,
                actor=current_user,
                latitude=degrees[0],
                longitude=degrees[1],
                field="latitude",
            )
        else:
            attempt(places.unplace, proposal, actor=current_user)
    except DomainError as error:
        show_error(form, error, {"address": "address", "map": "map"}.get(how, "latitude"))
        return error
    return True


def postcode_lookup(council: Council):
    """The postcode form as sent (with GET), and the council's addresses at its postcode;
    the reason beside the postcode when it is not one or has no address."""
    if "postcode" not in request.args:
        return PostcodeForm(formdata=None), []
    lookup = PostcodeForm(formdata=request.args)
    if not lookup.validate():
        return lookup, []
    addresses = registering.addresses_at(db.session, council, lookup.postcode.data)
    if not addresses:
        lookup.postcode.errors.append(
            _(
                "No address in %(council)s's address list has the postcode %(postcode)s. "
                "Check it, or place the project another way below.",
                council=str(in_page_language(council, "name")),
                postcode=lookup.postcode.data.strip().upper(),
            )
        )
    return lookup, addresses


def place_page(
    council: Council,
    funding_round: FundingRound,
    proposal: Proposal,
    *,
    here: str,
    back: str,
    back_text: str,
):
    """The place page for ``proposal``: ``here`` its own address (forms post back to it,
    with the postcode looked up), ``back`` and ``back_text`` the way on."""
    lookup, addresses = postcode_lookup(council)
    forms = _forms(addresses)
    form = lookup if lookup.errors else None
    done: DomainError | bool = False
    if request.method == "POST":
        how = request.form.get("how", "")
        if how not in forms:
            abort(400)
        form = forms[how]
        done = form.validate_on_submit() and _carry_out(how, form, proposal)
        if done is True:
            flash(_done(how), "success")
            return redirect(_without_postcode(here))
    may_place = places.can_place(proposal, current_user)
    if isinstance(done, DomainError) and not may_place:
        # Refused because it can no longer be placed at all (voting opened, or its author
        # may no longer change it): the page says why, with no forms to try again with.
        return refusal_page(done)
    picker = maps.picker(council, proposal, session=db.session) if may_place else None
    if picker is not None:
        forms["map"].frame.data = picker.key
    return render_template(
        "placing/place.html",
        council=council,
        round=funding_round,
        proposal=proposal,
        form=form,
        forms=forms,
        lookup=lookup,
        addresses=addresses,
        postcode=request.args.get("postcode", ""),
        here=here,
        back=back,
        back_text=back_text,
        may_place=may_place,
        picker=picker,
        has_addresses=places.has_address_list(db.session, council.id),
        place=_where(council, proposal),
    )


def _without_postcode(url: str) -> str:
    return url.split("?", 1)[0]


def _where(council: Council, proposal: Proposal) -> dict:
    """What the page says of where the proposal is now."""
    address = places.addresses_by_uprn(db.session, council.id, [proposal.address_uprn]).get(
        proposal.address_uprn or ""
    )
    hood = proposal.neighbourhood
    point = None
    if proposal.latitude is not None:
        point = (f"{proposal.latitude:.6f}", f"{proposal.longitude:.6f}")
    return {
        "address": address,
        "neighbourhood": hood,
        "point": point,
        "placed": bool(address or point or hood),
    }
