"""Kong 2.8's shared path-handling table (service.path × route.path × strip_path × path_handling).

Kong 3.x changed four rows (v0 with strip_path drops the trailing slash when the whole request path was
stripped); we keep 2.8's answers, which also match kong-core.md §4.3 (`/tv0/` + `/tv0/` → `/s/`).
"""

from __future__ import annotations

import itertools

import pytest

from sekisho.router import Router

from .conftest import make_route, make_service

BOTH = (False, True)
V0_V1 = ("v0", "v1")

# service_path, route_path (None: route matches on host), strip_path, path_handling, request_path, expected
TABLE: list[tuple[str, str | None, object, object, str, str]] = [
    ("/", "/", BOTH, V0_V1, "/", "/"),
    ("/", "/", BOTH, V0_V1, "/route", "/route"),
    ("/", "/", BOTH, V0_V1, "/route/", "/route/"),
    ("/", "/", BOTH, V0_V1, "/routereq", "/routereq"),
    ("/", "/", BOTH, V0_V1, "/route/req", "/route/req"),
    ("/", "/route", False, V0_V1, "/route", "/route"),
    ("/", "/route", False, V0_V1, "/route/", "/route/"),
    ("/", "/route", False, V0_V1, "/routereq", "/routereq"),
    ("/", "/route", True, V0_V1, "/route", "/"),
    ("/", "/route", True, V0_V1, "/route/", "/"),
    ("/", "/route", True, V0_V1, "/routereq", "/req"),
    ("/", "/route/", False, V0_V1, "/route/", "/route/"),
    ("/", "/route/", False, V0_V1, "/route/req", "/route/req"),
    ("/", "/route/", True, V0_V1, "/route/", "/"),
    ("/", "/route/", True, V0_V1, "/route/req", "/req"),
    ("/srv", "/rou", False, "v0", "/roureq", "/srv/roureq"),
    ("/srv", "/rou", False, "v1", "/roureq", "/srvroureq"),
    ("/srv", "/rou", True, "v0", "/roureq", "/srv/req"),
    ("/srv", "/rou", True, "v1", "/roureq", "/srvreq"),
    ("/srv/", "/rou", False, V0_V1, "/rou", "/srv/rou"),
    ("/srv/", "/rou", True, "v0", "/rou", "/srv"),
    ("/srv/", "/rou", True, "v1", "/rou", "/srv/"),
    ("/service", "/", BOTH, V0_V1, "/", "/service"),
    ("/service", "/", BOTH, "v0", "/route", "/service/route"),
    ("/service", "/", BOTH, "v1", "/route", "/serviceroute"),
    ("/service", "/", BOTH, "v0", "/route/", "/service/route/"),
    ("/service", "/", BOTH, "v1", "/route/", "/serviceroute/"),
    ("/service", "/", BOTH, "v0", "/routereq", "/service/routereq"),
    ("/service", "/", BOTH, "v1", "/routereq", "/serviceroutereq"),
    ("/service", "/", BOTH, "v0", "/route/req", "/service/route/req"),
    ("/service", "/", BOTH, "v1", "/route/req", "/serviceroute/req"),
    ("/service", "/route", False, "v0", "/route", "/service/route"),
    ("/service", "/route", False, "v1", "/route", "/serviceroute"),
    ("/service", "/route", False, "v0", "/route/", "/service/route/"),
    ("/service", "/route", False, "v1", "/route/", "/serviceroute/"),
    ("/service", "/route", False, "v0", "/routereq", "/service/routereq"),
    ("/service", "/route", False, "v1", "/routereq", "/serviceroutereq"),
    ("/service", "/route", True, V0_V1, "/route", "/service"),
    ("/service", "/route", True, V0_V1, "/route/", "/service/"),
    ("/service", "/route", True, "v0", "/routereq", "/service/req"),
    ("/service", "/route", True, "v1", "/routereq", "/servicereq"),
    ("/service", "/route/", False, "v0", "/route/", "/service/route/"),
    ("/service", "/route/", False, "v1", "/route/", "/serviceroute/"),
    ("/service", "/route/", False, "v0", "/route/req", "/service/route/req"),
    ("/service", "/route/", False, "v1", "/route/req", "/serviceroute/req"),
    ("/service", "/route/", True, "v0", "/route/", "/service/"),
    ("/service", "/route/", True, "v1", "/route/", "/service"),
    ("/service", "/route/", True, "v0", "/route/req", "/service/req"),
    ("/service", "/route/", True, "v1", "/route/req", "/servicereq"),
    ("/service/", "/", BOTH, V0_V1, "/", "/service/"),
    ("/service/", "/", BOTH, V0_V1, "/route/", "/service/route/"),
    ("/service/", "/", BOTH, V0_V1, "/route", "/service/route"),
    ("/service/", "/", BOTH, V0_V1, "/routereq", "/service/routereq"),
    ("/service/", "/", BOTH, V0_V1, "/route/req", "/service/route/req"),
    ("/service/", "/route", False, V0_V1, "/route", "/service/route"),
    ("/service/", "/route", False, V0_V1, "/route/", "/service/route/"),
    ("/service/", "/route", False, V0_V1, "/routereq", "/service/routereq"),
    ("/service/", "/route", True, "v0", "/route", "/service"),
    ("/service/", "/route", True, "v1", "/route", "/service/"),
    ("/service/", "/route", True, V0_V1, "/route/", "/service/"),
    ("/service/", "/route", True, V0_V1, "/routereq", "/service/req"),
    ("/service/", "/route/", False, V0_V1, "/route/", "/service/route/"),
    ("/service/", "/route/", False, V0_V1, "/route/req", "/service/route/req"),
    ("/service/", "/route/", True, V0_V1, "/route/", "/service/"),
    ("/service/", "/route/", True, V0_V1, "/route/req", "/service/req"),
    ("/", None, BOTH, V0_V1, "/", "/"),
    ("/", None, BOTH, V0_V1, "/route", "/route"),
    ("/", None, BOTH, V0_V1, "/route/", "/route/"),
    ("/service", None, BOTH, V0_V1, "/", "/service"),
    ("/service", None, BOTH, "v0", "/route", "/service/route"),
    ("/service", None, BOTH, "v1", "/route", "/serviceroute"),
    ("/service", None, BOTH, "v0", "/route/", "/service/route/"),
    ("/service", None, BOTH, "v1", "/route/", "/serviceroute/"),
    ("/service/", None, BOTH, V0_V1, "/", "/service/"),
    ("/service/", None, BOTH, V0_V1, "/route", "/service/route"),
    ("/service/", None, BOTH, V0_V1, "/route/", "/service/route/"),
]


def _expand() -> list[tuple[str, str | None, bool, str, str, str]]:
    rows = []
    for service_path, route_path, strip, handling, request, expected in TABLE:
        strips = strip if isinstance(strip, tuple) else (strip,)
        handlings = handling if isinstance(handling, tuple) else (handling,)
        for s, h in itertools.product(strips, handlings):
            rows.append((service_path, route_path, bool(s), str(h), request, expected))
    return rows


@pytest.mark.parametrize(("service_path", "route_path", "strip", "handling", "request_path", "expected"), _expand())
def test_kong_path_handling(
    service_path: str, route_path: str | None, strip: bool, handling: str, request_path: str, expected: str
) -> None:
    service = make_service(path=service_path)
    if route_path is None:
        route = make_route(service, hosts=["example.com"], strip_path=strip, path_handling=handling)
    else:
        route = make_route(service, paths=[route_path], strip_path=strip, path_handling=handling)
    found = Router([route], {service["id"]: service}).match("GET", "example.com", request_path, {})
    assert found is not None
    assert found.upstream_path == expected
