"""Every CSV file Devolve writes escapes cells a spreadsheet would run as formulas, with one
helper (votes.csv_cells), and the auditor export's reader undoes it: a file per test."""

import csv
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.workflow.models import Phase, Role
from tests.app.closed_round import closed_round
from tests.app.pages import sign_in, submit
from tests.ballots import helpers
from tests.ballots.helpers import place, voting_round
from tests.ballots.test_officer_pages import upload
from tests.factories import PASSWORD, create_council, create_user
from votes import csv_cells
from votes.cli import main as votes_main
from votes.pabulib import read

LINK = '=HYPERLINK("https://evil.example","Click")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),  # so that the escape can be undone
        ("'Park", "'Park"),
        ("Park = fun", "Park = fun"),
        (None, ""),
        (300, "300"),
    ],
)
def test_a_cell_that_could_be_a_formula_gets_an_apostrophe(value, cell):
    assert csv_cells.escape(value) == cell
    assert csv_cells.unescape(cell) == ("" if value is None else str(value))


@given(st.text())
def test_every_text_round_trips_and_no_cell_starts_a_formula(text):
    cell = csv_cells.escape(text)
    assert not cell.startswith(csv_cells.FORMULA_START)
    assert csv_cells.unescape(cell) == text


def test_the_codes_csv_escapes_references_and_neighbourhoods(app, client, db):
    council = create_council(slug="home")
    place(council, "@Centre")
    create_user(email="officer@example.org", roles={council: Role.OFFICER})
    funding_round, _ = voting_round(council)
    funding_round.slug = "vote"
    db.session.commit()
    sign_in(client, "officer@example.org", PASSWORD)
    roll = f'reference,neighbourhood\n"{LINK.replace(chr(34), chr(34) * 2)}",@Centre\n+1,@centre\n'
    assert upload(client, roll).status_code == 302
    response = submit(
        client,
        "/officers/home/rounds/vote/voters",
        {"which": "round"},
        post_to=("/officers/home/rounds/vote/voters/codes"),
        form_selector="form[action$='/voters/codes']",
    )
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["reference", "neighbourhood", "code", "expires"]
    assert sorted((r[0], r[1]) for r in rows[1:]) == [("'+1", "'@Centre"), ("'" + LINK, "'@Centre")]
    for row in rows:
        assert not any(cell.startswith(csv_cells.FORMULA_START) for cell in row)


def test_a_project_named_like_a_formula_round_trips_through_the_export(
    runner, db, tmp_path, monkeypatch, capsys
):
    names = iter([LINK, "@SUM(A1)", "'=quoted"])
    real = helpers.create_proposal
    monkeypatch.setattr(
        helpers, "create_proposal", lambda pot, **kw: real(pot, title=next(names), **kw)
    )
    funding_round = closed_round(phase=Phase.PUBLISHED)
    out = tmp_path / "out"
    assert runner.invoke(args=["export", str(funding_round.id), "--out", str(out)]).exit_code == 0
    [written] = list(out.iterdir())
    z = zipfile.ZipFile(written)
    # The spreadsheet's file opens the names as text...
    rows = list(csv.reader(io.StringIO(z.read("results.csv").decode(), newline="")))
    assert sorted(r[1] for r in rows[1:]) == sorted(["'" + LINK, "'@SUM(A1)", "''=quoted"])
    # ...the pabulib file, data for counting software, holds them as they are...
    assert sorted(p.name for p in read(z.read("election.pb"), name="election.pb").projects) == (
        sorted([LINK, "@SUM(A1)", "'=quoted"])
    )
    # ...and the verifier reads both back to the names of results.json.
    assert votes_main(["verify", str(written)]) == 0
    printed = capsys.readouterr().out
    assert "results.csv agrees with results.json" in printed
    assert "the published result is reproduced" in printed
