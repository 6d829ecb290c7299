"""Splitting a round's budget into pots: exact to the penny."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.workflow.rounds import split_budget


@pytest.mark.parametrize(
    "total, weights, expected",
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (100, [1, 2, 1], [25, 50, 25]),
        (10, [0, 0], [5, 5]),
        (7, [Decimal("1.5"), Decimal("0.5")], [5, 2]),
        (0, [3, 4], [0, 0]),
        (1, [1, 1, 1], [1, 0, 0]),
    ],
)
def test_split_examples(total, weights, expected):
    assert split_budget(total, weights) == expected


@pytest.mark.parametrize("weights", [[], [1, -1]])
def test_split_refuses_nonsense(weights):
    with pytest.raises(ValueError):
        split_budget(100, weights)


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30),
)
def test_split_adds_up_and_stays_within_a_penny_of_the_ideal(total, weights):
    shares = split_budget(total, weights)
    assert sum(shares) == total
    whole = sum(weights) or len(weights)
    for share, w in zip(shares, weights if sum(weights) else [1] * len(weights), strict=True):
        ideal = total * w / whole
        assert abs(share - ideal) < 1 + 1e-6
