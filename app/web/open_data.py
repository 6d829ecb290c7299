"""Open data downloads: each published pot as pabulib ``.pb``, CSV (projects; ballots) and
JSON, the page listing every published pot of the network, and the network's ZIP
(docs/open-data.md). A pot of a round not yet published is "not found", exactly like a pot
that does not exist; a withheld pot has its JSON only (its ballot count)."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.web.extensions import db
from app.web.presenters.formatting import number
from app.web.public import council_or_404
from app.workflow import open_data

bp = Blueprint("open_data", __name__)


@bp.app_template_filter("file_size")
def file_size(size: int) -> str:
    """A file's size for people: "830 bytes", "12.4 KB", "3.1 MB" (1 KB = 1,024 bytes)."""
    if size < 1024:
        return ngettext("%(size)s byte", "%(size)s bytes", size, size=number(size))
    if size < 1024 * 1024:
        return _("%(size)s KB", size=number(round(size / 1024, 1)))
    return _("%(size)s MB", size=number(round(size / (1024 * 1024), 1)))


POT = "/councils/<slug>/rounds/<round_slug>/results/<int:pot_id>"


def store() -> open_data.Store | None:
    """Where built files are kept (``OPEN_DATA_DIR``; unset: the instance folder's
    ``open-data``; empty: nowhere but this process)."""
    folder = current_app.config.get("OPEN_DATA_DIR")
    if folder is None:
        folder = Path(current_app.instance_path) / "open-data"
    return open_data.Store(Path(folder)) if folder else None


def _pot_or_404(slug: str, round_slug: str, pot_id: int) -> open_data.PublishedPot:
    pot = open_data.published_pot(db.session, council_or_404(slug), round_slug, pot_id)
    if pot is None:
        abort(404)
    return pot


def _download(data: bytes | None, mimetype: str, name: str) -> Response:
    if data is None:
        abort(404)  # a withheld pot has no ballots or figures to give
    # Slugs are letters, digits and hyphens; anything else would not be safe in the header.
    name = re.sub(r"[^A-Za-z0-9._-]", "-", name)
    disposition = f'attachment; filename="{name}"'
    return Response(data, content_type=mimetype, headers={"Content-Disposition": disposition})


def _files(slug: str, round_slug: str, pot_id: int) -> open_data.PotFiles:
    return open_data.pot_files(db.session, _pot_or_404(slug, round_slug, pot_id), store())


@bp.route(POT + "/open-data.pb")
def pot_pb(slug: str, round_slug: str, pot_id: int):
    files = _files(slug, round_slug, pot_id)
    return _download(files.pb, open_data.PB_TYPE, f"{files.stem}.pb")


@bp.route(POT + "/open-data.csv")
def pot_csv(slug: str, round_slug: str, pot_id: int):
    files = _files(slug, round_slug, pot_id)
    return _download(files.projects_csv, open_data.CSV_TYPE, f"{files.stem}-projects.csv")


@bp.route(POT + "/open-data-ballots.csv")
def pot_ballots_csv(slug: str, round_slug: str, pot_id: int):
    files = _files(slug, round_slug, pot_id)
    return _download(files.ballots_csv, open_data.CSV_TYPE, f"{files.stem}-ballots.csv")


@bp.route(POT + "/open-data.json")
def pot_json(slug: str, round_slug: str, pot_id: int):
    files = _files(slug, round_slug, pot_id)
    return _download(files.json, open_data.JSON_TYPE, f"{files.stem}.json")


def pot_urls(council_slug: str, round_slug: str, pot_id: int, *, withheld: bool) -> dict:
    """The pot's download URLs by format (``None`` for the formats a withheld pot lacks)."""
    args = {"slug": council_slug, "round_slug": round_slug, "pot_id": pot_id}
    return {
        "pb": None if withheld else url_for("open_data.pot_pb", **args),
        "csv": None if withheld else url_for("open_data.pot_csv", **args),
        "ballots_csv": None if withheld else url_for("open_data.pot_ballots_csv", **args),
        "json": url_for("open_data.pot_json", **args),
    }


@bp.route("/network/open-data")
def index():
    """Every published pot of the network's councils, by council and round, with its files'
    formats and sizes; what each format holds, what is withheld, and the licence."""
    listing = open_data.network_listing(db.session, store(), build=False)
    councils: dict[str, dict] = {}
    for item in listing:
        council = councils.setdefault(
            item.pot.council.slug, {"council": item.pot.council, "rounds": {}}
        )
        council["rounds"].setdefault(item.pot.funding_round.id, []).append(item)
    return render_template(
        "open_data/index.html",
        councils=list(councils.values()),
        pots=len(listing),
        urls=pot_urls,
    )


@bp.route("/network/open-data.zip")
def network_zip():
    data = open_data.network_zip(db.session, store())
    return _download(data, open_data.ZIP_TYPE, "network-open-data.zip")
