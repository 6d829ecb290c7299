"""Postal addresses and mobile numbers on the roll, checked as GOV.UK Notify will check them
when a code is sent."""

import pytest

from ballots import contacts


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("07700 900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("447700900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        (" 07700900123 ", "+447700900123"),
    ],
)
def test_a_uk_mobile_is_kept_as_plus_44(written, kept):
    assert contacts.uk_mobile(written) == kept


@pytest.mark.parametrize(
    "written",
    ["", "07700 90012", "077009001234", "029 2087 2087", "07700 9OO123", "+33 6 12 34 56 78",
     "7700900123", "+44 29 2087 2087", "07700/900123"],
)  # fmt: skip
def test_anything_else_is_not_a_uk_mobile(written):
    assert contacts.uk_mobile(written) is None


@pytest.mark.parametrize(
    ("written", "kept"),
    [("sw1a1aa", "SW1A 1AA"), ("CF10  1AA", "CF10 1AA"), (" m1 1ae ", "M1 1AE"),
     ("EC1A1BB", "EC1A 1BB")],
)  # fmt: skip
def test_a_postcode_is_spaced_and_upper_case(written, kept):
    assert contacts.postcode(written) == kept


@pytest.mark.parametrize("written", ["ZZ1 1ZZ", "CF10 1A", "France", "CF10 1AC", "12345"])
def test_anything_else_is_not_a_postcode(written):
    assert contacts.postcode(written) is None


def test_an_address_keeps_its_lines_and_the_postcode_last():
    lines = [("address_line_1", " Flat 2,  "), ("address_line_2", "1  High\nStreet"),
             ("address_line_3", ""), ("address_line_4", "Cardiff")]  # fmt: skip
    assert contacts.address(lines, "cf10 1aa") == ("Flat 2\n1 High Street\nCardiff\nCF10 1AA", [])
    assert contacts.address([("address_line_1", "")], "") == (None, [])


def test_an_address_of_seven_lines_before_the_postcode_is_too_long():
    lines = [(f"address_line_{n}", f"Line {n}") for n in range(1, 8)]
    kept, problems = contacts.address(lines, "CF10 1AA")
    assert kept is None
    assert problems == ["has an address of 7 lines before the postcode; a letter takes at most 6"]


def test_no_fixed_abode_is_not_a_postal_address():
    lines = [("address_line_1", "No fixed abode"), ("address_line_2", "Cardiff")]
    _, problems = contacts.address(lines, "CF10 1AA")
    assert problems == ["address_line_1 No fixed abode is not a postal address"]


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("jo@example.org", "jo@example.org"),
        (" Jo.Bloggs@Example.ORG ", "Jo.Bloggs@example.org"),
        ("jo+vote@mail.example.co.uk", "jo+vote@mail.example.co.uk"),
        ("o'neill@example.cymru", "o'neill@example.cymru"),
        ("jo@xn--bcher-kva.example", "jo@xn--bcher-kva.example"),
    ],
)
def test_an_email_address_keeps_its_local_part_and_a_small_letter_domain(written, kept):
    assert contacts.email_address(written) == kept
    assert contacts.email(written) == (kept, [])


@pytest.mark.parametrize(
    "written",
    ["jo", "jo@", "@example.org", "jo@example", "jo@@example.org", "jo bloggs@example.org",
     "jo@example..org", ".jo@example.org", "jo.@example.org", "jo..b@example.org",
     "jo@-example.org", "jo@example.o", "jo@example.123", "a" * 65 + "@example.org",
     "jo@" + "a" * 250 + ".org", "jo@exa_mple.org"],
)  # fmt: skip
def test_anything_else_is_not_an_email_address(written):
    assert contacts.email_address(written) is None
    kept, problems = contacts.email(written)
    assert kept is None
    assert problems == [
        f"email {written.strip()!r} is not an email address (like name@example.org)"
    ]


def test_a_blank_email_is_none_and_no_problem():
    assert contacts.email("  ") == (None, [])
