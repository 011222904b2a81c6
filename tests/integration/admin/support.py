"""Tiny plugins and helpers for the Admin API tests (the real bundled plugins are tested on their own)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from sekisho.admin import AdminContext
from sekisho.plugins.base import Plugin
from sekisho.schema import Array, Boolean, EntitySchema, Foreign, Integer, Record, String, typedefs as t
from sekisho.store.base import Database

KEYAUTH_CREDENTIALS = EntitySchema(
    name="keyauth_credentials",
    endpoint_key="key",
    admin_path="key-auths",
    admin_nested_path="key-auth",
    generators={"key": lambda: secrets.token_hex(16)},
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "consumer": Foreign("consumers", required=True, on_delete="cascade", description="Owner."),
        "key": String(unique=True, auto=True, description="The API key."),
        "ttl": Integer(description="Seconds to live."),
        "tags": t.tags(),
    },
)

ACLS = EntitySchema(
    name="acls",
    admin_path="acls",
    cache_key=("consumer", "group"),
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "consumer": Foreign("consumers", required=True, on_delete="cascade", description="Member."),
        "group": String(required=True, description="Group name."),
        "tags": t.tags(),
    },
)


class KeyAuthForTests(Plugin[Any]):
    NAME = "key-auth"
    PRIORITY = 1250
    VERSION = "2.8.4"
    NO_CONSUMER = True
    CONFIG = Record(
        {
            "key_names": Array(String(), required=True, default=["apikey"], description="Key names."),
            "hide_credentials": Boolean(required=True, default=False, description="Hide the key."),
            "anonymous": String(description="Anonymous consumer."),
            "key_in_header": Boolean(required=True, default=True, description="Look in headers."),
            "key_in_query": Boolean(required=True, default=True, description="Look in the query."),
            "key_in_body": Boolean(required=True, default=False, description="Look in the body."),
            "run_on_preflight": Boolean(required=True, default=True, description="Run on OPTIONS."),
        }
    )
    DAOS = (KEYAUTH_CREDENTIALS,)


class RateLimitingForTests(Plugin[Any]):
    NAME = "rate-limiting"
    PRIORITY = 910
    VERSION = "2.8.4"
    CONFIG = Record(
        {
            "minute": Integer(description="Requests per minute."),
            "hour": Integer(description="Requests per hour."),
            "policy": String(default="local", one_of=["local", "cluster", "redis"], description="Counter store."),
        }
    )


class AclForTests(Plugin[Any]):
    NAME = "acl"
    PRIORITY = 950
    VERSION = "2.8.4"
    NO_CONSUMER = True
    CONFIG = Record({"allow": Array(String(), description="Allowed groups.")})
    DAOS = (ACLS,)


@dataclass
class Admin:
    """A running Admin API: an httpx client on its base URL and the context it serves."""

    client: httpx.AsyncClient
    ctx: AdminContext

    @property
    def db(self) -> Database:
        return self.ctx.db


AdminFactory = Callable[..., AbstractAsyncContextManager[Admin]]


TEST_PLUGINS: list[type[Plugin[Any]]] = [KeyAuthForTests, RateLimitingForTests, AclForTests]


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Run `app` with uvicorn on 127.0.0.1, port 0, as a task of the test's loop; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", server_header=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
