"""People with e-mail addresses, a manager, the claims world, and a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shelfai.alerts import delivery
from tests.browser.conftest import (  # noqa: F401  (the browser test's fixtures; a failure keeps a screenshot)
    make_driver,
    pytest_runtest_makereport,
)
from tests.claims.conftest import claim_for, executed_visit, shop  # noqa: F401  (a placement and its claims)

SECRET = "s3cret-shared-with-the-receiver"


@pytest.fixture(autouse=True)
def _mail_and_alert_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALERTS_LOOKBACK_DAYS = 60
    settings.ALERTS_DIGEST_HOUR = 0
    settings.ALERTS_WEBHOOK_BACKOFF_SECONDS = 30
    settings.ALERTS_WEBHOOK_TIMEOUT_SECONDS = 2


@pytest.fixture
def people(world):
    """world's users with e-mail addresses, and a manager (a marketing user) for the rep."""
    from shelfai.accounts.models import Role, User
    from shelfai.alerts.models import RepManager

    for name, user in world.users.items():
        user.email = f"{name}@example.com"
        user.save(update_fields=["email"])
    boss = User.objects.create_user("boss", password="pw-boss", role=Role.MARKETING, email="boss@example.com")
    RepManager.objects.create(rep=world.users["rep"], manager=boss)
    world.users["boss"] = boss
    return world


class Receiver:
    """An HTTP server in a thread that answers the next codes in ``codes`` (then 200) and checks each
    request's signature the way a real receiver would."""

    def __init__(self, codes: list[int]):
        self.codes, self.requests = list(codes), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                header = self.headers.get(delivery.SIGNATURE_HEADER, "")
                receiver.requests.append({
                    "body": json.loads(body), "signature": header, "valid": delivery.verify(SECRET, body, header),
                    "delivery": self.headers.get("X-ShelfAI-Delivery")})
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"no")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def start(codes=()):
        made.append(Receiver(list(codes)))
        return made[-1]

    yield start
    for r in made:
        r.close()


@pytest.fixture
def dead_url():
    """A local port nobody listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture
def endpoint(db):
    from shelfai.alerts.models import WebhookEndpoint

    def make(url: str, rules=()):
        return WebhookEndpoint.objects.create(name="ops", url=url, secret=SECRET, rules=list(rules))

    return make
