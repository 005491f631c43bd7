"""The rate limiter: one interface, two implementations (in-process and Redis), the same tests for both."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from jobs.ratelimit import MemoryLimiter, RateLimiter, RedisLimiter, Rule, per_recipient, rules_for

REDIS_URL = "redis://127.0.0.1:6379/0"
SLACK = 0.03  # seconds of clock and scheduling slack allowed in timing assertions


def _redis_limiter() -> RedisLimiter:
    limiter = RedisLimiter(REDIS_URL, prefix=f"pairbot-test:{uuid.uuid4().hex}:")
    try:
        limiter.client.ping()
    except Exception as exc:
        limiter.close()
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return limiter


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[RateLimiter]:
    instance: RateLimiter = MemoryLimiter() if request.param == "memory" else _redis_limiter()
    yield instance
    instance.close()


def test_slots_are_spaced_at_the_limit(limiter: RateLimiter) -> None:
    rule = Rule("overall", 10, 1.0)
    waits = [limiter.reserve([rule], max_wait=5).wait for _ in range(5)]
    assert waits[0] == pytest.approx(0, abs=SLACK)
    for earlier, later in zip(waits, waits[1:]):
        assert later - earlier == pytest.approx(rule.interval, abs=SLACK)
    assert 0.1 < rule.interval < 0.11  # a little under the limit: the window below guarantees the limit itself


def test_a_burst_passes_then_the_rate_holds(limiter: RateLimiter) -> None:
    rule = Rule("group", 5, 1.0, burst=3)
    waits = [limiter.reserve([rule], max_wait=5).wait for _ in range(5)]
    assert waits[:3] == pytest.approx([0, 0, 0], abs=SLACK)
    assert waits[3] == pytest.approx(1 / 3, abs=SLACK) and waits[4] == pytest.approx(2 / 3, abs=SLACK)


def test_a_slot_is_taken_under_every_rule_or_none(limiter: RateLimiter) -> None:
    chat, overall = Rule("chat", 1, 10.0), Rule("overall", 10, 1.0)
    assert limiter.reserve([overall, chat], max_wait=1).granted
    refused = limiter.reserve([overall, chat], max_wait=1)
    assert not refused.granted and refused.wait == pytest.approx(chat.interval, abs=0.1)
    # the refused message took nothing from the overall budget
    assert limiter.reserve([overall], max_wait=1).wait == pytest.approx(overall.interval, abs=SLACK)


def test_a_slot_the_platform_did_not_count_is_given_back(limiter: RateLimiter) -> None:
    rule = Rule("overall", 10, 1.0)
    for _ in range(3):
        limiter.reserve([rule], max_wait=5)
    limiter.cancel([rule])
    assert limiter.reserve([rule], max_wait=5).wait == pytest.approx(2 * rule.interval, abs=SLACK)


def test_retry_after_holds_the_rule(limiter: RateLimiter) -> None:
    rule = Rule("chat", 1, 1.0)
    limiter.hold([rule], 3)
    refused = limiter.reserve([rule], max_wait=1)
    assert not refused.granted and refused.wait == pytest.approx(3, abs=0.1)
    assert limiter.reserve([Rule("other chat", 1, 1.0)], max_wait=1).wait == pytest.approx(0, abs=SLACK)


def test_no_window_ever_holds_more_than_the_limit(limiter: RateLimiter) -> None:
    """Eight threads taking slots as fast as they may: count the slots in every window of the period."""
    rule = Rule("window", 6, 0.5, burst=3)
    slots: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(5):
            before = time.monotonic()
            reservation = limiter.reserve([rule], max_wait=10)
            with lock:
                slots.append(before + reservation.wait)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slots.sort()
    window = rule.period - SLACK
    busiest = max(sum(1 for t in slots if start <= t < start + window) for start in slots)
    assert busiest <= rule.limit
    assert slots[-1] - slots[0] == pytest.approx((40 - rule.burst) * rule.interval, abs=0.15)  # and no slower


def test_a_request_counts_in_the_window_until_its_answer_and_a_period_after(limiter: RateLimiter) -> None:
    """However late requests go out, no window of the period on the platform's clock holds more than the limit."""
    rule, other = Rule("window", 2, 0.3), Rule("other", 5, 0.3)
    first, second = limiter.admit([rule], "1"), limiter.admit([rule, other], "2")
    assert first.granted and second.granted and first.token == "1"
    refused = limiter.admit([rule, other], "3")
    assert not refused.granted and refused.wait > 0.3  # the first is still in flight
    assert limiter.admit([other], "4").granted  # the refused request took nothing from the other rule
    time.sleep(0.2)  # the answer comes late: the request counts from its admission until now
    limiter.finish([rule], "1")
    still = limiter.admit([rule], "3")
    assert not still.granted and still.wait == pytest.approx(0.3, abs=SLACK)
    time.sleep(0.3 + SLACK)
    assert limiter.admit([rule], "3").granted


def test_a_row_admitted_again_replaces_its_own_earlier_admission(limiter: RateLimiter) -> None:
    """A worker died between admitting row 7 and claiming it: the row, sent later, is not held back by itself."""
    chat = Rule("chat", 1, 10.0)
    assert limiter.admit([chat], "7").granted
    assert not limiter.admit([chat], "8").granted  # another row to that chat waits
    assert limiter.admit([chat], "7").granted


def test_a_withdrawn_admission_leaves_no_trace(limiter: RateLimiter) -> None:
    """A message throttled by the bot's overall budget sent nothing: the chat's window is as before."""
    chat = Rule("chat", 1, 10.0)
    assert limiter.admit([chat], "7").granted
    limiter.withdraw([chat], "7")
    assert limiter.admit([chat], "8").granted


def test_an_answered_request_keeps_counting_when_its_row_is_admitted_again(limiter: RateLimiter) -> None:
    """Message 7 sent an older row of its chat and goes round for its own: the send it made still counts."""
    chat = Rule("chat", 1, 10.0)
    assert limiter.admit([chat], "7").granted
    limiter.finish([chat], "7")
    again = limiter.admit([chat], "7")
    assert not again.granted and again.wait == pytest.approx(10.0, abs=SLACK)


def test_every_worker_process_shares_one_budget_through_redis() -> None:
    """Two limiters on one Redis are two workers on two machines: the second waits for the first's slot."""
    first = _redis_limiter()
    second = RedisLimiter(REDIS_URL, prefix=first.prefix)
    try:
        rule = Rule("overall", 10, 1.0)
        assert first.reserve([rule], max_wait=1).wait == pytest.approx(0, abs=SLACK)
        assert second.reserve([rule], max_wait=1).wait == pytest.approx(rule.interval, abs=SLACK)
    finally:
        first.close()
        second.close()


def test_installations_sharing_one_redis_keep_their_own_budgets() -> None:
    """[queue] name keeps two installations' keys apart (each has its own bots); workers of one share theirs."""
    from jobs.ratelimit import build_limiter

    _redis_limiter().close()  # skips when Redis is absent
    name = f"test-{uuid.uuid4().hex}"
    first, same = build_limiter(REDIS_URL, installation=name), build_limiter(REDIS_URL, installation=name)
    other = build_limiter(REDIS_URL, installation=name + "-other")
    try:
        assert isinstance(first, RedisLimiter) and first.prefix == f"pairbot:ratelimit:{name}:"
        rule = Rule("overall", 10, 1.0)
        assert first.reserve([rule], max_wait=1).wait == pytest.approx(0, abs=SLACK)
        assert other.reserve([rule], max_wait=1).wait == pytest.approx(0, abs=SLACK)  # not the first's budget
        assert same.reserve([rule], max_wait=1).wait == pytest.approx(rule.interval, abs=SLACK)
    finally:
        for limiter in (first, same, other):
            limiter.close()


def test_rules_follow_each_platform() -> None:
    private, group = rules_for("telegram", "42"), rules_for("telegram", "-1001234")
    assert [(r.limit, r.period) for r in private] == [(30, 1.0), (1, 1.0)]
    assert [(r.limit, r.period) for r in group] == [(30, 1.0), (20, 60.0)]
    assert private[0].key == group[0].key  # one overall budget for the bot
    assert per_recipient(private) == private[1:]
    member = rules_for("wecom", "zhangsan")
    assert [(r.limit, r.period) for r in member] == [(30, 60.0), (1000, 3600.0)]
    assert [(r.limit, r.period) for r in rules_for("wecom", "appchat:wr123")] == [(20, 60.0)]
    assert [(r.limit, r.period) for r in rules_for("wecom_robot", "四川县联络员群")] == [(20, 60.0)]
    assert rules_for("console", "local") == []
