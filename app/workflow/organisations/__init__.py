"""Organisations with members: a council (or the network, the deployment itself) hosts an
organisation such as a housing co-operative, a trust school or a social enterprise, with its
own officers, its own rules (by default the common co-operative model rules) and a register of
members, from which those eligible on a record date are taken.

One concern per module: ``models`` (the tables), ``common`` (the refusals, and who may do
what), ``hosting`` (creating an organisation, its rules and its officers) and ``register``
(membership classes, members one by one or from a file, leaving, eligibility). Every function
takes a SQLAlchemy session and the actor, changes nothing when it refuses, and raises a
``DomainError`` (``app.workflow.errors``) with a reason; none commits. The public API is
re-exported here.

Meetings, motions, elections and proxies are not here: they hang off an organisation, take
its rules (``rules_of``) and their voters from ``eligible_members`` on their record date.
"""

from app.workflow.organisations.common import (
    MembersInvalid,
    NotAllowed,
    NotOnRegister,
    RowProblem,
    may_host,
    may_oversee,
    may_run,
    office_of,
)
from app.workflow.organisations.hosting import (
    FIRST_CLASSES,
    Rules,
    Threshold,
    appoint_officer,
    create_organisation,
    find_organisation,
    hosted_by,
    officers_of,
    parse_fraction,
    remove_officer,
    rule_problem,
    rules_of,
    set_rules,
)
from app.workflow.organisations.models import (
    ONE_NUMBER,
    Member,
    MembershipClass,
    Organisation,
    OrganisationKind,
    OrganisationOfficer,
    OrganisationRole,
)
from app.workflow.organisations.register import (
    MEMBERS_PER_PAGE,
    MembersPage,
    add_class,
    add_member,
    classes_of,
    eligible_members,
    import_members,
    member_by_number,
    member_of,
    members_page,
    on_register,
    read_day,
    record_leaving,
    register_count,
)

__all__ = [
    "FIRST_CLASSES",
    "MEMBERS_PER_PAGE",
    "ONE_NUMBER",
    "Member",
    "MembersInvalid",
    "MembersPage",
    "MembershipClass",
    "NotAllowed",
    "NotOnRegister",
    "Organisation",
    "OrganisationKind",
    "OrganisationOfficer",
    "OrganisationRole",
    "RowProblem",
    "Rules",
    "Threshold",
    "add_class",
    "add_member",
    "appoint_officer",
    "classes_of",
    "create_organisation",
    "eligible_members",
    "find_organisation",
    "hosted_by",
    "import_members",
    "may_host",
    "may_oversee",
    "may_run",
    "member_by_number",
    "member_of",
    "members_page",
    "office_of",
    "officers_of",
    "on_register",
    "parse_fraction",
    "read_day",
    "record_leaving",
    "register_count",
    "remove_officer",
    "rule_problem",
    "rules_of",
    "set_rules",
]
