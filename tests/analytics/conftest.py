from __future__ import annotations

import pytest


@pytest.fixture
def products(db):
    from tests.analytics.factories import catalog

    return catalog()


@pytest.fixture
def marketing_client(client, world):
    client.force_login(world.users["marketing"])
    return client
