"""Small node pieces: control-channel framing, coalesced reloads, listener binding errors."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from sekisho.config import ListenSpec
from sekisho.errors import ConfigError
from sekisho.node.control import ControlChannel, encode
from sekisho.node.reload import Reloader
from sekisho.node.sockets import ListenError, bind_all, bind_listener


async def test_control_channel_round_trips_messages_in_order() -> None:
    left, right = socket.socketpair()
    a = await ControlChannel.open(left)
    b = await ControlChannel.open(right)
    big = {"op": "load", "entities": {"services": [{"name": f"s{i}"} for i in range(5000)]}}
    await a.send({"op": "reload", "seq": 1})
    await a.send(big)
    assert await b.receive() == {"op": "reload", "seq": 1}
    assert await b.receive() == big
    a.close()
    assert await b.receive() is None
    b.close()


def test_encode_prefixes_the_body_length() -> None:
    data = encode({"a": 1})
    assert data[:4] == (7).to_bytes(4, "big")
    assert data[4:] == b'{"a":1}'


async def test_reloads_are_coalesced_and_waiters_see_a_later_reload() -> None:
    calls = 0
    gate = asyncio.Event()

    async def reload() -> None:
        nonlocal calls
        calls += 1
        await gate.wait()

    reloader = Reloader(reload)
    reloader.start()
    first = asyncio.ensure_future(reloader.request_and_wait(5))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    # Three more requests while the first reload runs: one more reload serves them all.
    waiters = [asyncio.ensure_future(reloader.request_and_wait(5)) for _ in range(3)]
    gate.set()
    assert await first is True
    assert all(await asyncio.gather(*waiters))
    assert calls == 2
    await reloader.stop()


async def test_a_failing_reload_is_logged_and_waiters_are_released(caplog: pytest.LogCaptureFixture) -> None:
    async def reload() -> None:
        raise RuntimeError("boom")

    reloader = Reloader(reload)
    reloader.start()
    with caplog.at_level("ERROR", logger="sekisho.node"):
        assert await reloader.request_and_wait(5) is True
    assert "configuration reload failed; the previous configuration stays active" in caplog.text
    await reloader.stop()


async def test_request_and_wait_times_out_when_the_reload_hangs() -> None:
    async def reload() -> None:
        await asyncio.Event().wait()

    reloader = Reloader(reload)
    reloader.start()
    assert await reloader.request_and_wait(0.05) is False
    await reloader.stop()


def test_binding_a_taken_port_names_the_key_and_closes_what_was_opened() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(ListenError) as err:
            bind_all(
                {
                    "proxy_listen": (ListenSpec("127.0.0.1", 0),),
                    "admin_listen": (ListenSpec("127.0.0.1", port),),
                }
            )
    assert str(err.value) == f"admin_listen: cannot listen on 127.0.0.1:{port}: address already in use"
    assert err.value.key == "admin_listen"


def test_reserved_reuseport_addresses_do_not_accept() -> None:
    held = bind_listener("proxy_listen", ListenSpec("127.0.0.1", 0, reuseport=True), listen=False)
    try:
        assert held.listening is False
        with socket.socket() as client, pytest.raises(ConnectionRefusedError):
            client.connect(("127.0.0.1", held.port))
        # A worker can bind the same address with SO_REUSEPORT and serve it.
        worker = bind_listener("proxy_listen", ListenSpec("127.0.0.1", held.port, reuseport=True))
        with worker.sock, socket.create_connection(("127.0.0.1", held.port), timeout=5):
            pass
    finally:
        held.sock.close()


def test_cluster_secret_is_generated_once_or_derived_from_the_setting(tmp_path: Path) -> None:
    from sekisho.config import load_config
    from sekisho.node.prefix import cluster_secret_for

    config = load_config(env={}, cwd=tmp_path, search_default_paths=False)
    first = cluster_secret_for(config)
    assert len(first) == 32
    assert (config.prefix / "cluster.secret").stat().st_mode & 0o777 == 0o600
    assert cluster_secret_for(config) == first
    shared = "x" * 40
    a = load_config(env={"SEKISHO_CLUSTER_SECRET": shared, "SEKISHO_PREFIX": str(tmp_path / "a")}, cwd=tmp_path)
    b = load_config(env={"KONG_CLUSTER_SECRET": shared, "SEKISHO_PREFIX": str(tmp_path / "b")}, cwd=tmp_path)
    assert cluster_secret_for(a) == cluster_secret_for(b) != first
    assert not (tmp_path / "a" / "cluster.secret").exists()
    with pytest.raises(ConfigError) as err:
        load_config(env={"SEKISHO_CLUSTER_SECRET": "short"}, cwd=tmp_path)
    assert err.value.key == "cluster_secret"
