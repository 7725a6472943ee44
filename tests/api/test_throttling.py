"""Sign-in is throttled per user and per address on every way in, and API use per token: 429 with
Retry-After, and the right password does not get through a lock-out."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle-tests"}


@pytest.fixture(autouse=True)
def _counters_on(settings):
    # The suite runs with the throttle cache off (see settings); these tests turn it on, fresh each time.
    from django.core.cache import caches

    settings.CACHES = {**settings.CACHES, "throttle": LOCMEM}
    caches["throttle"].clear()
    settings.SIGNIN_MAX_FAILURES_PER_USER = 5
    settings.SIGNIN_MAX_FAILURES_PER_ADDRESS = 20
    settings.SIGNIN_WINDOW_SECONDS = 900
    yield
    caches["throttle"].clear()


@pytest.fixture
def staff(world):
    user = world.users["admin"]
    user.is_staff = True
    user.set_password("pw-admin")
    user.save()
    return user


def sign_in(path: str, username: str, password: str, *, address: str = "10.0.0.1"):
    if path == "/api/auth/token/":
        return APIClient(REMOTE_ADDR=address).post(path, {"username": username, "password": password},
                                                   format="json")
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


SUCCESS = {"/api/auth/token/": 200, "/accounts/login/": 302, "/admin/login/": 302}


@pytest.mark.parametrize("path", list(SUCCESS))
def test_a_hundred_wrong_passwords_then_the_right_one_is_refused_with_retry_after(world, staff, path):
    codes = [sign_in(path, "admin", f"wrong-{n}").status_code for n in range(100)]
    assert codes[:5] == [400 if path.startswith("/api/") else 200] * 5  # wrong password, said so
    assert set(codes[5:]) == {429}
    right = sign_in(path, "admin", "pw-admin")
    assert right.status_code == 429
    assert 0 < int(right["Retry-After"]) <= 900
    assert "Too many failed sign-ins" in right.content.decode()
    if path.startswith("/api/"):
        assert right["Content-Type"] == "application/json" and "detail" in right.json()


def test_the_right_password_before_the_limit_gets_in_and_starts_the_count_again(world, staff):
    for n in range(4):
        sign_in("/api/auth/token/", "admin", f"wrong-{n}")
    assert sign_in("/api/auth/token/", "admin", "pw-admin").status_code == 200
    for n in range(4):
        assert sign_in("/api/auth/token/", "admin", f"again-{n}").status_code == 400
    assert sign_in("/api/auth/token/", "admin", "pw-admin").status_code == 200


def test_the_lock_is_per_user_name_whatever_the_address(world, staff):
    for n in range(5):
        sign_in("/accounts/login/", "admin", f"wrong-{n}", address=f"10.0.1.{n}")
    assert sign_in("/accounts/login/", "admin", "pw-admin", address="10.0.9.9").status_code == 429
    assert sign_in("/accounts/login/", "rep", "pw-rep", address="10.0.9.9").status_code == 302  # others fine


def test_one_address_trying_many_users_is_stopped(world, staff):
    for n in range(20):
        sign_in("/api/auth/token/", f"user{n}", "guess", address="10.0.2.1")
    assert sign_in("/api/auth/token/", "rep", "pw-rep", address="10.0.2.1").status_code == 429
    assert sign_in("/api/auth/token/", "rep", "pw-rep", address="10.0.2.2").status_code == 200


def test_api_use_is_throttled_per_token_with_retry_after(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "5/minute",
                                                                                      "anon": "60/minute"}}
    rep, other = world.users["rep"], world.users["other_rep"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep).key}")
    codes = [client.get("/api/visits/").status_code for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2
    refused = client.get("/api/visits/")
    assert 0 < int(refused["Retry-After"]) <= 60 and "throttled" in refused.json()["detail"]
    others = APIClient()
    others.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other).key}")
    assert others.get("/api/visits/").status_code == 200  # one user's budget is theirs alone


@pytest.mark.parametrize("path", list(SUCCESS))
def test_a_broken_multipart_sign_in_is_a_clear_answer_not_a_traceback(world, staff, path, caplog):
    # Schemathesis found this one: a multipart content type with no boundary raised inside the throttle,
    # and the server logged a traceback for it.
    response = Client(REMOTE_ADDR="10.0.0.9").generic("POST", path, b"username=admin",
                                                      content_type="multipart/form-data")
    assert not [r for r in caplog.records if r.exc_info]
    if path.startswith("/api/"):
        assert response.status_code == 400 and "detail" in response.json()
    else:
        assert response.status_code == 200 and b"password" in response.content.lower()  # the form again
