"""A site started with DEPLOYDOJO_HTTPS=1 (issue 17, item 7): its runner API answers a runner on the private
network over plain HTTP (compose gives the runner http://web:8000) instead of redirecting it to https, refuses
plain HTTP from a public address with a JSON message saying why, and still redirects every page; a runner
that meets a redirect names the target and stops at once instead of retrying "site not reachable yet"."""

from __future__ import annotations

import http.server
import json
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.test import override_settings

import labcontract
from gpu_runner.service.site_client import Redirected, SiteClient
from labs.models import Runner
from tests.support import gunicorn_site, worker_env

ROOT = Path(__file__).resolve().parent.parent
CAPS = {"cpu": {"model": "test", "cores": 2}, "ram_bytes": 1 << 34, "cuda_devices": [], "versions": {},
        "queues": ["lab.cpu"]}


@pytest.fixture
def https_site(transactional_db, tmp_path):
    """gunicorn with the production settings and DEPLOYDOJO_HTTPS=1, on the test database, reached over plain
    HTTP from loopback (a private address), as the runner in compose reaches the web service."""
    env = {k: v for k, v in worker_env().items() if not k.startswith("DEPLOYDOJO_HTTPS")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", DEPLOYDOJO_HTTPS="1",
               SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="127.0.0.1,localhost",
               DEPLOYDOJO_VAR_DIR=str(tmp_path / "var"))
    yield from gunicorn_site(tmp_path, env)


@pytest.mark.slow
def test_with_https_on_the_runner_api_answers_plain_http_on_the_private_network(https_site, user):
    _, token = Runner.create_with_token(owner=user, name="compose-runner")
    beat = requests.post(f"{https_site}{labcontract.API_PREFIX}heartbeat", json={"capabilities": CAPS},
                         headers={"Authorization": f"Bearer {token}"}, allow_redirects=False, timeout=30)
    assert beat.status_code == 200 and beat.json()["runner"] == "compose-runner"
    client = SiteClient(https_site, token, retries=0)  # the runner's own client, as compose configures it
    assert client.heartbeat(CAPS)["ok"] is True
    page = requests.get(f"{https_site}/accounts/login/", allow_redirects=False, timeout=30)
    assert page.status_code == 301 and page.headers["Location"].startswith("https://")  # pages still go to https


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^api/runner/"])  # as DEBUG=0 sets (above)
@pytest.mark.parametrize("remote, forwarded, secure, answered", [
    ("8.8.4.4", None, False, 403),          # plain HTTP from the internet: refused, saying why
    ("10.0.0.7", "8.8.4.4", False, 403),    # through a private proxy, from the internet: refused too
    ("10.0.0.7", None, False, 200),         # compose's network
    ("172.18.0.5", "192.168.1.20", False, 200),
    ("8.8.4.4", None, True, 200),           # HTTPS from anywhere
])
def test_plain_http_from_a_public_address_is_refused_with_a_message(client, user, remote, forwarded, secure,
                                                                     answered):
    _, token = Runner.create_with_token(owner=user, name="r")
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    response = client.post(f"{labcontract.API_PREFIX}heartbeat", data=json.dumps({"capabilities": CAPS}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
                           REMOTE_ADDR=remote, secure=secure, **extra)
    assert response.status_code == answered
    if answered == 403:
        error = response.json()["error"]
        assert "DEPLOYDOJO_HTTPS=1" in error and "private network" in error and "https://" in error
        assert Runner.objects.get(name="r").last_seen_at is None


class _Redirecting(http.server.BaseHTTPRequestHandler):
    """What an HTTPS-redirecting site (or proxy) answers to the runner's POST."""

    posts: list[str] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        type(self).posts.append(self.path)
        self.send_response(301)
        self.send_header("Location", f"https://site.example{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def redirecting_site():
    _Redirecting.posts = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_runner_names_the_redirect_and_does_not_retry(redirecting_site, caplog):
    client = SiteClient(redirecting_site, "tok", retries=5, backoff_s=0.01)
    with pytest.raises(Redirected) as redirected:
        client.heartbeat(CAPS)
    message = str(redirected.value)
    assert "site redirects the runner API to https://site.example/api/runner/heartbeat" in message
    assert "give the runner that URL" in message and "DEPLOYDOJO_SITE_URL" in message
    assert _Redirecting.posts == ["/api/runner/heartbeat"]  # one try, no blind retries, the redirect not followed
    assert "redirects the runner API" in caplog.text


@pytest.mark.slow
def test_the_runner_process_stops_with_the_redirect_named(redirecting_site):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "gpu_runner", "--site-url", redirecting_site, "--token", "tok",
                           "--broker-url", "redis://127.0.0.1:6379/15"], cwd=ROOT, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode != 0
    assert "site redirects the runner API to https://site.example/api/runner/heartbeat" in done.stderr
    assert "not reachable yet" not in done.stderr and len(_Redirecting.posts) == 1
    assert time.monotonic() - started < 120
