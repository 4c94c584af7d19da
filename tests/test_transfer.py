"""Transfers to and from pre-signed URLs: only this Region's S3 (or a configured endpoint), and
never where a redirect points."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib import transfer

SIGNED_QUERY = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0123abcd"


def logged(capsys, event: str) -> list[dict]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == event]


# --- the allow-list -------------------------------------------------------------------------------

@pytest.mark.parametrize("region, url", [
    ("us-east-1", "https://amazon-connect-1a2b3c4d5e6f.s3.us-east-1.amazonaws.com/connect/i/Attachments/a"),
    ("us-east-1", "https://s3.us-east-1.amazonaws.com/amazon-connect-1a2b3c4d5e6f/connect/i/a"),
    ("us-east-1", "https://amazon-connect-1a2b3c4d5e6f.s3.amazonaws.com/connect/i/Attachments/a"),
    ("us-east-1", "https://s3.amazonaws.com/amazon-connect-1a2b3c4d5e6f/connect/i/a"),
    ("eu-west-2", "https://amazon-connect-1a2b3c4d5e6f.s3.eu-west-2.amazonaws.com/connect/i/a"),
    ("eu-west-2", "https://s3.eu-west-2.amazonaws.com:443/amazon-connect-1a2b3c4d5e6f/connect/i/a"),
    ("us-gov-west-1", "https://amazon-connect-1a2b3c4d5e6f.s3.us-gov-west-1.amazonaws.com/a"),
])
def test_the_regions_s3_host_forms_are_accepted(region, url):
    transfer.check_url(url + SIGNED_QUERY, environ={"AWS_REGION": region})


@pytest.mark.parametrize("region, url", [
    ("us-east-1", "https://attacker.example.com/upload"),
    ("us-east-1", "http://bucket.s3.us-east-1.amazonaws.com/key"),             # not HTTPS
    ("us-east-1", "https://bucket.s3.us-east-1.amazonaws.com:8443/key"),       # not S3's port
    ("us-east-1", "https://bucket.s3.eu-west-1.amazonaws.com/key"),            # another Region
    ("eu-west-2", "https://bucket.s3.amazonaws.com/key"),                      # global form: us-east-1 only
    ("us-east-1", "https://abc123.execute-api.us-east-1.amazonaws.com/key"),   # AWS, but not S3
    ("us-east-1", "https://bucket.s3-website-us-east-1.amazonaws.com/key"),    # a website, not S3's API
    ("us-east-1", "https://abc.lambda-url.us-east-1.on.aws/key"),
    ("us-east-1", "https://a.b.s3.us-east-1.amazonaws.com/key"),               # not one bucket label
    ("us-east-1", "https://s3.us-east-1.amazonaws.com.attacker.example/key"),
    ("", "https://bucket.s3.us-east-1.amazonaws.com/key"),                     # no Region known
])
def test_hosts_outside_the_list_are_refused_and_logged_without_the_signature(region, url, capsys):
    with pytest.raises(transfer.UnsafeUrl):
        transfer.check_url(url + SIGNED_QUERY, environ={"AWS_REGION": region} if region else {})
    (line,) = logged(capsys, "transfer_refused")
    assert line["host"] == url.split("/")[2].split(":")[0]
    assert "Signature" not in json.dumps(line)


def test_an_endpoint_override_allows_exactly_its_origin():
    environ = {"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_CONNECTPARTICIPANT": "http://127.0.0.1:4567"}
    transfer.check_url("http://127.0.0.1:4567/_upload/1", environ=environ)
    transfer.check_url("https://vpce-0a1b.s3.us-east-1.vpce.amazonaws.com/x",
                       environ={**environ, "AWS_ENDPOINT_URL_S3": "https://vpce-0a1b.s3.us-east-1.vpce.amazonaws.com"})
    for url in ("http://127.0.0.1:9999/_upload/1", "https://127.0.0.1:4567/_upload/1",
                "http://localhost:4567/_upload/1"):
        with pytest.raises(transfer.UnsafeUrl):
            transfer.check_url(url, environ=environ)


# --- redirects ------------------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    """Answers like a pre-signed URL's host would, or with a redirect; remembers every request."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str]] = []

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    ROUTES = {  # path -> (status, Location)
        "/file": (200, None),
        "/upload": (200, None),
        "/moved-here": (302, "/file"),
        "/moved-away": (302, "https://attacker.example.com/collect"),
        "/upload-moved": (307, "https://attacker.example.com/collect"),
        "/permanent": (308, "/file"),
    }

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.requests.append((self.command, self.path))
        status, location = self.ROUTES[self.path.split("?")[0]]
        body = b"attachment bytes" if self.command == "GET" and status == 200 else b""
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    running = _Server()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    # What the twin sets: the emulated endpoint's origin is where pre-signed URLs point.
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECTPARTICIPANT", running.origin)
    yield running
    running.shutdown()
    running.server_close()
    thread.join()


def test_download_and_upload_reach_an_allowed_host(server):
    assert transfer.get(f"{server.origin}/file", max_bytes=100) == b"attachment bytes"
    transfer.put(f"{server.origin}/upload", {"Content-Type": "image/jpeg"}, b"jpeg")
    assert server.requests == [("GET", "/file"), ("PUT", "/upload")]
    with pytest.raises(transfer.TransferFailed, match="larger than 5 bytes"):
        transfer.get(f"{server.origin}/file", max_bytes=5)


@pytest.mark.parametrize("path, status, location_host", [
    ("/moved-here", 302, "127.0.0.1"),          # even to an allowed host
    ("/moved-away", 302, "attacker.example.com"),
    ("/permanent", 308, "127.0.0.1"),
])
def test_a_download_redirect_is_refused_logged_and_not_followed(server, capsys, path, status, location_host):
    with pytest.raises(transfer.RedirectRefused):
        transfer.get(f"{server.origin}{path}{SIGNED_QUERY}", max_bytes=100)
    assert server.requests == [("GET", f"{path}{SIGNED_QUERY}")]
    (line,) = logged(capsys, "transfer_redirect_refused")
    assert {k: line[k] for k in ("method", "status", "host", "location_host")} == {
        "method": "GET", "status": status, "host": "127.0.0.1", "location_host": location_host}
    assert "Signature" not in json.dumps(line)


def test_an_upload_redirect_is_refused_and_not_followed(server, capsys):
    with pytest.raises(transfer.RedirectRefused):
        transfer.put(f"{server.origin}/upload-moved", {"Content-Type": "image/jpeg"}, b"jpeg")
    assert server.requests == [("PUT", "/upload-moved")]
    (line,) = logged(capsys, "transfer_redirect_refused")
    assert (line["method"], line["status"], line["location_host"]) == ("PUT", 307, "attacker.example.com")

