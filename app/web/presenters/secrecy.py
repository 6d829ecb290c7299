"""Words for an encrypted round's pages: where the key stands, each pot's count after the
close, and a trustee's next step with the exact command to run."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from app.web.i18n import in_page_language_by_id
from app.web.presenters.formatting import number
from app.workflow import secrecy
from app.workflow.languages import Shown
from app.workflow.models import FundingRound, Phase, RoundTrustee
from ballots.secrecy import SERVER

KEYFILE = "trustee.key"
# How the ballot box names a trustee's shuffle: "trustee 2 (Independent auditor)".
TRUSTEE_MIXER = re.compile(r"trustee (\d+) \((.*)\)", re.DOTALL)


def fingerprint(public_key: str | None) -> str:
    """The first 16 hex digits of the round's public key, in groups of four."""
    if not public_key:
        return ""
    head = public_key[:16]
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))


def stage_words(status: secrecy.Status | None) -> str:
    """One line for the round's overview."""
    if status is None:
        return _("Ballots are not encrypted.")
    n = len(status.trustees)
    if status.stage == secrecy.Stage.READY:
        return _(
            "Ballots are encrypted; the key is made (%(threshold)s of %(trustees)s trustees "
            "needed to decrypt).",
            threshold=number(status.threshold),
            trustees=number(n),
        )
    if status.stage == secrecy.Stage.TRUSTEES:
        waiting = sum(1 for t in status.trustees if not t.registered)
        return _(
            "Ballots are encrypted; %(trustees)s trustees added, %(waiting)s still to register. "
            "The key is not made yet.",
            trustees=number(n),
            waiting=number(waiting),
        )
    return _("Ballots are encrypted; the trustees are making the key.")


def pot_next(pot_status) -> str:
    """What happens next for one pot after the close, in words."""
    if pot_status.ballots == 0:
        return _("No ballots: nothing to decrypt.")
    if pot_status.decrypted:
        return _("Decrypted: the ballots can be counted.")
    if pot_status.mixing:
        return _(
            "Waiting for a trustee to shuffle the ballots (mix %(number)s of %(needed)s).",
            number=number(len(pot_status.mixes) + 1),
            needed=number(pot_status.mixes_needed),
        )
    missing = pot_status.threshold - len(pot_status.decrypted_by)
    return ngettext(
        "Waiting for %(count)s more trustee decryption.",
        "Waiting for %(count)s more trustee decryptions.",
        missing,
        count=number(missing),
    )


def mixer_name(mixed_by: str) -> str:
    """Who shuffled, as the ballot box recorded it ("the server", "trustee 2 (name)"), in
    the page's language."""
    if mixed_by == SERVER:
        return _("the server")
    found = TRUSTEE_MIXER.fullmatch(mixed_by)
    if found:
        return _("trustee %(position)s (%(name)s)", position=found[1], name=found[2])
    return mixed_by


@dataclass(frozen=True)
class PotRow:
    id: int
    name: Shown | str  # in the page's language (the paper's name where the pot is not found)
    ballots: int
    mixes: tuple[str, ...]
    mixes_needed: int
    decrypted_by: tuple[str, ...]
    threshold: int
    decrypted: bool
    next: str
    can_mix: bool
    can_decrypt: bool  # for the trustee whose page this is

    @property
    def mix_command(self) -> str:
        return command("mix", f"mix-task-{self.id}.json", "--out", f"mix-{self.id}.json")

    @property
    def decrypt_command(self) -> str:
        return command(
            "decrypt",
            KEYFILE,
            f"decryption-task-{self.id}.json",
            "--out",
            f"decryption-{self.id}.json",
        )


def pot_rows(
    session: Session, funding_round: FundingRound, position: int | None = None
) -> list[PotRow]:
    names = {t.position: t.name for t in secrecy.trustees_of(session, funding_round)}
    pot_names = in_page_language_by_id(funding_round.pots, "name")
    return [
        PotRow(
            id=pot.id,
            name=pot_names.get(pot.id, pot.name),
            ballots=s.ballots,
            mixes=tuple(mixer_name(m) for m in s.mixes),
            mixes_needed=s.mixes_needed,
            decrypted_by=tuple(
                names.get(p) or _("trustee %(position)s", position=p) for p in s.decrypted_by
            ),
            threshold=s.threshold,
            decrypted=s.decrypted,
            next=pot_next(s),
            can_mix=s.mixing,
            can_decrypt=s.decrypting and position not in s.decrypted_by,
        )
        for pot, s in secrecy.pot_statuses(session, funding_round)
    ]


def command(step: str, *args: str) -> str:
    return shlex.join(["python", "-m", "votes", "trustee", step, *args])


@dataclass(frozen=True)
class TrusteeStep:
    """What the trustee's page asks of them now: ``upload`` is the step's upload route name
    (or None when they are waiting), ``download`` the file to fetch first."""

    heading: str
    text: str
    command: str = ""
    download: str | None = None
    upload: str | None = None
    upload_label: str = ""


@dataclass(frozen=True)
class TrusteePage:
    step: TrusteeStep
    key_made: bool
    closed: bool
    pots: list[PotRow] = field(default_factory=list)


def trustee_page(session: Session, trustee: RoundTrustee) -> TrusteePage:
    funding_round = session.get(FundingRound, trustee.round_id)
    status = secrecy.status(session, funding_round)
    closed = funding_round.phase == Phase.CLOSED and secrecy.is_encrypted(funding_round)
    return TrusteePage(
        step=_step(trustee, funding_round, status),
        key_made=status is not None and status.stage == secrecy.Stage.READY,
        closed=closed,
        pots=pot_rows(session, funding_round, trustee.position) if closed else [],
    )


def _step(trustee: RoundTrustee, funding_round: FundingRound, status) -> TrusteeStep:
    stage = status.stage if status else None
    if funding_round.is_frozen:
        return _after_opening(funding_round)
    if stage == secrecy.Stage.TRUSTEES and trustee.transport_key is None:
        return TrusteeStep(
            _("Register"),
            _(
                "Make your key file on your own computer and upload the registration it writes. "
                "Choose a passphrase you will remember: nobody can recover the key file or its "
                "passphrase for you. Keep the key file safe until the round's results are "
                "published."
            ),
            command("register", "--name", trustee.name, KEYFILE, "--out", "registration.json"),
            upload="register",
            upload_label=_("Your registration (registration.json)"),
        )
    if stage == secrecy.Stage.TRUSTEES:
        return TrusteeStep(
            _("Waiting for the officer"),
            _(
                "You are registered. When every trustee has registered, the officer starts "
                "making the round's key; come back to this page then."
            ),
        )
    if stage == secrecy.Stage.KEY_PARTS and trustee.key_part is None:
        return TrusteeStep(
            _("Make your part of the key"),
            _(
                "Download the key ceremony file, make your part of the key with your key file, "
                "and upload the part."
            ),
            command("keygen", KEYFILE, "ceremony.json", "--out", "key-part.json"),
            download="ceremony",
            upload="key-part",
            upload_label=_("Your part of the key (key-part.json)"),
        )
    if stage == secrecy.Stage.KEY_PARTS:
        return TrusteeStep(
            _("Waiting for the other trustees"),
            _(
                "Your part of the key is in. When every trustee's part is in, come back to check "
                "the key."
            ),
        )
    if stage == secrecy.Stage.KEY_CHECKS and trustee.key_check is None:
        return TrusteeStep(
            _("Check the key"),
            _(
                "Download the key ceremony file and every trustee's part of the key, check the "
                "parts with your key file, and upload the check it writes."
            ),
            command("check", KEYFILE, "ceremony.json", "key-parts.json", "--out", "key-check.json"),
            download="key-parts",
            upload="key-check",
            upload_label=_("Your check of the key (key-check.json)"),
        )
    if stage == secrecy.Stage.KEY_CHECKS:
        return TrusteeStep(
            _("Waiting for the other trustees"),
            _("Your check of the key is in. The key is made when every trustee has checked it."),
        )
    return _held_step()


def _held_step() -> TrusteeStep:
    return TrusteeStep(
        _("The key is made"),
        _(
            "Keep your key file and its passphrase safe. From time to time the officer may ask "
            "you to prove you still hold your share: download a challenge, answer it with your "
            "key file and upload the answer."
        ),
        command("still-held", KEYFILE, "still-held-challenge.json", "--out", "still-held.json"),
        upload="still-held",
        upload_label=_("Your answer (still-held.json)"),
    )


def _after_opening(funding_round: FundingRound) -> TrusteeStep:
    if funding_round.phase == Phase.CLOSED:
        return TrusteeStep(
            _("Voting has closed"),
            _(
                "Each pot's ballots are shuffled, then decrypted by the trustees. The steps for "
                "each pot are below."
            ),
        )
    if funding_round.phase == Phase.VOTING:
        return _held_step()
    return TrusteeStep(
        _("Nothing to do"),
        _("The round is past the stage where trustees take part. Thank you."),
    )
