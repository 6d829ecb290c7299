"""Council colours must carry white header text at WCAG AA contrast."""

import pytest

from app.demo import COUNCILS
from app.workflow.branding import check_colour, contrast_with_white
from app.workflow.models import Council


@pytest.mark.parametrize("colour", [c[2] for c in COUNCILS] + ["#0b0c0c", "#1D70B8"])
def test_dark_colours_are_accepted(colour):
    assert contrast_with_white(colour) >= 4.5
    assert check_colour(colour) == colour.lower()


@pytest.mark.parametrize(
    "colour, problem",
    [
        ("#ffdd00", "too light"),
        ("#00ff00", "too light"),
        ("red", "not a colour"),
        ("#12345", "not a colour"),
        ("", "not a colour"),
    ],
)
def test_light_or_malformed_colours_are_refused(colour, problem):
    with pytest.raises(ValueError, match=problem):
        check_colour(colour)
    with pytest.raises(ValueError, match=problem):
        Council(slug="x", name="X", colour=colour)


def test_contrast_matches_known_values():
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)
