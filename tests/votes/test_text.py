"""The shared words: counted nouns, places, lists, money and canonical JSON."""

from fractions import Fraction

import pytest

from votes import ballot, text, verify
from votes.canonical import canonical_json
from votes.rules import explain


@pytest.mark.parametrize(
    ("n", "args", "expected"),
    [
        (0, ("ballot",), "0 ballots"),
        (1, ("ballot",), "1 ballot"),
        (2, ("ballot",), "2 ballots"),
        (1204, ("ballot",), "1,204 ballots"),
        (1, ("child", "children"), "1 child"),
        (3, ("child", "children"), "3 children"),
    ],
)
def test_plural(n, args, expected):
    assert text.plural(n, *args) == expected


def test_plural_takes_the_irregular_form_by_keyword():
    assert text.plural(2, "person", plural="people") == "2 people"


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (20, "20th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_ordinal(n, expected):
    assert text.ordinal(n) == expected


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], ""),
        (["a"], "a"),
        (["a", "b"], "a and b"),
        (["a", "b", "c"], "a, b and c"),
        (iter(["a", "b", "c", "d"]), "a, b, c and d"),
    ],
)
def test_join_list_has_no_comma_before_the_conjunction(items, expected):
    assert text.join_list(items) == expected


def test_join_list_with_another_conjunction():
    assert text.join_list(["tea", "coffee", "water"], "or") == "tea, coffee or water"


@pytest.mark.parametrize(
    ("pence", "expected"),
    [
        (0, "£0"),
        (1250000, "£12,500"),
        (1250050, "£12,500.50"),
        (5, "£0.05"),
        (-525, "-£5.25"),
        (Fraction(101, 2), "£0.51"),  # half a penny rounds away from zero
        (Fraction(-101, 2), "-£0.51"),
        (Fraction(1001, 10), "£1"),
    ],
)
def test_money(pence, expected):
    assert text.money(pence) == expected


def test_money_always_with_pence_and_unset():
    assert text.money(1250000, always_pence=True) == "£12,500.00"
    assert text.money(1250050, always_pence=True) == "£12,500.50"
    assert text.money(None) == ""


def test_old_names_are_the_shared_ones():
    assert ballot.format_money is text.money
    assert explain.plural is text.plural
    assert explain.ordinal is text.ordinal
    assert explain.and_list is text.join_list
    assert verify.canonical_json is canonical_json


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_characters():
    value = {"b": [1, 2.5, None, True], "a": {"z": "£5 café", "y": []}}
    assert canonical_json(value) == '{"a":{"y":[],"z":"£5 café"},"b":[1,2.5,null,true]}'
    assert canonical_json({"b": 1, "a": 2}) == canonical_json({"a": 2, "b": 1})
