"""Fixtures of the 项目库 tests: the small world of tests/projects/world.py in the test's database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.projects.world import World, build


@pytest.fixture
def world(engine: Engine) -> World:
    return build(engine)
