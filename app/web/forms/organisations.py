"""The forms of organisations with members: creating one, its rules, its membership classes,
its officers, and its register (a member, a file of members, a member leaving, a search)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.web.forms.fields import (
    ChoiceField,
    DayMonthYearField,
    GovCheckboxesInput,
    GovEmailInput,
    GovFileInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
    RadioChoiceField,
    WholeNumberField,
    options,
)
from app.workflow.organisations import (
    MembershipClass,
    OrganisationKind,
    OrganisationRole,
    Rules,
    Threshold,
    parse_fraction,
)


class NewOrganisationForm(FlaskForm):
    name = StringField(
        _l("Name of the organisation"),
        validators=[
            InputRequired(_l("Enter the organisation's name")),
            Length(max=200, message=_l("The name must be 200 characters or fewer")),
        ],
        widget=GovTextInput(),
    )
    kind = RadioChoiceField(
        _l("What kind of organisation is it?"),
        choices=options((k.value, _l(k.label)) for k in OrganisationKind),
        required_message=_l("Select what kind of organisation it is"),
        invalid_choice_message=_l("Select what kind of organisation it is from the list"),
    )
    submit = SubmitField(_l("Create the organisation"), widget=GovSubmitInput())


def _day_given(message):
    """A day is required; a day typed wrongly keeps its own message (from the field)."""

    def check(form, field) -> None:
        if field.data is None and not field.process_errors:
            raise ValidationError(message)

    return check


def _share(form, field) -> None:
    if parse_fraction(field.data or "") is None:
        raise ValidationError(_l("Write the share as a fraction, like 3/4"))


def _share_field(label, description):
    return StringField(
        label,
        description=description,
        validators=[InputRequired(_l("Enter the share of the votes cast, like 3/4")), _share],
        widget=GovTextInput(),
    )


def _more_than_field(label):
    return RadioChoiceField(
        label,
        choices=options(
            [("more_than", _l("More than this share")), ("at_least", _l("At least this share"))]
        ),
        required_message=_l("Select whether it needs more than the share or at least it"),
    )


def _count_field(label, description, message, *, required=True):
    validators = [InputRequired(message)] if required else [Optional()]
    return WholeNumberField(label, description=description, validators=validators, message=message)


# The rules a person turns on or off, as one set of checkboxes.
SWITCHES = (
    ("quorum_counts_proxies", _l("Members present by proxy count towards the quorum")),
    ("abstentions_count", _l("Abstentions count as votes cast")),
    ("chair_casting_vote", _l("The chair has a casting vote when the votes are tied")),
)


class RulesForm(FlaskForm):
    """The organisation's rules; field names are the ones ``set_rules`` refuses beside."""

    notice_days = _count_field(
        _l("Days' notice of a general meeting"),
        _l("Between 14 and 90. Members on the register when notice is given may vote."),
        _l("Enter the days' notice as a whole number, like 28"),
    )
    proxy_cap = _count_field(
        _l("Most proxies one member may hold"),
        _l("Between 0 and 50. 0: no proxies."),
        _l("Enter the number of proxies as a whole number, like 5"),
    )
    special = _share_field(
        _l("Share of the votes cast a special resolution needs"),
        _l("A fraction between 1/2 and 1, like 3/4"),
    )
    special_more_than = _more_than_field(_l("Does a special resolution need more than it?"))
    ordinary = _share_field(
        _l("Share of the votes cast an ordinary resolution needs"),
        _l("A fraction between 1/2 and 1, like 1/2"),
    )
    ordinary_more_than = _more_than_field(_l("Does an ordinary resolution need more than it?"))
    quorum_members = _count_field(
        _l("Quorum: members present"),
        _l("A general meeting needs at least this many members present"),
        _l("Enter the quorum as a whole number of members, like 10"),
    )
    quorum_percent = _count_field(
        _l("Quorum: percentage of members (optional)"),
        _l("If set, the quorum is this share of the members eligible when that is more"),
        _l("Enter the percentage as a whole number from 1 to 100, or leave it empty"),
        required=False,
    )
    switches = SelectMultipleField(
        _l("Also"), choices=options(SWITCHES), widget=GovCheckboxesInput()
    )
    submit = SubmitField(_l("Save the rules"), widget=GovSubmitInput())

    def show(self, rules: Rules) -> None:
        """Fill the form with ``rules`` (the page before anything is posted)."""
        self.notice_days.data = rules.notice_days
        self.proxy_cap.data = rules.proxy_cap
        for name in ("special", "ordinary"):
            threshold = getattr(rules, name)
            self[name].data = f"{threshold.numerator}/{threshold.denominator}"
            self[f"{name}_more_than"].data = "more_than" if threshold.more_than else "at_least"
        self.quorum_members.data = rules.quorum_members
        self.quorum_percent.data = rules.quorum_percent
        self.switches.data = [name for name, _ in SWITCHES if getattr(rules, name)]

    def rules(self) -> Rules:
        """The rules the (valid) form gives."""
        on = set(self.switches.data or [])
        return Rules(
            notice_days=self.notice_days.data,
            proxy_cap=self.proxy_cap.data,
            special=self._threshold("special"),
            ordinary=self._threshold("ordinary"),
            quorum_members=self.quorum_members.data,
            quorum_percent=self.quorum_percent.data,
            **{name: name in on for name, _ in SWITCHES},
        )

    def _threshold(self, name: str) -> Threshold:
        numerator, denominator = parse_fraction(self[name].data)
        return Threshold(numerator, denominator, self[f"{name}_more_than"].data == "more_than")


class MemberForm(FlaskForm):
    """One member; field names are the ones ``add_member`` refuses beside."""

    member_number = StringField(
        _l("Member number"),
        validators=[InputRequired(_l("Enter the member number")), Length(max=32)],
        widget=GovTextInput(),
    )
    name = StringField(
        _l("Full name"),
        validators=[InputRequired(_l("Enter the member's name")), Length(max=200)],
        widget=GovTextInput(),
    )
    email = StringField(
        _l("Email address (optional)"),
        validators=[Length(max=254)],
        widget=GovEmailInput(),
    )
    phone = StringField(
        _l("UK mobile number (optional)"),
        description=_l("Like 07700 900123"),
        validators=[Length(max=40)],
        widget=GovTextInput(),
    )
    membership_class = ChoiceField(
        _l("Membership class"),
        widget=GovSelect(),
        validators=[InputRequired(_l("Select the membership class"))],
        invalid_choice_message=_l("Select the membership class from the list"),
    )
    joined_on = DayMonthYearField(
        _l("Date joined"),
        description=_l("For example, 27 3 2024"),
        validators=[_day_given(_l("Enter the date the member joined"))],
    )
    submit = SubmitField(_l("Add the member"), widget=GovSubmitInput())


def member_form(classes: list[MembershipClass]) -> MemberForm:
    form = MemberForm()
    form.membership_class.choices = options((c.code, c.name) for c in classes)
    return form


class ImportMembersForm(FlaskForm):
    members = FileField(_l("File of members (CSV)"), widget=GovFileInput())
    submit = SubmitField(_l("Import the members"), widget=GovSubmitInput())


class ClassForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l("How a file of members names the class: letters and digits, like tenant"),
        validators=[InputRequired(_l("Enter the class's code")), Length(max=32)],
        widget=GovTextInput(),
    )
    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Enter the class's name")), Length(max=100)],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Add the class"), widget=GovSubmitInput())


class OfficerForm(FlaskForm):
    email = StringField(
        _l("Email address of their account"),
        description=_l("They need an account first. Officers sign in with two factors."),
        validators=[InputRequired(_l("Enter the email address of their account"))],
        widget=GovEmailInput(),
    )
    role = RadioChoiceField(
        _l("Role"),
        choices=options((r.value, _l(r.label)) for r in OrganisationRole),
        required_message=_l("Select the officer's role"),
    )
    submit = SubmitField(_l("Appoint the officer"), widget=GovSubmitInput())


class LeavingForm(FlaskForm):
    left_on = DayMonthYearField(
        _l("Date they left"),
        description=_l("For example, 27 3 2026"),
        validators=[_day_given(_l("Enter the date the member left"))],
    )
    submit = SubmitField(_l("Record the leaving"), widget=GovSubmitInput())


class MemberSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a search changes nothing

    q = StringField(
        _l("Search by name or member number"),
        validators=[Length(max=100)],
        widget=GovTextInput(),
    )
