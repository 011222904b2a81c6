"""Helpers to build route and service rows exactly as `sekisho.entities` validates them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from sekisho.entities import ROUTES, SERVICES
from sekisho.router import Router

Row = dict[str, Any]

# Distinct, increasing created_at values so ties never depend on the clock.
_clock = itertools.count(1_700_000_000)


def make_service(**fields: Any) -> Row:
    fields.setdefault("host", "upstream.test")
    return SERVICES.insert(fields)


def make_route(service: Row | None = None, **fields: Any) -> Row:
    fields.setdefault("created_at", next(_clock))
    if service is not None:
        fields["service"] = {"id": service["id"]}
    return ROUTES.insert(fields)


def build(routes: Iterable[Row], services: Iterable[Row] = ()) -> Router:
    return Router(list(routes), {s["id"]: s for s in services})
