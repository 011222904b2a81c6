"""X-Forwarded-*/X-Real-IP with and without trusted_ips, real_ip_header, and identity header stripping."""

from __future__ import annotations

from sekisho.proxy import ProxySettings
from tests.helpers.echo_upstream import EchoUpstream
from tests.helpers.proxy_harness import ProxyHarness

SPOOFED = {
    "X-Forwarded-For": "1.2.3.4",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "spoofed.example",
    "X-Forwarded-Port": "9999",
    "X-Forwarded-Path": "/spoofed",
    "X-Forwarded-Prefix": "/pre",
    "X-Real-IP": "5.6.7.8",
}


async def test_untrusted_peers_cannot_set_forwarded_values(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"], strip_path=False)
        await h.start()
        seen = (await h.client.get("/p?q=1", headers={**SPOOFED, "Host": "gw.example:8000"})).json()["headers"]
        assert seen["x-forwarded-for"] == "1.2.3.4, 127.0.0.1"  # appended, as nginx does
        assert seen["x-real-ip"] == "127.0.0.1"
        assert seen["x-forwarded-proto"] == "http"
        assert seen["x-forwarded-host"] == "gw.example"
        assert seen["x-forwarded-port"] == str(h.port)
        assert seen["x-forwarded-path"] == "/p"
        assert "x-forwarded-prefix" not in seen


async def test_trusted_peers_pass_forwarded_values_and_the_real_ip(echo: EchoUpstream) -> None:
    settings = ProxySettings(trusted_ips=("127.0.0.0/8",), real_ip_header="X-Forwarded-For")
    async with ProxyHarness(settings=settings) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        await h.start()
        seen = (await h.client.get("/p", headers=SPOOFED)).json()["headers"]
        assert seen["x-real-ip"] == "1.2.3.4"
        assert seen["x-forwarded-for"] == "1.2.3.4, 127.0.0.1"
        assert seen["x-forwarded-proto"] == "https"
        assert seen["x-forwarded-host"] == "spoofed.example"
        assert seen["x-forwarded-port"] == "9999"
        assert seen["x-forwarded-path"] == "/spoofed"
        assert seen["x-forwarded-prefix"] == "/pre"


async def test_real_ip_recursive_skips_trusted_hops(echo: EchoUpstream) -> None:
    settings = ProxySettings(
        trusted_ips=("127.0.0.0/8", "10.0.0.0/8"), real_ip_header="X-Forwarded-For", real_ip_recursive=True
    )
    async with ProxyHarness(settings=settings) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        await h.start()
        seen = (await h.client.get("/", headers={"X-Forwarded-For": "9.9.9.9, 8.8.8.8, 10.1.1.1"})).json()
        assert seen["headers"]["x-real-ip"] == "8.8.8.8"


async def test_prefix_of_a_stripped_route_is_forwarded(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/api/v1"], strip_path=True)
        await h.start()
        seen = (await h.client.get("/api/v1/users")).json()
        assert seen["path"] == "/users"
        assert seen["headers"]["x-forwarded-prefix"] == "/api/v1"
        assert seen["headers"]["x-forwarded-path"] == "/api/v1/users"


async def test_preserve_host_keeps_the_clients_host(echo: EchoUpstream) -> None:
    async with ProxyHarness() as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, hosts=["kept.example"], preserve_host=True)
        await h.start()
        seen = (await h.client.get("/", headers={"Host": "kept.example"})).json()
        assert seen["headers"]["host"] == "kept.example"


async def test_client_supplied_identity_headers_never_reach_the_upstream(echo: EchoUpstream) -> None:
    identity = [
        "X-Consumer-ID",
        "X-Consumer-Custom-ID",
        "X-Consumer-Username",
        "X-Credential-Identifier",
        "X-Credential-Username",
        "X-Anonymous-Consumer",
        "X-Consumer-Groups",
        "X-Authenticated-Groups",
        "X-Authenticated-Scope",
        "X-Authenticated-Userid",
    ]
    variants: list[tuple[str, str]] = []
    for name in identity:
        variants += [(name, "forged"), (name.lower(), "forged"), (name.upper().replace("-", "_"), "forged")]
    settings = ProxySettings(trusted_ips=("0.0.0.0/0", "::/0"))  # trust does not matter for identity
    async with ProxyHarness(settings=settings) as h:
        service = h.service(f"http://127.0.0.1:{echo.port}")
        h.route(service, paths=["/"])
        await h.start()
        seen = (await h.client.get("/", headers=[*variants, ("X-Consumer-Idx", "kept")])).json()["headers"]
        for name in identity:
            assert name.lower() not in seen
            assert name.lower().replace("-", "_") not in seen
        assert seen["x-consumer-idx"] == "kept"
