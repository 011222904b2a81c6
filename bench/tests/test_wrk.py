from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bench.harness.wrk import WrkError, parse_report_line, run_wrk

from .conftest import require

LINE = (
    "SEKISHO_BENCH requests=1000 duration_us=2000000 bytes=150000 connect=0 read=1 write=0 status=3 timeout=0 "
    "p50_us=410 p90_us=700 p99_us=1200 max_us=4800 mean_us=423.5"
)


def test_report_line_is_parsed_among_wrk_output() -> None:
    result = parse_report_line("Running 2s test @ http://127.0.0.1:1/\n" + LINE + "\n")
    assert result.requests_per_second == 500.0
    assert (result.p50_us, result.p99_us, result.mean_us) == (410, 1200, 423.5)
    assert result.problems() == ["3 non-2xx/3xx responses", "socket errors: connect 0, read 1, write 0, timeout 0"]


def test_missing_or_malformed_report_line_is_an_error() -> None:
    with pytest.raises(WrkError, match="no report line"):
        parse_report_line("Running 2s test\n")
    with pytest.raises(WrkError, match="malformed"):
        parse_report_line("SEKISHO_BENCH requests=x")


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: set[tuple[str, str]] = set()

    def do_GET(self) -> None:
        self.seen.add((self.headers.get("Host", ""), self.path))
        status = 200 if self.path != "/fail" else 500
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def recorder() -> Iterator[ThreadingHTTPServer]:
    _Recorder.seen = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_rotation_sends_every_host_and_path_including_awkward_characters(recorder: ThreadingHTTPServer) -> None:
    require("wrk")
    port = recorder.server_address[1]
    wanted = [
        ("GET", "a.example.com", "/v1/users/42/r2"),
        ("GET", "acme.tenant3.example.net", "/v2/orders?x=1&y=%20"),
        ("GET", 'quote"back\\slash.test', "/internal/0/users/list"),
    ]
    result = run_wrk(f"http://127.0.0.1:{port}/", connections=2, duration_s=1, requests=wanted)
    assert result.requests > 0
    assert {(host, path) for _, host, path in wanted} <= _Recorder.seen


def test_non_2xx_answers_are_reported_as_problems(recorder: ThreadingHTTPServer) -> None:
    require("wrk")
    result = run_wrk(f"http://127.0.0.1:{recorder.server_address[1]}/fail", connections=1, duration_s=1)
    assert result.errors_status == result.requests > 0
    assert "non-2xx/3xx" in result.problems()[0]
