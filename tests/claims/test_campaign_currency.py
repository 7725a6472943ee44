"""A campaign's amounts are shown in its own currency: a yuan campaign on a euro site reads CNY / ¥."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client


def signed_in(user, language=""):
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def yuan(shop, settings):
    settings.CURRENCY = "EUR"
    shop.campaign.currency = "CNY"
    shop.campaign.save(update_fields=["currency"])
    return shop


def test_a_claim_for_a_yuan_campaign_reads_in_yuan_not_the_sites_euros(yuan, claim_for):
    claim = claim_for("800.00")
    assert claim.currency == "CNY"
    english = signed_in(yuan.users["finance"]).get(f"/claims/{claim.pk}/").content.decode()
    assert "CNY 800.00" in english and "EUR 800.00" not in english
    chinese = signed_in(yuan.users["finance"], "zh-hans").get(f"/claims/{claim.pk}/").content.decode()
    assert "¥800.00" in chinese and "EUR" not in chinese


def test_a_campaign_without_a_currency_reads_in_the_sites(shop, claim_for, settings):
    settings.CURRENCY = "EUR"
    claim = claim_for("800.00")
    assert claim.currency == "EUR"
    page = signed_in(shop.users["finance"]).get(f"/claims/{claim.pk}/").content.decode()
    assert "EUR 800.00" in page


def test_a_currency_is_a_three_letter_code(shop):
    shop.campaign.currency = "yuan"
    with pytest.raises(ValidationError) as refused:
        shop.campaign.full_clean()
    assert "currency" in refused.value.message_dict


def test_the_api_names_a_campaigns_currency(yuan, api_for):
    client = api_for(yuan.users["marketing"])
    body = client.get("/api/campaigns/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert {row["name"]: row["currency"] for row in rows}["Spring end-caps"] == "CNY"


def test_the_queue_finds_each_claims_currency_without_a_query_per_claim(yuan, claim_for):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(yuan.users["finance"])
    claim_for("10.00", start=yuan.start, end=yuan.start)
    client.get("/claims/")  # the session's first request warms what every later one reuses
    with CaptureQueriesContext(connection) as one_claim:
        assert "CNY 10.00" in client.get("/claims/").content.decode()
    for i in range(1, 6):
        day = yuan.start + timedelta(days=i)
        claim_for("10.00", start=day, end=day)
    with CaptureQueriesContext(connection) as six_claims:
        client.get("/claims/")
    assert len(six_claims) == len(one_claim)
