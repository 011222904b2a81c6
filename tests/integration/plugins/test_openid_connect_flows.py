"""Browser flows under attack (oidc-security.md §4: AZ, SES, RED, LO, RT) and the ID-token checks of the
code flow, through the real proxy against the rogue provider. Every refusal is asserted with what did NOT
happen too: no token request, no upstream call, no session."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.integration.plugins.test_openid_connect import BROWSER, Rig, login, rogue_rig

XHR = {"Accept": "application/json"}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rogue_rig(tmp_path) as running:
        yield running


async def start(rig: Rig, path: str = "/api/page", **headers: str) -> tuple[httpx.Response, dict[str, list[str]]]:
    first = await rig.gw.client.get(path, headers={**BROWSER, **headers})
    assert first.status_code == 302, first.text
    return first, parse_qs(urlsplit(first.headers["location"]).query)


async def provider_answer(first: httpx.Response) -> str:
    async with httpx.AsyncClient() as idp:
        back = await idp.get(first.headers["location"])
    return back.headers["location"]


class TestIdTokenChecks:
    @pytest.mark.parametrize(
        "tamper",
        [
            {"iss": "https://evil.example/op"},
            {"sub": None},
            {"aud": "someone-else"},
            {"aud": ["client-1", "evil-client"]},  # several audiences and no azp
            {"azp": "evil-client"},
            {"iat": None},
            {"iat": int(time.time()) + 3600},
            {"exp": int(time.time()) - 60},
            {"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"},
            {"nonce": None},
            {"nonce": "not-the-one-we-sent"},
            {"token_use": "access"},
        ],
        ids=lambda t: ",".join(f"{k}={v}" for k, v in t.items()),
    )
    async def test_a_bad_id_token_ends_the_login(self, rig: Rig, tamper: dict[str, Any]) -> None:
        await rig.protect(client_auth=["none"])
        rig.op.tamper_id_token = tamper
        response = await login(rig, rig.gw.client)
        assert response.status_code == 401
        assert "session=" not in response.headers.get("set-cookie", "")

    async def test_several_audiences_with_our_azp_are_fine(self, rig: Rig) -> None:
        await rig.protect(client_auth=["none"])
        rig.op.tamper_id_token = {"aud": ["client-1", "urn:api"], "azp": "client-1"}
        assert (await login(rig, rig.gw.client)).status_code == 302


class TestAuthorizationRequest:
    async def test_every_login_sends_state_nonce_and_s256_without_discovery_saying_so(self, rig: Rig) -> None:
        await rig.protect(client_auth=["none"])  # the rogue discovery omits code_challenge_methods_supported (COG-01)
        first, one = await start(rig)
        rig.gw.client.cookies.clear()  # another browser (the same one keeps its login attempt while it is valid)
        _, two = await start(rig)
        assert one["code_challenge_method"] == ["S256"] and len(one["code_challenge"][0]) == 43
        assert one["state"] != two["state"] and one["nonce"] != two["nonce"]
        assert one["code_challenge"] != two["code_challenge"]
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Max-Age=600" in cookie  # AZ-13
        assert "no-store" in first.headers["cache-control"]

    async def test_an_unsolicited_callback_never_redeems_a_code(self, rig: Rig) -> None:  # AZ-01, AZ-02
        await rig.protect(client_auth=["none"])
        response = await rig.gw.client.get("/api/page?code=stolen&state=forged", headers=BROWSER)
        assert response.status_code == 302 and "/op/authorize" in response.headers["location"]  # start over
        assert (await rig.gw.client.get("/api/page?code=stolen&state=forged", headers=XHR)).status_code == 401
        assert rig.op.token_requests == []

    async def test_state_from_another_browser_is_refused(self, rig: Rig) -> None:  # AZ-02 (login CSRF)
        await rig.protect(client_auth=["none"])
        attacker = await start(rig)
        callback = await provider_answer(attacker[0])
        victim = httpx.AsyncClient(base_url=str(rig.gw.client.base_url))
        async with victim:
            await victim.get("/api/page", headers=BROWSER)  # the victim has its own login in flight
            response = await victim.get(callback, headers=BROWSER)
        assert response.status_code == 302 and "/op/authorize" in response.headers["location"]
        assert rig.op.token_requests == []

    async def test_a_replayed_callback_is_not_redeemed_twice(self, rig: Rig) -> None:  # AZ-03, AZ-06
        await rig.protect(client_auth=["none"])
        first, _ = await start(rig)
        callback = await provider_answer(first)
        assert (await rig.gw.client.get(callback, headers=BROWSER)).status_code == 302
        replay = await rig.gw.client.get(callback, headers=BROWSER)
        assert replay.status_code == 200  # the session already exists: the page is served, no new redemption
        assert len(rig.op.token_requests) == 1

    async def test_provider_errors_are_not_echoed(self, rig: Rig) -> None:  # AZ-05
        await rig.protect(client_auth=["none"])
        rig.op.authorize_error = {"error": "access_denied", "error_description": "<script>alert(1)</script>" * 100}
        first, _ = await start(rig)
        response = await rig.gw.client.get(await provider_answer(first), headers=BROWSER)
        assert response.status_code == 401 and response.json() == {"message": "Unauthorized"}
        assert "script" not in response.text and rig.op.token_requests == []

    async def test_a_callback_from_another_issuer_is_refused_before_redemption(self, rig: Rig) -> None:  # AZ-09
        await rig.protect(client_auth=["none"])
        rig.op.authorize_extra = {"iss": "https://evil.example"}
        first, _ = await start(rig)
        assert (await rig.gw.client.get(await provider_answer(first), headers=BROWSER)).status_code == 401
        assert rig.op.token_requests == []
        rig.op.authorize_extra = {"iss": rig.op.issuer}
        assert (await login(rig, rig.gw.client)).status_code == 302

    async def test_spoofed_forwarded_headers_do_not_build_the_redirect_uri(self, rig: Rig) -> None:  # AZ-11, HDR-05
        await rig.protect(client_auth=["none"])
        _, sent = await start(rig, **{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
        port = rig.gw.client.base_url.port
        assert sent["redirect_uri"] == [f"http://127.0.0.1:{port}/api/page"]

    async def test_the_login_url_cannot_steer_the_authorization_request(self, rig: Rig) -> None:  # AZ-16, AZ-17
        await rig.protect(client_auth=["none"], preserve_query_args=True)
        path = "/api/page?scope=admin&prompt=none&max_age=0&x=1%26redirect_uri%3Dhttps%3A%2F%2Fevil.example"
        first, sent = await start(rig, path)
        assert sent["scope"] == ["openid"] and "prompt" not in sent and "max_age" not in sent
        assert len(sent["redirect_uri"]) == 1 and "evil" not in sent["redirect_uri"][0]
        # preserve_query_args: the original query comes back after the round trip
        callback = await rig.gw.client.get(await provider_answer(first), headers=BROWSER)
        assert callback.status_code == 302 and callback.headers["location"] == path

    async def test_without_preserve_query_args_the_query_is_dropped(self, rig: Rig) -> None:
        await rig.protect(client_auth=["none"])
        response = await login(rig, rig.gw.client, "/api/page?x=1")
        assert response.headers["location"] == "/api/page"

    async def test_authorization_query_args(self, rig: Rig) -> None:
        await rig.protect(
            client_auth=["none"],
            authorization_query_args_names=["identity_provider"],
            authorization_query_args_values=["Google"],
            authorization_query_args_client=["login_hint"],
        )
        _, sent = await start(rig, "/api/page?login_hint=alice")
        assert sent["identity_provider"] == ["Google"] and sent["login_hint"] == ["alice"]

    async def test_form_post_response_mode(self, rig: Rig) -> None:  # AZ-14
        await rig.protect(client_auth=["none"], response_mode="form_post")
        first, sent = await start(rig, "/api/page")
        assert sent["response_mode"] == ["form_post"]
        async with httpx.AsyncClient() as idp:
            page = await idp.get(first.headers["location"])
        form = _Form()
        form.feed(page.text)
        # the same parameter in the query and the form body is a duplicate
        duplicate = await rig.gw.client.post(
            form.action + "?state=" + form.fields["state"], data=form.fields, headers=BROWSER
        )
        assert duplicate.status_code == 401 and rig.op.token_requests == []
        first, _ = await start(rig, "/api/page")
        async with httpx.AsyncClient() as idp:
            page = await idp.get(first.headers["location"])
        form = _Form()
        form.feed(page.text)
        callback = await rig.gw.client.post(form.action, data=form.fields, headers=BROWSER)
        assert callback.status_code == 302 and callback.headers["location"] == "/api/page"
        assert (await rig.gw.client.get("/api/page", headers=XHR)).status_code == 200

    async def test_parallel_tabs_share_one_login_attempt(self, rig: Rig) -> None:  # AZ-12
        origin = f"http://127.0.0.1:{rig.gw.client.base_url.port}"
        await rig.protect(client_auth=["none"], redirect_uri=[origin + "/api/callback"])
        first_tab, one = await start(rig, "/api/one")
        second_tab, two = await start(rig, "/api/two")
        assert one["state"] == two["state"]  # one bounded authorization cookie, not one per tab
        first = await rig.gw.client.get(await provider_answer(first_tab), headers=BROWSER)
        assert first.status_code == 302 and first.headers["location"] == "/api/two"  # the latest page asked for
        second = await rig.gw.client.get(await provider_answer(second_tab), headers=BROWSER)
        assert second.status_code == 200  # the session from the first tab serves it; no second redemption
        assert len(rig.op.token_requests) == 1
        assert {c.name for c in rig.gw.client.cookies.jar} == {"session"}

    async def test_parallel_tabs_with_a_derived_redirect_uri(self, rig: Rig) -> None:  # AZ-12
        await rig.protect(client_auth=["none"])
        first_tab, one = await start(rig, "/api/one")
        second_tab, two = await start(rig, "/api/two")
        assert one["redirect_uri"] == two["redirect_uri"]  # the attempt in flight keeps its callback URL
        first = await rig.gw.client.get(await provider_answer(first_tab), headers=BROWSER)
        assert first.status_code == 302 and first.headers["location"] == "/api/two"
        second = await rig.gw.client.get(await provider_answer(second_tab), headers=BROWSER)
        assert second.status_code == 200 and len(rig.op.token_requests) == 1


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.action = values.get("action") or ""
        elif tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


class TestRedirects:
    @pytest.mark.parametrize(
        "path",
        ["//evil.example/x", "/\\evil.example", "/%09/evil.example", "/%5Cevil.example", "/%2F%2Fevil.example"],
    )
    async def test_the_return_path_never_leaves_the_origin(self, rig: Rig, path: str) -> None:  # RED-01..05
        route = await rig.gw.route("/", strip_path=False)
        conf = {"issuer": rig.op.issuer, "client_id": [rig.op.client_id], "client_auth": ["none"]}
        await rig.gw.plugin("openid-connect", conf, route={"id": route["id"]})
        first = await rig.gw.client.get(path, headers=BROWSER)
        if first.status_code != 302:
            assert 400 <= first.status_code < 500  # the proxy refused the request target itself
            return
        callback = await rig.gw.client.get(await provider_answer(first), headers=BROWSER)
        location = callback.headers.get("location")
        if location is not None:
            assert location.startswith("/") and not re.match(r"^/[/\\\t]|^/%", location), location

    async def test_redirect_targets_come_from_configuration_only(self, rig: Rig) -> None:  # RED-03
        await rig.protect(
            client_auth=["none"], login_action="redirect", login_tokens=[], login_redirect_uri=None
        )  # no configured target: the page itself, never a client-chosen URL
        response = await login(rig, rig.gw.client, "/api/page?next=https://evil.example")
        assert response.status_code == 302 and response.headers["location"] == "/api/page"


class TestSessions:
    async def _session_rig(self, rig: Rig, **config: Any) -> None:
        await rig.protect(client_auth=["none"], **config)

    @pytest.mark.parametrize(
        "cookie",
        [
            "session=99999999:abc",
            "session=-1:abc",
            "session=x:abc",
            "session=2:abc; session_3=def",
            "session=" + "A" * 3000,
            "session=;;;; ;=;",
            'session="unbalanced; other=1',
            "; ".join(f"c{i}=v" for i in range(500)),
        ],
        ids=lambda c: c[:24],
    )
    async def test_hostile_cookies_are_no_session(self, rig: Rig, cookie: str) -> None:  # SES-01, SES-04, SES-05
        await self._session_rig(rig)
        response = await rig.gw.client.get("/api/data", headers={**XHR, "Cookie": cookie})
        assert response.status_code in (401, 494)

    async def test_swapped_and_mixed_chunks_are_no_session(self, rig: Rig) -> None:
        await self._session_rig(rig, session_cookie_maxsize=1000)
        rig.op.extra_id_claims = {"groups": [f"group-{i:04d}" for i in range(60)]}
        await login(rig, rig.gw.client)
        jar = dict(rig.gw.client.cookies)
        assert "session_2" in jar  # big tokens: the session spans several cookies
        assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 200
        mixed = "; ".join(f"{k}={v}" for k, v in {**jar, "session_2": jar["session_3"]}.items())
        fresh = httpx.AsyncClient(base_url=str(rig.gw.client.base_url))
        async with fresh:
            assert (await fresh.get("/api/data", headers={**XHR, "Cookie": mixed})).status_code == 401
            missing = "; ".join(f"{k}={v}" for k, v in jar.items() if k != "session_2")
            assert (await fresh.get("/api/data", headers={**XHR, "Cookie": missing})).status_code == 401

    async def test_a_session_too_big_for_cookies_fails_cleanly(self, rig: Rig) -> None:  # SES-12
        await self._session_rig(rig, session_cookie_maxsize=1000)
        rig.op.extra_id_claims = {"groups": [f"group-{i:04d}" for i in range(600)]}
        response = await login(rig, rig.gw.client)
        assert response.status_code == 500 and response.json() == {"message": "An unexpected error occurred"}
        assert "session=" not in response.headers.get("set-cookie", "")

    async def test_idle_and_absolute_timeouts(self, rig: Rig) -> None:  # SES-09
        await rig.protect("/idle", client_auth=["none"], session_cookie_idletime=2)
        await rig.protect("/absolute", client_auth=["none"], session_absolute_timeout=3, session_cookie_idletime=60)
        await login(rig, rig.gw.client, "/idle/page")
        for _ in range(3):  # activity keeps an idle-limited session alive
            await asyncio.sleep(0.8)
            assert (await rig.gw.client.get("/idle/page", headers=XHR)).status_code == 200
        await asyncio.sleep(2.2)
        assert (await rig.gw.client.get("/idle/page", headers=XHR)).status_code == 401
        rig.gw.client.cookies.clear()
        await login(rig, rig.gw.client, "/absolute/page")
        for _ in range(4):  # ... but never beyond the absolute timeout
            await asyncio.sleep(0.8)
            response = await rig.gw.client.get("/absolute/page", headers=XHR)
        assert response.status_code == 401

    async def test_a_planted_session_is_replaced_at_login(self, rig: Rig) -> None:  # SES-06
        await self._session_rig(rig)
        rig.gw.client.cookies.set("session", "planted-by-the-attacker", domain="127.0.0.1", path="/")
        await login(rig, rig.gw.client)
        assert rig.gw.client.cookies["session"] != "planted-by-the-attacker"
        assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 200

    async def test_our_cookies_never_reach_the_upstream(self, rig: Rig) -> None:  # SES-08
        await self._session_rig(rig)
        await login(rig, rig.gw.client)
        rig.gw.client.cookies.set("app", "kept")
        echoed = rig.gw.echoed(await rig.gw.client.get("/api/data", headers=XHR))
        assert echoed.header("cookie") == "app=kept"

    async def test_session_secret_from_config_is_shared_by_every_node(self, rig: Rig, tmp_path: Path) -> None:
        await self._session_rig(rig, session_secret="a-session-secret-shared-by-nodes")
        await login(rig, rig.gw.client)
        value = rig.gw.client.cookies["session"]
        # a second gateway over another database with the same configuration accepts the cookie
        (tmp_path / "second").mkdir()
        async with rogue_rig(tmp_path / "second") as second:  # SES-10
            second.op.base_url = rig.op.base_url
            await second.protect(client_auth=["none"], session_secret="a-session-secret-shared-by-nodes")
            response = await second.gw.client.get("/api/data", headers={**XHR, "Cookie": f"session={value}"})
            assert response.status_code == 200

    @pytest.mark.redis
    async def test_redis_sessions_are_revoked_server_side_at_logout(self, rig: Rig) -> None:  # SES-11, LO-10
        prefix = f"sekisho-test-{time.time_ns()}"
        await self._session_rig(
            rig,
            session_storage="redis",
            session_redis_prefix=prefix,
            logout_query_arg="logout",
            logout_methods=["POST"],
            logout_revoke=True,
        )
        rig.op.extra_id_claims = {"groups": [f"group-{i:04d}" for i in range(300)]}  # too big for a cookie
        await login(rig, rig.gw.client)
        value = rig.gw.client.cookies["session"]
        assert len(value) < 400 and "session_2" not in rig.gw.client.cookies
        assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 200
        logout = await rig.gw.client.post("/api/data?logout", headers=XHR)
        assert logout.status_code == 204
        assert any(token in rig.op.revoked for token in rig.op.refresh_tokens)
        replay = await rig.gw.client.get("/api/data", headers={**XHR, "Cookie": f"session={value}"})
        assert replay.status_code == 401

    async def test_redis_down_fails_closed(self, rig: Rig) -> None:  # SES-11
        await self._session_rig(rig, session_storage="redis", session_redis_port=9, session_redis_connect_timeout=500)
        response = await login(rig, rig.gw.client)
        assert response.status_code in (401, 500)
        assert "session=" not in response.headers.get("set-cookie", "")


class TestLogoutAndRefresh:
    async def test_logout_needs_a_configured_method(self, rig: Rig) -> None:  # LO-01
        await rig.protect(client_auth=["none"], logout_query_arg="logout")
        await login(rig, rig.gw.client)
        response = await rig.gw.client.get("/api/data?logout", headers=XHR)  # GET is not in logout_methods
        assert response.status_code == 200
        assert (await rig.gw.client.delete("/api/data?logout", headers=XHR)).status_code == 204
        assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 401

    async def test_logout_without_a_session_is_idempotent(self, rig: Rig) -> None:  # LO-09
        await rig.protect(client_auth=["none"], logout_uri_suffix="/logout", logout_methods=["POST"])
        for _ in range(2):
            assert (await rig.gw.client.post("/api/logout", headers=XHR)).status_code == 204

    async def test_logout_post_arg(self, rig: Rig) -> None:
        await rig.protect(client_auth=["none"], logout_post_arg="op", logout_methods=["POST"])
        await login(rig, rig.gw.client)
        assert (await rig.gw.client.post("/api/data", data={"op": "logout"}, headers=XHR)).status_code == 204
        assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 401

    async def test_end_session_endpoint_gets_post_logout_redirect_uri_and_state(self, rig: Rig) -> None:
        rig.op.discovery_extra = {"end_session_endpoint": rig.op.issuer + "/end-session"}
        await rig.protect(
            client_auth=["none"],
            logout_query_arg="logout",
            logout_methods=["POST"],
            post_logout_redirect_uri=["https://app.example.test/bye"],
        )
        await login(rig, rig.gw.client)
        logouts = []
        for _ in range(2):
            response = await rig.gw.client.post("/api/data?logout", headers=XHR)
            assert response.status_code == 302
            location = urlsplit(response.headers["location"])
            assert f"{location.scheme}://{location.netloc}{location.path}" == rig.op.issuer + "/end-session"
            logouts.append(parse_qs(location.query))
        first, second = logouts
        assert first["post_logout_redirect_uri"] == ["https://app.example.test/bye"]
        assert first["client_id"] == [rig.op.client_id]
        assert first["id_token_hint"][0].count(".") == 2
        assert "id_token_hint" not in second  # the session ended with the first logout
        assert len(first["state"][0]) >= 32 and first["state"] != second["state"]
        assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 401

    async def test_logout_redirect_uri_wins_over_the_end_session_endpoint(self, rig: Rig) -> None:
        rig.op.discovery_extra = {"end_session_endpoint": rig.op.issuer + "/end-session"}
        await rig.protect(
            client_auth=["none"],
            logout_query_arg="logout",
            logout_methods=["POST"],
            logout_redirect_uri=["https://cognito.example.test/logout?client_id=x&logout_uri=y"],
            post_logout_redirect_uri=["https://app.example.test/bye"],
        )
        await login(rig, rig.gw.client)
        response = await rig.gw.client.post("/api/data?logout", headers=XHR)
        assert response.status_code == 302
        assert response.headers["location"] == "https://cognito.example.test/logout?client_id=x&logout_uri=y"

    async def test_a_dead_refresh_token_ends_the_session(self, rig: Rig) -> None:  # RT-02
        await rig.protect(client_auth=["none"], leeway=0)
        rig.op.token_lifetime = 2
        await login(rig, rig.gw.client)
        rig.op.refresh_tokens.clear()  # the provider revoked it: invalid_grant
        await asyncio.sleep(2.2)
        response = await rig.gw.client.get("/api/data", headers=XHR)
        assert response.status_code == 401
        assert "session=;" in response.headers.get("set-cookie", "") or "Max-Age=0" in response.headers.get(
            "set-cookie", ""
        )

    async def test_a_refreshed_id_token_about_someone_else_is_refused(self, rig: Rig) -> None:  # RT-03
        await rig.protect(client_auth=["none"], leeway=0)
        rig.op.token_lifetime = 2
        await login(rig, rig.gw.client)
        rig.op.token_lifetime = 300
        rig.op.subject = "mallory"
        await asyncio.sleep(2.2)
        assert (await rig.gw.client.get("/api/data", headers=XHR)).status_code == 401


class TestFailureOptions:
    async def test_unauthorized_and_forbidden_redirects_and_messages(self, rig: Rig) -> None:
        await rig.protect(
            auth_methods=["bearer"],
            unauthorized_redirect_uri=[rig.op.base_url + "/sign-in"],
            forbidden_redirect_uri=[rig.op.base_url + "/forbidden"],
            scopes_required=["admin"],
        )
        unauthorized = await rig.gw.client.get("/api", headers=BROWSER)
        assert unauthorized.status_code == 302 and unauthorized.headers["location"] == rig.op.base_url + "/sign-in"
        token = rig.access_token()
        forbidden = await rig.gw.client.get("/api", headers={"Authorization": f"Bearer {token}"})
        assert forbidden.status_code == 302 and forbidden.headers["location"] == rig.op.base_url + "/forbidden"

    async def test_custom_messages_and_display_errors(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], unauthorized_error_message="Sign in first", display_errors=True)
        response = await rig.gw.client.get("/api", headers={"Authorization": "Bearer x.y.z"})
        assert response.status_code == 401 and response.json()["message"].startswith("Sign in first (")

    async def test_unexpected_redirect_uri_when_the_provider_is_down(self, rig: Rig) -> None:
        rig.op.discovery_mode = "error"
        await rig.protect(auth_methods=["bearer"], unexpected_redirect_uri=[rig.op.base_url + "/oops"])
        response = await rig.gw.client.get("/api", headers={"Authorization": f"Bearer {rig.access_token()}"})
        assert response.status_code == 302 and response.headers["location"] == rig.op.base_url + "/oops"
