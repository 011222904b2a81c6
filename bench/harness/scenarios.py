"""The benchmark scenarios: what each starts, what wrk sends to it, and the checks that it really works.

Every scenario first proves it does what its name says (auth scenarios must refuse a request without
credentials and accept the one wrk will send) so that a fast wrong answer can never pass for a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from .environment import AUDIENCE, BenchEnvironment
from .procs import ProcessSet
from .routes import key_auth_config, large_config, single_route_config
from .sekisho_node import missing_plugin, sekisho_unavailable, start_sekisho
from .servers import RunningServer, apache_unavailable, start_apache, start_nginx

__all__ = ["SCENARIOS", "Deployment", "Scenario", "ScenarioError"]


class ScenarioError(RuntimeError):
    """A scenario started but does not behave as it must (wrong status, missing challenge, ...)."""


@dataclass(frozen=True)
class Deployment:
    """A started scenario: the server to measure and the load wrk sends to it."""

    server: RunningServer
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    requests: tuple[tuple[str, str, str], ...] = ()  # (method, host, path) cycled by wrk, when given
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    deploy: Callable[[BenchEnvironment, ProcessSet], Deployment]
    unavailable: Callable[[], str | None] = lambda: None


def _expect(url: str, status: int, headers: dict[str, str] | None = None, *, what: str) -> httpx.Response:
    response = httpx.get(url, headers=headers or {}, timeout=10.0, verify=False)
    if response.status_code != status:
        raise ScenarioError(f"{what}: expected HTTP {status}, got {response.status_code}: {response.text[:200]!r}")
    return response


# --- nginx -------------------------------------------------------------------------------------------------


def _nginx_static(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    # The shared upstream itself, measured directly: the ceiling for everything else.
    _expect(env.upstream.base_url + "/", 200, what="nginx static")
    return Deployment(server=env.upstream, url=env.upstream.base_url + "/")


def _nginx_proxy(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    server = start_nginx(
        procs, env.root, "nginx-proxy", "nginx-proxy.conf", {"workers": 1, "upstream_port": env.upstream.port}
    )
    _expect(server.base_url + "/", 200, what="nginx proxy")
    return Deployment(server=server, url=server.base_url + "/", note="1 worker, upstream keepalive 256")


# --- Apache httpd --------------------------------------------------------------------------------------------


def _apache_proxy(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    server = start_apache(procs, env.root, "apache-proxy", "apache-proxy.site", {"upstream_port": env.upstream.port})
    _expect(server.base_url + "/", 200, what="apache proxy")
    return Deployment(server=server, url=server.base_url + "/", note="event MPM 4x128 threads")


def _apache_oidc_bearer(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    values = {"upstream_port": env.upstream.port, "passphrase": env.crypto_passphrase, "jwks_uri": env.jwks_uri}
    server = start_apache(procs, env.root, "apache-oidc-bearer", "apache-oidc-bearer.site", values)
    url = server.base_url + "/"
    _bearer_checks(env, url, "apache + mod_auth_openidc bearer")
    return Deployment(
        server=server,
        url=url,
        headers={"Authorization": f"Bearer {env.bearer_token()}"},
        note="AuthType oauth20, OIDCOAuthVerifyJwksUri (https)",
    )


def _apache_oidc_session(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    values = {
        "upstream_port": env.upstream.port,
        "passphrase": env.crypto_passphrase,
        "discovery_url": env.provider.discovery_url,
        "client_id": env.provider.client_id,
        "client_secret": env.client_secret,
    }
    server = start_apache(procs, env.root, "apache-oidc-session", "apache-oidc-session.site", values)
    url = server.base_url + "/"
    cookie = _log_in(url, "apache + mod_auth_openidc session")
    return Deployment(
        server=server, url=url, headers={"Cookie": cookie}, note="AuthType openid-connect, server-cache session (shm)"
    )


def _bearer_checks(env: BenchEnvironment, url: str, what: str) -> None:
    challenge = _expect(url, 401, what=f"{what} without a token").headers.get("WWW-Authenticate", "")
    if not challenge.lower().startswith("bearer"):
        raise ScenarioError(f"{what}: 401 without a Bearer challenge ({challenge!r})")
    wrong_key = env.signing_key.__class__.generate("not-the-published-key")
    forged = wrong_key.bearer_token(issuer=env.provider.issuer, audience=AUDIENCE)
    _expect(url, 401, {"Authorization": f"Bearer {forged}"}, what=f"{what} with a token signed by another key")
    expired = env.signing_key.bearer_token(issuer=env.provider.issuer, audience=AUDIENCE, ttl_s=3600, age_s=7200)
    _expect(url, 401, {"Authorization": f"Bearer {expired}"}, what=f"{what} with a token expired an hour ago")
    _expect(url, 200, {"Authorization": f"Bearer {env.bearer_token()}"}, what=f"{what} with a valid token")


def _log_in(url: str, what: str) -> str:
    """Run the authorization-code flow against the bench provider; return the Cookie header it leaves."""
    with httpx.Client(verify=False, follow_redirects=False, timeout=10.0) as client:
        first = client.get(url)
        if first.status_code not in (302, 303) or "/authorize" not in first.headers.get("Location", ""):
            raise ScenarioError(f"{what}: an anonymous request must redirect to the provider, got {first.status_code}")
        response = first
        for _ in range(5):
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            response = client.get(response.url.join(response.headers["Location"]))
        if response.status_code != 200:
            raise ScenarioError(f"{what}: login did not end on the resource (HTTP {response.status_code})")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    _expect(url, 200, {"Cookie": cookie}, what=f"{what} with the session cookie")
    forged = httpx.get(url, headers={"Cookie": _tampered(cookie)}, timeout=10.0)
    if forged.status_code == 200:
        raise ScenarioError(f"{what}: a tampered session cookie was accepted")
    return cookie


def _tampered(cookie: str) -> str:
    """The same cookies with one character changed in the middle of each value."""
    pairs = []
    for pair in cookie.split("; "):
        name, _, value = pair.partition("=")
        middle = len(value) // 2
        if value:
            value = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
        pairs.append(f"{name}={value}")
    return "; ".join(pairs)


# --- sekisho -------------------------------------------------------------------------------------------------


def _sekisho_one_route(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    server = start_sekisho(procs, env.root, "sekisho-1-route", single_route_config(env.upstream.port))
    _expect(server.base_url + "/", 200, what="sekisho 1 route")
    return Deployment(server=server, url=server.base_url + "/", note="2 workers, DB-less")


def _sekisho_10k_routes(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    config, samples = large_config(env.upstream.port, routes=10_000)
    probe = samples[len(samples) // 2]
    server = start_sekisho(
        procs, env.root, "sekisho-10k-routes", config, probe_path=probe.path, probe_headers={"Host": probe.host}
    )
    for sample in samples:
        _expect(server.base_url + sample.path, 200, {"Host": sample.host}, what=f"sekisho 10k routes {sample}")
    _expect(server.base_url + "/no/such/route", 404, {"Host": "nowhere.example"}, what="sekisho 10k routes, no match")
    return Deployment(
        server=server,
        url=server.base_url + "/",
        requests=tuple((sample.method, sample.host, sample.path) for sample in samples),
        note=f"2 workers, {len(samples)} distinct requests cycled",
    )


def _sekisho_key_auth(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    headers = {"apikey": env.api_key}
    config = key_auth_config(env.upstream.port, env.api_key)
    server = start_sekisho(procs, env.root, "sekisho-key-auth", config, probe_headers=headers)
    url = server.base_url + "/"
    _expect(url, 401, what="sekisho key-auth without a key")
    _expect(url, 401, {"apikey": "wrong-" + env.api_key}, what="sekisho key-auth with a wrong key")
    _expect(url, 200, headers, what="sekisho key-auth with the key")
    return Deployment(server=server, url=url, headers=headers, note="2 workers, key in header")


def _openid_connect_route(env: BenchEnvironment, auth_methods: list[str]) -> dict[str, object]:
    """One route with Kong's openid-connect plugin against the bench provider (Kong EE config names)."""
    plugin = {
        "name": "openid-connect",
        "config": {
            "issuer": env.provider.discovery_url,
            "client_id": [env.provider.client_id],
            "client_secret": [env.client_secret],
            "auth_methods": auth_methods,
            "audience_required": [AUDIENCE] if "bearer" in auth_methods else [],
            "ssl_verify": False,
            "session_secret": env.crypto_passphrase,
        },
    }
    route = {"name": "bench", "paths": ["/"], "plugins": [plugin]}
    service = {"name": "bench", "url": f"http://127.0.0.1:{env.upstream.port}/", "routes": [route]}
    return {"_format_version": "2.1", "services": [service]}


def _sekisho_oidc_bearer(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    headers = {"Authorization": f"Bearer {env.bearer_token()}"}
    config = _openid_connect_route(env, ["bearer"])
    server = start_sekisho(procs, env.root, "sekisho-oidc-bearer", config, probe_headers=headers)
    url = server.base_url + "/"
    _bearer_checks(env, url, "sekisho openid-connect bearer")
    return Deployment(
        server=server, url=url, headers=headers, note="2 workers, RS256 bearer, issuer discovery then the https JWKS"
    )


def _sekisho_oidc_session(env: BenchEnvironment, procs: ProcessSet) -> Deployment:
    config = _openid_connect_route(env, ["authorization_code", "session"])
    server = start_sekisho(procs, env.root, "sekisho-oidc-session", config, probe_statuses=frozenset({302}))
    url = server.base_url + "/"
    cookie = _log_in(url, "sekisho openid-connect session")
    return Deployment(server=server, url=url, headers={"Cookie": cookie}, note="2 workers, session cookie")


def _needs(*reasons: Callable[[], str | None]) -> Callable[[], str | None]:
    def unavailable() -> str | None:
        for reason in reasons:
            found = reason()
            if found is not None:
                return found
        return None

    return unavailable


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("nginx-static", "nginx serving a tiny response directly (the upstream)", _nginx_static),
        Scenario("nginx-proxy", "nginx keep-alive reverse proxy to the upstream", _nginx_proxy),
        Scenario(
            "apache-proxy",
            "Apache httpd ProxyPass to the upstream (reference)",
            _apache_proxy,
            apache_unavailable,
        ),
        Scenario(
            "apache-oidc-bearer",
            "Apache + mod_auth_openidc validating an RS256 bearer JWT",
            _apache_oidc_bearer,
            lambda: apache_unavailable("mod_auth_openidc.so"),
        ),
        Scenario(
            "apache-oidc-session",
            "Apache + mod_auth_openidc with a logged-in session cookie",
            _apache_oidc_session,
            lambda: apache_unavailable("mod_auth_openidc.so"),
        ),
        Scenario("sekisho-1-route", "sekisho, one route, no plugins", _sekisho_one_route, sekisho_unavailable),
        Scenario(
            "sekisho-10k-routes",
            "sekisho, 10,000 routes shaped like a real API",
            _sekisho_10k_routes,
            sekisho_unavailable,
        ),
        Scenario(
            "sekisho-key-auth",
            "sekisho, one route with key-auth",
            _sekisho_key_auth,
            _needs(sekisho_unavailable, lambda: missing_plugin("key-auth")),
        ),
        Scenario(
            "sekisho-oidc-bearer",
            "sekisho openid-connect validating an RS256 bearer JWT",
            _sekisho_oidc_bearer,
            _needs(sekisho_unavailable, lambda: missing_plugin("openid-connect")),
        ),
        Scenario(
            "sekisho-oidc-session",
            "sekisho openid-connect with a logged-in session cookie",
            _sekisho_oidc_session,
            _needs(sekisho_unavailable, lambda: missing_plugin("openid-connect")),
        ),
    )
}
