"""Hosting an organisation with members: creating it, its rules, and its officers."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.workflow import audit
from app.workflow.accounts import find_by_email
from app.workflow.errors import DomainError
from app.workflow.models import Council, User
from app.workflow.organisations.common import (
    NotAllowed,
    NotOnRegister,
    may_host,
    require_oversee,
    require_run,
    squashed,
    unprintable,
)
from app.workflow.organisations.models import (
    Member,
    MembershipClass,
    Organisation,
    OrganisationKind,
    OrganisationOfficer,
    OrganisationRole,
)
from ballots.refusals import N_, Text

LONGEST_NAME = 200

# The classes a new organisation starts with, by its kind: (code, name). Its officers add
# others (``register.add_class``).
FIRST_CLASSES = {
    OrganisationKind.HOUSING_COOPERATIVE: [("tenant", "Tenant")],
    OrganisationKind.TRUST_SCHOOL: [
        ("parent", "Parent or carer"),
        ("staff", "Staff"),
        ("community", "Community"),
    ],
    OrganisationKind.SOCIAL_ENTERPRISE: [("employee", "Employee"), ("community", "Community")],
    OrganisationKind.OTHER: [("member", "Member")],
}


def find_organisation(session: Session, organisation_id: int) -> Organisation | None:
    return session.get(Organisation, organisation_id)


def hosted_by(session: Session, council: Council | None) -> list[tuple[Organisation, int]]:
    """The organisations ``council`` (None: the network) hosts, by name, each with how many
    members on its register have not left."""
    members = (
        select(Member.organisation_id, func.count().label("n"))
        .where(Member.left_on.is_(None))
        .group_by(Member.organisation_id)
        .subquery()
    )
    host = (
        Organisation.council_id.is_(None)
        if council is None
        else Organisation.council_id == council.id
    )
    rows = session.execute(
        select(Organisation, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.organisation_id == Organisation.id)
        .where(host)
        .order_by(Organisation.name, Organisation.id)
    ).all()
    return [(organisation, n) for organisation, n in rows]


def slug_for(session: Session, council: Council | None, name: str) -> str:
    """A slug for a new organisation from its name, unique among its host's (``-2``, ``-3``
    … when taken); ``organisation`` when the name has no letters or digits."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56] or "organisation"
    host = (
        Organisation.council_id.is_(None)
        if council is None
        else Organisation.council_id == council.id
    )
    taken = set(
        session.scalars(select(Organisation.slug).where(host, Organisation.slug.like(f"{base}%")))
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_organisation(
    session: Session,
    council: Council | None,
    *,
    actor: User,
    name: str,
    kind: OrganisationKind | str,
) -> Organisation:
    """A new organisation hosted by ``council`` (None: the network), with the model rules,
    the membership classes its kind usually has (``FIRST_CLASSES``) and ``actor`` as its
    secretary, who keeps the register until others are appointed.

    Refused with ``NotAllowed`` unless ``actor`` is one of the council's officers or
    administrators (for the network: a network administrator); with a ``DomainError`` for a
    name that is empty, too long or unprintable, or a kind that is not one of
    ``OrganisationKind``."""
    if not may_host(actor, council):
        if council is None:
            raise NotAllowed(N_("Only the network's administrators can host organisations."))
        raise NotAllowed(
            N_("Only the officers of %(council)s can host organisations."), council=council.name
        )
    name = _checked_name(name)
    kind = _checked_kind(kind)
    organisation = Organisation(
        council=council,
        council_id=council.id if council is not None else None,
        slug=slug_for(session, council, name),
        name=name,
        kind=kind,
        created_by_id=actor.id,
    )
    session.add(organisation)
    session.flush()
    for code, class_name in FIRST_CLASSES[kind]:
        session.add(MembershipClass(organisation=organisation, code=code, name=class_name))
    office = OrganisationOfficer(
        organisation=organisation,
        user=actor,
        role=OrganisationRole.SECRETARY,
        appointed_by_id=actor.id,
    )
    session.add(office)
    session.flush()
    audit.record(
        session,
        action="organisation.created",
        actor=actor,
        organisation=organisation,
        subject=organisation,
        after={
            "name": name,
            "kind": kind,
            "slug": organisation.slug,
            "classes": [code for code, _ in FIRST_CLASSES[kind]],
            **asdict(rules_of(organisation)),
        },
    )
    return organisation


def _checked_name(name: str) -> str:
    name = squashed(name)
    if not name:
        raise _refused(N_("Enter the organisation's name."), "name")
    if len(name) > LONGEST_NAME:
        raise _refused(
            N_("The name must be %(most)s characters or fewer."), "name", most=LONGEST_NAME
        )
    if unprintable(name):
        raise _refused(N_("The name must not contain control characters."), "name")
    return name


def _checked_kind(kind: OrganisationKind | str) -> OrganisationKind:
    try:
        return OrganisationKind(kind)
    except ValueError:
        raise _refused(N_("Select what kind of organisation it is."), "kind") from None


def _refused(message: str, field: str, **params) -> DomainError:
    return DomainError(message, field, **params)


# --- Rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """The share of the votes cast that carries a resolution: ``numerator``/``denominator``,
    and whether it must be more than that share (``more_than``) or at least it."""

    numerator: int
    denominator: int
    more_than: bool

    @property
    def share(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)

    def carried(self, votes_for: int, votes_cast: int) -> bool:
        """Whether ``votes_for`` of ``votes_cast`` carry a resolution needing this share."""
        if votes_cast <= 0:
            return False
        share = Fraction(votes_for, votes_cast)
        return share > self.share if self.more_than else share >= self.share


def parse_fraction(text: str) -> tuple[int, int] | None:
    """A share written ``3/4`` (or ``1`` for the whole), as (numerator, denominator), or None
    when it is not written so. The range is checked by ``set_rules``."""
    match = re.fullmatch(r"\s*(\d{1,3})\s*(?:/\s*(\d{1,3})\s*)?", text or "")
    if match is None:
        return None
    numerator, denominator = int(match.group(1)), int(match.group(2) or 1)
    if denominator == 0:
        return None
    return numerator, denominator


@dataclass(frozen=True)
class Rules:
    """An organisation's rules, as its officers set them (defaults: the model rules)."""

    notice_days: int = 28
    proxy_cap: int = 5
    special: Threshold = Threshold(3, 4, more_than=False)
    ordinary: Threshold = Threshold(1, 2, more_than=True)
    quorum_members: int = 10
    quorum_percent: int | None = None
    quorum_counts_proxies: bool = True
    abstentions_count: bool = False
    chair_casting_vote: bool = True


def rules_of(organisation: Organisation) -> Rules:
    """The organisation's rules (once it is flushed: its defaults are set then)."""
    return Rules(
        notice_days=organisation.notice_days,
        proxy_cap=organisation.proxy_cap,
        special=Threshold(
            organisation.special_numerator,
            organisation.special_denominator,
            bool(organisation.special_more_than),
        ),
        ordinary=Threshold(
            organisation.ordinary_numerator,
            organisation.ordinary_denominator,
            bool(organisation.ordinary_more_than),
        ),
        quorum_members=organisation.quorum_members,
        quorum_percent=organisation.quorum_percent,
        quorum_counts_proxies=bool(organisation.quorum_counts_proxies),
        abstentions_count=bool(organisation.abstentions_count),
        chair_casting_vote=bool(organisation.chair_casting_vote),
    )


def rule_problem(rules: Rules) -> tuple[str, Text] | None:
    """The first thing wrong with ``rules`` (the form's field, and why), or None."""
    if not 14 <= rules.notice_days <= 90:
        return "notice_days", Text(
            N_("Notice of a general meeting must be between 14 and 90 days.")
        )
    if not 0 <= rules.proxy_cap <= 50:
        return "proxy_cap", Text(
            N_("The number of proxies one member may hold must be between 0 and 50.")
        )
    for field, threshold in (("special", rules.special), ("ordinary", rules.ordinary)):
        wrong = _threshold_problem(threshold)
        if wrong is not None:
            return field, wrong
    if not _at_least_as_demanding(rules.special, rules.ordinary):
        return "special", Text(
            N_("A special resolution must need at least the share an ordinary resolution needs.")
        )
    if not 1 <= rules.quorum_members <= 1_000_000:
        return "quorum_members", Text(
            N_("The quorum must be at least 1 member (and at most 1,000,000).")
        )
    if rules.quorum_percent is not None and not 1 <= rules.quorum_percent <= 100:
        return "quorum_percent", Text(
            N_("The quorum's percentage of members must be between 1 and 100, or left empty.")
        )
    return None


def _threshold_problem(threshold: Threshold) -> Text | None:
    n, d = threshold.numerator, threshold.denominator
    if not 1 <= d <= 100 or n < 1:
        return Text(N_("Write the share as a fraction like 3/4, with at most 100 below the line."))
    if Fraction(n, d) < Fraction(1, 2) or n > d:
        return Text(N_("The share must be between one half and the whole (like 1/2, 2/3 or 3/4)."))
    if threshold.more_than and n == d:
        return Text(N_("No share can be more than the whole: choose “at least” 1/1 instead."))
    return None


def _at_least_as_demanding(special: Threshold, ordinary: Threshold) -> bool:
    if special.share != ordinary.share:
        return special.share > ordinary.share
    return special.more_than or not ordinary.more_than


def set_rules(session: Session, organisation: Organisation, *, actor: User, rules: Rules) -> None:
    """Change the organisation's rules, audited with the values it changed (nothing when
    none changed). Refused with ``NotAllowed`` for anyone but its officers, and with a
    ``DomainError`` beside the field (``rule_problem``) for a rule out of bounds: notice 14 to
    90 days, 0 to 50 proxies a member, each share between one half and the whole (a special
    resolution's at least an ordinary one's), a quorum of 1 member or more, its percentage 1
    to 100 or none."""
    require_run(actor, organisation)
    problem = rule_problem(rules)
    if problem is not None:
        field, message = problem
        raise _refused(message, field)
    before = asdict(rules_of(organisation))
    organisation.notice_days = rules.notice_days
    organisation.proxy_cap = rules.proxy_cap
    for name, threshold in (("special", rules.special), ("ordinary", rules.ordinary)):
        setattr(organisation, f"{name}_numerator", threshold.numerator)
        setattr(organisation, f"{name}_denominator", threshold.denominator)
        setattr(organisation, f"{name}_more_than", threshold.more_than)
    organisation.quorum_members = rules.quorum_members
    organisation.quorum_percent = rules.quorum_percent
    organisation.quorum_counts_proxies = rules.quorum_counts_proxies
    organisation.abstentions_count = rules.abstentions_count
    organisation.chair_casting_vote = rules.chair_casting_vote
    session.flush()
    changed_before, changed_after = audit.changes(before, asdict(rules))
    if changed_after:
        audit.record(
            session,
            action="organisation.rules_changed",
            actor=actor,
            organisation=organisation,
            subject=organisation,
            before=changed_before,
            after=changed_after,
        )


# --- Officers --------------------------------------------------------------------------------


def officers_of(session: Session, organisation: Organisation) -> list[OrganisationOfficer]:
    """The organisation's officers: secretaries first, then chairs, then others, by name."""
    order = {OrganisationRole.SECRETARY: 0, OrganisationRole.CHAIR: 1, OrganisationRole.OFFICER: 2}
    offices = session.scalars(
        select(OrganisationOfficer).where(OrganisationOfficer.organisation_id == organisation.id)
    ).all()
    return sorted(offices, key=lambda o: (order[o.role], o.user.display_name.lower(), o.id))


def appoint_officer(
    session: Session,
    organisation: Organisation,
    *,
    actor: User,
    email: str,
    role: OrganisationRole | str,
) -> OrganisationOfficer:
    """Make the person with the account ``email`` one of the organisation's officers in
    ``role`` (an officer already: their role becomes ``role``), audited with the role before
    and after. They then sign in with two factors, as staff do: they see the register.

    Refused with ``NotAllowed`` unless ``actor`` is one of its officers or its host's staff;
    with a ``DomainError`` beside ``email`` when no account has that address (they create one
    first), or beside ``role`` for a role not in ``OrganisationRole``."""
    require_oversee(actor, organisation)
    try:
        role = OrganisationRole(role)
    except ValueError:
        raise _refused(N_("Select the officer's role."), "role") from None
    person = find_by_email(session, email or "")
    if person is None:
        raise _refused(
            N_(
                "No account has the email address %(email)s. Ask them to create an account, "
                "then appoint them."
            ),
            "email",
            email=squashed(email),
        )
    office = session.scalar(
        select(OrganisationOfficer).where(
            OrganisationOfficer.organisation_id == organisation.id,
            OrganisationOfficer.user_id == person.id,
        )
    )
    before = {"role": office.role if office else None}
    if office is None:
        office = OrganisationOfficer(
            organisation=organisation, user=person, role=role, appointed_by_id=actor.id
        )
        session.add(office)
    elif office.role == role:
        raise _refused(
            N_("%(name)s is already the %(role)s of %(organisation)s."),
            "email",
            name=person.display_name,
            role=Text(role.label).lowered(),
            organisation=organisation.name,
        )
    else:
        office.role = role
    session.flush()
    audit.record(
        session,
        action="organisation.officer_appointed",
        actor=actor,
        organisation=organisation,
        subject=person,
        before=before,
        after={"role": role},
    )
    return office


def remove_officer(
    session: Session, organisation: Organisation, *, actor: User, user_id: int
) -> User:
    """Take away the office in the organisation of the account ``user_id``, audited; returns
    that account. Refused with ``NotAllowed`` unless ``actor`` is one of its officers or its
    host's staff, with ``NotOnRegister`` when that account is not one of its officers."""
    require_oversee(actor, organisation)
    office = session.scalar(
        select(OrganisationOfficer).where(
            OrganisationOfficer.organisation_id == organisation.id,
            OrganisationOfficer.user_id == user_id,
        )
    )
    if office is None:
        raise NotOnRegister(
            N_("That person is not an officer of %(organisation)s."),
            organisation=organisation.name,
        )
    person, role = office.user, office.role
    session.delete(office)
    session.flush()
    # The lists of offices, as loaded in this session, no longer have it.
    session.expire(person, ["organisation_offices"])
    session.expire(organisation, ["officers"])
    audit.record(
        session,
        action="organisation.officer_removed",
        actor=actor,
        organisation=organisation,
        subject=person,
        before={"role": role},
    )
    return person
