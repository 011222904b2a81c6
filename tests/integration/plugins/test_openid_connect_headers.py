"""Headers, bearer/introspection/userinfo behaviour, logging and the Admin API side of `openid-connect`
(oidc-security.md §4: HDR, BRR, INT, UI, AV-09, AUTHZ), through the real proxy against the rogue provider."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from tests.integration.plugins.test_openid_connect import BROWSER, Rig, bearer, login, rogue_rig

XHR = {"Accept": "application/json"}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rogue_rig(tmp_path) as running:
        yield running


class TestIdentityHeaders:
    SPOOFED = {
        "X-Id-Token": "forged",
        "x_id_token": "forged",
        "X-EMAIL": "admin@example.test",
        "x_email": "admin@example.test",
        "X-Userinfo": "forged",
    }

    async def _protect(self, rig: Rig, path: str = "/api", **config: object) -> None:
        await rig.protect(
            path,
            auth_methods=["bearer"],
            upstream_id_token_header="X-Id-Token",
            upstream_user_info_header="X-Userinfo",
            upstream_headers_claims=["email"],
            upstream_headers_names=["X-Email"],
            **config,
        )

    def _assert_clean(self, headers: list[list[str]]) -> None:
        names = {k.replace("_", "-") for k, _ in headers}
        assert not names & {"x-id-token", "x-email", "x-userinfo"}, headers

    async def test_spoofed_copies_are_stripped_when_authenticated(self, rig: Rig) -> None:  # HDR-01, HDR-02
        await self._protect(rig)
        token = rig.access_token()  # no email claim: our X-Email is not set, and the client's must not survive
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers={**bearer(token), **self.SPOOFED}))
        self._assert_clean([[k, v] for k, v in echoed.headers if k != "x-userinfo" or v == "forged"])
        assert "forged" not in json.dumps(echoed.headers) and "admin@" not in json.dumps(echoed.headers)

    async def test_spoofed_copies_are_stripped_for_anonymous_and_preflights(self, rig: Rig) -> None:
        guest = await rig.gw.consumer("guest")
        await self._protect(rig, anonymous=guest["id"])
        await self._protect(rig, "/open", run_on_preflight=False)
        anonymous = rig.gw.echoed(await rig.gw.client.get("/api", headers=self.SPOOFED))
        assert anonymous.header("x-anonymous-consumer") == "true"
        self._assert_clean(anonymous.headers)
        preflight = await rig.gw.client.options(
            "/open", headers={**self.SPOOFED, "Origin": "http://a.test", "Access-Control-Request-Method": "GET"}
        )
        self._assert_clean(rig.gw.echoed(preflight).headers)

    async def test_claim_values_cannot_inject_headers(self, rig: Rig) -> None:  # HDR-03
        await self._protect(rig)
        token = rig.access_token(email="a@example.test\r\nX-Injected: 1")
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
        assert echoed.header("x-injected") is None and echoed.header("x-email") is None
        unicode = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(rig.access_token(email="zoë@ex.test"))))
        assert unicode.header("x-email") == "zoë@ex.test".encode().decode("latin-1")

    async def test_downstream_headers(self, rig: Rig) -> None:
        await rig.protect(
            auth_methods=["bearer"],
            downstream_access_token_header="X-Access-Token",
            downstream_headers_claims=["sub"],
            downstream_headers_names=["X-Subject"],
        )
        token = rig.access_token()
        response = await rig.gw.client.get("/api", headers=bearer(token))
        assert response.headers["x-access-token"] == token and response.headers["x-subject"] == "user-1"

    async def test_upstream_access_token_and_introspection_headers(self, rig: Rig) -> None:
        await rig.protect(
            auth_methods=["introspection"],
            upstream_access_token_header="X-Token",
            upstream_introspection_header="X-Introspection",
        )
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer("opaque-1")))
        assert echoed.header("x-token") == "opaque-1"
        decoded = json.loads(base64.b64decode(echoed.header("x-introspection") or ""))
        assert decoded["active"] is True and decoded["sub"] == "user-1"

    async def test_hide_credentials(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], hide_credentials=True, upstream_access_token_header=None)
        token = rig.access_token()
        by_header = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
        assert by_header.header("authorization") is None
        by_query = rig.gw.echoed(await rig.gw.client.get(f"/api?a=1&access_token={token}"))
        assert by_query.query == "a=1"
        await rig.protect("/shown", auth_methods=["bearer"], upstream_access_token_header=None)
        shown = rig.gw.echoed(await rig.gw.client.get("/shown", headers=bearer(token)))
        assert shown.header("authorization") == f"Bearer {token}"

    async def test_the_refresh_token_is_never_forwarded_by_default(self, rig: Rig) -> None:  # HDR-07
        await rig.protect(client_auth=["none"])
        await login(rig, rig.gw.client)
        echoed = rig.gw.echoed(await rig.gw.client.get("/api/data", headers=XHR))
        everything = json.dumps(echoed.headers)
        assert not any(token in everything for token in rig.op.refresh_tokens)


class TestBearerRules:
    async def test_no_credentials(self, rig: Rig) -> None:  # BRR-01
        await rig.protect(auth_methods=["bearer"])
        response = await rig.gw.client.get("/api")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="127.0.0.1"'

    async def test_scheme_is_case_insensitive(self, rig: Rig) -> None:  # BRR-02
        await rig.protect(auth_methods=["bearer"])
        token = rig.access_token()
        assert (await rig.gw.client.get("/api", headers={"Authorization": f"bearer {token}"})).status_code == 200
        assert (await rig.gw.client.get("/api", headers={"Authorization": "Bearer"})).status_code == 401
        assert (await rig.gw.client.get("/api", headers={"Authorization": f"Basic {token}"})).status_code == 401

    async def test_forbidden_has_insufficient_scope(self, rig: Rig) -> None:  # BRR-04
        await rig.protect(auth_methods=["bearer"], scopes_required=["admin"])
        response = await rig.gw.client.get("/api", headers=bearer(rig.access_token()))
        assert response.status_code == 403 and 'error="insufficient_scope"' in response.headers["www-authenticate"]

    async def test_a_bearer_header_decides_over_the_session(self, rig: Rig) -> None:  # BRR-08
        await rig.protect(client_auth=["none"])
        await login(rig, rig.gw.client)
        assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 200
        invalid = await rig.gw.client.get("/api/data", headers={**XHR, **bearer("x.y.z")})
        assert invalid.status_code == 401
        browser = await rig.gw.client.get("/api/data", headers={**BROWSER, **bearer("not-a-token")})
        assert browser.status_code == 401  # no login redirect either
        valid = rig.access_token(sub="machine")
        echoed = rig.gw.echoed(await rig.gw.client.get("/api/data", headers={**XHR, **bearer(valid)}))
        assert echoed.header("authorization") == f"Bearer {valid}"

    async def test_nested_claims_for_groups_and_roles(self, rig: Rig) -> None:  # AUTHZ-01
        await rig.protect(auth_methods=["bearer"], roles_claim=["realm_access", "roles"], roles_required=["ops"])
        ok = rig.access_token(realm_access={"roles": ["ops", "dev"]})
        no = rig.access_token(realm_access={"roles": ["dev"]})
        assert (await rig.gw.client.get("/api", headers=bearer(ok))).status_code == 200
        assert (await rig.gw.client.get("/api", headers=bearer(no))).status_code == 403
        assert (await rig.gw.client.get("/api", headers=bearer(rig.access_token()))).status_code == 403


class TestIntrospectionAndUserinfo:
    async def test_introspection_results_are_cached_until_expiry(self, rig: Rig) -> None:  # INT-01
        await rig.protect(auth_methods=["introspection"])
        await rig.protect("/uncached", auth_methods=["introspection"], cache_introspection=False)
        for _ in range(3):
            assert (await rig.gw.client.get("/api", headers=bearer("opaque-cached"))).status_code == 200
        assert rig.op.introspection_requests == 1
        for _ in range(2):
            assert (await rig.gw.client.get("/uncached", headers=bearer("opaque-cached"))).status_code == 200
        assert rig.op.introspection_requests == 3
        # inactive answers are not cached: a later activation is seen
        assert (await rig.gw.client.get("/api", headers=bearer("inactive"))).status_code == 401
        assert (await rig.gw.client.get("/api", headers=bearer("inactive"))).status_code == 401
        assert rig.op.introspection_requests == 5

    @pytest.mark.parametrize("mode", ["string-active", "refresh-token"])
    async def test_only_a_boolean_active_access_token_counts(self, rig: Rig, mode: str) -> None:  # INT-02
        rig.op.introspection_mode = mode
        await rig.protect(auth_methods=["introspection"])
        assert (await rig.gw.client.get("/api", headers=bearer("opaque-1"))).status_code == 401

    async def test_introspection_outage_fails_closed(self, rig: Rig) -> None:  # BRR-07
        rig.op.introspection_mode = "error"
        await rig.protect(auth_methods=["introspection"])
        response = await rig.gw.client.get("/api", headers=bearer("opaque-1"))
        assert response.status_code == 500

    async def test_userinfo_about_someone_else_is_discarded(self, rig: Rig) -> None:  # UI-01
        await rig.protect(auth_methods=["bearer"], upstream_user_info_header="X-Userinfo")
        token = rig.access_token()
        rig.op.issued_access_tokens.add(token)
        matching = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(token)))
        assert json.loads(base64.b64decode(matching.header("x-userinfo") or ""))["sub"] == "user-1"
        rig.op.userinfo_extra = {"sub": "someone-else"}
        other = rig.access_token(jti="2")
        rig.op.issued_access_tokens.add(other)
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer(other)))
        assert echoed.header("x-userinfo") is None

    async def test_the_userinfo_method_sends_the_token_in_the_header(self, rig: Rig) -> None:  # UI-02
        await rig.protect(auth_methods=["userinfo"], upstream_user_info_header="X-Userinfo")
        echoed = rig.gw.echoed(await rig.gw.client.get("/api", headers=bearer("opaque-u")))
        assert json.loads(base64.b64decode(echoed.header("x-userinfo") or ""))["email_verified"] == "true"
        assert (await rig.gw.client.get("/api", headers=bearer("unknown"))).status_code == 401


async def test_no_secret_reaches_the_logs(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:  # AV-09
    caplog.set_level(logging.DEBUG)
    await rig.protect(
        client_auth=["none"], logout_query_arg="logout", logout_methods=["POST"], logout_revoke=True, leeway=0
    )
    rig.op.token_lifetime = 2
    callback = await login(rig, rig.gw.client)
    assert callback.status_code == 302
    secrets = [*rig.op.refresh_tokens, *rig.op.issued_access_tokens, rig.gw.client.cookies["session"]]
    await rig.gw.client.get("/api/data", headers={**XHR, **bearer("x.y.z")})
    await rig.gw.client.get("/api/data", headers=bearer(rig.access_token(exp=1)))
    await rig.gw.client.post("/api/data?logout", headers=XHR)
    # the gateway's own loggers (the test's HTTP client logs its cookies at DEBUG, which is not ours to judge)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("sekisho"))
    assert "openid-connect" in text  # something was logged
    for secret in secrets:
        assert secret not in text
    for part in (secret.split(".")[-1] for secret in secrets if secret.count(".") == 2):
        assert part not in text


class TestAdminApi:
    async def test_the_schema_endpoint_has_every_field(self, rig: Rig) -> None:
        response = await rig.gw.admin.get("/schemas/plugins/openid-connect")
        assert response.status_code == 200
        config = next(f["config"] for f in response.json()["fields"] if "config" in f)
        names = {next(iter(field)) for field in config["fields"]}
        assert {"issuer", "auth_methods", "session_storage", "logout_redirect_uri", "upstream_headers_claims"} <= names

    async def test_unknown_and_refused_settings_are_400_with_fields(self, rig: Rig) -> None:  # AUTHZ-02
        base = {"name": "openid-connect", "config": {"issuer": rig.op.issuer}}
        unknown = await rig.gw.admin.post(
            "/plugins", json={**base, "config": {**base["config"], "groups_requird": ["a"]}}
        )
        assert unknown.status_code == 400 and "groups_requird" in json.dumps(unknown.json()["fields"])
        refused = await rig.gw.admin.post(
            "/plugins", json={**base, "config": {**base["config"], "auth_methods": ["kong_oauth2"]}}
        )
        assert refused.status_code == 400 and "kong_oauth2" in json.dumps(refused.json())
        missing = await rig.gw.admin.post("/plugins", json={"name": "openid-connect", "config": {}})
        assert missing.status_code == 400 and "issuer" in missing.json()["fields"]["config"]

    async def test_jwt_client_authentication_needs_what_it_signs_with(self, rig: Rig) -> None:
        def config(**extra: Any) -> dict[str, Any]:
            return {"name": "openid-connect", "config": {"issuer": rig.op.issuer, "client_id": ["cid"], **extra}}

        async def refused(**extra: Any) -> dict[str, Any]:
            response = await rig.gw.admin.post("/plugins", json=config(**extra))
            assert response.status_code == 400, response.text
            fields: dict[str, Any] = response.json()["fields"]["config"]
            return fields

        rsa = RSAKey.generate_key(2048, {"kid": "k1"})
        assert "client_secret" in await refused(client_auth=["client_secret_jwt"])
        assert (
            "HS256"
            in (await refused(client_auth=["client_secret_jwt"], client_secret=["s" * 32], client_alg=["RS256"]))[
                "client_alg"
            ]
        )
        assert "private key" in (await refused(client_auth=["private_key_jwt"]))["client_jwk"]
        public_only = await refused(client_auth=["private_key_jwt"], client_jwk=[rsa.as_dict(private=False)])
        assert "private part" in public_only["client_jwk"]
        mismatch = await refused(
            token_endpoint_auth_method="private_key_jwt", client_jwk=[rsa.as_dict(private=True)], client_alg=["ES256"]
        )
        assert "cannot sign" in mismatch["client_jwk"]
        accepted = await rig.gw.admin.post(
            "/plugins", json=config(client_auth=["private_key_jwt"], client_jwk=[rsa.as_dict(private=True)])
        )
        assert accepted.status_code == 201, accepted.text
        await rig.gw.admin.delete(f"/plugins/{accepted.json()['id']}")
