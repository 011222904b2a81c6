"""A real node started through the CLI: Admin API up, pid file, stop/quit, health, refused configurations."""

from __future__ import annotations

import signal
import socket
import ssl
from pathlib import Path

import httpx
import pytest

from sekisho.node.prefix import read_pid
from tests.integration.node.node_process import Node, free_port, node_env, sekisho, start_node


async def test_start_writes_pid_file_and_stop_removes_it(tmp_path: Path, nodes: list[Node]) -> None:
    node = await start_node(tmp_path)
    nodes.append(node)
    pid_file = node.prefix / "pids" / "sekisho.pid"
    assert read_pid(pid_file) == node.process.pid
    health = sekisho("health", "-p", str(node.prefix))
    assert health.returncode == 0, health.stderr
    assert f"sekisho is healthy at {node.prefix}" in health.stdout

    stopped = sekisho("stop", "-p", str(node.prefix))
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == "sekisho stopped"
    assert node.process.wait(10) == 0
    assert not pid_file.exists()
    assert "sekisho stopped" in node.output()
    assert sekisho("health", "-p", str(node.prefix)).returncode == 1


async def test_quit_drains_gracefully(tmp_path: Path, nodes: list[Node]) -> None:
    node = await start_node(tmp_path)
    nodes.append(node)
    quit_ = sekisho("quit", "-p", str(node.prefix))
    assert quit_.returncode == 0, quit_.stderr
    assert "gracefully" in quit_.stdout
    assert node.process.wait(10) == 0
    assert "received SIGQUIT" in node.output()


async def test_startup_logs_what_listens_where(tmp_path: Path, nodes: list[Node]) -> None:
    node = await start_node(tmp_path, admin_listen="127.0.0.1:0, 127.0.0.1:0 ssl")
    nodes.append(node)
    out = node.output()
    assert "admin listening on http://127.0.0.1:" in out
    assert "admin listening on https://127.0.0.1:" in out
    assert "started (pid" in out
    assert node.stop(signal.SIGINT) == 0


async def test_admin_api_serves_https_with_the_default_certificate(tmp_path: Path, nodes: list[Node]) -> None:
    tls_port = free_port()
    node = await start_node(tmp_path)
    nodes.append(node)
    node.stop()
    node = await start_node(tmp_path, admin_listen=f"127.0.0.1:{node.admin_port}, 127.0.0.1:{tls_port} ssl")
    nodes.append(node)
    cert = node.prefix / "ssl" / "default.crt"
    assert (node.prefix / "ssl" / "default.key").stat().st_mode & 0o777 == 0o600
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(cert))) as client:
        response = await client.get(f"https://127.0.0.1:{tls_port}/")
    assert response.status_code == 200
    assert response.json()["tagline"] == "Welcome to kong"
    assert response.json()["configuration"]["pg_password"] is None


def test_bad_configuration_is_refused_naming_the_key(tmp_path: Path) -> None:
    env = node_env(tmp_path / "prefix", pg_port="abc")
    result = sekisho("start", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: pg_port: 'abc' is not an integer" in result.stderr
    env = node_env(tmp_path / "prefix")
    env["KONG_PROXY_LISTEN"] = "0.0.0.0:8000 sslx"
    result = sekisho("start", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: proxy_listen:" in result.stderr and "unknown flag 'sslx'" in result.stderr
    assert not (tmp_path / "prefix" / "pids" / "sekisho.pid").exists()


def test_a_taken_port_is_reported_with_its_key(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = node_env(tmp_path / "prefix", proxy_listen=f"127.0.0.1:{free_port()}", admin_listen=f"127.0.0.1:{port}")
        result = sekisho("start", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"admin_listen: cannot listen on 127.0.0.1:{port}: address already in use" in result.stderr


def test_check_command(tmp_path: Path) -> None:
    good = tmp_path / "good.conf"
    good.write_text("database = off\nlog_level = debug\n")
    result = sekisho("check", str(good), env=node_env(tmp_path / "p"))
    assert result.returncode == 0
    assert result.stdout.strip() == f"configuration at {good} is valid"
    bad = tmp_path / "bad.conf"
    bad.write_text("log_level = loud\n")
    result = sekisho("check", str(bad), env=node_env(tmp_path / "p"))
    assert result.returncode == 1
    assert "log_level: has an invalid value: 'loud'" in result.stderr


def test_stop_without_a_running_node_fails_clearly(tmp_path: Path) -> None:
    result = sekisho("stop", "-p", str(tmp_path / "nothing"), env=node_env(tmp_path / "nothing"))
    assert result.returncode == 1
    assert "not running" in result.stderr


async def test_a_second_node_in_the_same_prefix_is_refused(tmp_path: Path, nodes: list[Node]) -> None:
    node = await start_node(tmp_path)
    nodes.append(node)
    env = node_env(node.prefix, proxy_listen=f"127.0.0.1:{free_port()}", admin_listen=f"127.0.0.1:{free_port()}")
    result = sekisho("start", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"a node is already running in {node.prefix} (pid {node.process.pid})" in result.stderr
    assert node.process.poll() is None


def test_a_recycled_pid_is_never_signalled(tmp_path: Path) -> None:
    import subprocess

    prefix = tmp_path / "prefix"
    (prefix / "pids").mkdir(parents=True)
    with subprocess.Popen(["sleep", "60"]) as stranger:
        try:
            (prefix / "pids" / "sekisho.pid").write_text(f"{stranger.pid}\n")
            result = sekisho("stop", "-p", str(prefix), env=node_env(prefix))
            assert result.returncode == 1
            assert "not running" in result.stderr
            assert stranger.poll() is None
            assert sekisho("health", "-p", str(prefix), env=node_env(prefix)).returncode == 1
        finally:
            stranger.kill()


async def test_status_listener_serves_only_status(tmp_path: Path, nodes: list[Node]) -> None:
    status_port = free_port()
    node = await start_node(tmp_path, status_listen=f"127.0.0.1:{status_port}")
    nodes.append(node)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{status_port}") as client:
        status = await client.get("/status")
        assert status.status_code == 200
        body = status.json()
        assert body["database"] == {"reachable": True}
        assert "connections_active" in body["server"]
        assert (await client.get("/status/ready")).status_code == 200
        # The Admin API is not reachable through the status listener.
        assert (await client.get("/services")).status_code == 404
        assert (await client.post("/services", data={"name": "x", "url": "http://x"})).status_code == 404
    assert f"status listening on http://127.0.0.1:{status_port}" in node.output()


def test_idp_subcommand_delegates_to_the_identity_provider(tmp_path: Path) -> None:
    result = sekisho("idp", "--help", env=node_env(tmp_path / "p"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: sekisho idp")


def test_unusable_database_is_refused_naming_the_key(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    env = node_env(
        tmp_path / "prefix",
        sqlite_path=str(blocker / "db.sqlite"),
        proxy_listen=f"127.0.0.1:{free_port()}",
        admin_listen=f"127.0.0.1:{free_port()}",
    )
    result = sekisho("start", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: sqlite_path:" in result.stderr
    assert "Traceback" not in result.stderr
    env = node_env(
        tmp_path / "prefix",
        database="postgres",
        pg_host="127.0.0.1",
        pg_port=str(free_port()),
        proxy_listen=f"127.0.0.1:{free_port()}",
        admin_listen=f"127.0.0.1:{free_port()}",
    )
    result = sekisho("start", "--db-timeout", "0", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: database:" in result.stderr
    assert "Traceback" not in result.stderr


async def test_portal_on_serves_gui_and_api_and_admin_developer_routes(tmp_path: Path, nodes: list[Node]) -> None:
    gui_port, api_port = free_port(), free_port()
    node = await start_node(
        tmp_path,
        portal="on",
        portal_gui_listen=f"127.0.0.1:{gui_port}",
        portal_api_listen=f"127.0.0.1:{api_port}",
        portal_gui_host=f"127.0.0.1:{gui_port}",
        portal_api_url=f"http://127.0.0.1:{api_port}",
    )
    nodes.append(node)
    out = node.output()
    assert f"portal_gui listening on http://127.0.0.1:{gui_port}" in out
    assert f"portal_api listening on http://127.0.0.1:{api_port}" in out
    async with httpx.AsyncClient() as client:
        gui = await client.get(f"http://127.0.0.1:{gui_port}/", follow_redirects=True)
        assert gui.status_code == 200
        assert "text/html" in gui.headers.get("content-type", "")
        developers = await client.get(node.admin + "/developers")
        assert developers.status_code == 200, developers.text
        assert developers.json()["data"] == []


def test_portal_needs_a_database(tmp_path: Path) -> None:
    env = node_env(
        tmp_path / "prefix",
        database="off",
        portal="on",
        proxy_listen=f"127.0.0.1:{free_port()}",
        admin_listen=f"127.0.0.1:{free_port()}",
        portal_gui_listen=f"127.0.0.1:{free_port()}",
        portal_api_listen=f"127.0.0.1:{free_port()}",
    )
    result = sekisho("start", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: portal:" in result.stderr


async def test_configured_certificates_replace_the_default_one(tmp_path: Path, nodes: list[Node]) -> None:
    from sekisho.utils.tls import ensure_default_certificate

    cert, key = ensure_default_certificate(tmp_path / "custom", common_name="custom.test")
    proxy_tls, admin_tls = free_port(), free_port()
    node = await start_node(
        tmp_path,
        proxy_listen=f"127.0.0.1:{free_port()}, 127.0.0.1:{proxy_tls} ssl",
        admin_listen=f"127.0.0.1:{free_port()}, 127.0.0.1:{admin_tls} ssl",
        ssl_cert=str(cert),
        ssl_cert_key=str(key),
    )
    nodes.append(node)

    def common_name(port: int) -> str:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            subject = dict(item[0] for item in tls.getpeercert()["subject"])
        return str(subject["commonName"])

    # ssl_cert serves the proxy; the Admin API keeps the node's default certificate (admin_ssl_cert unset).
    assert common_name(proxy_tls) == "custom.test"
    with pytest.raises(ssl.SSLCertVerificationError):
        common_name(admin_tls)


def test_check_validates_the_dbless_declarative_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text('_format_version: "3.0"\nservices:\n- name: s\n  url: http://127.0.0.1:9\n')
    bad = tmp_path / "bad.yml"
    bad.write_text('_format_version: "3.0"\nservices:\n- name: s\n  url: not a url\n')
    conf = tmp_path / "dbless.conf"
    conf.write_text(f"database = off\ndeclarative_config = {good}\n")
    assert sekisho("check", str(conf), env=node_env(tmp_path / "p")).returncode == 0
    conf.write_text(f"database = off\ndeclarative_config = {bad}\n")
    result = sekisho("check", str(conf), env=node_env(tmp_path / "p"))
    assert result.returncode == 1
    assert "failed parsing declarative configuration" in result.stderr
