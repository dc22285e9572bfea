"""Where the webhook may post (notify.post_webhook): http(s) to a public address, or to
the networks GRIDGOV_WEBHOOK_ALLOWED_NETWORKS names; never on to where a receiver
redirects; nothing else, whatever the URL's host resolves to."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from gridgov.tickets import notify


class Receiver:
    """A local HTTP server recording every request (any method) and answering `status`."""

    def __init__(self, status=200, headers=None):
        calls = self.calls = []

        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                calls.append((self.command, self.path, self.rfile.read(length)))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = answer  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


DATA = {"event": "dispatch", "ticket": {"code": "GD20260302-000001"}}


@pytest.fixture(autouse=True)
def public_only(settings):
    settings.GRIDGOV_WEBHOOK_ALLOWED_NETWORKS = ""
    settings.GRIDGOV_WEBHOOK_SECRET = "test-secret"  # unsigned ones are not sent (DEBUG off)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://2130706433:{port}/hook",  # 127.0.0.1 as one number
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://169.254.169.254/latest/meta-data/",  # the cloud's instance metadata
        "http://10.20.30.40/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://0.0.0.0:{port}/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_a_local_private_or_metadata_address_is_refused_before_connecting(url):
    with Receiver() as receiver:
        status = notify.post_webhook(url.format(port=receiver.port), DATA)
    assert status.startswith("error: refused"), status
    assert receiver.calls == []


def test_a_host_name_is_checked_by_the_address_it_resolves_to(monkeypatch):
    with Receiver() as receiver:
        real = socket.getaddrinfo

        def resolve(host, port, *args, **kwargs):
            if host == "hooks.example.org":  # a public name that points inside
                return real("127.0.0.1", port, *args, **kwargs)
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        status = notify.post_webhook(f"http://hooks.example.org:{receiver.port}/hook", DATA)
    assert status.startswith("error: refused") and receiver.calls == []


@pytest.mark.parametrize(
    "url", ["file:///etc/hostname", "ftp://127.0.0.1/hook", "data:,hello", "gopher://x/"]
)
def test_only_http_and_https_urls(url):
    assert notify.post_webhook(url, DATA).startswith("error: refused")


def test_a_network_staff_allowed_is_reached(settings):
    settings.GRIDGOV_WEBHOOK_ALLOWED_NETWORKS = "10.0.0.0/8, 127.0.0.1/32"
    with Receiver() as receiver:
        assert notify.post_webhook(receiver.url, DATA) == "200"
    [(method, path, _body)] = receiver.calls
    assert (method, path) == ("POST", "/hook")


def test_a_redirect_from_the_receiver_is_not_followed(settings):
    # urllib follows a 302 to a POST with a GET to wherever it points (http, https, ftp):
    # a receiver could send the platform to an address it may not reach itself.
    settings.GRIDGOV_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.1/32"
    with Receiver() as inside:
        with Receiver(302, {"Location": f"{inside.url}?stolen=1"}) as hook:
            status = notify.post_webhook(hook.url, DATA)
            assert len(hook.calls) == 1
    assert status == "error: HTTP 302"
    assert inside.calls == []
