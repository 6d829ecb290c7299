"""No template shows a person text outside a translation call, and none hides the translator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.app.languages.template_text import untranslated

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = sorted(
    p for p in (ROOT / "templates").rglob("*") if p.suffix in (".html", ".txt") and p.is_file()
)


def test_every_template_is_read():
    assert len(TEMPLATES) > 60


def test_no_template_shows_text_outside_a_translation_call():
    found = [
        str(u) for p in TEMPLATES for u in untranslated(p.read_text(), str(p.relative_to(ROOT)))
    ]
    assert not found, f"{len(found)} untranslated texts:\n" + "\n".join(found[:40])


def test_no_template_assigns_the_translator():
    """`{% set _ = ... %}` replaces gettext for the rest of the block: later `_()` calls fail."""
    assigned = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in TEMPLATES
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"{%-?\s*set\s+_\s*=", line)
    ]
    assert not assigned, assigned


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("<p>Hello there</p>", "Hello there"),
        ("<h1>{% block title %}Results{% endblock %}</h1>", "Results"),
        ('<img alt="A chart of votes" src="x">', "A chart of votes"),
        ('<input type="submit" value="Save">', "Save"),
        ("<p>{{ count }} ballots were cast</p>", "ballots were cast"),
        ("{{ govukButton({'text': 'Continue'}) }}", "Continue"),
        (
            "{{ govukButton({'text': 'Save and continue', 'classes': 'govuk-button'}) }}",
            "Save and continue",
        ),
        ("{{ x ~ ' of the total' }}", " of the total"),
    ],
)
def test_the_check_finds_text_a_person_would_see(source, text):
    found = untranslated(source, "planted.html")
    assert found and any(text.strip() in u.text for u in found), found


@pytest.mark.parametrize(
    "source",
    [
        "<p>{{ _('Hello there') }}</p>",
        "<p>{% trans n=count %}{{ n }} ballots were cast{% endtrans %}</p>",
        "{{ govukButton({'text': _('Continue'), 'classes': 'govuk-button govuk-!-margin-0'}) }}",
        "<a href=\"{{ url_for('public.home') }}\" class=\"govuk-link\">{{ _('Home') }}</a>",
        "{% if kind == 'success' %}{{ ngettext('%(num)s vote', '%(num)s votes', n) }}{% endif %}",
        "<p>£{{ amount }} – {{ name }}</p>",
        "python -m votes verify EXPORT.zip --manifest-hash {{ h }}",
    ],
)
def test_the_check_passes_translated_text_and_what_is_not_words(source):
    assert untranslated(source, "planted.html") == []
