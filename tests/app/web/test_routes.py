"""Every route is listed here on purpose: a new route fails this test until it is added, with
who may use it. Every page is fetched, and every form posted, by every kind of person; a POST
by someone not allowed changes nothing in the database."""

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.workflow import organisations
from app.workflow.clock import utcnow
from app.workflow.governance import meetings, motions
from app.workflow.governance.models import (
    Constituency,
    ConstituencyClass,
    Meeting,
    MeetingCard,
    MeetingItem,
    MeetingKiosk,
    MeetingVoter,
    MotionProposal,
    Nomination,
    Proxy,
)
from app.workflow.models import (
    AuditEvent,
    Contribution,
    ContributionKind,
    Council,
    FundingRound,
    Neighbourhood,
    Phase,
    Pot,
    Proposal,
    ProposalReport,
    ProposalStatus,
    Role,
    Support,
)
from app.workflow.organisations import Member, MembershipClass, Organisation, OrganisationOfficer
from ballots.models import GazetteerAddress, MemberBallot, Registration, RollEntry
from tests.app.election_world import draft_election
from tests.app.pages import get_page, sign_in
from tests.factories import (
    PASSWORD,
    create_council,
    create_neighbourhood,
    create_proposal,
    create_round,
    create_user,
)

R = "/councils/<slug>/rounds/<round_slug>"
P = R + "/proposals/<int:proposal_id>"
M = "/officers/<slug>/rounds/<round_slug>"
MP = M + "/proposals/<int:proposal_id>"
ORG = "/organisations/<int:organisation_id>"
MEETING = ORG + "/meetings/<int:meeting_id>"
ITEM = MEETING + "/items/<int:item_id>"
ROOM = ORG + "/meetings/<int:meeting_id>/room"
EL = ORG + "/elections/<int:item_id>"
ELECTION = "/organisations/{eorg}/elections/{eitem}"

ROUTES = {
    ("/", "GET", "public.home"),
    ("/_status", "GET", "status.status"),
    ("/account/", "GET", "residents.account"),
    ("/auth/register", "GET,POST", "auth.register"),
    ("/auth/sign-in", "GET,POST", "auth.sign_in"),
    ("/auth/sign-out", "POST", "auth.sign_out"),
    ("/auth/reset-password", "GET,POST", "auth.request_password_reset"),
    ("/auth/reset-password/<token>", "GET,POST", "auth.reset_password"),
    ("/auth/confirm-email/<token>", "GET", "auth.confirm_email"),
    ("/auth/confirm-email", "POST", "auth.send_confirmation"),
    ("/auth/two-factor", "GET,POST", "two_factor.prove"),
    ("/auth/two-factor/set-up", "GET,POST", "two_factor.set_up"),
    ("/auth/two-factor/recovery-codes", "GET", "two_factor.recovery_codes"),
    ("/auth/two-factor/recovery-codes/new", "POST", "two_factor.new_recovery_codes"),
    ("/account/sign-out-everywhere", "POST", "residents.sign_out_everywhere"),
    ("/account/password", "GET,POST", "residents.change_password"),
    ("/account/messages", "GET,POST", "residents.message_preferences"),
    ("/officers/<slug>/messages", "GET,POST", "officers.messages"),
    # The link in a message that stops its kind: the signed token is the permission, and mail
    # programs POST to it without a CSRF token (tested in test_message_pages.py).
    ("/unsubscribe/<token>", "GET,POST", "public.unsubscribe"),
    ("/officers/<slug>/staff", "GET", "officers.staff"),
    ("/officers/<slug>/languages", "GET,POST", "officers.council_languages"),
    ("/officers/<slug>/network", "GET,POST", "officers.council_network"),
    ("/network/compare", "GET", "network.compare"),
    ("/network/compare.csv", "GET", "network.compare_csv"),
    ("/network/what-worked", "GET", "network.what_worked"),
    ("/officers/<slug>/staff/<int:user_id>/reset-two-factor", "POST", "officers.reset_two_factor"),
    ("/councils/<slug>", "GET", "public.council"),
    (R, "GET", "public.funding_round"),
    (P, "GET", "public.proposal"),
    (R + "/propose", "GET,POST", "residents.propose"),
    (P + "/place", "GET,POST", "residents.place_proposal"),
    (P + "/edit", "GET,POST", "residents.edit_proposal"),
    (P + "/withdraw", "GET,POST", "residents.withdraw_proposal"),
    (P + "/support", "POST", "residents.support"),
    (P + "/report", "GET,POST", "residents.report_proposal"),
    ("/officers/<slug>", "GET", "officers.dashboard"),
    ("/officers/<slug>/rounds/new", "GET,POST", "officers.new_round"),
    (M, "GET", "officers.round_overview"),
    (M + "/phase", "POST", "officers.change_phase"),
    (M + "/details", "GET,POST", "officers.edit_details"),
    (M + "/pots", "GET,POST", "officers.edit_pots"),
    (M + "/pots/merge", "GET,POST", "officers.merge_pots"),
    (M + "/schedule", "GET,POST", "officers.edit_schedule"),
    (M + "/voting", "GET,POST", "officers.edit_voting"),
    (M + "/open-voting", "GET,POST", "officers.open_voting"),
    (M + "/results/check", "GET", "officers.check_results"),
    (M + "/results/check/<int:pot_id>", "GET", "officers.preview_pot"),
    (M + "/results/publish", "POST", "officers.publish_results"),
    (M + "/results/present", "GET", "officers.present_results"),
    (M + "/results/present/<int:pot_id>", "GET", "officers.present_results_pot"),
    (M + "/proposals", "GET", "officers.review_queue"),
    (MP, "GET,POST", "officers.review_proposal"),
    (MP + "/place", "GET,POST", "officers.place_proposal"),
    (MP + "/merge", "GET,POST", "officers.merge_proposal"),
    (MP + "/moderation", "GET,POST", "officers.moderate_proposal"),
    (MP + "/contributions", "GET,POST", "officers.contributions"),
    (
        MP + "/contributions/<int:contribution_id>/remove",
        "POST",
        "officers.remove_contribution",
    ),
    ("/auditors/<slug>", "GET", "auditors.council_audit"),
    ("/auditors/<slug>/rounds/<round_slug>", "GET", "auditors.round_audit"),
    ("/auditors/<slug>/rounds/<round_slug>/export/<int:pot_id>", "GET", "auditors.export_pot"),
    ("/auditors/<slug>/rounds/<round_slug>/what-if", "GET", "auditors.what_if"),
    (R + "/results/figures", "GET", "results.figures"),
    (R + "/results/compare", "GET", "results.compare"),
    (R + "/results/<int:pot_id>", "GET", "results.pot"),
    (R + "/results/present", "GET", "results.present"),
    (R + "/results/present/<int:pot_id>", "GET", "results.present_pot"),
    (M + "/delivery/<int:proposal_id>", "GET,POST", "officers.delivery"),
    ("/static/<path:filename>", "GET", "static"),
    ("/councils/<slug>/verify", "GET,POST", "residents.verify"),
    ("/councils/<slug>/verify/contact", "GET,POST", "residents.verify_by_contact"),
    ("/councils/<slug>/verify/contact/code", "GET,POST", "residents.contact_code"),
    (R + "/vote", "GET", "residents.vote"),
    (R + "/vote/<int:pot_id>", "GET,POST", "residents.ballot"),
    (R + "/vote/<int:pot_id>/confirm", "POST", "residents.confirm_ballot"),
    (R + "/vote/<int:pot_id>/cast", "GET", "residents.ballot_cast"),
    (R + "/receipt", "GET,POST", "public.check_receipt"),
    (R + "/results", "GET", "results.round_results"),
    # Open data: a published pot's files, the network's page and ZIP (test_open_data_pages.py).
    (R + "/results/<int:pot_id>/open-data.pb", "GET", "open_data.pot_pb"),
    (R + "/results/<int:pot_id>/open-data.csv", "GET", "open_data.pot_csv"),
    (R + "/results/<int:pot_id>/open-data-ballots.csv", "GET", "open_data.pot_ballots_csv"),
    (R + "/results/<int:pot_id>/open-data.json", "GET", "open_data.pot_json"),
    ("/network/open-data", "GET", "open_data.index"),
    ("/network/open-data.zip", "GET", "open_data.network_zip"),
    ("/officers/<slug>/open-data", "GET,POST", "officers.open_data_settings"),
    (M + "/voters", "GET,POST", "officers.voters"),
    ("/officers/<slug>/gazetteer", "GET,POST", "officers.gazetteer"),
    ("/officers/<slug>/boundaries", "GET,POST", "officers.boundaries"),
    ("/officers/<slug>/eligibility", "GET,POST", "officers.eligibility_settings"),
    ("/officers/<slug>/registrations", "GET,POST", "officers.registrations"),
    (M + "/eligibility", "GET,POST", "officers.round_eligibility"),
    (M + "/register-in-person", "GET,POST", "officers.register_in_person"),
    (R + "/register", "GET,POST", "residents.register"),
    (M + "/voters/codes", "POST", "officers.issue_codes"),
    (M + "/paper", "GET", "officers.paper_pots"),
    (M + "/paper/<int:pot_id>", "GET,POST", "officers.paper_ballot"),
    (M + "/paper/<int:pot_id>/batch", "GET,POST", "officers.paper_batch_upload"),
    (M + "/paper/<int:pot_id>/batch/<batch_id>", "GET,POST", "officers.paper_batch"),
    (M + "/trustees", "GET", "officers.trustees"),
    (M + "/events", "GET,POST", "officers.events_page"),
    (M + "/events/<int:event_id>", "GET", "officers.event"),
    (M + "/events/<int:event_id>/desk", "GET,POST", "officers.event_desk"),
    (
        M + "/events/<int:event_id>/check-ins/<check_in_id>/token",
        "POST",
        "officers.event_new_token",
    ),
    (
        M + "/events/<int:event_id>/check-ins/<check_in_id>/release",
        "POST",
        "officers.event_release",
    ),
    (M + "/events/<int:event_id>/close", "POST", "officers.event_close"),
    (M + "/events/<int:event_id>/kiosks/<int:kiosk_id>/stop", "POST", "officers.event_kiosk_stop"),
    (M + "/events/<int:event_id>/kiosk", "POST", "officers.event_kiosk"),
    # A kiosk's pages: only a browser an officer made a kiosk sees more than "stopped"
    # (tested in test_events.py and test_kiosk_concurrency.py).
    ("/kiosk/", "GET,POST", "kiosk.start"),
    ("/kiosk/ballot/<int:pot_id>", "GET,POST", "kiosk.ballot"),
    ("/kiosk/ballot/<int:pot_id>/cast", "POST", "kiosk.cast"),
    ("/kiosk/done", "POST", "kiosk.done"),
    ("/kiosk/still-here", "POST", "kiosk.still_here"),
    (M + "/trustees/settings", "POST", "officers.encryption_settings"),
    (M + "/trustees/add", "POST", "officers.add_trustee"),
    (M + "/trustees/<int:trustee_id>/remove", "POST", "officers.remove_trustee"),
    (M + "/trustees/<int:trustee_id>/renew", "POST", "officers.renew_link"),
    (M + "/trustees/<int:trustee_id>/lost", "POST", "officers.trustee_lost_key"),
    (M + "/trustees/<int:trustee_id>/found", "POST", "officers.trustee_found_key"),
    (M + "/trustees/start", "POST", "officers.start_key"),
    (M + "/trustees/restart", "POST", "officers.restart_key"),
    # A trustee's page: the link is the capability (tested in test_trustee_pages.py).
    ("/trustee/<token>", "GET", "trustees.page"),
    ("/trustee/<token>/ceremony.json", "GET", "trustees.ceremony"),
    ("/trustee/<token>/key-parts.json", "GET", "trustees.key_parts"),
    ("/trustee/<token>/still-held-challenge.json", "POST", "trustees.still_held_challenge"),
    (
        "/trustee/<token>/pots/<int:pot_id>/<any('mix-task', 'decryption-task'):task_name>.json",
        "GET",
        "trustees.task",
    ),
    (
        "/trustee/<token>/<any('register', 'key-part', 'key-check', 'still-held'):step>",
        "POST",
        "trustees.upload",
    ),
    (
        "/trustee/<token>/pots/<int:pot_id>/<any('mix', 'decryption'):kind>",
        "POST",
        "trustees.pot_upload",
    ),
    # Organisations with members: their host's list, and each organisation's own pages
    # (tested in test_organisation_pages.py).
    ("/officers/<slug>/organisations", "GET", "organisations.council_list"),
    ("/officers/<slug>/organisations/new", "GET,POST", "organisations.new_for_council"),
    ("/network/organisations", "GET", "organisations.network_list"),
    ("/network/organisations/new", "GET,POST", "organisations.new_for_network"),
    (ORG, "GET", "organisations.home"),
    (ORG + "/rules", "GET,POST", "organisations.rules"),
    (ORG + "/classes", "GET,POST", "organisations.classes"),
    (ORG + "/officers", "GET,POST", "organisations.officers"),
    (ORG + "/officers/<int:user_id>/remove", "POST", "organisations.remove_officer"),
    (ORG + "/members", "GET", "organisations.members"),
    (ORG + "/members/add", "GET,POST", "organisations.add_member"),
    (ORG + "/members/import", "GET,POST", "organisations.import_members"),
    (ORG + "/members/<int:member_id>/leaving", "GET,POST", "organisations.member_leaving"),
    # General meetings, their motions and proxies (tested in test_meeting_pages.py).
    (ORG + "/meetings", "GET", "meetings.listing"),
    (ORG + "/meetings/new", "GET,POST", "meetings.new"),
    (MEETING, "GET", "meetings.meeting"),
    (MEETING + "/edit", "GET,POST", "meetings.edit"),
    (MEETING + "/notice", "POST", "meetings.notice"),
    (MEETING + "/start", "GET,POST", "meetings.start"),
    (MEETING + "/close", "POST", "meetings.close"),
    (MEETING + "/motions/new", "GET,POST", "meetings.new_motion"),
    (ITEM + "/open", "POST", "meetings.open_item"),
    (ITEM + "/close", "POST", "meetings.close_item"),
    (ITEM + "/turnout", "GET", "meetings.turnout"),
    (ITEM + "/declare", "GET,POST", "meetings.declare"),
    (ITEM + "/declaration", "GET", "meetings.declaration"),
    (ITEM + "/declaration.pdf", "GET", "meetings.declaration_file"),
    (ITEM + "/export.zip", "GET", "meetings.export"),
    (MEETING + "/check-in", "GET,POST", "meetings.check_in"),
    (ITEM + "/paper", "GET,POST", "meetings.paper"),
    (MEETING + "/proxies", "GET,POST", "meetings.proxies_page"),
    (MEETING + "/proxies/<int:proxy_id>/revoke", "POST", "meetings.revoke_proxy"),
    (MEETING + "/vote", "GET", "meetings.vote"),
    (ITEM + "/vote", "POST", "meetings.cast"),
    (MEETING + "/my-proxy", "POST", "meetings.my_proxy"),
    (MEETING + "/propose", "GET,POST", "meetings.propose"),
    (MEETING + "/proposals/<int:proposal_id>", "GET", "meetings.proposal"),
    (MEETING + "/proposals/<int:proposal_id>/second", "POST", "meetings.second_motion"),
    (MEETING + "/proposals/<int:proposal_id>/decline", "POST", "meetings.decline_motion"),
    (MEETING + "/proposals/<int:proposal_id>/withdraw", "POST", "meetings.withdraw_proposal"),
    (ORG + "/members/<int:member_id>/account", "GET,POST", "meetings.link"),
    (ORG + "/claim", "GET,POST", "meetings.claim"),
    (ORG + "/claim/code", "GET,POST", "meetings.claim_code"),
    # Voting in the room at a general meeting: the desk's cards and kiosks, and a meeting
    # kiosk's pages, which only a browser an officer made a kiosk sees as more than "stopped"
    # (tested in test_room.py).
    (ROOM, "GET,POST", "room.desk"),
    (ROOM + "/kiosk", "POST", "room.make_kiosk"),
    (ROOM + "/kiosks/<int:kiosk_id>/stop", "POST", "room.stop_kiosk"),
    ("/meeting-kiosk/", "GET,POST", "room_kiosk.start"),
    ("/meeting-kiosk/ballot/<int:item_id>", "GET,POST", "room_kiosk.ballot"),
    ("/meeting-kiosk/ballot/<int:item_id>/cast", "POST", "room_kiosk.cast"),
    ("/meeting-kiosk/done", "POST", "room_kiosk.done"),
    ("/meeting-kiosk/still-here", "POST", "room_kiosk.still_here"),
    # Elections at an organisation's general meetings (tested in test_election_pages.py).
    (ORG + "/meetings/<int:meeting_id>/elections/new", "GET,POST", "elections.new"),
    (EL, "GET", "elections.manage"),
    (EL + "/constituencies/new", "GET,POST", "elections.add_constituency"),
    (EL + "/nominate", "GET,POST", "elections.nominate"),
    (EL + "/nominations/<int:nomination_id>/withdraw", "POST", "elections.withdraw"),
    (EL + "/open", "POST", "elections.open_voting"),
    (EL + "/close", "POST", "elections.close_voting"),
    (EL + "/declare", "POST", "elections.declare"),
    (EL + "/paper/<int:constituency_id>", "GET,POST", "elections.paper"),
    (EL + "/export.zip", "GET", "elections.export"),
    (EL + "/candidates", "GET", "elections.candidates"),
    (EL + "/declaration", "GET", "elections.declaration_page"),
    (EL + "/declaration.pdf", "GET", "elections.declaration_file"),
    (EL + "/vote", "GET,POST", "elections.vote"),
    (EL + "/voted", "GET", "elections.voted"),
    (EL + "/proxy/<int:member_id>", "GET,POST", "elections.vote_for"),
    # The open data API (JSON, public, read-only): its access rules are tested in test_api.py.
    ("/api/v1/", "GET", "api.index"),
    ("/api/v1/councils", "GET", "api.councils"),
    ("/api/v1/councils/<slug>/rounds", "GET", "api.council_rounds"),
    ("/api/v1/rounds/<int:round_id>", "GET", "api.funding_round"),
    ("/api/v1/rounds/<int:round_id>/proposals", "GET", "api.proposals"),
    ("/api/v1/rounds/<int:round_id>/results", "GET", "api.round_results"),
    ("/api/v1/rounds/<int:round_id>/figures", "GET", "api.round_figures"),
    ("/api/v1/network/figures", "GET", "api.network_figures"),
    ("/api/v1/rounds/<int:round_id>/delivery", "GET", "api.round_delivery"),
    ("/api/v1/rounds/<int:round_id>/contributions", "GET", "api.contributions"),
    ("/api/v1/open-data", "GET", "api.open_data_catalogue"),
}


def test_url_map_matches_the_committed_route_list(app):
    actual = {
        (r.rule, ",".join(sorted(r.methods - {"HEAD", "OPTIONS"})), r.endpoint)
        for r in app.url_map.iter_rules()
    }
    assert actual - ROUTES == set(), "new routes: add them to ROUTES with their access rules"
    assert ROUTES - actual == set(), "routes gone: remove them from ROUTES"


WHO = ["anonymous", "resident", "officer", "other-officer", "auditor"]
EMAILS = [
    None,
    "resident@example.org",
    "officer@example.org",
    "other.officer@example.org",
    "auditor@example.org",
]
OFFICERS = (302, 403, 200, 403, 403)
AUDIT = (302, 403, 200, 403, 200)
RESIDENTS = (302, 200, 403, 403, 403)

# Who gets what for each GET page ({p}: a proposal by the resident; {c}: a contribution to it).
# 302 is "sent to sign in".
ACCESS = {
    "/": (200,) * 5,
    "/account/": (302, 200, 200, 200, 200),
    "/account/password": (302, 200, 200, 200, 200),
    "/account/messages": (302, 200, 200, 200, 200),
    "/unsubscribe/not-a-token": (404,) * 5,
    "/auth/register": (200, 302, 302, 302, 302),
    "/auth/sign-in": (200,) * 5,
    "/councils/home": (200,) * 5,
    "/councils/home/rounds/open": (200,) * 5,
    # Here, not with the other voting pages: the base template gives every flash banner the
    # same id, so a page after several "please sign in" redirects would have duplicate ids.
    "/councils/home/rounds/open/receipt": (200,) * 5,
    # Results pages exist once results are published ("open" is not): tested in test_results.
    "/councils/home/rounds/open/results/figures": (404,) * 5,
    "/councils/home/rounds/open/results/compare": (404,) * 5,
    "/councils/home/rounds/open/results/{pot}": (404,) * 5,
    "/councils/home/rounds/open/results/present": (404,) * 5,
    "/councils/home/rounds/open/results/present/{pot}": (404,) * 5,
    "/councils/home/rounds/open/results": (200,) * 5,
    # Open data exists once results are published: "open" has none (test_open_data_pages.py).
    "/councils/home/rounds/open/results/{pot}/open-data.pb": (404,) * 5,
    "/councils/home/rounds/open/results/{pot}/open-data.csv": (404,) * 5,
    "/councils/home/rounds/open/results/{pot}/open-data-ballots.csv": (404,) * 5,
    "/councils/home/rounds/open/results/{pot}/open-data.json": (404,) * 5,
    "/network/open-data": (200,) * 5,
    "/officers/home/open-data": OFFICERS,
    "/councils/home/rounds/draft": (404, 404, 200, 404, 404),
    "/councils/home/rounds/open/proposals/{p}": (200,) * 5,
    "/councils/home/rounds/open/propose": RESIDENTS,
    "/councils/home/rounds/open/proposals/{p}/edit": RESIDENTS,
    "/councils/home/rounds/open/proposals/{p}/withdraw": RESIDENTS,
    "/councils/home/rounds/open/proposals/{p}/report": RESIDENTS,
    "/councils/home/rounds/open/proposals/{p}/place": RESIDENTS,
    "/officers/home": OFFICERS,
    "/officers/home/messages": OFFICERS,
    # Administrators only: none of these people is one (tested in test_two_factor.py).
    "/officers/home/staff": (302, 403, 403, 403, 403),
    "/officers/home/languages": (302, 403, 403, 403, 403),
    "/officers/home/network": (302, 403, 403, 403, 403),
    "/network/compare": (200,) * 5,
    "/network/what-worked": (200,) * 5,
    "/officers/home/rounds/new": OFFICERS,
    "/officers/home/rounds/open": OFFICERS,
    "/officers/home/rounds/draft": OFFICERS,
    "/officers/home/rounds/open/details": OFFICERS,
    "/officers/home/rounds/open/pots": OFFICERS,
    "/officers/home/rounds/open/pots/merge": OFFICERS,
    "/officers/home/rounds/open/schedule": OFFICERS,
    "/officers/home/rounds/open/voting": OFFICERS,
    # "open" takes proposals: voting opens after review, results are checked after closing.
    "/officers/home/rounds/open/open-voting": (302, 403, 409, 403, 403),
    "/officers/home/rounds/open/results/check": (302, 403, 409, 403, 403),
    "/officers/home/rounds/open/results/check/{pot}": (302, 403, 409, 403, 403),
    # The results on the big screen, before publishing (tested in test_presentation.py).
    "/officers/home/rounds/open/results/present": (302, 403, 409, 403, 403),
    "/officers/home/rounds/open/results/present/{pot}": (302, 403, 409, 403, 403),
    "/officers/home/rounds/open/proposals": OFFICERS,
    "/officers/home/rounds/open/proposals/{p}": OFFICERS,
    "/officers/home/rounds/open/proposals/{p}/merge": OFFICERS,
    "/officers/home/rounds/open/proposals/{p}/moderation": OFFICERS,
    "/officers/home/rounds/open/proposals/{p}/contributions": OFFICERS,
    "/officers/home/rounds/open/proposals/{p}/place": OFFICERS,
    "/auditors/home": AUDIT,
    "/auditors/home/rounds/open": AUDIT,
    "/auditors/home/rounds/draft": AUDIT,
    # "open" has not been counted: its auditors are told exports follow the count.
    "/auditors/home/rounds/open/export/{pot}": (302, 403, 409, 403, 409),
    "/auditors/home/rounds/open/what-if": (302, 403, 409, 403, 409),
    # Voting ("open" is not in its voting phase: residents are told so, with 409).
    "/councils/home/verify": (302, 200, 200, 200, 200),
    # "home" offers no codes by text or email (tested in test_contact_code_pages.py).
    "/councils/home/verify/contact": (302, 404, 404, 404, 404),
    "/councils/home/verify/contact/code": (302, 404, 404, 404, 404),
    "/councils/home/rounds/open/vote": (302, 409, 403, 403, 403),
    "/councils/home/rounds/open/vote/{pot}": (302, 409, 403, 403, 403),
    "/councils/home/rounds/open/vote/{pot}/cast": (302,) * 5,
    "/officers/home/rounds/open/voters": OFFICERS,
    "/officers/home/gazetteer": OFFICERS,
    "/officers/home/boundaries": OFFICERS,
    "/officers/home/eligibility": OFFICERS,
    "/officers/home/registrations": OFFICERS,
    "/officers/home/rounds/open/eligibility": OFFICERS,
    "/officers/home/rounds/open/register-in-person": OFFICERS,
    # "home" takes registrations at an address (the world says so): residents register.
    "/councils/home/rounds/open/register": RESIDENTS,
    "/officers/home/rounds/open/paper": OFFICERS,
    "/officers/home/rounds/open/trustees": OFFICERS,
    "/officers/home/rounds/open/events": OFFICERS,
    # No event 1 in this world: officers are told so (events are tested in test_events.py).
    "/officers/home/rounds/open/events/1": (302, 403, 404, 403, 403),
    "/officers/home/rounds/open/events/1/desk": (302, 403, 404, 403, 403),
    "/kiosk/": (410,) * 5,
    # A draft meeting: its desk says cards are given once notice is given.
    "/organisations/{org}/meetings/{meeting}/room": OFFICERS,
    "/meeting-kiosk/": (410,) * 5,
    "/meeting-kiosk/ballot/1": (410,) * 5,
    "/kiosk/ballot/{pot}": (410,) * 5,
    "/officers/home/rounds/open/paper/{pot}": (302, 403, 409, 403, 403),
    # Files of paper ballots: only while voting is open; "open" has no ballot paper, so no
    # file of it exists (tested in test_paper_batch_pages.py).
    "/officers/home/rounds/open/paper/{pot}/batch": (302, 403, 409, 403, 403),
    "/officers/home/rounds/open/paper/{pot}/batch/0123456789abcdef0123456789abcdef": (
        302,
        403,
        404,
        403,
        403,
    ),
    # Nobody here is a network administrator; the home officer is the organisation's secretary.
    "/officers/home/organisations": OFFICERS,
    "/officers/home/organisations/new": OFFICERS,
    "/network/organisations": (302, 403, 403, 403, 403),
    "/network/organisations/new": (302, 403, 403, 403, 403),
    "/organisations/{org}": OFFICERS,
    "/organisations/{org}/rules": OFFICERS,
    "/organisations/{org}/classes": OFFICERS,
    "/organisations/{org}/officers": OFFICERS,
    "/organisations/{org}/members": OFFICERS,
    "/organisations/{org}/members/add": OFFICERS,
    "/organisations/{org}/members/import": OFFICERS,
    "/organisations/{org}/members/{member}/leaving": OFFICERS,
    "/organisations/{org}/meetings": OFFICERS,
    "/organisations/{org}/meetings/new": OFFICERS,
    "/organisations/{org}/meetings/{meeting}": OFFICERS,
    "/organisations/{org}/meetings/{meeting}/edit": OFFICERS,
    "/organisations/{org}/meetings/{meeting}/start": OFFICERS,
    "/organisations/{org}/meetings/{meeting}/motions/new": OFFICERS,
    "/organisations/{org}/meetings/{meeting}/items/{item}/turnout": OFFICERS,
    "/organisations/{org}/meetings/{meeting}/items/{item}/declare": OFFICERS,
    # Not declared: its officers are told there is no declaration yet.
    "/organisations/{org}/meetings/{meeting}/items/{item}/declaration": (302, 403, 404, 403, 403),
    "/organisations/{org}/meetings/{meeting}/items/{item}/declaration.pdf": (
        302,
        403,
        404,
        403,
        403,
    ),
    "/organisations/{org}/meetings/{meeting}/items/{item}/export.zip": (302, 403, 409, 403, 409),
    "/organisations/{org}/meetings/{meeting}/check-in": OFFICERS,
    "/organisations/{org}/meetings/{meeting}/items/{item}/paper": OFFICERS,
    "/organisations/{org}/meetings/{meeting}/proxies": OFFICERS,
    # Its members with a linked account, and its officers (nobody here is a linked member).
    "/organisations/{org}/meetings/{meeting}/vote": OFFICERS,
    "/organisations/{org}/members/{member}/account": OFFICERS,
    # A member's own motions: only members with a linked account propose (the officer is not
    # a member), and only its proposer and seconder see a proposal ({mp}: neither is anyone
    # here, so the officer, let through to the meeting, finds no proposal of theirs: 403).
    "/organisations/{org}/meetings/{meeting}/propose": (302, 403, 403, 403, 403),
    "/organisations/{org}/meetings/{meeting}/proposals/{mp}": (302, 403, 403, 403, 403),
    "/organisations/{org}/meetings/{meeting}/proposals/999999": (302, 403, 404, 403, 403),
    # Anyone signed in may link their account to a member, with a code emailed to the member.
    "/organisations/{org}/claim": (302, 200, 200, 200, 200),
    "/organisations/{org}/claim/code": (302, 200, 200, 200, 200),
    # {p} was not funded ("open" has no results): officers get 404 too.
    "/officers/home/rounds/open/delivery/{p}": (302, 403, 404, 403, 403),
    # A draft election of a co-operative the home officer is the secretary of: nothing to vote
    # on, declare or export yet (409).
    "/organisations/{eorg}/meetings/{emeeting}/elections/new": OFFICERS,
    ELECTION: OFFICERS,
    ELECTION + "/constituencies/new": OFFICERS,
    ELECTION + "/nominate": OFFICERS,
    ELECTION + "/paper/{constituency}": (302, 403, 409, 403, 403),
    ELECTION + "/export.zip": (302, 403, 409, 403, 409),
    ELECTION + "/candidates": (200,) * 5,
    ELECTION + "/declaration": (409,) * 5,
    ELECTION + "/declaration.pdf": (409,) * 5,
    ELECTION + "/vote": (302, 409, 409, 409, 409),
    ELECTION + "/voted": (302, 200, 200, 200, 200),
    # A proxy's ballot: the election is a draft, so voting has not opened.
    ELECTION + "/proxy/{member}": (302, 409, 409, 409, 409),
}

# Every POST, with data that would change something if the access check were missing, and
# what each kind of person gets (None: allowed, tested where the feature is).
POSTS = {
    "/councils/home/verify": (
        {"reference": "R1", "code": "ABCDE-FGHJK"},
        (302, None, None, None, None),
    ),
    "/councils/home/verify/contact": ({"contact": "07700900123"}, (302, 404, 404, 404, 404)),
    "/councils/home/verify/contact/code": ({"code": "123456"}, (302, 404, 404, 404, 404)),
    "/councils/home/rounds/open/vote/{pot}": (
        {"action": "continue", "choices": "{p}"},
        (302, 409, 403, 403, 403),
    ),
    "/councils/home/rounds/open/vote/{pot}/confirm": (
        {"choices": "{p}"},
        (302, 409, 403, 403, 403),
    ),
    "/councils/home/rounds/open/receipt": ({"receipt": "ABCDE"}, (None,) * 5),
    "/account/sign-out-everywhere": ({}, (302, None, None, None, None)),
    "/account/password": (
        {"current_password": "x", "password": "stolen pass", "confirm_password": "stolen pass"},
        (302, None, None, None, None),
    ),
    "/account/messages": ({"topics": "results"}, (302, None, None, None, None)),
    "/officers/home/messages": ({"action": "all"}, (302, 403, None, 403, 403)),
    # Administrators only (tested in test_two_factor.py): user 3 is the home officer.
    "/officers/home/staff/3/reset-two-factor": ({}, (302, 403, 403, 403, 403)),
    "/officers/home/languages": ({"languages": "cy en"}, (302, 403, 403, 403, 403)),
    "/officers/home/network": ({"in_network": "no"}, (302, 403, 403, 403, 403)),
    "/officers/home/open-data": ({"voter_details": "yes"}, (302, 403, None, 403, 403)),
    "/officers/home/rounds/open/voters": ({"scope": "round"}, (302, 403, None, 403, 403)),
    "/officers/home/gazetteer": ({}, (302, 403, None, 403, 403)),
    "/officers/home/boundaries": ({}, (302, 403, None, 403, 403)),
    # A point anywhere: "home" has no boundaries, so it would be taken.
    "/councils/home/rounds/open/proposals/{p}/place": (
        {"how": "point", "latitude": "51.5", "longitude": "-0.1"},
        (302, None, 403, 403, 403),
    ),
    "/officers/home/rounds/open/proposals/{p}/place": (
        {"how": "point", "latitude": "51.5", "longitude": "-0.1"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/eligibility": (
        {"ways": "in_person", "per_address": "9"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/registrations": (
        {"registration": "1", "r1-approve": "Approve"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/eligibility": (
        {"which": "own", "ways": "in_person"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/register-in-person": (
        {
            "name": "Mallory",
            "date_of_birth": "1",
            "address": "none",
            "neighbourhood": "{hood}",
        },
        (302, 403, None, 403, 403),
    ),
    "/councils/home/rounds/open/register": (
        {"address": "{address}", "name": "Mallory", "date_of_birth": "1"},
        (302, None, 403, 403, 403),
    ),
    "/officers/home/rounds/open/voters/codes": ({"which": "council"}, (302, 403, None, 403, 403)),
    "/officers/home/rounds/open/trustees/settings": (
        {"encrypted": "yes", "threshold": "2", "trustee_mixes": "1"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/trustees/add": ({"name": "Mallory"}, (302, 403, None, 403, 403)),
    "/officers/home/rounds/open/events": (
        {"name": "Sneaky", "place": "Hall", "day": "1", "starts": "10:00", "ends": "11:00"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/events/1/desk": ({"entry": "1"}, (302, 403, 404, 403, 403)),
    "/officers/home/rounds/open/events/1/check-ins/x/token": ({}, (302, 403, 404, 403, 403)),
    "/officers/home/rounds/open/events/1/check-ins/x/release": ({}, (302, 403, 404, 403, 403)),
    "/officers/home/rounds/open/events/1/close": ({}, (302, 403, 404, 403, 403)),
    "/officers/home/rounds/open/events/1/kiosks/1/stop": ({}, (302, 403, 404, 403, 403)),
    "/officers/home/rounds/open/events/1/kiosk": ({}, (302, 403, 404, 403, 403)),
    "/kiosk/": ({"token": "ABCD-EFGH"}, (410,) * 5),
    "/kiosk/ballot/{pot}": ({"choices": "{p}"}, (410,) * 5),
    "/kiosk/ballot/{pot}/cast": ({"choices": "{p}"}, (410,) * 5),
    "/kiosk/done": ({}, (410,) * 5),
    "/kiosk/still-here": ({}, (410,) * 5),
    "/organisations/{org}/meetings/{meeting}/room": (
        {"member_number": "1", "action": "give"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/room/kiosk": ({}, (302, 403, 409, 403, 403)),
    "/organisations/{org}/meetings/{meeting}/room/kiosks/1/stop": (
        {},
        (302, 403, 404, 403, 403),
    ),
    "/meeting-kiosk/": ({"card": "ABCD-EFGH-JKLM-NPQR"}, (410,) * 5),
    "/meeting-kiosk/ballot/1": ({"choice": "for"}, (410,) * 5),
    "/meeting-kiosk/ballot/1/cast": ({"choice": "for"}, (410,) * 5),
    "/meeting-kiosk/done": ({}, (410,) * 5),
    "/meeting-kiosk/still-here": ({}, (410,) * 5),
    "/officers/home/rounds/open/trustees/1/remove": ({}, (302, 403, None, 403, 403)),
    "/officers/home/rounds/open/trustees/1/renew": ({}, (302, 403, None, 403, 403)),
    "/officers/home/rounds/open/trustees/1/lost": ({}, (302, 403, None, 403, 403)),
    "/officers/home/rounds/open/trustees/1/found": ({}, (302, 403, None, 403, 403)),
    "/officers/home/rounds/open/trustees/start": ({}, (302, 403, None, 403, 403)),
    "/officers/home/rounds/open/trustees/restart": ({"reason": "x"}, (302, 403, None, 403, 403)),
    "/officers/home/rounds/open/delivery/{p}": (
        {"status": "delivered", "percent_complete": "100", "spent": "1", "note": "done"},
        (302, 403, 404, 403, 403),
    ),
    "/officers/home/rounds/open/paper/{pot}": (
        {"reference": "R1", "choices": "{p}"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/paper/{pot}/batch": ({}, (302, 403, 409, 403, 403)),
    "/officers/home/rounds/open/paper/{pot}/batch/0123456789abcdef0123456789abcdef": (
        {"action": "store"},
        (302, 403, 404, 403, 403),
    ),
    "/councils/home/rounds/open/propose": (
        {
            "title": "Sneaky",
            "summary": "s",
            "description": "d",
            "pot": "{pot}",
            "estimated_cost": "100",
        },
        (302, None, 403, 403, 403),
    ),
    "/councils/home/rounds/open/proposals/{p}/edit": (
        {
            "title": "Changed",
            "summary": "s",
            "description": "d",
            "pot": "{pot}",
            "estimated_cost": "100",
        },
        (302, None, 403, 403, 403),
    ),
    "/councils/home/rounds/open/proposals/{p}/withdraw": ({}, (302, None, 403, 403, 403)),
    "/councils/home/rounds/supporting/proposals/{s}/support": (
        {"action": "support"},
        (302, None, 403, 403, 403),
    ),
    "/councils/home/rounds/open/proposals/{p}/report": (
        {"reason": "rude"},
        (302, None, 403, 403, 403),
    ),
    "/officers/home/rounds/new": (
        {"title": "Stolen", "description": "d", "total_budget": "1000", "method": "council"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/phase": (
        {"target": "review", "expected": "proposals"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/open-voting": (
        {"expected": "proposals", "leave_off": "", "confirm": "y"},
        (302, 403, 409, 403, 403),
    ),
    "/officers/home/rounds/open/results/publish": ({"confirm": "y"}, (302, 403, 409, 403, 403)),
    "/officers/home/rounds/open/details": (
        {"title": "Renamed", "description": "d"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/pots": (
        {"total_budget": "5", "method": "council"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/pots/merge": (
        {"source": "999", "into": "998"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/schedule": (
        {
            "review_start-day": "1",
            "review_start-month": "1",
            "review_start-year": "2030",
            "review_end-day": "2",
            "review_end-month": "1",
            "review_end-year": "2030",
        },
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/voting": (
        {"ballot_kind": "approval", "rule": "greedy", "tie_break": "cost-votes", "min_age": "50"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/proposals/{p}": (
        {"decision": "not_feasible", "reason": "no"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/proposals/{p}/merge": (
        {"into": "{q}", "reason": "dupe"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/proposals/{p}/moderation": (
        {"reason": "hide it"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/proposals/{p}/contributions": (
        {"partner_name": "X", "kind": "money", "amount": "1"},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/rounds/open/proposals/{p}/contributions/{c}/remove": (
        {},
        (302, 403, None, 403, 403),
    ),
    "/officers/home/organisations/new": (
        {"name": "Stolen", "kind": "other"},
        (302, 403, None, 403, 403),
    ),
    "/network/organisations/new": ({"name": "Stolen", "kind": "other"}, (302, 403, 403, 403, 403)),
    "/organisations/{org}/rules": (
        {
            "notice_days": "14",
            "proxy_cap": "0",
            "special": "1/1",
            "special_more_than": "at_least",
            "ordinary": "1/1",
            "ordinary_more_than": "at_least",
            "quorum_members": "1",
        },
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/classes": ({"code": "x", "name": "X"}, (302, 403, None, 403, 403)),
    "/organisations/{org}/officers": (
        {"email": "other.officer@example.org", "role": "chair"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/officers/{officer}/remove": ({}, (302, 403, None, 403, 403)),
    "/organisations/{org}/members/add": (
        {"member_number": "9", "name": "Mallory", "membership_class": "tenant"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/members/import": ({}, (302, 403, None, 403, 403)),
    "/organisations/{org}/members/{member}/leaving": (
        {"left_on": "1"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/new": (
        {"title": "Stolen", "kind": "general", "time": "18:00", "place": "x"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/edit": (
        {"title": "Renamed", "kind": "general", "time": "18:00", "place": "x"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/notice": (
        {},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/start": (
        {"chair": "{officer}"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/close": (
        {},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/motions/new": (
        {"title": "Stolen", "wording": "w", "threshold": "ordinary"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/items/{item}/open": (
        {},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/items/{item}/close": (
        {},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/items/{item}/declare": (
        {"casting_vote": "none"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/check-in": (
        {"member_number": "1"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/items/{item}/paper": (
        {"member_number": "1", "choice": "for"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/proxies": (
        {"member_number": "1", "holder": "2"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/proxies/1/revoke": (
        {},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/items/{item}/vote": (
        {"choice": "for"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/my-proxy": (
        {"member_number": "1", "holder": "2"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/propose": (
        {"title": "Stolen", "wording": "w", "threshold": "ordinary", "seconder": "2"},
        (302, 403, 403, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/proposals/{mp}/second": (
        {},
        (302, 403, 403, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/proposals/{mp}/decline": (
        {},
        (302, 403, 403, 403, 403),
    ),
    "/organisations/{org}/meetings/{meeting}/proposals/{mp}/withdraw": (
        {},
        (302, 403, 403, 403, 403),
    ),
    "/organisations/{org}/members/{member}/account": (
        {"email": "resident@example.org"},
        (302, 403, None, 403, 403),
    ),
    "/organisations/{org}/claim": ({"member_number": "1"}, (302, None, None, None, None)),
    "/organisations/{org}/claim/code": ({"code": "123456"}, (302, None, None, None, None)),
    "/organisations/{eorg}/meetings/{emeeting}/elections/new": (
        {"title": "Stolen", "rule": "meek", "name": "Tenants", "seats": "9", "classes": "tenant"},
        (302, 403, None, 403, 403),
    ),
    ELECTION + "/constituencies/new": (
        {"name": "Employees", "seats": "1", "classes": "employee"},
        (302, 403, None, 403, 403),
    ),
    ELECTION + "/nominate": (
        {"constituency": "{constituency}", "member": "T4", "statement": "s", "proposer": "T2"},
        (302, 403, None, 403, 403),
    ),
    ELECTION + "/nominations/{nomination}/withdraw": ({}, (302, 403, None, 403, 403)),
    ELECTION + "/open": ({}, (302, 403, None, 403, 403)),
    ELECTION + "/close": ({}, (302, 403, None, 403, 403)),
    ELECTION + "/declare": ({}, (302, 403, None, 403, 403)),
    ELECTION + "/paper/{constituency}": ({"member_number": "T2"}, (302, 403, None, 403, 403)),
    ELECTION + "/vote": ({"c1": "1"}, (302, 409, 409, 409, 409)),
    ELECTION + "/proxy/{member}": ({"c1": "1"}, (302, 409, 409, 409, 409)),
}


@pytest.fixture
def world(db):
    home, away = create_council(slug="home"), create_council(slug="away")
    hood = create_neighbourhood(home, name="Centre")
    home.eligibility = "code register"
    home.registrations_per_address = 5
    address = GazetteerAddress(
        council_id=home.id,
        uprn="1",
        address="1 High Street",
        postcode="EX1 2AB",
        postcode_key="EX12AB",
        neighbourhood_id=hood.id,
    )
    db.session.add(address)
    create_neighbourhood(away, name="Elsewhere")
    resident = create_user(email=EMAILS[1], roles={home: Role.RESIDENT}, home=hood)
    officer = create_user(email=EMAILS[2], roles={home: Role.OFFICER})
    create_user(email=EMAILS[3], roles={away: Role.OFFICER})
    create_user(email=EMAILS[4], roles={home: Role.AUDITOR})
    open_round = create_round(home, slug="open", phase=Phase.PROPOSALS)
    create_round(home, slug="draft", phase=Phase.DRAFT)
    supporting = create_round(home, slug="supporting", phase=Phase.SUPPORTS)
    supporting.supports_enabled = True
    pot = open_round.pots[0]
    p = create_proposal(pot, author=resident, cost_pence=1_000_00)
    q = create_proposal(pot, cost_pence=2_000_00)
    s = create_proposal(supporting.pots[0], status=ProposalStatus.FEASIBLE)
    c = Contribution(
        proposal=p, partner_name="Co-op", kind=ContributionKind.MONEY, amount_pence=100
    )
    db.session.add(c)
    organisation = organisations.create_organisation(
        db.session, home, actor=officer, name="Co-op", kind="housing_cooperative"
    )
    member = organisations.add_member(
        db.session,
        organisation,
        actor=officer,
        member_number="1",
        name="Ama",
        membership_class="tenant",
        joined_on="2020-01-01",
        today=date(2026, 1, 1),
    )
    seconder = organisations.add_member(
        db.session,
        organisation,
        actor=officer,
        member_number="2",
        name="Ben",
        membership_class="tenant",
        joined_on="2020-01-01",
        today=date(2026, 1, 1),
    )
    meeting = meetings.create_meeting(
        db.session,
        organisation,
        actor=officer,
        title="AGM",
        kind="annual",
        starts_at=utcnow() + timedelta(days=60),
        place="The hall",
        online_voting=True,
        motions_deadline=None,
        now=utcnow(),
    )
    item = motions.table_motion(
        db.session,
        meeting,
        actor=officer,
        title="Change rule 12",
        wording="That rule 12 be changed.",
        threshold="special",
        proposer_id=member.id,
        seconder_id=seconder.id,
        now=utcnow(),
    )
    proposal = MotionProposal(
        meeting=meeting,
        proposer=member,
        seconder=seconder,
        title="Paint the hall",
        wording="That the hall be painted.",
        threshold="ordinary",
        proposed_at=utcnow(),
    )
    db.session.add(proposal)
    db.session.commit()
    election = draft_election(home, officer)
    return {
        "meeting": meeting.id,
        "item": item.id,
        "mp": proposal.id,
        "org": organisation.id,
        "member": member.id,
        "officer": officer.id,
        **{("e" + k if k in ("org", "meeting", "item") else k): v for k, v in election.items()},
        "p": p.id,
        "q": q.id,
        "s": s.id,
        "c": c.id,
        "pot": pot.id,
        "hood": hood.id,
        "address": address.id,
    }


def fill(template: str, ids: dict) -> str:
    for key, value in ids.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def state(db) -> dict:
    """Everything a forbidden POST could have changed."""
    db.session.expire_all()
    out = {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (
            FundingRound,
            Pot,
            Proposal,
            Support,
            ProposalReport,
            Contribution,
            AuditEvent,
            GazetteerAddress,
            Registration,
            RollEntry,
        )
    }
    out["eligibility"] = sorted(
        db.session.execute(
            select(
                Council.slug,
                Council.eligibility,
                Council.registrations_per_address,
                Council.open_data_voter_details,
            )
        ).all()
    ) + sorted(db.session.execute(select(FundingRound.slug, FundingRound.eligibility)).all())
    out["rounds"] = sorted(
        db.session.execute(
            select(
                FundingRound.slug,
                FundingRound.title,
                FundingRound.phase,
                FundingRound.total_budget_pence,
                FundingRound.min_age,
            )
        ).all()
    )
    out["proposals"] = sorted(
        db.session.execute(
            select(
                Proposal.id,
                Proposal.title,
                Proposal.status,
                Proposal.hidden_at,
                Proposal.merged_into_id,
            )
        ).all()
    )
    out["pots"] = sorted(db.session.execute(select(Pot.id, Pot.budget_pence)).all())
    out["places"] = sorted(
        db.session.execute(
            select(
                Proposal.id,
                Proposal.latitude,
                Proposal.longitude,
                Proposal.address_uprn,
                Proposal.neighbourhood_id,
            )
        ).all()
    )
    out["boundaries"] = sorted(
        db.session.execute(select(Neighbourhood.id, Neighbourhood.boundary)).all(),
        key=lambda row: row[0],
    )
    for model in (
        Organisation,
        MembershipClass,
        Member,
        OrganisationOfficer,
        MeetingCard,
        MeetingKiosk,
    ):
        out[model.__name__] = db.session.scalar(select(func.count()).select_from(model))
    out["organisations"] = sorted(
        db.session.execute(
            select(Organisation.id, Organisation.notice_days, Organisation.special_numerator)
        ).all()
    )
    out["members"] = sorted(
        db.session.execute(select(Member.id, Member.left_on, Member.account_id)).all()
    )
    for model in (Meeting, MeetingItem, MeetingVoter, Proxy, MotionProposal):
        out[model.__name__] = db.session.scalar(select(func.count()).select_from(model))
    out["meetings"] = sorted(
        db.session.execute(select(Meeting.id, Meeting.title, Meeting.state, Meeting.chair_id)).all()
    )
    out["items"] = sorted(db.session.execute(select(MeetingItem.id, MeetingItem.state)).all())
    out["motion_proposals"] = sorted(
        db.session.execute(select(MotionProposal.id, MotionProposal.state)).all()
    )
    for model in (MeetingItem, Constituency, ConstituencyClass, Nomination, MemberBallot):
        out[model.__name__] = db.session.scalar(select(func.count()).select_from(model))
    out["elections"] = sorted(
        db.session.execute(
            select(MeetingItem.id, MeetingItem.state, MeetingItem.ballot_seed, MeetingItem.rule)
        ).all()
    )
    out["nominations"] = sorted(
        db.session.execute(select(Nomination.id, Nomination.withdrawn_at)).all()
    )
    return out


def token(client) -> str:
    """A CSRF token for this session, from the first form on a page anyone can see."""
    soup = BeautifulSoup(client.get("/auth/sign-in").get_data(as_text=True), "html.parser")
    return soup.select_one("input[name=csrf_token]")["value"]


@pytest.mark.parametrize("who", range(5), ids=WHO)
def test_every_page_for_every_kind_of_person(app, client, world, who):
    if EMAILS[who]:
        assert sign_in(client, EMAILS[who], PASSWORD).status_code == 302
    for url, expected in ACCESS.items():
        url, status = fill(url, world), expected[who]
        if status == 302:
            response = client.get(url)
            assert response.status_code == 302, url
            if who == 0:
                assert "/auth/sign-in" in response.headers["Location"], url
        else:
            get_page(client, url, status=status)


@pytest.mark.parametrize("who", range(5), ids=WHO)
def test_every_post_by_someone_not_allowed_changes_nothing(app, client, db, world, who):
    if EMAILS[who]:
        assert sign_in(client, EMAILS[who], PASSWORD).status_code == 302
    csrf = token(client)
    before = state(db)
    for url, (data, expected) in POSTS.items():
        status = expected[who]
        if status is None:
            continue
        data = {k: fill(v, world) for k, v in data.items()}
        response = client.post(fill(url, world), data={"csrf_token": csrf, **data})
        assert response.status_code == status, url
    assert state(db) == before


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(app, client, db, world):
    sign_in(client, EMAILS[2], PASSWORD)
    before = state(db)
    for url, (data, _) in POSTS.items():
        data = {k: fill(v, world) for k, v in data.items()}
        response = client.post(fill(url, world), data=data)
        assert response.status_code == 400, url
        assert "Nothing has been changed" in response.get_data(as_text=True)
    assert state(db) == before


def test_every_route_is_in_the_walks(app):
    """Each GET route has a page in ACCESS and each POST route a form in POSTS (or is
    tested where it is: signing in, registering, signing out, resetting a password)."""
    import re

    def pattern(rule):
        return re.compile("^" + re.sub(r"<[^>]+>", "[^/]+", rule) + "$")

    ids = {"p": 1, "q": 2, "s": 3, "c": 4, "org": 5, "member": 6, "officer": 7, "meeting": 8}
    ids.update(item=9, eorg=10, emeeting=11, eitem=12, constituency=13, nomination=14)
    gets = {fill(u, ids) for u in ACCESS}
    posts = {fill(u, ids) for u in POSTS}
    missing = []
    for rule, methods, endpoint in ROUTES:
        # The network's ZIP is a file for everyone, never a page (test_open_data_pages.py).
        if endpoint in (
            "static",
            "status.status",
            "open_data.network_zip",
            "network.compare_csv",  # a download: tests/app/web/test_network.py
        ) or rule.startswith(("/auth/", "/api/", "/trustee/", "/unsubscribe/")):
            continue
        if "GET" in methods and not any(pattern(rule).match(u) for u in gets):
            missing.append(("GET", rule))
        if "POST" in methods and not any(pattern(rule).match(u) for u in posts):
            missing.append(("POST", rule))
    assert missing == []


def test_wrong_method_gets_a_page_not_a_stack_trace(client):
    page = get_page(client, "/auth/sign-out", status=405)
    assert page.h1.get_text(strip=True) == "There is a problem with your request"
