"""The plugin contract: Kong's names, priorities and phases, with the PDK passed explicitly.

A bundled plugin lives in `sekisho/plugins/<snake_name>/` with `schema.py` (its config `Record`, every field
described with Kong's name and default) and `handler.py` (a `Plugin` subclass named `Handler`). Only the
phase methods a plugin overrides are called. Instances are created once per worker; request state goes in
`kong.ctx`, never on the instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from sekisho.pdk import PDK
from sekisho.schema import EntitySchema, Record

__all__ = ["PHASES", "Plugin"]

ConfT = TypeVar("ConfT")

PHASES = ("rewrite", "access", "header_filter", "body_filter", "log")


class Plugin(Generic[ConfT]):
    """Base class of every plugin. Override the phases you need; leave the others alone."""

    NAME: ClassVar[str]
    PRIORITY: ClassVar[int]
    VERSION: ClassVar[str] = "1.0.0"
    CONFIG: ClassVar[Record]
    # Entities the plugin owns (e.g. keyauth_credentials), exposed on the Admin API and in declarative config.
    DAOS: ClassVar[tuple[EntitySchema, ...]] = ()
    # Scopes the plugin refuses, like Kong's `typedefs.no_consumer` (auth plugins cannot be consumer-scoped).
    NO_CONSUMER: ClassVar[bool] = False
    NO_ROUTE: ClassVar[bool] = False
    NO_SERVICE: ClassVar[bool] = False
    PROTOCOLS: ClassVar[tuple[str, ...]] = ("grpc", "grpcs", "http", "https")

    def prepare(self, config: Mapping[str, Any]) -> ConfT:
        """Turn a validated config row into what the phases receive (compile regexes, build sets, ...).

        Called once per plugin instance whenever the configuration snapshot is rebuilt, never per request."""
        return config  # type: ignore[return-value]

    async def init_worker(self, kong: PDK) -> None:
        """Once per worker, before the first request."""

    async def rewrite(self, kong: PDK, conf: ConfT) -> None:
        """Before routing; only global plugins run here."""

    async def access(self, kong: PDK, conf: ConfT) -> None:
        """After routing: authentication, authorization, request changes."""

    def try_access(self, kong: PDK, conf: ConfT) -> bool:
        """The access phase without I/O, when the plugin can decide from what it already holds (a cache).

        Return True when the phase is done (`access` is then not called), False to run `access` as usual; it
        must change nothing before returning False. It may raise like `access` (`kong.response.exit`). The
        proxy calls it first so that most requests need no coroutine at all."""
        return False

    def header_filter(self, kong: PDK, conf: ConfT) -> None:
        """Response headers received (or an exit produced); no I/O here."""

    def body_filter(self, kong: PDK, conf: ConfT, chunk: bytes, eof: bool) -> bytes:
        """Each response body chunk; return what the client gets. No I/O here."""
        return chunk

    async def log(self, kong: PDK, conf: ConfT) -> None:
        """After the response was sent; runs in a background task with a timeout."""

    @classmethod
    def implements(cls, phase: str) -> bool:
        """Whether the plugin overrides `phase` (the pipeline skips phases a plugin does not implement)."""
        return getattr(cls, phase) is not getattr(Plugin, phase)
