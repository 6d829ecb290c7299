"""CSV cells a spreadsheet will not run as formulas: the one escape every CSV file Devolve
writes goes through, and the reader that undoes it (``python -m votes verify`` reads the
auditor export's ``results.csv`` back).

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe, which spreadsheets take as "this is text". So that the escape can always
be undone, text that already starts with apostrophes followed by one of those characters
(``'=x``) gets one more: :func:`unescape` drops one apostrophe exactly when the cell starts
with one or more apostrophes and then one of those characters. Any other text is written as it
is, ``'Park`` included.

The pabulib ``election.pb`` file is not escaped: it is a data format read by pabutools and
other counting software, which would take the apostrophe as part of a project's name.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape(value: object) -> str:
    """The cell for ``value`` (``None`` is empty), with the formula escape."""
    text = "" if value is None else str(value)
    if text.lstrip("'").startswith(FORMULA_START):
        return "'" + text
    return text


def unescape(cell: str) -> str:
    """The text a cell written by :func:`escape` stands for."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_START):
        return cell[1:]
    return cell


class Writer:
    """``csv.writer`` with every cell escaped (the same arguments as ``csv.writer``)."""

    def __init__(self, out: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([escape(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: IO[str], **kwargs: Any) -> Writer:
    return Writer(out, **kwargs)
