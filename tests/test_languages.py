"""Each person reads the product in their language and their time zone (issue 17).

The language is the profile's, then the browser's Accept-Language, else English; the switch on every
page saves to the profile when signed in. Timestamps are shown in the viewer's zone, which they name.
Money: the code in English ("CNY 1,234.56"), yuan as "¥1,234.56" in Chinese.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from shelfai import formats


@pytest.fixture(scope="module", autouse=True)
def _compiled_translations():
    # The .mo files are built at install (make run / make test); a bare pytest run builds them here.
    call_command("compile_translations", verbosity=0)
    translation.trans_real._translations = {}  # as Django does when LOCALE_PATHS changes
    translation.trans_real._default = None


def signed_in(user, **headers) -> Client:
    client = Client(headers=headers)
    client.force_login(user)
    return client


def test_an_anonymous_browser_asking_for_chinese_gets_the_sign_in_page_in_chinese(db):
    response = Client(headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"}).get("/accounts/login/")
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page and "<h1>登录</h1>" in page
    assert response["Content-Language"] == "zh-hans"


def test_a_browser_asking_for_a_language_we_do_not_have_gets_english(db):
    response = Client(headers={"accept-language": "fr-FR,fr;q=0.9"}).get("/accounts/login/")
    assert '<html lang="en">' in response.content.decode() and response["Content-Language"] == "en"


def test_the_profile_language_wins_over_the_browser(world):
    rep = world.users["rep"]
    rep.language = "zh-hans"
    rep.save()
    page = signed_in(rep, accept_language="en-GB").get("/rep/")
    assert page["Content-Language"] == "zh-hans" and "今日门店" in page.content.decode()

    rep.language = "en"
    rep.save()
    page = signed_in(rep, accept_language="zh-CN").get("/rep/")
    assert page["Content-Language"] == "en" and "今日门店" not in page.content.decode()
    assert "stores-h\">Today" in page.content.decode()


def test_a_blank_profile_language_follows_the_browser(world):
    page = signed_in(world.users["finance"], accept_language="zh-CN").get("/claims/")
    assert page["Content-Language"] == "zh-hans" and "<h1>费用申请</h1>" in page.content.decode()


def test_switching_language_while_signed_in_saves_it_to_the_profile(world):
    rep = world.users["rep"]
    client = signed_in(rep)
    response = client.post("/i18n/language/", {"language": "zh-hans", "next": "/rep/claims/"})
    assert response.status_code == 302 and response["Location"] == "/rep/claims/"
    rep.refresh_from_db()
    assert rep.language == "zh-hans"
    # Another phone, a browser that asks for English: the profile still says Chinese.
    assert "我的费用申请" in signed_in(rep, accept_language="en").get("/rep/claims/").content.decode()


def test_switching_language_signed_out_sets_the_cookie_and_refuses_other_sites_as_next(db):
    client = Client()
    response = client.post("/i18n/language/", {"language": "zh-hans", "next": "https://evil.example/"})
    assert response["Location"] == "/" and response.cookies["django_language"].value == "zh-hans"
    assert "<h1>登录</h1>" in client.get("/accounts/login/").content.decode()
    assert client.post("/i18n/language/", {"language": "xx"}).cookies.get("django_language") is None


def test_every_page_has_the_switch_and_loads_the_script_catalog_first(world):
    page = signed_in(world.users["rep"]).get("/rep/").content.decode()
    assert 'action="/i18n/language/"' in page and 'value="zh-hans"' in page and "简体中文" in page
    assert page.index('src="/jsi18n/"') < page.index("js/capture.js")


def test_the_script_catalog_is_in_the_readers_language_and_the_offline_shell_caches_it(world):
    rep = world.users["rep"]
    rep.language = "zh-hans"
    rep.save()
    catalog = signed_in(rep).get("/jsi18n/")
    # The catalog maps each English msgid to its translation (as JSON, with \u escapes).
    offline = "Offline: photos are kept on this phone and will send when the network is back."
    assert catalog.status_code == 200 and f'"{offline}"' in catalog.content.decode()
    assert "\\u79bb\\u7ebf" in catalog.content.decode()  # 离线
    english = signed_in(world.users["finance"], accept_language="en").get("/jsi18n/").content.decode()
    assert offline not in english
    assert '"/jsi18n/"' in Client().get("/sw.js").content.decode()


def test_the_settings_page_saves_language_and_time_zone_and_refuses_a_made_up_zone(world):
    finance = world.users["finance"]
    client = signed_in(finance)
    assert client.post("/settings/", {"language": "zh-hans", "time_zone": "Asia/Shanghai"}).status_code == 302
    finance.refresh_from_db()
    assert (finance.language, finance.time_zone) == ("zh-hans", "Asia/Shanghai")
    page = client.get("/settings/").content.decode()
    assert "设置已保存。" in page and "CST" in page

    refused = client.post("/settings/", {"language": "en", "time_zone": "Mars/Olympus"})
    assert refused.status_code == 200
    finance.refresh_from_db()
    assert finance.time_zone == "Asia/Shanghai"


def test_timestamps_are_shown_in_the_viewers_zone_with_the_zone_named(world):
    finance = world.users["finance"]
    finance.time_zone = "Asia/Shanghai"
    finance.save()
    at = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)  # Friday 07:30 in Beijing
    with translation.override("en"), timezone.override("Asia/Shanghai"):
        assert formats.moment(at) == "Dec. 4, 2026, 7:30 a.m. CST"
    with translation.override("zh-hans"), timezone.override("Asia/Shanghai"):
        assert formats.moment(at) == "2026年12月4日 07:30 CST"
    with translation.override("en"), timezone.override("UTC"):
        assert formats.moment(at) == "Dec. 3, 2026, 11:30 p.m. UTC"
    with translation.override("en"), timezone.override("Asia/Bangkok"):
        assert formats.moment(at).endswith("UTC+07")


def test_the_middleware_activates_the_users_zone_for_the_request_only(world):
    finance = world.users["finance"]
    finance.time_zone = "America/New_York"
    finance.save()
    page = signed_in(finance).get("/settings/").content.decode()
    assert " EST" in page or " EDT" in page
    assert timezone.get_current_timezone_name() == "UTC"  # nothing leaks into the next request


def test_money_reads_naturally_in_each_language():
    amount = Decimal("1234567.5")
    with translation.override("en"):
        assert formats.money(amount, "CNY") == "CNY 1,234,567.50"
        assert formats.money(amount, "EUR") == "EUR 1,234,567.50"
    with translation.override("zh-hans"):
        assert formats.money(amount, "CNY") == "¥1,234,567.50"
        assert formats.money(amount, "EUR") == "EUR 1,234,567.50"
        assert formats.number(12345) == "12,345"  # Django's zh_Hans would write 12345
        assert formats.day(datetime(2026, 12, 4).date()) == "2026年12月4日"
