from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _analytics_urls(settings):
    settings.ROOT_URLCONF = "tests.analytics.urls"


@pytest.fixture
def products(db):
    from tests.analytics.factories import catalog

    return catalog()


@pytest.fixture
def marketing_client(client, world):
    client.force_login(world.users["marketing"])
    return client
