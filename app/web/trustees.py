"""A trustee's page for an encrypted round, reached by the link the officer sent them: no
sign-in, the link is the capability. Each step downloads a file for ``python -m votes
trustee`` and uploads the file it writes; the checking is ``app.workflow.secrecy``.

Every response here is ``no-store`` and sends no referrer, so the link leaves no trace in a
cache or in another site's logs. Wrong links are rate-limited per address."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from app.web.extensions import db, limiter
from app.web.forms.secrecy import ButtonForm, UploadForm
from app.web.presenters.formatting import number
from app.web.presenters.secrecy import trustee_page
from app.web.views import attempt, say
from app.workflow import secrecy
from app.workflow.clock import utcnow
from app.workflow.models import FundingRound, RoundTrustee
from ballots.refusals import Refusal

bp = Blueprint("trustees", __name__, url_prefix="/trustee")

T = "/<token>"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,100}")

# Every request here, and a tighter limit on links that name no trustee (each such request
# counts): a guessed link is refused long before chance could find one (they are 192 bits).
limiter.limit(lambda: current_app.config["TRUSTEE_RATE_LIMIT"])(bp)
limiter.limit(
    lambda: current_app.config["TRUSTEE_WRONG_LINK_RATE_LIMIT"],
    scope="trustee-wrong-link",
    deduct_when=lambda response: response.status_code == 404,
)(bp)


@bp.url_value_preprocessor
def _larger_uploads(endpoint, values) -> None:  # noqa: ARG001
    """A pot's mix or decryption is about 300 bytes a ballot: these routes take larger files
    than the rest of the site. Set before anything reads the form (the CSRF check does)."""
    request.max_content_length = current_app.config["TRUSTEE_UPLOAD_MAX_BYTES"]


@bp.after_request
def _no_trace(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):  # noqa: ARG001
    limit = current_app.config["TRUSTEE_UPLOAD_MAX_BYTES"] // (1024 * 1024)
    body = _(
        "Files uploaded here can be at most %(limit)s MB. Nothing was saved. If a pot's file "
        "is larger, ask the council's officers to raise the limit.",
        limit=number(limit),
    )
    title = _("The file is too large")
    return render_template("errors/error.html", title=title, body=body), 413


def trustee_or_404(token: str) -> RoundTrustee:
    """The trustee the link names; anything else is "page not found" (never logged with the
    link itself, which is a secret)."""
    trustee = secrecy.trustee_by_link(db.session, token) if TOKEN.fullmatch(token) else None
    if trustee is None:
        abort(404)
    return trustee


def _page(token: str, trustee: RoundTrustee, form: UploadForm | None = None, status: int = 200):
    funding_round = db.session.get(FundingRound, trustee.round_id)
    page = trustee_page(db.session, trustee)
    return render_template(
        "trustees/page.html",
        token=token,
        trustee=trustee,
        round=funding_round,
        council=funding_round.council,
        page=page,
        form=form or UploadForm(formdata=None),
        failed=form is not None,
        failed_path=request.path,
        challenge_form=ButtonForm(formdata=None),
    ), status


def _json_file(document: Any, filename: str) -> Response:
    return Response(
        json.dumps(document, indent=1) + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route(T)
def page(token: str):
    return _page(token, trustee_or_404(token))


@bp.route(T + "/ceremony.json")
def ceremony(token: str):
    trustee = trustee_or_404(token)
    found = secrecy.secrecy_of(db.session, db.session.get(FundingRound, trustee.round_id))
    return _json_file(secrecy.ceremony(found), "ceremony.json")


@bp.route(T + "/key-parts.json")
def key_parts(token: str):
    trustee = trustee_or_404(token)
    parts = secrecy.key_parts(db.session, db.session.get(FundingRound, trustee.round_id))
    return _json_file(parts, "key-parts.json")


@bp.route(T + "/still-held-challenge.json", methods=["POST"])
def still_held_challenge(token: str):
    trustee = trustee_or_404(token)
    if not ButtonForm().validate_on_submit():
        abort(400)
    challenge = attempt(secrecy.still_held_challenge, trustee)
    return _json_file(challenge, "still-held-challenge.json")


TASKS = {"mix-task": secrecy.mix_task, "decryption-task": secrecy.decryption_task}


@bp.route(T + "/pots/<int:pot_id>/<any('mix-task', 'decryption-task'):task_name>.json")
def task(token: str, pot_id: int, task_name: str):
    trustee = trustee_or_404(token)
    funding_round = db.session.get(FundingRound, trustee.round_id)
    document = TASKS[task_name](db.session, funding_round, pot_id)
    return _json_file(document, f"{task_name}-{pot_id}.json")


def _uploaded(form: UploadForm) -> str | None:
    """The uploaded file's text, or None with why beside the file field."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None and upload.filename else None
    if data is None:
        problem = _("Choose the file to upload")
    elif not data.strip():
        problem = _("The file is empty: upload the file the command wrote")
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            problem = _("The file is not text saved as UTF-8: upload the file the command wrote")
    form.file.errors = [problem]
    return None


def _store(form: UploadForm, fn, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Upload the valid form's file through ``fn``; (False, status) with the refusal beside
    the file field when the file or the workflow refuses, nothing saved."""
    text = _uploaded(form) if form.validate_on_submit() else None
    if text is None:
        return False, 422
    try:
        return True, attempt(fn, *args, text, **kwargs)
    except Refusal as error:
        form.file.errors = [say(error)]
        return False, error.status


STEPS = {
    "register": (secrecy.register, _l("Your registration is in.")),
    "key-part": (secrecy.upload_key_part, _l("Your part of the key is in.")),
    "key-check": (secrecy.upload_key_check, _l("Your check of the key is in.")),
    "still-held": (secrecy.prove_still_held, _l("Thank you: you have proved you hold your share.")),
}
RESTARTED = _l(
    "Your complaint about another trustee's share was upheld, so the round's key will be made "
    "again from the start: come back when the officer starts it again."
)


@bp.route(T + "/<any('register', 'key-part', 'key-check', 'still-held'):step>", methods=["POST"])
def upload(token: str, step: str):
    trustee = trustee_or_404(token)
    fn, done_text = STEPS[step]
    form = UploadForm()
    extra = {"now": utcnow()} if step == "still-held" else {}
    ok, value = _store(form, fn, trustee, **extra)
    if not ok:
        return _page(token, trustee, form, value)
    flash(str(RESTARTED if value == "restarted" else done_text), "success")
    return redirect(url_for(".page", token=token))


@bp.route(T + "/pots/<int:pot_id>/<any('mix', 'decryption'):kind>", methods=["POST"])
def pot_upload(token: str, pot_id: int, kind: str):
    trustee = trustee_or_404(token)
    form = UploadForm()
    form.file.id = f"file-{kind}-{pot_id}"  # the error summary links to this pot's field
    if kind == "mix":
        ok, value = _store(form, secrecy.upload_mix, trustee, pot_id)
    else:
        ok, value = _store(form, secrecy.upload_decryption, trustee, pot_id, now=utcnow())
    if not ok:
        return _page(token, trustee, form, value)
    flash(_pot_done(kind, value), "success")
    return redirect(url_for(".page", token=token))


def _pot_done(kind: str, decrypted: bool | None) -> str:
    if kind == "mix":
        return _("Your shuffle of the pot's ballots is in, and its proof holds.")
    if decrypted:
        return _("Your decryption is in: the pot is now decrypted.")
    return _("Your decryption is in. The pot needs more trustees' decryptions.")
