"""`openid-connect`: Kong's OpenID Connect plugin, Cognito-ready, over the `sekisho.oidc` library.

The relying-party library (and with it joserfc and cryptography) is imported when the first configuration
of this plugin is prepared, not with the module: every node loads the bundled plugins, and a worker that
proxies no openid-connect route should not carry the JOSE stack (about 10 MB per worker)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.openid_connect.replay import replay_verdict
from sekisho.plugins.openid_connect.schema import CONFIG
from sekisho.schema import Record

if TYPE_CHECKING:
    from sekisho.oidc.backchannel import LogoutStore, MemoryLogoutStore
    from sekisho.oidc.session import SessionStorage
    from sekisho.plugins.openid_connect.prepared import Prepared, ProviderPool

__all__ = ["Handler"]


class Handler(Plugin["Prepared"]):
    NAME = "openid-connect"
    PRIORITY = 1050
    VERSION = "0.1.0"
    CONFIG: ClassVar[Record] = CONFIG
    NO_CONSUMER = True

    def __init__(self) -> None:
        self._pool: ProviderPool | None = None
        self._redis: dict[tuple[Any, ...], Any] = {}
        self._memory_logouts: MemoryLogoutStore | None = None

    def _session_storage(self, conf: Mapping[str, Any]) -> SessionStorage | None:
        if conf["session_storage"] != "redis":
            return None
        from sekisho.oidc.session import RedisSessionStorage

        return RedisSessionStorage(self._redis_client(conf), prefix=conf["session_redis_prefix"])

    def _logout_store(self, conf: Mapping[str, Any]) -> LogoutStore | None:
        if not conf.get("backchannel_logout_uri_suffix"):
            return None
        from sekisho.oidc.backchannel import MemoryLogoutStore, RedisLogoutStore

        storage = conf.get("backchannel_logout_storage") or conf["session_storage"]
        if storage == "redis":
            return RedisLogoutStore(self._redis_client(conf), prefix=conf["session_redis_prefix"])
        if self._memory_logouts is None:
            self._memory_logouts = MemoryLogoutStore()
        return self._memory_logouts

    def _redis_client(self, conf: Mapping[str, Any]) -> Any:
        key = (
            conf["session_redis_host"],
            conf["session_redis_port"],
            conf.get("session_redis_username"),
            conf.get("session_redis_password"),
            conf["session_redis_ssl"],
        )
        client = self._redis.get(key)
        if client is None:
            import redis.asyncio as redis_asyncio  # only loaded by nodes that use Redis sessions

            timeout = (conf.get("session_redis_connect_timeout") or 2000) / 1000.0
            client = redis_asyncio.Redis(
                host=conf["session_redis_host"],
                port=conf["session_redis_port"],
                username=conf.get("session_redis_username"),
                password=conf.get("session_redis_password"),
                ssl=conf["session_redis_ssl"],
                ssl_cert_reqs="required" if conf["session_redis_ssl_verify"] else "none",
                socket_connect_timeout=timeout,
                socket_timeout=(conf.get("session_redis_read_timeout") or 2000) / 1000.0,
            )
            self._redis[key] = client
        return client

    def prepare(self, config: Mapping[str, Any]) -> Prepared:
        from sekisho.plugins.openid_connect.prepared import Prepared, ProviderPool

        if self._pool is None:
            self._pool = ProviderPool()
        return Prepared.build(config, self._pool, self._session_storage(config), self._logout_store(config))

    async def access(self, kong: PDK, conf: Prepared) -> None:
        from sekisho.plugins.openid_connect.flow import AccessFlow

        await AccessFlow(kong, conf).run()

    def try_access(self, kong: PDK, conf: Prepared) -> bool:
        return replay_verdict(kong, conf)

    async def close(self) -> None:
        """Release outbound connections (provider HTTP clients, Redis) when the worker stops."""
        if self._pool is not None:
            await self._pool.close()
        for client in self._redis.values():
            await client.aclose()
        self._redis.clear()
