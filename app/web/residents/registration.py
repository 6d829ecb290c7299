"""A resident registering to vote at their address, in a round that takes registrations at
an address: their postcode first (a GET form, no JavaScript), then their address from the
council's list, their name and date of birth. They can then vote at once, or wait for an
officer; afterwards the same page says which, and why when an officer refused."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.web import i18n
from app.web.extensions import db, limiter
from app.web.forms.registration import AddressRegistrationForm, PostcodeForm
from app.web.public import council_and_round_or_404
from app.web.residents import bp
from app.web.views import answers_refusals, attempt, show_error
from app.workflow import registrations as registering
from app.workflow.clock import london_today
from app.workflow.models import Phase
from ballots.errors import RegistrationRefused

ROUND = "/councils/<slug>/rounds/<round_slug>"


@bp.route(ROUND + "/register", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per minute", methods=["POST"])
@answers_refusals
def register(slug: str, round_slug: str):
    council, funding_round = council_and_round_or_404(slug, round_slug)
    registering.check_can_register(council, funding_round, current_user)
    standing = _standing(council, funding_round)
    if standing is not None:
        return _page("residents/registered.html", council, funding_round, **standing)
    lookup, addresses = postcode_lookup(council)
    form = AddressRegistrationForm(addresses=addresses)
    if addresses and form.validate_on_submit() and _registered(form, council, funding_round):
        return redirect(url_for("residents.register", slug=slug, round_slug=round_slug))
    if not addresses:
        form = lookup  # the page's main form is the postcode's until it lists addresses
    return _page(
        "residents/register.html",
        council,
        funding_round,
        form=form,
        lookup=lookup,
        addresses=addresses,
        postcode=request.args.get("postcode", ""),
    )


def postcode_lookup(council):
    """The postcode form as sent (with GET), and the council's addresses at its postcode;
    the reason beside the postcode when it is not a postcode or has no address."""
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
                "Check it, or choose a neighbourhood below.",
                council=str(i18n.in_page_language(council, "name")),
                postcode=lookup.postcode.data.strip().upper(),
            )
        )
    return lookup, addresses


def _page(template: str, council, funding_round, **context):
    voting = funding_round.phase == Phase.VOTING
    return render_template(template, council=council, round=funding_round, voting=voting, **context)


def _standing(council, funding_round) -> dict | None:
    """What the page says when the resident has registered on the round's roll, or is on it
    already; None when they may register."""
    own = registering.own_registration(db.session, council, funding_round, current_user)
    if own is not None:
        return {"registration": own, "verified": False}
    if registering.verified_on_roll(db.session, council, funding_round, current_user):
        return {"registration": None, "verified": True}
    return None


def _registered(form: AddressRegistrationForm, council, funding_round) -> bool:
    """Registered (True), or False with the refusal beside its field."""
    try:
        attempt(
            registering.register,
            council,
            funding_round,
            current_user,
            address_id=int(form.address.data),
            name=form.name.data,
            date_of_birth=form.date_of_birth.data,
            today=london_today(),
        )
    except RegistrationRefused as error:
        show_error(form, error, "name")
        return False
    return True
