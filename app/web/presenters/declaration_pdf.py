"""Declarations as PDFs for the minutes, in the page's language: an election's (the same
figures as its page, ``presenters.elections``, on landscape A4) and a motion's (its page's
sentence and figures, ``presenters.meetings``, on portrait A4). Both are set in Noto Sans (from
the ``fontpkg-noto-sans`` package: a Unicode font, so Welsh's ŵ and ŷ print; no font file is
kept here) under the same heading, from ``_document``.

Only the font's default instance (its regular weight) is used: making a bold instance from the
variable font takes seconds, and the headings stand out by size instead."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import get_locale
from flask_babel import gettext as _
from fontpkg_noto_sans import ROOT as NOTO
from fpdf import FPDF
from fpdf.fonts import FontFace

from app.web.presenters.elections import Declared

FONT = NOTO / "files" / "NotoSans[wdth,wght].ttf"
# Stages a page's table takes across before the rest continue in another table below.
STAGES_ACROSS = 8
# The headings are shaded, not bold: only the regular weight is loaded.
SHADED = FontFace(emphasis=None, fill_color=(225, 225, 225))


def _document(*, heading: str, lines: Iterable[str], orientation: str) -> FPDF:
    """A new A4 document in Noto Sans, marked with the page's language, that starts with the
    declaration's ``heading`` and the ``lines`` under it (who, which meeting, when)."""
    pdf = FPDF(orientation=orientation, format="A4")
    pdf.set_title(heading)
    pdf.set_creator("Devolve")
    locale = get_locale()
    pdf.set_lang(locale.language if locale else "en")
    pdf.add_font("Noto", "", FONT)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Noto", size=20)
    pdf.multi_cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Noto", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return pdf


def election_declaration_pdf(
    *,
    organisation: str,
    meeting: str,
    title: str,
    declared_at: str,
    rule: str,
    parts: list[Declared],
    quorum: str | None = None,
    inquorate: bool = False,
) -> bytes:
    """An election's declaration: each constituency's quota, who was elected and the count
        stage by stage; ``quorum`` is the sentence saying whether it was quorate (``inquorate``:
    nobody is elected)."""
    pdf = _document(
        heading=_("Declaration: %(title)s", title=title),
        lines=(
            organisation,
            meeting,
            _("Counted by %(rule)s. Declared %(when)s.", rule=rule, when=declared_at),
            *([quorum] if quorum else []),
        ),
        orientation="landscape",
    )
    for part in parts:
        _constituency(pdf, part, inquorate)
    return bytes(pdf.output())


def motion_declaration_pdf(
    *,
    organisation: str,
    meeting: str,
    title: str,
    wording: str,
    amends: str | None,
    declared_at: str,
    sentence: str,
    figures: list[tuple[str, str]],
    manifest_hash: str,
    log_hash: str,
) -> bytes:
    """A motion's (or an amendment's: ``amends`` is the title of the motion it amends)
    declaration: its wording, the sentence, the figures and the two fingerprints."""
    amendment = [_("Amendment to %(title)s", title=amends)] if amends else []
    pdf = _document(
        heading=_("Result: %(title)s", title=title),
        lines=(organisation, meeting, *amendment, _("Declared %(when)s.", when=declared_at)),
        orientation="portrait",
    )
    pdf.ln(4)
    pdf.set_font("Noto", size=13)
    pdf.multi_cell(0, 7, _("Wording"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Noto", size=11)
    pdf.multi_cell(0, 6, wording, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Noto", size=13)
    pdf.multi_cell(0, 7, sentence, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Noto", size=10)
    with pdf.table(
        col_widths=(95, 65),
        width=160,
        align="LEFT",
        text_align="LEFT",
        first_row_as_headings=False,
    ) as table:
        for what, value in figures:
            row = table.row()
            row.cell(what, style=SHADED)
            row.cell(value)
    pdf.ln(4)
    pdf.set_font("Noto", size=8)
    for line in (
        _("Manifest fingerprint: %(hash)s", hash=manifest_hash),
        _("Sealed log: %(hash)s", hash=log_hash),
    ):
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _constituency(pdf: FPDF, part: Declared, inquorate: bool) -> None:
    pdf.ln(4)
    pdf.set_font("Noto", size=15)
    pdf.multi_cell(0, 8, part.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Noto", size=10)
    facts = [
        _("Seats: %(n)s", n=part.seats),
        _("Ballots: %(n)s", n=part.ballots),
        _("Valid votes: %(n)s", n=part.valid),
        _("Quota: %(quota)s", quota=part.quota),
        _("Nobody is elected: the election was inquorate.")
        if inquorate
        else _("Elected, in order: %(names)s", names=", ".join(part.elected)),
    ]
    for line in facts:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    for start in range(0, len(part.stages), STAGES_ACROSS):
        _stage_table(pdf, part, start, start + STAGES_ACROSS)


def _stage_table(pdf: FPDF, part: Declared, start: int, end: int) -> None:
    stages = part.stages[start:end]
    pdf.ln(2)
    pdf.set_font("Noto", size=8)
    widths = (50, *([min(28, (pdf.epw - 50) / max(len(stages), 1))] * len(stages)))
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        text_align="LEFT",
        headings_style=SHADED,
    ) as table:
        header = table.row()
        header.cell(_("Candidate"))
        for stage in stages:
            header.cell(_("Stage %(n)s: %(what)s", n=stage.number, what=stage.heading))
        for row in part.rows:
            line = table.row()
            line.cell(row.name + (" (" + _("elected") + ")" if row.elected else ""))
            for cell in row.cells[start:end]:
                line.cell(_cell(cell))
        line = table.row()
        line.cell(_("Quota"))
        for quota in part.quotas[start:end]:
            line.cell(quota)
        for label, cells in (
            (_("Non-transferable: exhausted"), part.exhausted),
            (_("Non-transferable: rounding"), part.rounding),
        ):
            line = table.row()
            line.cell(label)
            for cell in cells[start:end]:
                line.cell(_cell(cell))


def _cell(cell) -> str:
    text = cell.votes
    if cell.transfer:
        text += f" ({cell.transfer})"
    if cell.status == "elected":
        text += "\n" + _("Elected")
    elif cell.status == "excluded":
        text += "\n" + _("Excluded")
    return text
