"""file-log through a real proxy: one JSON line per request, secrets redacted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.integration.plugins.support import Gateway


def _read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def _lines(path: Path, count: int, attempts: int = 500) -> list[dict[str, Any]]:
    # The log phase runs after the response; wait (bounded) for it to land.
    for _ in range(attempts):
        lines = _read_lines(path)
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        await asyncio.sleep(0.01)
    raise AssertionError(f"{path} did not get {count} line(s)")


async def _logged_route(gw: Gateway, log_path: Path) -> dict[str, Any]:
    route = await gw.route("/logged")
    await gw.plugin("key-auth", route={"id": route["id"]})
    await gw.plugin("file-log", {"path": str(log_path)}, route={"id": route["id"]})
    alice = await gw.consumer("alice")
    await gw.add("keyauth_credentials", {"consumer": {"id": alice["id"]}, "key": "very-secret-key"})
    return route


async def test_each_request_is_logged_without_secrets(gw: Gateway, tmp_path: Path) -> None:
    log_path = tmp_path / "requests.log"
    route = await _logged_route(gw, log_path)
    response = await gw.client.get("/logged?apikey=very-secret-key&page=2", headers={"Cookie": "session=cookie-secret"})
    assert response.status_code == 200
    assert (await gw.client.get("/logged", headers={"apikey": "very-secret-key"})).status_code == 200
    first, second = await _lines(log_path, 2)

    text = "\n".join(_read_lines(log_path))
    assert "very-secret-key" not in text and "cookie-secret" not in text
    assert first["request"]["method"] == "GET" and first["response"]["status"] == 200
    assert first["request"]["querystring"] == {"apikey": "REDACTED", "page": "2"}
    assert first["route"]["id"] == route["id"]
    assert first["consumer"]["username"] == "alice"
    assert second["request"]["headers"]["apikey"] == "REDACTED"


async def test_reopen_writes_to_a_rotated_file(gw: Gateway, tmp_path: Path) -> None:
    log_path = tmp_path / "rotating.log"
    route = await gw.route("/rotating")
    await gw.plugin("file-log", {"path": str(log_path), "reopen": True}, route={"id": route["id"]})
    assert (await gw.client.get("/rotating")).status_code == 200
    await _lines(log_path, 1)
    log_path.rename(tmp_path / "rotating.log.1")
    assert (await gw.client.get("/rotating?second=1")).status_code == 200
    (line,) = await _lines(log_path, 1)
    assert line["request"]["querystring"] == {"second": "1"}


async def test_correlation_id_is_logged(gw: Gateway, tmp_path: Path) -> None:
    log_path = tmp_path / "cid.log"
    route = await gw.route("/cid")
    await gw.plugin("correlation-id", route={"id": route["id"]})
    await gw.plugin("file-log", {"path": str(log_path)}, route={"id": route["id"]})
    sent = gw.echoed(await gw.client.get("/cid")).header("kong-request-id")
    (line,) = await _lines(log_path, 1)
    assert sent is not None and line["correlation_id"] == sent


async def test_refused_requests_are_logged_too(gw: Gateway, tmp_path: Path) -> None:
    log_path = tmp_path / "refused.log"
    await _logged_route(gw, log_path)
    assert (await gw.client.get("/logged", headers={"Authorization": "Bearer abc.def"})).status_code == 401
    (line,) = await _lines(log_path, 1)
    assert line["response"]["status"] == 401
    assert "abc.def" not in "\n".join(_read_lines(log_path))
