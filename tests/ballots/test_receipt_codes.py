"""Receipt codes are normalised to ASCII A-Z and 0-9 before hashing, as the export format says."""

import pytest

from ballots import box


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("abcde-fghij 23456", "ABCDEFGHIJ23456"),
        ("  ab\tc-d\n", "ABCD"),
        # Letters and digits outside ASCII are not part of a base32 code: they drop out.
        ("ABC\u00c9D\u0663E\uff21", "ABCDE"),
        ("\u00e9\u00df", ""),
    ],
)
def test_only_ascii_letters_and_digits_survive(typed, normalised):
    assert box.normalise_receipt(typed) == normalised


def test_a_code_hashes_as_its_normalised_text():
    code = box.new_receipt_code()
    assert box.receipt_hash(code.lower().replace("-", " ")) == box.sha256(code.replace("-", ""))


def test_the_close_payload_names_ballots_and_receipts():
    assert box.close_payload(5, 3) == box.sha256("close|ballots=5|receipts=3")
