"""The IdP's services, built once per process and handed to endpoints and actions."""

from __future__ import annotations

from dataclasses import dataclass

from sekisho.idp.clock import Clock, SystemClock
from sekisho.idp.config import IdpSettings
from sekisho.idp.keys import KeyRing
from sekisho.idp.outbox import Outbox
from sekisho.idp.repo import Repository
from sekisho.idp.store import StoreAdapter, open_store
from sekisho.idp.throttle import LoginThrottle

__all__ = ["Services", "build_services"]


@dataclass(slots=True)
class Services:
    # Mutable on purpose: the real port is only known once the listener is bound.
    settings: IdpSettings
    store: StoreAdapter
    repo: Repository
    keys: KeyRing
    clock: Clock
    outbox: Outbox
    throttle: LoginThrottle


async def build_services(settings: IdpSettings, clock: Clock | None = None) -> Services:
    clock = clock or SystemClock()
    store = await open_store(settings.database, settings.data_dir)
    return Services(
        settings=settings,
        store=store,
        repo=Repository(store),
        keys=KeyRing(store, clock),
        clock=clock,
        outbox=Outbox(store, clock, settings),
        throttle=LoginThrottle(clock, settings.max_failed_logins, settings.throttle_seconds),
    )
