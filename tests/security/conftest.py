"""The fixture world (tests/security/world.py), built once per test module inside a transaction rolled back at the
end, so the rest of the suite never sees it. Its signed-in clients are not shared between tests: a client's session
is a row written inside the test's own transaction, which pytest-django rolls back when the test ends, so a client
kept for the next test would be signed out. Each test signs its principals in afresh, whatever the order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from onestop.greencards import keys

from .world import World, build_world


@pytest.fixture(scope="module")
def world_of_module(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    private = tmp_path_factory.mktemp("private")  # uploaded documents and licences of the world
    with override_settings(ONESTOP_PRIVATE_MEDIA_ROOT=private), django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
    keys.invalidate()  # the green-card signing key the world made is gone with the rollback


@pytest.fixture
def world(world_of_module: World) -> World:
    """The module's world with no client yet: ``world.client(p)`` signs ``p`` in afresh, inside this test."""
    world_of_module.clients.clear()
    return world_of_module
