"""The 项目库's lifecycle and ranking, through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from bot.db import unit_of_work
from models.messaging import Delivery
from models.pairing import Pairing, PairingStatus, Project, ProjectStatus
from models.projects import ClaimStatus, Need, NeedClaim, NeedStatus
from models.registry import Contact
from models.services import needs, projects
from models.services.ledger import NotVisible, Scope
from models.services.matching import rank
from models.services.needs import NeedError, NeedFields
from tests.projects.world import World, build, contact

NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
ALL = Scope()


@pytest.fixture
def world(engine) -> World:  # type: ignore[no-untyped-def]
    return build(engine)


def _need(engine, world: World, **values) -> int:  # type: ignore[no-untyped-def]
    fields = NeedFields(**{"field": "教育", "description": "图书室建设，惠及全县小学", "amount_wan": 80, **values})
    with unit_of_work(engine) as session:
        return needs.create_need(session, world.county, fields, "test", contact_id=world.county_contact).id  # type: ignore[return-value]


def _published(engine, world: World, **values) -> int:  # type: ignore[no-untyped-def]
    need_id = _need(engine, world, **values)
    with unit_of_work(engine) as session:
        needs.publish(session, ALL, need_id, "admin", NOW)
    return need_id


def _as(session: Session, contact_id: int) -> Contact:
    row = session.get(Contact, contact_id)
    assert row is not None
    return row


def _texts(engine, chat: str) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return [d.text for d in session.exec(select(Delivery).where(Delivery.chat_id == chat).order_by(Delivery.id))]


def test_a_need_goes_from_draft_to_a_project_under_the_pairing(engine, world: World) -> None:
    need_id = _published(engine, world)
    with unit_of_work(engine) as session:
        claim = needs.claim(session, _as(session, world.paired_contact), need_id, NOW)
        claim_id = claim.id
    [ask] = _texts(engine, "县联络员")[-1:]
    assert "结对基金会对需求" in ask and f"确认 接单{claim_id}" in ask
    with unit_of_work(engine) as session:
        project = needs.confirm(session, _as(session, world.county_contact), claim_id, NOW)
        assert project.pairing_id == world.pairing and project.field == "教育" and project.amount_wan == 80
    with Session(engine) as session:
        need = session.get(Need, need_id)
        assert need is not None and need.status == NeedStatus.in_progress
        steps = [row.action for row in needs.history(session, need_id)]
    assert steps == ["need.create", "need.publish", "need.claim", "need.confirm"]
    assert "项目 #" in _texts(engine, "结对联络人")[-1]


def test_first_confirmation_wins_and_the_others_are_told(engine, world: World) -> None:
    need_id = _published(engine, world)
    with unit_of_work(engine) as session:
        first = needs.claim(session, _as(session, world.offering_contact), need_id, NOW).id
        second = needs.claim(session, _as(session, world.paired_contact), need_id, NOW).id
    with unit_of_work(engine) as session:
        needs.confirm(session, _as(session, world.county_contact), first, NOW)
    with unit_of_work(engine) as session, pytest.raises(NeedError, match="已处理"):
        needs.confirm(session, _as(session, world.county_contact), second, NOW)
    with Session(engine) as session:
        assert session.get(NeedClaim, second).status == ClaimStatus.lost  # type: ignore[union-attr]
        # 促进会 was not paired with 布拖县: a proposed pairing now carries the project
        pairing = session.exec(select(Pairing).where(Pairing.organization_id == world.offering_org)).one()
        assert pairing.status == PairingStatus.proposed
        assert session.exec(select(Project).where(Project.pairing_id == pairing.id)).one().need_id == need_id
    assert "已由其他组织承接" in _texts(engine, "结对联络人")[-1]


def test_a_decline_reopens_the_need_and_tells_the_organization_why(engine, world: World) -> None:
    need_id = _published(engine, world)
    with unit_of_work(engine) as session:
        claim_id = needs.claim(session, _as(session, world.offering_contact), need_id, NOW).id
    with unit_of_work(engine) as session, pytest.raises(NeedError, match="原因最多 500 字（实际 501 字）"):
        needs.decline(session, _as(session, world.county_contact), claim_id, "长" * 501, NOW)  # refused, not cut
    with unit_of_work(engine) as session:
        needs.decline(session, _as(session, world.county_contact), claim_id, "已有其他资金安排", NOW)
    with Session(engine) as session:
        assert session.get(Need, need_id).status == NeedStatus.published  # type: ignore[union-attr]
    assert "已有其他资金安排" in _texts(engine, "促进会联络人")[-1]
    with unit_of_work(engine) as session, pytest.raises(NeedError, match="无需重复"):
        needs.claim(session, _as(session, world.offering_contact), need_id, NOW)


def test_only_the_own_county_confirms_and_only_organizations_claim(engine, world: World) -> None:
    need_id = _published(engine, world)
    stranger = contact(engine, "邻县联络员", "county", county=world.other_county)
    with unit_of_work(engine) as session, pytest.raises(NeedError, match="只有社会组织"):
        needs.claim(session, _as(session, world.county_contact), need_id, NOW)
    with unit_of_work(engine) as session:
        claim_id = needs.claim(session, _as(session, world.paired_contact), need_id, NOW).id
    with unit_of_work(engine) as session, pytest.raises(NeedError, match="本县接单"):
        needs.confirm(session, _as(session, stranger), claim_id, NOW)


def test_drafts_cannot_be_claimed_and_admins_see_only_their_provinces(engine, world: World) -> None:
    need_id = _need(engine, world)
    with unit_of_work(engine) as session, pytest.raises(NeedError, match="尚未发布"):
        needs.claim(session, _as(session, world.paired_contact), need_id, NOW)
    with unit_of_work(engine) as session, pytest.raises(NotVisible):
        needs.publish(session, Scope(("云南省",)), need_id, "admin", NOW)


@pytest.mark.parametrize("values, message", [
    ({"field": "金融"}, "帮扶领域"), ({"description": " \x00 "}, "需求内容"), ({"amount_wan": float("inf")}, "金额"),
    ({"amount_wan": -5}, "金额"), ({"households": 10**12}, "户数"), ({"description": "长" * 5000}, "过长"),
])
def test_bad_values_are_refused_with_what_was_wrong(engine, world: World, values: dict, message: str) -> None:
    with unit_of_work(engine) as session, pytest.raises(NeedError, match=message):
        needs.create_need(session, world.county, NeedFields(**{"description": "图书室", **values}), "test")


def test_a_past_wanted_by_date_is_refused_only_when_today_is_known() -> None:
    with pytest.raises(NeedError, match="已经过去"):
        needs.check_fields(NeedFields(description="图书室", wanted_by=date(2020, 1, 1)), today=date(2026, 11, 29))


def test_a_wanted_by_date_too_far_or_long_past_is_refused_with_its_date_written_in_full() -> None:
    with pytest.raises(NeedError, match="9999-12-31 超出范围（最晚 2100 年）"):
        needs.check_fields(NeedFields(description="图书室", wanted_by=date(9999, 12, 31)), today=date(2026, 11, 29))
    with pytest.raises(NeedError, match="0001-01-01 已经过去"):  # was “1-01-01”
        needs.check_fields(NeedFields(description="图书室", wanted_by=date(1, 1, 1)), today=date(2026, 11, 29))
    assert needs.check_fields(NeedFields(description="图书室", wanted_by=date(2100, 12, 31)),
                              today=date(2026, 11, 29)).wanted_by == date(2100, 12, 31)


def test_ranking_puts_the_paired_first_then_offers_in_the_province(engine, world: World) -> None:
    need_id = _published(engine, world)
    with Session(engine) as session:
        ranking = rank(session, session.get(Need, need_id))  # type: ignore[arg-type]
    assert [(c.name, c.tier) for c in ranking] == [("结对基金会", 1), ("教育促进会", 2)]  # 云南 only: not offered
    assert "服务四川省" in ranking[1].reasons[0]


def test_an_offer_too_small_for_the_amount_is_not_ranked(engine, world: World) -> None:
    need_id = _published(engine, world, amount_wan=900)
    with Session(engine) as session:
        assert [c.tier for c in rank(session, session.get(Need, need_id))] == [1]  # type: ignore[arg-type]


def test_push_reaches_the_top_organizations_with_a_claim_button(engine, world: World) -> None:
    need_id = _published(engine, world)
    with unit_of_work(engine) as session:
        sent = needs.push(session, ALL, need_id, 5, "admin", NOW)
    assert sent == [("结对基金会", 1), ("教育促进会", 1)]
    with Session(engine) as session:
        delivery = session.exec(select(Delivery).where(Delivery.chat_id == "促进会联络人")).one()
    assert delivery.buttons == [["接单", f"needclaim:{need_id}"]] and "接单 " in delivery.text


def test_finishing_the_project_finishes_the_need(engine, world: World) -> None:
    need_id = _published(engine, world)
    with unit_of_work(engine) as session:
        claim_id = needs.claim(session, _as(session, world.paired_contact), need_id, NOW).id
    with unit_of_work(engine) as session:
        project_id = needs.confirm(session, _as(session, world.county_contact), claim_id, NOW).id
    with unit_of_work(engine) as session:
        projects.finish_project(session, ALL, project_id, ProjectStatus.done, "", "admin", NOW)
    with Session(engine) as session:
        assert session.get(Need, need_id).status == NeedStatus.done  # type: ignore[union-attr]


def test_two_county_contacts_confirming_at_once_make_one_project(engine, world: World, db_url: str) -> None:
    """Two claims confirmed in parallel by two contacts of the county: the need's row lock lets one win."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    import threading

    from bot.db import make_engine

    need_id = _published(engine, world)
    second_contact = contact(engine, "县联络员二", "county", county=world.county)
    with unit_of_work(engine) as session:
        claims = [needs.claim(session, _as(session, c), need_id, NOW).id
                  for c in (world.paired_contact, world.offering_contact)]
    engines = [make_engine(db_url) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(n: int) -> None:
        barrier.wait()
        try:
            with unit_of_work(engines[n]) as session:
                needs.confirm(session, _as(session, (world.county_contact, second_contact)[n]), claims[n], NOW)
            outcomes.append("confirmed")
        except NeedError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for one in engines:
        one.dispose()
    assert outcomes.count("confirmed") == 1 and any("已处理（已由其他组织承接）" in o for o in outcomes), outcomes
    with Session(engine) as session:
        assert len(session.exec(select(Project).where(Project.need_id == need_id)).all()) == 1
        statuses = sorted(c.status for c in session.exec(select(NeedClaim).where(NeedClaim.need_id == need_id)))
    assert statuses == ["confirmed", "lost"]
