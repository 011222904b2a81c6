"""Bad inputs at every surface get Cognito's answer and change nothing."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.integration.idp.flows import CALLBACK, SIGNOUT, Seeded, login_for_code, pkce_pair, query_of
from tests.integration.idp.harness import IdpThread

TARGET = "AWSCognitoIdentityProviderService."


def api(http: httpx.Client, idp: IdpThread, action: str, body: bytes) -> httpx.Response:
    return http.post(
        idp.url + "/",
        content=body,
        headers={"x-amz-target": TARGET + action, "content-type": "application/x-amz-json-1.1"},
    )


def test_json_api_rejects_malformed_unknown_and_oversized(idp: IdpThread, http: httpx.Client) -> None:
    malformed = api(http, idp, "ListUserPools", b"{not json")
    assert (malformed.status_code, malformed.json()["__type"]) == (400, "SerializationException")
    unknown = api(http, idp, "MakeCoffee", b"{}")
    assert (unknown.status_code, unknown.json()["__type"]) == (400, "UnknownOperationException")
    huge = api(http, idp, "CreateUserPool", b'{"PoolName": "' + b"a" * 2_000_000 + b'"}')
    assert huge.status_code == 413
    missing = api(http, idp, "CreateUserPool", b"{}")
    assert missing.json() == {
        "__type": "InvalidParameterException",
        "message": "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: "
        "Member must not be null",
    }
    listed = api(http, idp, "ListUserPools", b'{"MaxResults": 10}')
    assert listed.json() == {"UserPools": []}


def authorize(http: httpx.Client, seeded: Seeded, **overrides: str) -> httpx.Response:
    params = {"response_type": "code", "client_id": seeded.client_id, "redirect_uri": CALLBACK, "state": "s"}
    params.update(overrides)
    return http.get(f"{seeded.domain_url}/oauth2/authorize", params={k: v for k, v in params.items() if v})


def test_authorize_errors_follow_cognito(seeded: Seeded, http: httpx.Client) -> None:
    mismatch = authorize(http, seeded, redirect_uri=CALLBACK + "/")
    assert mismatch.headers["location"] == (
        f"{seeded.domain_url}/error?error=redirect_mismatch&client_id={seeded.client_id}"
    )
    page = http.get(mismatch.headers["location"])
    assert "An error was encountered with the requested page." in page.text
    assert (
        authorize(http, seeded, client_id="nosuchclient")
        .headers["location"]
        .startswith(f"{seeded.domain_url}/error?error=")
    )
    cases = {
        "invalid_scope": {"scope": "openid groups"},
        "invalid_request": {"response_type": "id_token"},
    }
    for error, overrides in cases.items():
        location = authorize(http, seeded, **overrides).headers["location"]
        assert location.startswith(CALLBACK + "?")
        assert query_of(location) == {"error": error, "state": "s"}
    _, challenge = pkce_pair()
    plain = authorize(http, seeded, code_challenge=challenge, code_challenge_method="plain")
    assert query_of(plain.headers["location"])["error"] == "invalid_request"
    implicit = authorize(http, seeded, response_type="token")
    assert query_of(implicit.headers["location"].replace("#", "?"))["error"] == "unauthorized_client"
    # A known scope the client may not use is dropped, not refused.
    dropped = authorize(http, seeded, scope="openid phone")
    assert "/login?" in dropped.headers["location"]


def test_login_form_errors(seeded: Seeded, http: httpx.Client) -> None:
    wrong = login_for_code(http, seeded, password="Wrong-Passw0rd!")
    assert wrong.status_code == 400
    assert "Incorrect username or password." in wrong.text
    authorize_url = authorize(http, seeded).headers["location"]
    no_csrf = http.post(authorize_url, data={"username": seeded.username, "password": "x"})
    assert no_csrf.status_code == 400 and "session expired" in no_csrf.text


def test_token_endpoint_errors(idp: IdpThread, cognito: Any, seeded: Seeded, http: httpx.Client) -> None:
    token_url = f"{seeded.domain_url}/oauth2/token"
    code = query_of(login_for_code(http, seeded).headers["location"])["code"]
    as_json = http.post(token_url, json={"grant_type": "authorization_code", "code": code})
    assert as_json.json()["error"] == "invalid_request"
    base = {"client_id": seeded.client_id, "code": code, "redirect_uri": CALLBACK}
    assert http.post(token_url, data={**base, "grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    other_redirect = http.post(token_url, data={**base, "grant_type": "authorization_code", "redirect_uri": SIGNOUT})
    assert other_redirect.json()["error"] == "invalid_grant"
    unknown_client = http.post(token_url, data={**base, "grant_type": "authorization_code", "client_id": "nope"})
    assert unknown_client.json()["error"] == "invalid_client"
    # A confidential client: wrong secret (basic and post) is invalid_client.
    cognito.create_resource_server(
        UserPoolId=seeded.pool_id,
        Identifier="api",
        Name="api",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}],
    )
    client = cognito.create_user_pool_client(
        UserPoolId=seeded.pool_id,
        ClientName="m2m",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["api/read"],
        AllowedOAuthFlowsUserPoolClient=True,
    )["UserPoolClient"]
    basic = base64.b64encode(f"{client['ClientId']}:wrong".encode()).decode()
    bad = http.post(token_url, data={"grant_type": "client_credentials"}, headers={"authorization": f"Basic {basic}"})
    assert bad.json()["error"] == "invalid_client"
    bad_post = http.post(
        token_url, data={"grant_type": "client_credentials", "client_id": client["ClientId"], "client_secret": "wrong"}
    )
    assert bad_post.json()["error"] == "invalid_client"
    good = base64.b64encode(f"{client['ClientId']}:{client['ClientSecret']}".encode()).decode()
    issued = http.post(token_url, data={"grant_type": "client_credentials"}, headers={"authorization": f"Basic {good}"})
    assert issued.status_code == 200
    assert sorted(issued.json()) == ["access_token", "expires_in", "token_type"]
    import jwt

    claims = jwt.decode(issued.json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == client["ClientId"] and claims["scope"] == "api/read" and "username" not in claims
    bad_scope = http.post(
        token_url,
        data={"grant_type": "client_credentials", "scope": "openid"},
        headers={"authorization": f"Basic {good}"},
    )
    assert bad_scope.json()["error"] == "invalid_scope"
    public_cc = http.post(token_url, data={"grant_type": "client_credentials", "client_id": seeded.client_id})
    assert public_cc.json()["error"] == "unauthorized_client"


def test_expired_code_is_refused(idp: IdpThread, seeded: Seeded, http: httpx.Client) -> None:
    code = query_of(login_for_code(http, seeded).headers["location"])["code"]

    async def age(svc: Any) -> None:
        record = await svc.store.get("authorization_code", "", code)
        from sekisho.idp.store import Put

        await svc.store.apply([Put("authorization_code", "", code, {**record, "expires_at": 0})])

    idp.call(age)
    response = http.post(
        f"{seeded.domain_url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": seeded.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
        },
    )
    assert response.json()["error"] == "invalid_grant"


def test_userinfo_rejects_api_tokens_and_garbage(cognito: Any, seeded: Seeded, http: httpx.Client) -> None:
    from tests.integration.idp.flows import PASSWORD

    api_tokens = cognito.initiate_auth(
        ClientId=seeded.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": seeded.username, "PASSWORD": PASSWORD},
    )
    url = f"{seeded.domain_url}/oauth2/userInfo"
    access = api_tokens["AuthenticationResult"]["AccessToken"]
    rejected = http.get(url, headers={"authorization": f"Bearer {access}"})
    assert rejected.status_code == 401
    id_token = api_tokens["AuthenticationResult"]["IdToken"]
    assert http.get(url, headers={"authorization": f"Bearer {id_token}"}).status_code == 401
    assert http.get(url, headers={"authorization": "Bearer not.a.token"}).status_code == 401
    missing = http.get(url)
    assert missing.status_code == 400
    assert 'error="invalid_request"' in missing.headers["www-authenticate"]


def test_logout_modes_and_failures(seeded: Seeded, http: httpx.Client) -> None:
    url = f"{seeded.domain_url}/logout"
    relogin = http.get(
        url, params={"client_id": seeded.client_id, "response_type": "code", "redirect_uri": CALLBACK, "state": "again"}
    )
    assert relogin.status_code == 302 and "/login?" in relogin.headers["location"]
    assert query_of(relogin.headers["location"])["state"] == "again"
    unregistered = http.get(url, params={"client_id": seeded.client_id, "logout_uri": "http://localhost:8000/other"})
    assert unregistered.status_code == 400
    assert "Required String parameter &#39;redirect_uri&#39; is not present" in unregistered.text
    oidc_style = http.get(
        url, params={"client_id": seeded.client_id, "post_logout_redirect_uri": SIGNOUT, "id_token_hint": "x"}
    )
    assert "Required String parameter &#39;redirect_uri&#39; is not present" in oidc_style.text
    no_client = http.get(url, params={"logout_uri": SIGNOUT})
    assert no_client.status_code == 400


def test_unknown_domain_and_pool(idp: IdpThread, http: httpx.Client) -> None:
    assert http.get(f"{idp.url}/domains/nobody/login").status_code == 404
    assert http.get(f"{idp.url}/us-east-1_Nope12345/.well-known/jwks.json").status_code == 404
    assert http.post(f"{idp.url}/domains/nobody/oauth2/token", data={"grant_type": "x"}).status_code == 404
