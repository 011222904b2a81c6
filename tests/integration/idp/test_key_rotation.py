"""Rotating a pool's keys: new tokens use new kids; old tokens still verify against the published JWKS."""

from __future__ import annotations

from typing import Any

import httpx
import jwt

from tests.integration.idp.flows import PASSWORD, seed_pool
from tests.integration.idp.harness import IdpThread


def test_rotation_keeps_old_tokens_verifiable(idp: IdpThread, cognito: Any) -> None:
    seeded = seed_pool(idp, cognito)
    auth = {"USERNAME": seeded.username, "PASSWORD": PASSWORD}
    before = cognito.initiate_auth(ClientId=seeded.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth)
    old_access = before["AuthenticationResult"]["AccessToken"]
    new_kids = idp.call(lambda svc: svc.keys.rotate(seeded.pool_id))
    after = cognito.initiate_auth(ClientId=seeded.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth)
    new_access = after["AuthenticationResult"]["AccessToken"]
    assert jwt.get_unverified_header(new_access)["kid"] in new_kids
    assert jwt.get_unverified_header(old_access)["kid"] not in new_kids
    issuer = f"{idp.url}/{seeded.pool_id}"
    published = httpx.get(f"{issuer}/.well-known/jwks.json").json()["keys"]
    assert len(published) == 4
    client = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", cache_jwk_set=False)
    for token in (old_access, new_access):
        jwt.decode(token, client.get_signing_key_from_jwt(token).key, algorithms=["RS256"], issuer=issuer)
    assert cognito.get_user(AccessToken=old_access)["Username"] == seeded.sub
