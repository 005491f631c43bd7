"""Reading needs and offers from chat text: what is taken, what is refused, what is no answer at all."""

from __future__ import annotations

from datetime import date

import pytest

from models.services.need_text import fields_in, read_amount, read_answer, read_description
from models.services.provinces import provinces_in

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize("text, expected", [
    ("冷链仓储设备，约80万元，受益300户，2027年6月底前", (("产业",), 80, 300, None, date(2027, 6, 30))),
    ("建设村级养老院，需资金200万元，惠及老人500人", (("养老",), 200, None, 500, None)),
    ("需要资金80万元，受益300户，年底前", ((), 80, 300, None, date(2026, 12, 31))),
    ("养老院改造，明年6月30日前完成，需120万", (("养老",), 120, None, None, date(2027, 6, 30))),
    ("村道路灯采购安装", (("其他",), None, None, None, None)),  # 采购 of lamps is no 消费帮扶
    ("2025年建成的冷库需要扩建，每年6月采摘", (("产业",), None, None, None, None)),  # past and unmarked dates
])
def test_a_description_states_what_it_can(text: str, expected: tuple) -> None:
    reading = read_description(text, TODAY)
    assert (reading.fields, reading.amount_wan, reading.households, reading.people, reading.wanted_by) == expected
    assert reading.problems == ()


@pytest.mark.parametrize("text", ["冷链设备，10的20次方元", "冷链设备，1e30万元", "冷链" + "9" * 30 + "万元", "冷链设备80-100万元"])
def test_absurd_or_ranged_amounts_are_problems_never_values(text: str) -> None:
    reading = read_description(text, TODAY)
    assert reading.amount_wan is None and len(reading.problems) == 1


@pytest.mark.parametrize("text, field, value", [
    ("80万元", "amount_wan", 80), ("约八十万左右", "amount_wan", 80), ("1.5亿", "amount_wan", 15000),
    ("5000元", "amount_wan", 0.5), ("300户", "households", 300), ("受益三百户", "households", 300),
    ("1,200人", "people", 1200), ("2027-06-30", "wanted_by", date(2027, 6, 30)),
    ("2027年6月底", "wanted_by", date(2027, 6, 30)), ("6月30日", "wanted_by", date(2027, 6, 30)),
    ("明年年底", "wanted_by", date(2027, 12, 31)), ("2027.6", "wanted_by", date(2027, 6, 30)),
    ("跳过", "skip", True), ("80", "bare", "80"), ("领域 教育", "fields", ("教育",)),
])
def test_an_answer_made_only_of_answer_pieces(text: str, field: str, value: object) -> None:
    reading = read_answer(text, TODAY)
    assert reading is not None and getattr(reading, field) == value and reading.problems == ()


@pytest.mark.parametrize("text", ["本月投入帮扶资金20万元，带动38户增收", "好的", "你好", "需求 80万元", "2027.5万元 谢谢"])
def test_anything_else_is_no_answer(text: str) -> None:
    assert read_answer(text, TODAY) is None


@pytest.mark.parametrize("text, problem", [
    ("1e30万元", "不是可以采用的数字"), ("10的20次方元", "不是可以采用的数字"), ("0万元", "不可采用"),
    ("1000001万元", "不可采用"), ("2025-01-01", "已经过去"), ("2027-02-30", "不存在"),
])
def test_answers_that_cannot_be_taken_say_why(text: str, problem: str) -> None:
    reading = read_answer(text, TODAY)
    assert reading is not None and problem in reading.problems[0]
    assert (reading.amount_wan, reading.wanted_by) == (None, None)


def test_offers_read_fields_provinces_and_capacity() -> None:
    assert fields_in("教育、健康，全国") == ("教育", "健康")
    assert provinces_in("四川、雲南、广西壮族自治区，西藏") == ["四川省", "云南省", "广西壮族自治区", "西藏自治区"]
    assert read_amount("教育，四川、云南，200万元") == (200, None)
    assert read_amount("教育，四川") == (None, None)
    assert read_amount("教育 1e30万元")[1] is not None
