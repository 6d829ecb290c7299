"""The council's neighbourhood boundaries: a GeoJSON file uploaded by its officers, beside its
address list (docs/maps.md). The work is ``app.workflow.boundaries``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms.places import BoundariesForm
from app.web.officers import bp, officer_council_or_403
from app.web.presenters import maps
from app.web.presenters.formatting import number
from app.web.views import attempt, say
from app.workflow import boundaries as bounds
from app.workflow import places


@bp.route("/<slug>/boundaries", methods=["GET", "POST"])
@login_required
def boundaries(slug: str):
    council = officer_council_or_403(slug)
    form = BoundariesForm()
    text = _uploaded_text(form) if form.validate_on_submit() else None
    if text is None:
        return _page(council, form)
    name_property = (form.name_property.data or "").strip() or None
    try:
        stored = attempt(
            bounds.import_boundaries,
            council,
            actor=current_user,
            text=text,
            name_property=name_property,
        )
    except bounds.BoundariesInvalid as error:
        form.boundaries.errors = [_problems(len(error.problems))]
        return _page(council, form, [(feature, say(p)) for feature, p in error.problems])
    flash(_stored(stored), "success")
    return redirect(url_for("officers.boundaries", slug=slug))


def _problems(n: int) -> str:
    return ngettext(
        "The boundaries file has %(count)s problem, listed below; nothing was changed. "
        "Correct the file and upload it again.",
        "The boundaries file has %(count)s problems, listed below; nothing was "
        "changed. Correct the file and upload it again.",
        n,
        count=number(n),
    )


def _stored(n: int) -> str:
    return ngettext(
        "Boundaries uploaded for %(count)s neighbourhood.",
        "Boundaries uploaded for %(count)s neighbourhoods.",
        n,
        count=number(n),
    )


def _uploaded_text(form: BoundariesForm) -> str | None:
    """The uploaded file's text, or None with the reason beside the file field."""
    upload = request.files.get("boundaries")
    if upload is None or not upload.filename:
        form.boundaries.errors = [_("Select a GeoJSON file of the neighbourhoods' boundaries")]
        return None
    data = upload.read(bounds.MAX_BYTES + 1)
    if len(data) > bounds.MAX_BYTES:
        form.boundaries.errors = [
            _(
                "The file is larger than %(most)s MB. Use generalised boundaries (such as the "
                "ONS's BGC files), or simplify them first",
                most=number(round(bounds.MAX_BYTES / (1024 * 1024), 1)),
            )
        ]
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.boundaries.errors = [_("The file must be GeoJSON saved as UTF-8")]
        return None


def _page(council, form, problems=()):
    shapes = dict((h.id, text) for h, text in places.boundaries(db.session, council))
    return render_template(
        "officers/boundaries.html",
        council=council,
        form=form,
        problems=list(problems),
        hoods=[(h, h.id in shapes) for h in council.neighbourhoods],
        map=maps.council_map(council, session=db.session),
    )
