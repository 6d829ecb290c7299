"""What the organisations' workflow shares: its refusals, and who may do what.

Who may do what:

- a council's officers and administrators host its organisations: they create them and
  appoint and remove their officers (so a council can put an organisation whose officers have
  all gone back in someone's hands); the network's administrators do the same for the
  organisations the network hosts (``council_id`` NULL);
- an organisation's officers (its secretary, its chair, its other officers) run it: its
  rules, its membership classes, its register and its officers.

A host's staff who are not the organisation's officers do not see its register: the members'
names and contacts are the organisation's. Appointing themselves an officer to see it is an
event in the audit trail like any other.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from app.workflow.errors import DomainError
from app.workflow.models import Council, Role, User
from app.workflow.organisations.models import Organisation, OrganisationRole
from ballots.refusals import N_, Nn_, Text


class NotAllowed(DomainError):
    """This person may not do this to this organisation. Status 403."""

    status = 403


class NotOnRegister(DomainError):
    """No such member (or officer) in this organisation. Status 404."""

    status = 404


@dataclass(frozen=True)
class RowProblem:
    """A problem with one row of a file of members: its row number (the header is row 1),
    the column it is in (None: the row as a whole) and what is wrong, as a sentence."""

    row: int
    column: str | None
    message: Text


class MembersInvalid(DomainError):
    """A file of members with problems, each with its row and column: nobody was added.
    Status 422."""

    def __init__(self, problems: list[RowProblem], field: str | None = None) -> None:
        super().__init__(
            Nn_(
                "%(num)s problem in the file of members",
                "%(num)s problems in the file of members",
                len(problems),
            ),
            field,
        )
        self.problems = problems


def may_host(user: User | None, council: Council | None) -> bool:
    """Whether ``user`` may host organisations for ``council`` (None: the network)."""
    if user is None or not user.is_authenticated:
        return False
    if council is None:
        return bool(user.network_admin)
    return user.has_role(council, Role.OFFICER)


def office_of(user: User | None, organisation: Organisation) -> OrganisationRole | None:
    """``user``'s office in ``organisation``, or None."""
    if user is None or not user.is_authenticated:
        return None
    for office in user.organisation_offices:
        if office.organisation_id == organisation.id:
            return office.role
    return None


def may_run(user: User | None, organisation: Organisation) -> bool:
    """Whether ``user`` is one of the organisation's officers: its rules and register."""
    return office_of(user, organisation) is not None


def may_oversee(user: User | None, organisation: Organisation) -> bool:
    """Whether ``user`` runs the organisation or is its host's staff: its officers."""
    return may_run(user, organisation) or may_host(user, organisation.council)


def require_run(user: User, organisation: Organisation) -> None:
    if not may_run(user, organisation):
        raise NotAllowed(
            N_("Only the officers of %(organisation)s can do this."),
            organisation=organisation.name,
        )


def require_oversee(user: User, organisation: Organisation) -> None:
    if not may_oversee(user, organisation):
        raise NotAllowed(
            N_("Only the officers of %(organisation)s, or its host's officers, can do this."),
            organisation=organisation.name,
        )


def squashed(text: str | None) -> str:
    """``text`` with its spaces (and any line break in it) squashed, as a name is kept."""
    return " ".join((text or "").split())


def unprintable(text: str) -> bool:
    """Whether ``text`` holds a control character (a NUL byte, an escape): no name or number
    has one, and PostgreSQL cannot store a NUL."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)
