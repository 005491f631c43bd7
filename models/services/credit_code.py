"""Unified social credit code (统一社会信用代码) checks, per GB 32100-2015.

Every social organization in the pairing programme is identified by its 18-character
code, so a code typed or imported wrongly would silently create a second organization.
Validation therefore explains *what* is wrong (length, which character at which
position, what the check character should be) so a clerk can fix the source sheet.

Layout: position 1 registration-authority code (5 = civil affairs, i.e. social
organizations), 2 kind code, 3-8 administrative division code (6 digits), 9-17
organization code body, 18 check character.
"""

from __future__ import annotations

import unicodedata

from bot.i18n import _

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "CreditCodeError",
    "check_character",
    "normalize_credit_code",
    "validate_credit_code",
]

#: The 31 characters GB 32100 allows; I, O, Z, S, V are left out because they are
#: easily confused with 1, 0, 2, 5 and U. The index of a character is its value.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_LENGTH = 18
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
_DIVISION = slice(2, 8)  # positions 3-8
# Letters the standard excludes, with the digit a person most likely meant.
_LOOKALIKES = {"I": "1", "O": "0", "Z": "2", "S": "5"}


class CreditCodeError(ValueError):
    """A credit code that cannot be right; the message (Chinese) says exactly why.

    ``code`` holds the normalized input so callers can echo what was checked.
    """

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def normalize_credit_code(raw: str) -> str:
    """Return ``raw`` without whitespace, in half-width upper case.

    Codes are copied from PDFs, web pages and Chinese IMEs, which bring full-width
    letters/digits, ideographic spaces and lower case; none of those change the code.
    """
    half_width = unicodedata.normalize("NFKC", raw)
    return "".join(half_width.split()).upper()


def check_character(first17: str) -> str:
    """Return the 18th (check) character for the first 17 characters of a code.

    ``first17`` must already be normalized: exactly 17 characters of ``ALPHABET``.
    """
    if len(first17) != CODE_LENGTH - 1:
        raise CreditCodeError(
            _("计算校验位需要前17位，实际为{n}位：{code}").format(n=len(first17), code=first17), first17
        )
    problems = _illegal_characters(first17)
    if problems:
        raise CreditCodeError(_("；").join(problems), first17)
    total = sum(_VALUES[ch] * w for ch, w in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(raw: str) -> str:
    """Return the normalized code, or raise :class:`CreditCodeError`.

    Structural problems (illegal characters, length, non-digit division code) are
    reported together so one correction round suffices; the check character is only
    judged once the structure is sound, since it is meaningless before.
    """
    code = normalize_credit_code(raw)
    if not code:
        raise CreditCodeError(_("统一社会信用代码为空"), code)
    problems = _illegal_characters(code)
    if len(code) != CODE_LENGTH:
        problems.append(_("长度应为{expected}位，实际为{n}位").format(expected=CODE_LENGTH, n=len(code)))
    problems.extend(_division_problems(code))
    if problems:
        raise CreditCodeError(_("统一社会信用代码 {code} 有误：{problems}").format(code=code, problems=_("；").join(problems)), code)
    expected = check_character(code[:17])
    if code[17] != expected:
        raise CreditCodeError(
            _("统一社会信用代码 {code} 有误：校验位（第18位）应为{expected}，实际为{actual}").format(
                code=code, expected=expected, actual=code[17]),
            code,
        )
    return code


def _illegal_characters(code: str) -> list[str]:
    """One message per character outside ``ALPHABET``, with its 1-based position."""
    problems = []
    for position, ch in enumerate(code, start=1):
        if ch in _VALUES:
            continue
        hint = _("（是否应为数字{digit}？）").format(digit=_LOOKALIKES[ch]) if ch in _LOOKALIKES else ""
        problems.append(_("第{position}位字符“{ch}”不合法").format(position=position, ch=ch) + hint)
    if problems:
        problems.append(_("只能使用数字和除 I、O、S、V、Z 以外的大写字母"))
    return problems


def _division_problems(code: str) -> list[str]:
    """Positions 3-8 are a GB/T 2260 division code and must be digits."""
    bad = [
        str(position)
        for position, ch in enumerate(code[_DIVISION], start=_DIVISION.start + 1)
        if ch in _VALUES and not ch.isdigit()
    ]
    if not bad:
        return []
    return [_("第3–8位是登记管理机关行政区划码，应为数字，第{positions}位不是").format(positions=_("、").join(bad))]
