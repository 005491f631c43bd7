"""Phone numbers of contacts: a mainland mobile (11 digits, 1[3-9]…) or a landline with area code, or empty."""

from __future__ import annotations

import re
import unicodedata

from bot.i18n import _

_MOBILE = re.compile(r"1[3-9]\d{9}")
# Area codes: 010 and 02X have three digits, every other one four (0xxx); the local number 7 or 8.
_LANDLINE = re.compile(r"(010|02\d|0[3-9]\d{2})([2-9]\d{6,7})")
_EXTENSION = re.compile(r"(?:转|轉|ext\.?|x|#|-)\s*(\d{1,6})$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-()（）.]")


class PhoneError(ValueError):
    """Not a phone number we can call; the message says what is expected, in Chinese."""


def normalize_phone(raw: str) -> str:
    """13912345678 / +86 139-1234-5678 → 13912345678; (028)8501 2345转123 → 028-85012345-123; '' stays ''."""
    if raw and len(raw) == 11 and raw.isascii() and _MOBILE.fullmatch(raw):  # the usual case, read as it is
        return raw
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return ""
    extension = ""
    if (match := _EXTENSION.search(text)) and not _MOBILE.fullmatch(_digits(text)):
        body = _digits(text[:match.start()])
        if _LANDLINE.fullmatch(body):
            text, extension = text[:match.start()], match.group(1)
    digits = _digits(text)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.fullmatch(digits) and not extension:
        return digits
    if landline := _LANDLINE.fullmatch(digits):
        return f"{landline.group(1)}-{landline.group(2)}" + (f"-{extension}" if extension else "")
    raise PhoneError(_("“{raw}”不是有效的电话号码：请写 11 位手机号（如 13912345678），"
                       "或带区号的固定电话（如 028-85012345），不知道可留空").format(raw=raw[:40]))


def _digits(text: str) -> str:
    cleaned = _SEPARATORS.sub("", text)
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    return cleaned if cleaned.isdigit() else "x"
