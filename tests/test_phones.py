"""Contact phone numbers: mainland mobiles and landlines in the forms people write them, or empty."""

from __future__ import annotations

import pytest

from models.services.phones import PhoneError, normalize_phone


@pytest.mark.parametrize(("raw", "stored"), [
    ("13912345678", "13912345678"), ("+86 139-1234-5678", "13912345678"), ("8613912345678", "13912345678"),
    ("0086 139 1234 5678", "13912345678"), ("１３９１２３４５６７８", "13912345678"),
    ("028-85012345", "028-85012345"), ("(028)8501 2345转123", "028-85012345-123"), ("010 62345678", "010-62345678"),
    ("0834-2234567", "0834-2234567"), ("0834 82345678 ext. 12", "0834-82345678-12"), ("", ""), ("  ", ""),
])
def test_numbers_people_write_are_kept_in_one_form(raw: str, stored: str) -> None:
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize("raw", ["abc", "12345", "23912345678", "139123456789", "02812345", "0834-0234567",
                                 "13912345678转1", "电话13912345678", "\x00", "1" * 500])
def test_anything_else_is_refused_saying_what_to_write(raw: str) -> None:
    with pytest.raises(PhoneError, match="11 位手机号"):
        normalize_phone(raw)
