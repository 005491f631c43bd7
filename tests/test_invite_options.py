"""`pairbot invite` refuses what it would otherwise drop silently: scope options its role does not use,
a name longer than a contact's name may be, and --name beside --contact."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.cli.support import make_invite
from bot.config import Settings
from models.messaging import Invite
from models.services.importing import ContactImporter
from tests.factories import CODES, add_org, county_id, load_counties, pair
from tests.test_cli import pairbot, workdir  # noqa: F401  (workdir: a database made by `pairbot init`)


@pytest.fixture
def registry(app: App) -> App:
    """Counties, and 中国社会福利基金会 paired with 布拖县 (not with 昭觉县 nor 美姑县)."""
    load_counties(app.engine)
    pair(app.engine, add_org(app.engine, "中国社会福利基金会", CODES[0]), county_id(app.engine, "布拖县"))
    return app


def _invites(app: App) -> int:
    with Session(app.engine) as session:
        return len(session.exec(select(Invite)).all())


@pytest.mark.parametrize(("role", "scope", "extra", "named"), [
    ("admin", {}, {"county": "布拖县"}, "--county"),
    ("admin", {}, {"organization": "中国社会福利基金会"}, "--organization"),
    ("admin", {"provinces": ["广东"]}, {"county": "布拖县"}, "--county"),
    ("county", {"county": "布拖县"}, {"organization": "中国社会福利基金会"}, "--organization"),
    ("county", {"county": "布拖县"}, {"provinces": ["四川"]}, "--province"),
    ("organization", {"organization": "中国社会福利基金会"}, {"county": "美姑县"}, "--county"),
    ("organization", {"organization": "中国社会福利基金会"}, {"county": "布拖县"}, "--county"),  # paired, still no scope
    ("organization", {"organization": "中国社会福利基金会"}, {"county": "昭觉县", "provinces": ["广东"]},
     "--county、--province"),
])
def test_scope_options_the_role_does_not_use_are_refused(registry: App, settings: Settings, role: str,
                                                          scope: dict, extra: dict, named: str) -> None:
    options = {"county": None, "organization": None, "provinces": []} | scope | extra
    with pytest.raises(ValueError) as refused:
        make_invite(settings, role, options["county"], options["organization"], options["provinces"], "", None)
    message = str(refused.value)
    assert f"不能使用 {named}" in message and message.endswith(named), message
    assert _invites(registry) == 0  # nothing made


def test_each_role_with_its_own_scope_still_makes_a_code(registry: App, settings: Settings) -> None:
    make_invite(settings, "admin", None, None, ["广东"], "", None)
    make_invite(settings, "admin", None, None, [], "", None)
    make_invite(settings, "county", "布拖县", None, [], "阿木", None)
    make_invite(settings, "organization", None, "中国社会福利基金会", [], "", None)
    assert _invites(registry) == 4


def test_a_name_longer_than_a_contact_name_is_refused_as_the_importer_does(registry: App, settings: Settings) -> None:
    limit = ContactImporter.limit("name")
    assert limit == 64
    with pytest.raises(ValueError, match=r"^--name（姓名）：超过 64 个字符（实际 300 个）$"):
        make_invite(settings, "county", "布拖县", None, [], "阿" * 300, None)
    with pytest.raises(ValueError, match="实际 65 个"):
        make_invite(settings, "admin", None, None, [], "阿" * (limit + 1), None)
    assert _invites(registry) == 0
    make_invite(settings, "county", "布拖县", None, [], "阿" * limit, None)
    with Session(registry.engine) as session:
        assert session.exec(select(Invite.name)).one() == "阿" * limit


def test_the_command_refuses_an_admin_invite_with_a_county(workdir) -> None:  # noqa: F811
    cwd, env = workdir
    refused = pairbot("invite", "--role", "admin", "--county", "布拖县", cwd=cwd, env=env)
    assert refused.returncode == 2 and "管理员邀请码的范围只由 --province 决定" in refused.stderr
    assert "--county" in refused.stderr and "邀请码：" not in refused.stdout
    named = pairbot("invite", "--contact", "无此人", "--name", "李秘书", cwd=cwd, env=env)
    assert named.returncode == 2 and "请不要同时使用 --name" in named.stderr
    made = pairbot("invite", "--role", "admin", "--province", "广东", cwd=cwd, env=env)
    assert made.returncode == 0 and "邀请码：" in made.stdout, made.stderr
