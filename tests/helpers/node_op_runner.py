"""Start panva's oidc-provider (tests/helpers/node_op) as an independent OpenID provider for a test."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

NODE_OP_DIR = Path(__file__).resolve().parent / "node_op"


def node_op_available() -> str | None:
    """None when the provider can run here, else the reason it cannot."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (NODE_OP_DIR / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed (make test runs npm ci in tests/helpers/node_op)"
    return None


@asynccontextmanager
async def run_node_op(clients: list[dict[str, Any]], *, access_token_ttl: int = 120) -> AsyncIterator[str]:
    """Yield the issuer URL of a running oidc-provider with these clients; stop it on exit."""
    reason = node_op_available()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    env = {**os.environ, "OP_CLIENTS": json.dumps(clients), "OP_ACCESS_TOKEN_TTL": str(access_token_ttl)}
    process = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_OP_DIR / "op.mjs"),
        cwd=str(NODE_OP_DIR),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        issuer = None
        async with asyncio.timeout(20):
            while issuer is None:
                line = await process.stdout.readline()
                if not line:
                    raise RuntimeError("oidc-provider exited before it listened")
                if line.startswith(b'{"issuer"'):
                    issuer = json.loads(line)["issuer"]
        yield issuer
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(5):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
