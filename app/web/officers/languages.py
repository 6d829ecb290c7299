"""A council's languages and texts, for its administrators: whether it speaks English only or
Welsh and English (and which first), and its name, description and neighbourhoods' names in
each of its languages."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.web import i18n
from app.web.forms.languages import council_form, field_name, fill, written
from app.web.officers import bp
from app.web.officers.staff import _admin_council_or_403
from app.web.views import attempt, show_error
from app.workflow import languages as texts_in
from app.workflow.errors import DomainError


@bp.route("/<slug>/languages", methods=["GET", "POST"])
@login_required
def council_languages(slug: str):
    council = _admin_council_or_403(slug)
    form = council_form(council, i18n.languages(), texts_in.orders(i18n.languages()))
    if not form.is_submitted():
        _fill(form, council)
    elif form.validate() and _saved(form, council):
        flash(_("The council's languages and texts are saved."), "success")
        return redirect(url_for("officers.council_languages", slug=council.slug))
    return render_template(
        "officers/council_languages.html",
        council=council,
        form=form,
        spoken=council.spoken_languages,
    )


def _fill(form, council) -> None:
    form.languages.data = council.languages
    fill(form, "name", texts_in.texts(council, "name"))
    fill(form, "description", texts_in.texts(council, "description"))
    for hood in council.neighbourhoods:
        fill(form, f"hood{hood.id}", texts_in.texts(hood, "name"))


def _saved(form, council) -> bool:
    """Save what the form says (the texts in the languages the form asked for); False with
    the refusal beside its field."""
    spoken = council.spoken_languages
    try:
        attempt(
            texts_in.update_council,
            council,
            order=form.languages.data.split(),
            available=i18n.languages(),
            written={
                "name": written(form, "name", spoken),
                "description": written(form, "description", spoken),
            },
            neighbourhoods={
                hood.id: written(form, f"hood{hood.id}", spoken) for hood in council.neighbourhoods
            },
            actor=current_user,
        )
    except DomainError as error:
        show_error(form, error, _field_for(error, spoken))
        return False
    return True


def _field_for(error: DomainError, spoken) -> str:
    """The form field a refusal about a text belongs beside: its first language's."""
    if error.field in (None, "languages", "neighbourhoods"):
        return "languages"
    return field_name(error.field, spoken[0])
