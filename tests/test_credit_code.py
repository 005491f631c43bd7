"""Tests for GB 32100-2015 unified social credit code validation."""

from __future__ import annotations

import random

import pytest

from models.services.credit_code import (
    ALPHABET,
    CreditCodeError,
    check_character,
    normalize_credit_code,
    validate_credit_code,
)

# Codes published by the organizations themselves (web pages, invoice headers) and
# found in public repositories; each passes the GB 32100 check.
REAL_CODES = {
    "53100000500019795A": "中国社会福利基金会",  # foundation (53), registered by 民政部
    "53100000500021676K": "北京理工大学教育基金会",
    "51100000500009247D": "中国复合材料工业协会",  # social group (51)
    "51100000500002862F": "中国自动化学会",
    "51100000500012681T": "中国医疗保健国际交流促进会",
    "52100000500000784G": "民政部登记的民办非企业单位",  # social service agency (52)
    "12100000400009127B": "北京理工大学",  # public institution (1 = 机构编制)
    "91350100M000100Y43": "工商登记企业",  # enterprise (9 = 市场监管)
}


@pytest.mark.parametrize("code", sorted(REAL_CODES))
def test_real_published_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code
    assert check_character(code[:17]) == code[17]


def test_social_organization_codes_start_with_5() -> None:
    social = [code for code in REAL_CODES if code.startswith("5")]
    assert len(social) >= 5


def test_check_character_matches_hand_computation() -> None:
    # 5*1 + 3*3 + 1*9 + 5*20 + 1*8 + 9*24 + 7*10 + 9*30 + 5*28 = 827;
    # 827 % 31 = 21; 31 - 21 = 10 -> ALPHABET[10] == "A".
    assert check_character("53100000500019795") == "A"


def test_remainder_zero_gives_check_zero() -> None:
    # 31 - 0 = 31 must wrap to "0", not index past the alphabet.
    assert check_character("0" * 17) == "0"
    assert validate_credit_code("0" * 18) == "0" * 18


def test_every_check_value_reachable_and_round_trips() -> None:
    rng = random.Random(32100)
    seen = set()
    for _ in range(2000):
        body = rng.choice("159Y") + rng.choice("123") + "".join(rng.choices("0123456789", k=6))
        body += "".join(rng.choices(ALPHABET, k=9))
        code = body + check_character(body)
        assert validate_credit_code(code) == code
        seen.add(code[17])
    assert seen == set(ALPHABET)


def test_computed_code_with_letters_in_body() -> None:
    body = "91110108MA01YBNX6"
    assert validate_credit_code(body + check_character(body)) == "91110108MA01YBNX62"


def test_wrong_check_character_says_what_it_should_be() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate_credit_code("53100000500019795B")
    message = str(info.value)
    assert "校验位" in message and "应为A" in message and "实际为B" in message


@pytest.mark.parametrize(
    "raw",
    ["53100000500019795", "53100000500019795AA", "5310000050001"],
)
def test_wrong_length(raw: str) -> None:
    with pytest.raises(CreditCodeError) as info:
        validate_credit_code(raw)
    assert "应为18位" in str(info.value)
    assert f"实际为{len(raw)}位" in str(info.value)


def test_empty() -> None:
    with pytest.raises(CreditCodeError, match="为空"):
        validate_credit_code("   ")


def test_letter_o_reported_with_position_and_hint() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate_credit_code("531OOOOO500019795A")
    message = str(info.value)
    assert "第4位字符“O”不合法" in message
    assert "第8位字符“O”不合法" in message
    assert "数字0" in message


def test_letter_i_reported() -> None:
    with pytest.raises(CreditCodeError, match="第18位字符“I”不合法"):
        validate_credit_code("53100000500019795I")


@pytest.mark.parametrize("letter", ["S", "V", "Z"])
def test_other_excluded_letters(letter: str) -> None:
    code = "51100000500009247" + letter
    with pytest.raises(CreditCodeError, match=f"第18位字符“{letter}”不合法"):
        validate_credit_code(code)


def test_punctuation_is_illegal_not_silently_dropped() -> None:
    with pytest.raises(CreditCodeError, match="第9位字符“-”不合法"):
        validate_credit_code("53100000-500019795A")


def test_length_and_characters_reported_together() -> None:
    with pytest.raises(CreditCodeError) as info:
        validate_credit_code("531O0000500019795")
    message = str(info.value)
    assert "第4位字符“O”不合法" in message and "应为18位" in message


def test_division_code_must_be_digits() -> None:
    body = "531A0000500019795"
    with pytest.raises(CreditCodeError, match="行政区划码") as info:
        validate_credit_code(body + check_character(body))
    assert "第4位" in str(info.value)


def test_lowercase_is_normalized() -> None:
    assert validate_credit_code("51100000500002862f") == "51100000500002862F"
    assert validate_credit_code("91350100m000100y43") == "91350100M000100Y43"


def test_full_width_input() -> None:
    full_width = "５３１０００００５０００１９７９５Ａ"
    assert normalize_credit_code(full_width) == "53100000500019795A"
    assert validate_credit_code(full_width) == "53100000500019795A"
    assert validate_credit_code("５１１０００００５０００１２６８１ｔ") == "51100000500012681T"


def test_spaces_including_ideographic_are_stripped() -> None:
    assert normalize_credit_code(" 5310 0000\u30005000 19795A\t\n") == "53100000500019795A"
    assert validate_credit_code("531000 005000 21676K") == "53100000500021676K"


def test_error_is_a_value_error_carrying_the_code() -> None:
    with pytest.raises(ValueError) as info:
        validate_credit_code("５３１０００００５０００１９７９５Ｂ")
    assert isinstance(info.value, CreditCodeError)
    assert info.value.code == "53100000500019795B"


def test_check_character_rejects_bad_input() -> None:
    with pytest.raises(CreditCodeError, match="前17位"):
        check_character("5310000050001979")
    with pytest.raises(CreditCodeError, match="第4位字符“O”"):
        check_character("531O0000500019795")
