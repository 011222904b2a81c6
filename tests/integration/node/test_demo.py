"""`sekisho demo`: echo upstreams, a node, sample configuration, instructions, and a clean Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx


async def test_demo_serves_sample_routes_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    log_path = tmp_path / "demo.out"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sekisho",
        "demo",
        "--dir",
        str(tmp_path / "demo"),
        "--free-ports",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = ""
    try:
        async with asyncio.timeout(90):
            while "Press Ctrl-C to stop." not in output:
                line = await process.stdout.readline()
                if not line:
                    break
                output += line.decode()
        assert "sekisho demo is running" in output, output
        proxy = re.search(r"proxy\s+(http://127\.0\.0\.1:\d+)", output)
        admin = re.search(r"Admin API\s+(http://127\.0\.0\.1:\d+)", output)
        assert proxy and admin, output
        async with httpx.AsyncClient() as client:
            echoed = await client.get(proxy.group(1) + "/demo/hello?x=1")
            assert echoed.status_code == 200
            assert echoed.json()["path"] == "/hello"
            upstreams = {(await client.get(proxy.group(1) + "/balanced")).json()["upstream"] for _ in range(6)}
            assert upstreams == {"echo-1", "echo-2"}
            services = (await client.get(admin.group(1) + "/services")).json()["data"]
            assert {s["name"] for s in services} == {"demo", "demo-balanced"}
        process.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(process.communicate(), 60)
        output += rest.decode()
        assert process.returncode == 0, output
        assert "demo stopped" in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log_path.write_text(output)
