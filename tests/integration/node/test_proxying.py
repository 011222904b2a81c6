"""Kong's quickstart through a real node: Admin API writes reach the proxy; DB-less from a file; two workers."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.node.node_process import Node, start_node


async def _create_quickstart(admin: str, echo_url: str) -> None:
    async with httpx.AsyncClient(base_url=admin) as client:
        service = await client.post("/services", data={"name": "example_service", "url": echo_url + "/anything"})
        assert service.status_code == 201, service.text
        route = await client.post("/services/example_service/routes", data={"paths[]": "/mock", "name": "mocking"})
        assert route.status_code == 201, route.text


async def test_quickstart_single_process(tmp_path: Path, nodes: list[Node], echo_url: str) -> None:
    node = await start_node(tmp_path, proxy_access_log="logs/access.log json")
    nodes.append(node)
    async with httpx.AsyncClient() as client:
        missing = await client.get(node.proxy + "/mock/hello")
        assert missing.status_code == 404
        assert missing.json() == {"message": "no Route matched with those values"}
        await _create_quickstart(node.admin, echo_url)
        # worker_consistency = strict: the Admin API answered after the proxy took the change.
        response = await client.get(node.proxy + "/mock/hello?apikey=SECRET-KEY", headers={"Authorization": "x"})
    assert response.status_code == 200, response.text
    echoed = response.json()
    assert echoed["path"] == "/anything/hello"
    assert echoed["query"] == "apikey=SECRET-KEY"
    assert "via" in {k.lower() for k in response.headers}
    assert node.stop() == 0
    access = (node.prefix / "logs" / "access.log").read_text()
    assert "/mock/hello" in access
    assert "SECRET-KEY" not in access


async def test_changes_reach_the_proxy_in_sqlite_mode_after_restart(
    tmp_path: Path, nodes: list[Node], echo_url: str
) -> None:
    node = await start_node(tmp_path)
    nodes.append(node)
    await _create_quickstart(node.admin, echo_url)
    assert node.stop() == 0
    again = await start_node(tmp_path)
    nodes.append(again)
    async with httpx.AsyncClient() as client:
        response = await client.get(again.proxy + "/mock")
    assert response.status_code == 200
    assert response.json()["path"] == "/anything"


async def test_dbless_node_loads_declarative_config_at_start(tmp_path: Path, nodes: list[Node], echo_url: str) -> None:
    kong_yml = tmp_path / "kong.yml"
    kong_yml.write_text(
        f"""_format_version: "2.1"
services:
- name: example_service
  url: {echo_url}/base
  routes:
  - name: mocking
    paths: [/mock]
"""
    )
    node = await start_node(tmp_path, database="off", declarative_config=str(kong_yml))
    nodes.append(node)
    async with httpx.AsyncClient() as client:
        response = await client.get(node.proxy + "/mock/x")
        assert response.status_code == 200, response.text
        assert response.json()["path"] == "/base/x"
        refused = await client.post(node.admin + "/services", data={"name": "other", "url": echo_url})
        assert refused.status_code == 405
        listed = await client.get(node.admin + "/services")
        assert [s["name"] for s in listed.json()["data"]] == ["example_service"]
    assert "loaded 2 entities from the declarative configuration" in node.output()


async def test_dbless_bad_declarative_config_is_refused(tmp_path: Path) -> None:
    from tests.integration.node.node_process import node_env, sekisho

    kong_yml = tmp_path / "kong.yml"
    kong_yml.write_text('_format_version: "2.1"\nservices:\n- name: bad\n  url: not a url\n')
    result = sekisho("start", env=node_env(tmp_path / "p", database="off", declarative_config=str(kong_yml)))
    assert result.returncode == 1
    assert "Error: declarative_config:" in result.stderr


async def _all_fresh_connections_answer(proxy: str, path: str, count: int) -> list[int]:
    statuses = []
    for _ in range(count):
        # A new client per request: a new connection, so the kernel may hand it to either worker.
        async with httpx.AsyncClient() as client:
            statuses.append((await client.get(proxy + path)).status_code)
    return statuses


async def test_two_workers_both_pick_up_an_admin_change(tmp_path: Path, nodes: list[Node], echo_url: str) -> None:
    node = await start_node(tmp_path, workers=2, db_update_frequency="60")
    nodes.append(node)
    assert "2 workers" in node.output()
    assert await _all_fresh_connections_answer(node.proxy, "/mock", 10) == [404] * 10
    await _create_quickstart(node.admin, echo_url)
    # No sleep: the supervisor pushed the change and waited for both workers before the Admin API answered.
    assert await _all_fresh_connections_answer(node.proxy, "/mock", 30) == [200] * 30
    async with httpx.AsyncClient(base_url=node.admin) as client:
        assert (await client.delete("/routes/mocking")).status_code == 204
    assert await _all_fresh_connections_answer(node.proxy, "/mock", 30) == [404] * 30
    assert node.stop() == 0


async def test_dbless_two_workers_receive_posted_config(tmp_path: Path, nodes: list[Node], echo_url: str) -> None:
    node = await start_node(tmp_path, workers=2, database="off")
    nodes.append(node)
    document = f"""_format_version: "3.0"
services:
- name: posted
  url: {echo_url}
  routes:
  - name: posted-route
    paths: [/posted]
"""
    async with httpx.AsyncClient() as client:
        loaded = await client.post(node.admin + "/config", data={"config": document})
        assert loaded.status_code == 201, loaded.text
    assert await _all_fresh_connections_answer(node.proxy, "/posted", 30) == [200] * 30


async def test_a_killed_worker_is_restarted(tmp_path: Path, nodes: list[Node], echo_url: str) -> None:
    import asyncio
    import os
    import re
    import signal

    from tests.integration.node.node_process import free_port

    # With `reuseport` every worker binds its own listening socket; the restarted one binds again.
    node = await start_node(tmp_path, workers=2, proxy_listen=f"127.0.0.1:{free_port()} reuseport")
    nodes.append(node)
    pids = [int(p) for p in re.findall(r"worker #\d \(pid (\d+)\) ready", node.output())]
    assert len(pids) == 2
    os.kill(pids[0], signal.SIGKILL)
    for _ in range(300):
        if len(re.findall(r"worker #\d \(pid (\d+)\) ready", node.output())) >= 3:
            break
        await asyncio.sleep(0.1)
    assert "exited with status -9; restarting it" in node.output()
    assert len(re.findall(r"worker #\d \(pid (\d+)\) ready", node.output())) == 3
    await _create_quickstart(node.admin, echo_url)
    assert await _all_fresh_connections_answer(node.proxy, "/mock", 20) == [200] * 20


async def _balanced_setup(admin: str, echo_url: str) -> None:
    target = echo_url.removeprefix("http://")
    async with httpx.AsyncClient(base_url=admin) as client:
        assert (await client.post("/upstreams", data={"name": "pool"})).status_code == 201
        created = await client.post("/upstreams/pool/targets", data={"target": target})
        assert created.status_code == 201, created.text
        service = await client.post("/services", data={"name": "balanced", "host": "pool", "path": "/p"})
        assert service.status_code == 201, service.text
        route = await client.post("/services/balanced/routes", data={"paths[]": "/lb"})
        assert route.status_code == 201, route.text


async def test_target_health_set_through_the_admin_api_reaches_every_worker(
    tmp_path: Path, nodes: list[Node], echo_url: str
) -> None:
    node = await start_node(tmp_path, workers=2)
    nodes.append(node)
    await _balanced_setup(node.admin, echo_url)
    assert await _all_fresh_connections_answer(node.proxy, "/lb", 10) == [200] * 10
    target = echo_url.removeprefix("http://")
    async with httpx.AsyncClient(base_url=node.admin) as client:
        marked = await client.post(f"/upstreams/pool/targets/{target}/unhealthy")
        assert marked.status_code == 204, marked.text
        health = (await client.get("/upstreams/pool/health")).json()
        assert health["data"][0]["health"] == "UNHEALTHY"
    # The control message is sent before the Admin API answers; give the workers a moment to apply it.
    statuses: list[int] = []
    for _ in range(100):
        statuses = await _all_fresh_connections_answer(node.proxy, "/lb", 10)
        if statuses == [503] * 10:
            break
    assert statuses == [503] * 10


async def test_single_process_health_endpoints_use_the_proxy_runtime(
    tmp_path: Path, nodes: list[Node], echo_url: str
) -> None:
    node = await start_node(tmp_path)
    nodes.append(node)
    await _balanced_setup(node.admin, echo_url)
    target = echo_url.removeprefix("http://")
    async with httpx.AsyncClient() as client:
        assert (await client.get(node.proxy + "/lb")).status_code == 200
        marked = await client.post(f"{node.admin}/upstreams/pool/targets/{target}/unhealthy")
        assert marked.status_code == 204, marked.text
        failed = await client.get(node.proxy + "/lb")
        assert failed.status_code == 503
        assert failed.json() == {"message": "failure to get a peer from the ring-balancer"}
        status = (await client.get(node.admin + "/status")).json()
        assert status["database"]["reachable"] is True


async def test_eventual_consistency_catches_up_in_the_background(
    tmp_path: Path, nodes: list[Node], echo_url: str
) -> None:
    import asyncio

    node = await start_node(tmp_path, workers=2, worker_consistency="eventual")
    nodes.append(node)
    await _create_quickstart(node.admin, echo_url)
    statuses: list[int] = []
    for _ in range(100):
        statuses = await _all_fresh_connections_answer(node.proxy, "/mock", 10)
        if statuses == [200] * 10:
            break
        await asyncio.sleep(0.05)
    assert statuses == [200] * 10


async def test_workers_exit_when_the_supervisor_dies(tmp_path: Path, nodes: list[Node]) -> None:
    import asyncio
    import os
    import re
    import signal

    from sekisho.node.prefix import process_alive

    node = await start_node(tmp_path, workers=2)
    nodes.append(node)
    pids = [int(p) for p in re.findall(r"worker #\d \(pid (\d+)\) ready", node.output())]
    assert len(pids) == 2 and all(process_alive(p) for p in pids)
    os.kill(node.process.pid, signal.SIGKILL)
    node.process.wait(10)
    for _ in range(200):
        if not any(process_alive(p) for p in pids):
            break
        await asyncio.sleep(0.05)
    assert not any(process_alive(p) for p in pids)


async def test_sigusr1_reopens_log_files_in_every_process(tmp_path: Path, nodes: list[Node], echo_url: str) -> None:
    import asyncio
    import os
    import signal

    node = await start_node(tmp_path, workers=2, proxy_error_log="logs/error.log", admin_error_log="logs/error.log")
    nodes.append(node)
    await _create_quickstart(node.admin, echo_url)
    logs = node.prefix / "logs"
    assert await _all_fresh_connections_answer(node.proxy, "/mock/before", 4) == [200] * 4
    (logs / "access.log").rename(logs / "access.log.1")
    (logs / "error.log").rename(logs / "error.log.1")
    os.kill(node.process.pid, signal.SIGUSR1)
    for _ in range(200):
        if (logs / "error.log").exists() and (logs / "error.log").read_text().count("log files reopened") == 3:
            break
        await asyncio.sleep(0.05)
    assert (logs / "error.log").read_text().count("log files reopened") == 3
    assert await _all_fresh_connections_answer(node.proxy, "/mock/after", 10) == [200] * 10
    assert node.stop() == 0  # flushes pending access-log lines
    rotated, fresh = (logs / "access.log.1").read_text(), (logs / "access.log").read_text()
    assert rotated.count("/mock/before") == 4 and "/mock/after" not in rotated
    assert fresh.count("/mock/after") == 10 and "/mock/before" not in fresh


async def test_header_limits_follow_large_client_header_buffers(
    tmp_path: Path, nodes: list[Node], echo_url: str
) -> None:
    node = await start_node(tmp_path, large_client_header_buffers="2 2k")
    nodes.append(node)
    await _create_quickstart(node.admin, echo_url)
    async with httpx.AsyncClient() as client:
        assert (await client.get(node.proxy + "/mock", headers={"X-Small": "a" * 1000})).status_code == 200
        too_big = await client.get(node.proxy + "/mock", headers={"X-Big": "a" * 3000})
    assert too_big.status_code in (431, 494)


async def test_status_counts_connections_across_workers(tmp_path: Path, nodes: list[Node]) -> None:
    import asyncio

    node = await start_node(tmp_path, workers=2)
    nodes.append(node)
    host, port = "127.0.0.1", node.proxy_port
    held = [await asyncio.open_connection(host, port) for _ in range(6)]
    try:
        active = 0
        async with httpx.AsyncClient(base_url=node.admin) as client:
            for _ in range(100):
                active = (await client.get("/status")).json()["server"]["connections_active"]
                if active >= 6:
                    break
                await asyncio.sleep(0.1)
        assert active >= 6
    finally:
        for _, writer in held:
            writer.close()


async def test_reload_replaces_workers_with_the_new_configuration(
    tmp_path: Path, nodes: list[Node], echo_url: str
) -> None:
    import asyncio

    from tests.integration.node.node_process import node_env, sekisho

    conf = tmp_path / "sekisho.conf"
    conf.write_text("headers = server_tokens, latency_tokens\n")
    node = await start_node(tmp_path, workers=2, cli_args=("-c", str(conf)))
    nodes.append(node)
    await _create_quickstart(node.admin, echo_url)
    async with httpx.AsyncClient() as client:
        assert "via" in (await client.get(node.proxy + "/mock")).headers

    async def reload_and_wait_for(text: str, count: int) -> None:
        result = sekisho("reload", "-p", str(node.prefix), env=node_env(node.prefix))
        assert result.returncode == 0, result.stderr
        for _ in range(600):
            if node.output().count(text) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(node.output())

    conf.write_text("headers = off\n")
    await reload_and_wait_for("reload complete", 1)
    for _ in range(10):
        async with httpx.AsyncClient() as client:
            response = await client.get(node.proxy + "/mock")
        assert response.status_code == 200
        assert "via" not in response.headers

    conf.write_text("client_max_body_size = lots\n")
    await reload_and_wait_for("reload refused", 1)
    conf.write_text("headers = off\nplugins = key-auth\n")
    await reload_and_wait_for("reload refused", 2)
    assert "changing plugins needs a restart" in node.output()
    assert await _all_fresh_connections_answer(node.proxy, "/mock", 10) == [200] * 10
    assert node.stop() == 0
