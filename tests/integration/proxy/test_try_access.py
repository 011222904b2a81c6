"""`Plugin.try_access`: the access phase decided synchronously, and how the pipeline falls back to `access`.

Small test plugins record what ran (`EVENTS`) and mark the upstream request; the echo upstream shows what the
upstream really received.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.schema import Record, String
from tests.helpers.echo_upstream import EchoUpstream
from tests.helpers.proxy_harness import ProxyHarness, parse_responses, raw_request

EVENTS: list[tuple[str, str, Any]] = []


def _where() -> str:
    """'callback' when called straight from the protocol's callbacks, 'task' inside a coroutine."""
    return "callback" if asyncio.current_task() is None else "task"


class SyncAuth(Plugin[dict[str, Any]]):
    """Authenticates the consumer named in `X-User`: from the consumer cache in try_access, else by loading it."""

    NAME = "sync-auth"
    PRIORITY = 3000
    CONFIG = Record({})

    def try_access(self, kong: PDK, conf: dict[str, Any]) -> bool:
        name = kong.request.get_header("X-User")
        if name is None:
            EVENTS.append(("sync-auth", "try", "nobody"))
            return True
        cached, consumer = kong.client.peek_consumer(name, True)
        EVENTS.append(("sync-auth", "try", "hit" if cached else "miss"))
        if not cached:
            return False
        if consumer is None:
            kong.response.error(401, "unknown user")
        kong.client.authenticate(consumer, {"id": "cred-" + name})
        return True

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        name = kong.request.get_header("X-User")
        EVENTS.append(("sync-auth", "access", name))
        assert name is not None
        consumer = await kong.client.load_consumer(name, search_by_username=True)
        if consumer is None:
            kong.response.error(401, "unknown user")
        kong.client.authenticate(consumer, {"id": "cred-" + name})


class Decider(Plugin[dict[str, Any]]):
    """Decides by `X-Decide`: sync (done in try_access), async (needs access), exit, error, raise."""

    NAME = "decider"
    PRIORITY = 2000
    CONFIG = Record({})

    def try_access(self, kong: PDK, conf: dict[str, Any]) -> bool:
        decide = kong.request.get_header("X-Decide") or "sync"
        EVENTS.append(("decider", "try", _where()))
        if decide == "sync":
            kong.service.request.set_header("X-Decided", "try_access")
            return True
        if decide == "exit":
            kong.response.exit(403, {"message": "decided in try_access"}, {"X-Exit": "decider"})
        if decide == "error":
            kong.response.error(429, "slow down")
        if decide == "raise":
            raise RuntimeError("decider try_access failed")
        return False

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        await asyncio.sleep(0)  # a real suspension point, as a plugin doing I/O has
        EVENTS.append(("decider", "access", _where()))
        kong.service.request.set_header("X-Decided", "access")

    def header_filter(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("decider", "header_filter", kong.response.get_source()))
        kong.response.set_header("X-Decider-Seen", kong.response.get_source())


class Follower(Plugin[dict[str, Any]]):
    """Done in try_access unless `X-Follower` says async, exit or raise; tags the upstream request with its
    configured tag (consumer-scoped configurations show which instance ran)."""

    NAME = "follower"
    PRIORITY = 1000
    CONFIG = Record({"tag": String(default="base", description="Tag.")})

    def try_access(self, kong: PDK, conf: dict[str, Any]) -> bool:
        mode = kong.request.get_header("X-Follower")
        EVENTS.append(("follower", "try", conf["tag"]))
        if mode == "async":
            return False
        if mode == "exit":
            kong.response.exit(409, {"message": "follower stopped"})
        if mode == "raise":
            raise RuntimeError("follower try_access failed")
        kong.service.request.set_header("X-Follower", "try_access:" + conf["tag"])
        return True

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("follower", "access", conf["tag"]))
        kong.service.request.set_header("X-Follower", "access:" + conf["tag"])

    def header_filter(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("follower", "header_filter", kong.response.get_source()))
        kong.response.set_header("X-Follower-Seen", conf["tag"])

    async def log(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("follower", "log", kong.log.serialize()["response"]["status"]))


class Plain(Plugin[dict[str, Any]]):
    """An access phase without try_access: always runs in a coroutine."""

    NAME = "plain"
    PRIORITY = 500
    CONFIG = Record({})

    async def access(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("plain", "access", _where()))
        kong.service.request.set_header("X-Plain", "1")

    def header_filter(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("plain", "header_filter", kong.response.get_source()))
        kong.response.set_header("X-Plain-Seen", "1")


class GlobalRewrite(Plugin[dict[str, Any]]):
    """A global rewrite phase: the access phase then starts from inside a coroutine."""

    NAME = "global-rewrite"
    PRIORITY = 4000
    CONFIG = Record({})

    async def rewrite(self, kong: PDK, conf: dict[str, Any]) -> None:
        EVENTS.append(("global-rewrite", "rewrite", None))


PLUGINS = [SyncAuth, Decider, Follower, Plain, GlobalRewrite]


@pytest.fixture(autouse=True)
def _clear_events() -> None:
    EVENTS.clear()


@contextlib.asynccontextmanager
async def _started(echo: EchoUpstream, *plugins: str) -> AsyncIterator[ProxyHarness]:
    """A gateway with one route to `echo` and these plugins (default configuration), started."""
    async with ProxyHarness(PLUGINS) as h:
        h.route(h.service(f"http://127.0.0.1:{echo.port}"), paths=["/"])
        for name in plugins:
            h.plugin(name)
        await h.start()
        yield h


async def _wait_for(predicate: Any) -> None:
    for _ in range(200):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"condition not reached; events: {EVENTS}")


def _access_events() -> list[tuple[str, str, Any]]:
    return [e for e in EVENTS if e[1] in ("try", "access")]


async def test_try_access_true_ends_the_phase_without_calling_access(echo: EchoUpstream) -> None:
    async with _started(echo, "decider", "follower") as h:
        response = await h.client.get("/")
        assert response.status_code == 200
        seen = response.json()["headers"]
        assert seen["x-decided"] == "try_access"
        assert seen["x-follower"] == "try_access:base"
        # Both decided synchronously, straight from the connection's callbacks: no coroutine at all.
        assert _access_events() == [("decider", "try", "callback"), ("follower", "try", "base")]
        assert response.headers["x-decider-seen"] == "service"
        assert response.headers["x-follower-seen"] == "base"
        await _wait_for(lambda: ("follower", "log", 200) in EVENTS)
        assert echo.requests == 1


async def test_try_access_false_awaits_access_then_later_plugins_still_try_first(echo: EchoUpstream) -> None:
    async with _started(echo, "decider", "follower", "plain") as h:
        seen = (await h.client.get("/", headers={"X-Decide": "async"})).json()["headers"]
        assert seen["x-decided"] == "access"
        assert seen["x-follower"] == "try_access:base"  # tried first inside the coroutine, and done there
        assert seen["x-plain"] == "1"
        assert _access_events() == [
            ("decider", "try", "callback"),
            ("decider", "access", "task"),  # try_access is not called a second time for the same plugin
            ("follower", "try", "base"),
            ("plain", "access", "task"),
        ]
        EVENTS.clear()
        seen = (await h.client.get("/", headers={"X-Decide": "async", "X-Follower": "async"})).json()["headers"]
        assert seen["x-decided"] == "access"
        assert seen["x-follower"] == "access:base"
        assert _access_events() == [
            ("decider", "try", "callback"),
            ("decider", "access", "task"),
            ("follower", "try", "base"),
            ("follower", "access", "base"),
            ("plain", "access", "task"),
        ]
        EVENTS.clear()
        # A plugin without try_access after synchronous decisions: the coroutine starts at that plugin.
        seen = (await h.client.get("/")).json()["headers"]
        assert (seen["x-decided"], seen["x-follower"], seen["x-plain"]) == ("try_access", "try_access:base", "1")
        assert _access_events() == [
            ("decider", "try", "callback"),
            ("follower", "try", "base"),
            ("plain", "access", "task"),
        ]
        assert echo.requests == 3


async def test_try_access_runs_in_priority_order_after_a_global_rewrite(echo: EchoUpstream) -> None:
    async with _started(echo, "global-rewrite", "follower", "decider") as h:
        seen = (await h.client.get("/")).json()["headers"]
        assert seen["x-decided"] == "try_access"
        assert seen["x-follower"] == "try_access:base"
        assert [e for e in EVENTS if e[1] != "header_filter"][:3] == [
            ("global-rewrite", "rewrite", None),
            ("decider", "try", "task"),  # the rewrite phase already needed a coroutine
            ("follower", "try", "base"),
        ]
        assert not [e for e in EVENTS if e[1] == "access"]


async def test_an_exit_in_try_access_answers_and_still_collects_the_remaining_plugins(echo: EchoUpstream) -> None:
    async with _started(echo, "decider", "follower", "plain") as h:
        response = await h.client.get("/", headers={"X-Decide": "exit"})
        assert response.status_code == 403
        assert response.json() == {"message": "decided in try_access"}
        assert response.headers["x-exit"] == "decider"
        # The remaining plugins' access handlers were skipped, but their header_filter and log ran.
        assert response.headers["x-decider-seen"] == "exit"
        assert response.headers["x-follower-seen"] == "base"
        assert response.headers["x-plain-seen"] == "1"
        assert _access_events() == [("decider", "try", "callback")]
        await _wait_for(lambda: ("follower", "log", 403) in EVENTS)
        assert ("follower", "header_filter", "exit") in EVENTS
        assert ("plain", "header_filter", "exit") in EVENTS
        assert echo.requests == 0

        EVENTS.clear()
        error = await h.client.get("/", headers={"X-Decide": "error"})
        assert error.status_code == 429
        assert error.json() == {"message": "slow down"}
        assert error.headers["x-follower-seen"] == "base"
        assert _access_events() == [("decider", "try", "callback")]
        assert echo.requests == 0
        # The same connection keeps serving.
        assert (await h.client.get("/")).status_code == 200


async def test_an_exit_in_try_access_inside_the_coroutine_stops_there(echo: EchoUpstream) -> None:
    async with _started(echo, "decider", "follower", "plain") as h:
        response = await h.client.get("/", headers={"X-Decide": "async", "X-Follower": "exit"})
        assert response.status_code == 409
        assert response.json() == {"message": "follower stopped"}
        assert response.headers["x-decider-seen"] == "exit"
        assert response.headers["x-plain-seen"] == "1"  # collected though its access never ran
        assert _access_events() == [
            ("decider", "try", "callback"),
            ("decider", "access", "task"),
            ("follower", "try", "base"),
        ]
        await _wait_for(lambda: ("follower", "log", 409) in EVENTS)
        assert echo.requests == 0


@pytest.mark.parametrize(
    ("headers", "failing"),
    [({"X-Decide": "raise"}, "decider"), ({"X-Decide": "async", "X-Follower": "raise"}, "follower")],
    ids=["synchronous", "inside-the-coroutine"],
)
async def test_an_unexpected_error_in_try_access_is_a_logged_500(
    echo: EchoUpstream, caplog: pytest.LogCaptureFixture, headers: dict[str, str], failing: str
) -> None:
    async with _started(echo, "decider", "follower", "plain") as h:
        with caplog.at_level(logging.ERROR, logger="sekisho.proxy"):
            response = await h.client.get("/", headers={"Accept": "application/json", **headers})
        assert response.status_code == 500
        assert response.json() == {"message": "An unexpected error occurred"}
        assert response.headers["x-plain-seen"] == "1"  # remaining plugins are still collected
        assert response.headers["x-follower-seen"] == "base"
        assert not [e for e in EVENTS if e[0] == "plain" and e[1] == "access"]
        logged = [r for r in caplog.records if f"plugin {failing} failed in the access phase" in r.getMessage()]
        assert len(logged) == 1
        assert logged[0].exc_info is not None and f"{failing} try_access failed" in str(logged[0].exc_info[1])
        await _wait_for(lambda: ("follower", "log", 500) in EVENTS)
        assert echo.requests == 0
        assert (await h.client.get("/")).status_code == 200  # the node keeps serving
        assert echo.requests == 1


async def test_consumer_scoped_configuration_applies_after_try_access_authenticated(echo: EchoUpstream) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        route = h.route(service, paths=["/"])
        alice = h.add("consumers", {"username": "alice", "custom_id": "A-1"})
        h.add("consumers", {"username": "bob"})
        h.plugin("sync-auth", route=route)
        h.plugin("follower", route=route, config={"tag": "route"})
        h.plugin("follower", consumer=alice, config={"tag": "alice"})
        await h.start()
        views = []
        for _ in range(2):  # the first request loads alice (access), the second finds her cached (try_access)
            response = await h.client.get("/", headers={"X-User": "alice"})
            assert response.status_code == 200
            assert response.headers["x-follower-seen"] == "alice"
            views.append(response.json()["headers"])
        assert [e for e in EVENTS if e[0] == "sync-auth"] == [
            ("sync-auth", "try", "miss"),
            ("sync-auth", "access", "alice"),
            ("sync-auth", "try", "hit"),
        ]
        assert [e for e in EVENTS if e[0] == "follower" and e[1] == "try"] == [
            ("follower", "try", "alice"),
            ("follower", "try", "alice"),
        ]
        for seen in views:
            assert seen["x-follower"] == "try_access:alice"
            assert seen["x-consumer-id"] == alice["id"]
            assert seen["x-consumer-username"] == "alice"
            assert seen["x-consumer-custom-id"] == "A-1"
            assert seen["x-credential-identifier"] == "cred-alice"
        assert views[0] == views[1]

        # Another consumer, cached or not, gets the route's configuration; nobody at all gets it too.
        for _ in range(2):
            bob = (await h.client.get("/", headers={"X-User": "bob"})).json()["headers"]
            assert bob["x-follower"] == "try_access:route"
            assert bob["x-consumer-username"] == "bob"
            assert "x-consumer-custom-id" not in bob
        nobody = (await h.client.get("/")).json()["headers"]
        assert nobody["x-follower"] == "try_access:route"
        assert "x-consumer-id" not in nobody

        # A consumer cached as missing is refused from try_access.
        EVENTS.clear()
        for _ in range(2):
            unknown = await h.client.get("/", headers={"X-User": "mallory"})
            assert unknown.status_code == 401
            assert unknown.json() == {"message": "unknown user"}
            assert unknown.headers["x-follower-seen"] == "route"
        assert [e for e in EVENTS if e[0] == "sync-auth"] == [
            ("sync-auth", "try", "miss"),
            ("sync-auth", "access", "mallory"),
            ("sync-auth", "try", "hit"),
        ]


async def test_pipelined_requests_mixing_synchronous_and_awaited_access_keep_their_order(
    echo: EchoUpstream,
) -> None:
    async with ProxyHarness(PLUGINS) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"], strip_path=False)
        h.plugin("decider")
        await h.start()
        requests = [("async", "/1"), ("sync", "/2"), ("exit", "/3"), ("sync", "/4"), ("async", "/5")]
        data = b"".join(
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Decide: " + decide.encode() + b"\r\n\r\n"
            for decide, path in requests
        )
        received, _ = await raw_request(h.port, data, expect=len(requests))
        responses = parse_responses(received)
        assert [r.status for r in responses] == [200, 200, 403, 200, 200]
        assert responses[2].json() == {"message": "decided in try_access"}
        echoed = [(r.json()["path"], r.json()["headers"]["x-decided"]) for i, r in enumerate(responses) if i != 2]
        assert echoed == [("/1", "access"), ("/2", "try_access"), ("/4", "try_access"), ("/5", "access")]
        assert echo.requests == 4
