"""The forms of general meetings: a meeting, a motion (tabled by an officer, or proposed by a
member), starting the meeting with its chair,
checking members in, a paper ballot, a member's vote, a proxy, the declaration and linking a
member to their account."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.web.forms.events import clock_time
from app.web.forms.fields import (
    ChoiceField,
    DayMonthYearField,
    GovEmailInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
    RadioChoiceField,
    options,
)
from app.workflow.clock import LONDON
from app.workflow.governance.models import MeetingKind

YES_NO = options([("yes", _l("Yes")), ("no", _l("No"))])
THRESHOLDS = options(
    [
        ("ordinary", _l("Ordinary resolution")),
        ("special", _l("Special resolution")),
        ("other", _l("Another share of the votes cast")),
    ]
)
CHOICE_LABELS = {"for": _l("For"), "against": _l("Against"), "abstain": _l("Abstain")}


def _clock(optional: bool):
    def check(form, field) -> None:
        if optional and not (field.data or "").strip():
            return
        if clock_time(field.data) is None:
            raise ValidationError(
                _l("Enter the time as hours and minutes on the 24-hour clock, like 18:30")
            )

    return check


def _day_given(form, field) -> None:
    if field.data is None and not field.process_errors:
        raise ValidationError(_l("Enter the day of the meeting"))


def _at(day, clock: str | None) -> datetime | None:
    when = clock_time(clock or "")
    if day is None or when is None:
        return None
    return datetime.combine(day, when, tzinfo=LONDON).astimezone(UTC)


class MeetingForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Enter the meeting's title")), Length(max=200)],
        widget=GovTextInput(),
    )
    kind = RadioChoiceField(
        _l("Kind of meeting"),
        choices=options((k.value, _l(k.label)) for k in MeetingKind),
        required_message=_l("Select what kind of meeting it is"),
    )
    day = DayMonthYearField(
        _l("Day of the meeting"), description=_l("For example, 14 3 2027"), validators=[_day_given]
    )
    time = StringField(
        _l("Starts at"),
        description=_l("24-hour clock, UK time, like 18:30"),
        validators=[InputRequired(_l("Enter when the meeting starts")), _clock(False)],
        widget=GovTextInput(),
    )
    place = TextAreaField(
        _l("Where it is held"),
        validators=[InputRequired(_l("Enter where the meeting is held")), Length(max=500)],
        widget=GovTextArea(),
    )
    online_voting = RadioChoiceField(
        _l("Can members vote online while an item is open?"),
        choices=YES_NO,
        required_message=_l("Select whether members can vote online"),
    )
    deadline_day = DayMonthYearField(
        _l("Deadline for motions (optional)"),
        description=_l("Motions must be tabled before it. For example, 14 2 2027"),
        validators=[Optional()],
    )
    deadline_time = StringField(
        _l("Deadline time (optional)"),
        description=_l("24-hour clock, UK time; midnight if left empty"),
        validators=[_clock(True)],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Save the meeting"), widget=GovSubmitInput())

    def show(self, meeting) -> None:
        from app.workflow.clock import in_london

        local = in_london(meeting.starts_at)
        self.title.data, self.kind.data, self.place.data = (
            meeting.title,
            meeting.kind,
            meeting.place,
        )
        self.day.data, self.time.data = local.date(), local.strftime("%H:%M")
        self.online_voting.data = "yes" if meeting.online_voting else "no"
        if meeting.motions_deadline is not None:
            deadline = in_london(meeting.motions_deadline)
            self.deadline_day.data, self.deadline_time.data = (
                deadline.date(),
                deadline.strftime("%H:%M"),
            )

    def values(self) -> dict:
        """The workflow's arguments (``create_meeting``, ``edit_meeting``)."""
        return {
            "title": self.title.data,
            "kind": self.kind.data,
            "starts_at": _at(self.day.data, self.time.data),
            "place": self.place.data,
            "online_voting": self.online_voting.data == "yes",
            "motions_deadline": _at(self.deadline_day.data, self.deadline_time.data or "00:00"),
        }


class _MotionFields:
    """What a motion is, the same whoever tables it: officers (``MotionForm``) or a member
    (``ProposeForm``)."""

    amends = ChoiceField(_l("Is it an amendment?"), widget=GovSelect(), coerce=str)
    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Enter the motion's title")), Length(max=200)],
        widget=GovTextInput(),
    )
    wording = TextAreaField(
        _l("Wording"),
        description=_l("What the members are asked to resolve, as it will be put to them"),
        validators=[InputRequired(_l("Enter the wording of the motion")), Length(max=10_000)],
        widget=GovTextArea(),
    )
    threshold = RadioChoiceField(
        _l("Threshold"),
        choices=THRESHOLDS,
        required_message=_l("Select the resolution's threshold"),
    )
    share = StringField(
        _l("Share it needs, for another threshold"),
        description=_l("At least this share of the votes cast, like 2/3"),
        validators=[Length(max=10)],
        widget=GovTextInput(),
    )


class MotionForm(_MotionFields, FlaskForm):
    proposer = ChoiceField(
        _l("Proposed by"),
        widget=GovSelect(),
        invalid_choice_message=_l("Select the member who proposes it"),
    )
    seconder = ChoiceField(
        _l("Seconded by"),
        widget=GovSelect(),
        invalid_choice_message=_l("Select the member who seconds it"),
    )
    submit = SubmitField(_l("Table the motion"), widget=GovSubmitInput())


def motion_form(members, motions) -> MotionForm:
    form = MotionForm()
    people = [("", _l("Select a member"))] + [
        (str(m.id), f"{m.member_number} – {m.name}") for m in members
    ]
    form.proposer.choices = options(people)
    form.seconder.choices = options(people)
    form.amends.choices = options(
        [("", _l("No: it is a motion"))]
        + [(str(m.id), _l("An amendment to %(title)s", title=m.title)) for m in motions]
    )
    return form


class ProposeForm(_MotionFields, FlaskForm):
    """A member's own motion, and the member they ask to second it (``propose_motion``)."""

    seconder = StringField(
        _l("Member number of the member you ask to second it"),
        description=_l("They confirm it before the motion goes on the agenda"),
        validators=[
            InputRequired(_l("Enter the member number of the member who seconds it")),
            Length(max=32),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Propose the motion"), widget=GovSubmitInput())


def propose_form(motions) -> ProposeForm:
    form = ProposeForm()
    form.amends.choices = options(
        [("", _l("No: it is a motion"))]
        + [(str(m.id), _l("An amendment to %(title)s", title=m.title)) for m in motions]
    )
    return form


class StartForm(FlaskForm):
    chair = ChoiceField(
        _l("Chair of the meeting"),
        description=_l("One of the organisation's officers: they open and close each vote"),
        widget=GovSelect(),
        invalid_choice_message=_l("Select the chair from the officers"),
    )
    submit = SubmitField(_l("Start the meeting"), widget=GovSubmitInput())


def start_form(officers) -> StartForm:
    form = StartForm()
    form.chair.choices = options(
        [("", _l("Select an officer"))] + [(str(o.user_id), o.user.display_name) for o in officers]
    )
    return form


class CheckInForm(FlaskForm):
    member_number = StringField(
        _l("Member number"),
        validators=[InputRequired(_l("Enter the member number")), Length(max=32)],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Check in"), widget=GovSubmitInput())


def _choice_field():
    return RadioChoiceField(
        _l("Vote"),
        choices=options(CHOICE_LABELS.items()),
        required_message=_l("Choose for, against or abstain"),
    )


class PaperForm(FlaskForm):
    member_number = StringField(
        _l("Member number"),
        validators=[InputRequired(_l("Enter the member number")), Length(max=32)],
        widget=GovTextInput(),
    )
    choice = _choice_field()
    submit = SubmitField(_l("Enter the paper ballot"), widget=GovSubmitInput())


class VoteForm(FlaskForm):
    choice = _choice_field()
    for_member = HiddenField()
    submit = SubmitField(_l("Cast the vote"), widget=GovSubmitInput())


class ProxyForm(FlaskForm):
    member_number = StringField(
        _l("Member number of the member appointing"),
        validators=[InputRequired(_l("Enter the member number")), Length(max=32)],
        widget=GovTextInput(),
    )
    holder = StringField(
        _l("Their proxy"),
        description=_l("The member number of another member with a vote, or chair"),
        validators=[InputRequired(_l("Enter the proxy's member number, or chair")), Length(max=32)],
        widget=GovTextInput(),
    )
    item = ChoiceField(_l("For"), widget=GovSelect())
    submit = SubmitField(_l("Appoint the proxy"), widget=GovSubmitInput())


def proxy_form(items, *, own_number: str | None = None) -> ProxyForm:
    form = ProxyForm()
    if own_number is not None and not form.is_submitted():
        form.member_number.data = own_number
    form.item.choices = options(
        [("", _l("The whole meeting"))]
        + [(str(i.id), i.title) for i in items if i.state.value == "draft"]
    )
    return form


class DeclareForm(FlaskForm):
    casting_vote = RadioChoiceField(
        _l("The chair's casting vote"),
        choices=options(
            [("none", _l("No casting vote")), ("for", _l("For")), ("against", _l("Against"))]
        ),
        required_message=_l("Select the casting vote, or no casting vote"),
        default="none",
    )
    submit = SubmitField(_l("Declare the result"), widget=GovSubmitInput())


class LinkForm(FlaskForm):
    email = StringField(
        _l("Email address of their account"),
        description=_l("They create an account first; once linked they can vote online"),
        validators=[InputRequired(_l("Enter the email address of their account"))],
        widget=GovEmailInput(),
    )
    submit = SubmitField(_l("Link the account"), widget=GovSubmitInput())


class ClaimForm(FlaskForm):
    member_number = StringField(
        _l("Your member number"),
        description=_l("As the organisation gave it to you"),
        validators=[InputRequired(_l("Enter your member number")), Length(max=32)],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Email me a code"), widget=GovSubmitInput())


class ClaimCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l("The 6 digits in the email"),
        validators=[InputRequired(_l("Enter the code from the email")), Length(max=20)],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Link my account"), widget=GovSubmitInput())
