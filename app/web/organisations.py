"""Pages for organisations with members: a council's officers (or the network's
administrators) list and create the organisations they host; an organisation's officers keep
its rules, membership classes, officers and register. The work itself is
``app.workflow.organisations``; who may do what is said there (``common``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.web.extensions import db
from app.web.forms import ConfirmForm
from app.web.forms.organisations import (
    ClassForm,
    ImportMembersForm,
    LeavingForm,
    MemberSearchForm,
    NewOrganisationForm,
    OfficerForm,
    RulesForm,
    member_form,
)
from app.web.officers import officer_council_or_403, tried
from app.web.presenters.formatting import number
from app.web.presenters.organisations import rules_rows
from app.web.public import pagination_items
from app.web.views import attempt, say
from app.workflow import organisations
from app.workflow.clock import london_today
from app.workflow.errors import DomainError
from app.workflow.models import Council
from app.workflow.organisations import MembersInvalid, Organisation

bp = Blueprint("organisations", __name__)

ORG = "/organisations/<int:organisation_id>"


def _organisation_or_404(organisation_id: int) -> Organisation:
    organisation = organisations.find_organisation(db.session, organisation_id)
    if organisation is None:
        abort(404)
    g.council = organisation.council  # the base template brands the page with its host
    return organisation


def run_or_403(organisation_id: int) -> Organisation:
    """The organisation, for its officers: 403 for anyone else, 404 when there is none."""
    organisation = _organisation_or_404(organisation_id)
    if not organisations.may_run(current_user, organisation):
        abort(403)
    return organisation


def oversee_or_403(organisation_id: int) -> Organisation:
    """The organisation, for its officers and its host's staff."""
    organisation = _organisation_or_404(organisation_id)
    if not organisations.may_oversee(current_user, organisation):
        abort(403)
    return organisation


def _network_or_403() -> None:
    if not organisations.may_host(current_user, None):
        abort(403)


def _page(template: str, organisation: Organisation, **context):
    return render_template(
        f"organisations/{template}.html",
        organisation=organisation,
        council=organisation.council,
        can_run=organisations.may_run(current_user, organisation),
        can_host=organisations.may_host(current_user, organisation.council),
        **context,
    )


def _to(endpoint: str, organisation: Organisation, **values):
    return redirect(url_for(f".{endpoint}", organisation_id=organisation.id, **values))


# --- The host's list, and a new organisation -------------------------------------------------


@bp.route("/officers/<slug>/organisations")
@login_required
def council_list(slug: str):
    council = officer_council_or_403(slug)
    return _listing(council)


@bp.route("/officers/<slug>/organisations/new", methods=["GET", "POST"])
@login_required
def new_for_council(slug: str):
    return _new(officer_council_or_403(slug))


@bp.route("/network/organisations")
@login_required
def network_list():
    _network_or_403()
    return _listing(None)


@bp.route("/network/organisations/new", methods=["GET", "POST"])
@login_required
def new_for_network():
    _network_or_403()
    return _new(None)


def _listing(council: Council | None):
    return render_template(
        "organisations/list.html",
        council=council,
        hosted=organisations.hosted_by(db.session, council),
    )


def _new(council: Council | None):
    form = NewOrganisationForm()
    done = form.validate_on_submit() and tried(
        form,
        "name",
        organisations.create_organisation,
        council,
        name=form.name.data,
        kind=form.kind.data,
    )
    if done:
        flash(_("%(name)s is created: you are its secretary", name=done.value.name), "success")
        return _to("home", done.value)
    return render_template("organisations/new.html", council=council, form=form)


# --- An organisation -------------------------------------------------------------------------


@bp.route(ORG)
@login_required
def home(organisation_id: int):
    organisation = oversee_or_403(organisation_id)
    return _page(
        "home",
        organisation,
        rules=rules_rows(organisation),
        on_register=organisations.register_count(db.session, organisation, london_today()),
        officers=organisations.officers_of(db.session, organisation),
    )


@bp.route(ORG + "/rules", methods=["GET", "POST"])
@login_required
def rules(organisation_id: int):
    organisation = run_or_403(organisation_id)
    form = RulesForm()
    if not form.is_submitted():
        form.show(organisations.rules_of(organisation))
    done = form.validate_on_submit() and tried(
        form, "notice_days", organisations.set_rules, organisation, rules=form.rules()
    )
    if done:
        flash(_("The rules of %(name)s are saved", name=organisation.name), "success")
        return _to("home", organisation)
    return _page("rules", organisation, form=form)


@bp.route(ORG + "/classes", methods=["GET", "POST"])
@login_required
def classes(organisation_id: int):
    organisation = run_or_403(organisation_id)
    form = ClassForm()
    done = form.validate_on_submit() and tried(
        form,
        "code",
        organisations.add_class,
        organisation,
        code=form.code.data,
        name=form.name.data,
    )
    if done:
        flash(_("Class %(code)s added", code=done.value.code), "success")
        return _to("classes", organisation)
    listed = organisations.classes_of(db.session, organisation)
    return _page("classes", organisation, form=form, classes=listed)


@bp.route(ORG + "/officers", methods=["GET", "POST"])
@login_required
def officers(organisation_id: int):
    organisation = oversee_or_403(organisation_id)
    form = OfficerForm()
    done = form.validate_on_submit() and tried(
        form,
        "email",
        organisations.appoint_officer,
        organisation,
        email=form.email.data,
        role=form.role.data,
    )
    if done:
        flash(_("%(name)s is an officer", name=done.value.user.display_name), "success")
        return _to("officers", organisation)
    listed = organisations.officers_of(db.session, organisation)
    return _page("officers", organisation, form=form, officers=listed, remove=ConfirmForm())


@bp.route(ORG + "/officers/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_officer(organisation_id: int, user_id: int):
    organisation = oversee_or_403(organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        removed = attempt(
            organisations.remove_officer, organisation, actor=current_user, user_id=user_id
        )
    except DomainError as refused:
        flash(say(refused), "important")
        return _to("officers", organisation)
    flash(_("%(name)s is no longer an officer", name=removed.display_name), "success")
    if not organisations.may_oversee(current_user, organisation):
        return redirect(url_for("residents.account"))  # they removed themselves
    return _to("officers", organisation)


# --- The register ----------------------------------------------------------------------------


@bp.route(ORG + "/members")
@login_required
def members(organisation_id: int):
    organisation = run_or_403(organisation_id)
    search = MemberSearchForm(request.args)
    query = (search.q.data or "") if search.validate() else ""
    listing = organisations.members_page(
        db.session, organisation, query=query, page=request.args.get("page", 1, type=int)
    )
    if listing is None:
        abort(404)
    return _page("members", organisation, search=search, listing=listing, **_pages(listing))


def _pages(listing: organisations.MembersPage) -> dict:
    """The register's links to its other pages (keeping the search)."""

    def href(number: int) -> str:
        return url_for(
            ".members",
            organisation_id=request.view_args["organisation_id"],
            q=listing.query or None,
            page=number if number > 1 else None,
        )

    page, pages = listing.page, listing.pages
    return {
        "pagination": {
            "items": pagination_items(page, pages, href),
            "previous": {"href": href(page - 1)} if page > 1 else None,
            "next": {"href": href(page + 1)} if page < pages else None,
            "landmarkLabel": _("Pagination"),
        },
        "first_shown": (page - 1) * organisations.MEMBERS_PER_PAGE + 1,
    }


@bp.route(ORG + "/members/add", methods=["GET", "POST"])
@login_required
def add_member(organisation_id: int):
    organisation = run_or_403(organisation_id)
    form = member_form(organisations.classes_of(db.session, organisation))
    done = form.validate_on_submit() and tried(
        form, "member_number", organisations.add_member, organisation, **_member_fields(form)
    )
    if done:
        flash(_("%(name)s is on the register", name=done.value.name), "success")
        return _to("members", organisation)
    return _page("add_member", organisation, form=form)


def _member_fields(form) -> dict:
    fields = ("member_number", "name", "email", "phone", "membership_class", "joined_on")
    return {name: form[name].data or "" for name in fields} | {"today": london_today()}


@bp.route(ORG + "/members/import", methods=["GET", "POST"])
@login_required
def import_members(organisation_id: int):
    organisation = run_or_403(organisation_id)
    form = ImportMembersForm()
    text = _file_text(form) if form.validate_on_submit() else None
    if text is None:
        return _import_page(organisation, form)
    try:
        added = attempt(
            organisations.import_members,
            organisation,
            actor=current_user,
            text=text,
            today=london_today(),
        )
    except MembersInvalid as error:
        form.members.errors = [_problems(len(error.problems))]
        return _import_page(organisation, form, error.problems)
    flash(_added(added), "success")
    return _to("members", organisation)


def _import_page(organisation, form, problems=()):
    rows = [(p.row, p.column, say(p.message)) for p in problems]
    classes = organisations.classes_of(db.session, organisation)
    return _page("import", organisation, form=form, problems=rows, classes=classes)


def _file_text(form: ImportMembersForm) -> str | None:
    """The uploaded file's text, or None with the reason beside the file field."""
    upload = request.files.get("members")
    if upload is None or not upload.filename:
        form.members.errors = [_("Select a CSV file of members")]
        return None
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.members.errors = [_("The file must be a CSV file saved as UTF-8")]
        return None


def _problems(n: int) -> str:
    return ngettext(
        "The file has %(count)s problem, listed below; nobody was added. Correct the file and "
        "upload it again.",
        "The file has %(count)s problems, listed below; nobody was added. Correct the file "
        "and upload it again.",
        n,
        count=number(n),
    )


def _added(n: int) -> str:
    return ngettext(
        "%(count)s member added to the register",
        "%(count)s members added to the register",
        n,
        count=number(n),
    )


@bp.route(ORG + "/members/<int:member_id>/leaving", methods=["GET", "POST"])
@login_required
def member_leaving(organisation_id: int, member_id: int):
    organisation = run_or_403(organisation_id)
    member = organisations.member_of(db.session, organisation, member_id) or abort(404)
    form = LeavingForm()
    done = form.validate_on_submit() and tried(
        form,
        "left_on",
        organisations.record_leaving,
        organisation,
        member.id,
        left_on=form.left_on.data,
        today=london_today(),
    )
    if done:
        flash(_("%(name)s's leaving is recorded", name=member.name), "success")
        return _to("members", organisation)
    return _page("leaving", organisation, form=form, member=member)
