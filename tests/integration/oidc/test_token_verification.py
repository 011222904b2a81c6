"""The relying-party library against a real (misbehaving) provider on loopback: the P0 token attacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from joserfc.jwk import ECKey

from sekisho.oidc.discovery import Provider
from sekisho.oidc.errors import ProviderError, TokenError
from sekisho.oidc.http import OutboundHttp
from sekisho.oidc.tokens import TokenVerifier, check_access_token, check_id_token
from tests.helpers.asgi_server import serve_asgi
from tests.helpers.rogue_provider import RogueProvider


@dataclass
class Rig:
    op: RogueProvider
    provider: Provider
    verifier: TokenVerifier
    http: OutboundHttp

    async def id_claims(self, token: str, **kwargs: object) -> dict[str, object]:
        verified = await self.verifier.verify(token)
        return check_id_token(verified, issuers=[self.op.issuer], client_ids=["client-1"], **kwargs)  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    op = RogueProvider()
    async with serve_asgi(op.app()) as base:
        op.base_url = base
        http = OutboundHttp(timeout=2)
        provider = Provider(op.issuer, http, rediscovery_lifetime=30)
        verifier = TokenVerifier(provider.keys, allowed_algs=["RS256"])
        try:
            yield Rig(op, provider, verifier, http)
        finally:
            await http.close()


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_a_well_formed_id_token_is_accepted(rig: Rig) -> None:
    claims = await rig.id_claims(rig.op.sign(rig.op.claims(nonce="n1")), nonce="n1")
    assert claims["sub"] == "user-1"


async def test_alg_none_is_refused(rig: Rig) -> None:
    token = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(rig.op.claims()) + "."
    with pytest.raises(TokenError, match=r"not a compact JWS|not allowed"):
        await rig.verifier.verify(token)
    token = _b64({"alg": "none"}) + "." + _b64(rig.op.claims()) + ".c2ln"
    with pytest.raises(TokenError, match="'none' is not allowed"):
        await rig.verifier.verify(token)


async def test_hs256_signed_with_the_rsa_public_key_is_refused(rig: Rig) -> None:
    public_pem = rig.op.keys[0].as_pem(private=False)
    signing_input = _b64({"alg": "HS256", "kid": rig.op.keys[0].kid}) + "." + _b64(rig.op.claims())
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(TokenError, match="'HS256' is not allowed"):
        await rig.verifier.verify(forged)
    # Even a verifier that allows HS256 with a client secret does not use the RSA key as a secret.
    hs_verifier = TokenVerifier(
        rig.provider.keys, allowed_algs=["RS256", "HS256"], hs_secrets=["a-long-enough-client-secret"]
    )
    with pytest.raises(TokenError, match="invalid signature"):
        await hs_verifier.verify(forged)


async def test_a_tampered_payload_fails_the_signature(rig: Rig) -> None:
    header, _, signature = rig.op.sign(rig.op.claims()).split(".")
    forged = ".".join([header, _b64(rig.op.claims(sub="admin")), signature])
    with pytest.raises(TokenError, match="invalid signature"):
        await rig.verifier.verify(forged)


async def test_a_token_signed_by_another_key_with_a_known_kid_fails(rig: Rig) -> None:
    stranger = RogueProvider.new_rsa_key()
    token = rig.op.sign(rig.op.claims(), key=stranger, header={"kid": rig.op.keys[0].kid})
    with pytest.raises(TokenError, match="invalid signature"):
        await rig.verifier.verify(token)


@pytest.mark.parametrize(
    ("overrides", "kwargs", "reason"),
    [
        ({"iss": "https://evil.example/op"}, {}, "invalid iss"),
        ({"aud": "someone-else"}, {}, "invalid aud"),
        ({"aud": ["client-1", "other"]}, {}, "azp claim is required"),
        ({"azp": "other"}, {}, "invalid azp"),
        ({"sub": None}, {}, "sub claim is missing"),
        ({"exp": int(time.time()) - 60}, {}, "expired"),
        ({"exp": None}, {}, "exp claim is missing"),
        ({"iat": int(time.time()) + 600}, {}, "issued in the future"),
        ({"nbf": int(time.time()) + 600}, {}, "not valid yet"),
        ({"nonce": "other"}, {"nonce": "expected"}, "invalid nonce"),
        ({}, {"nonce": "expected"}, "invalid nonce"),
        ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, {"access_token": "the-access-token"}, "invalid at_hash"),
        ({"token_use": "access"}, {}, "not an ID token"),
        ({"auth_time": int(time.time()) - 3600}, {"max_age": 60}, "max_age"),
    ],
)
async def test_bad_id_token_claims_are_refused(
    rig: Rig, overrides: dict[str, object], kwargs: dict[str, object], reason: str
) -> None:
    with pytest.raises(TokenError, match=reason):
        await rig.id_claims(rig.op.sign(rig.op.claims(**overrides)), **kwargs)


async def test_leeway_accepts_a_slightly_expired_token(rig: Rig) -> None:
    token = rig.op.sign(rig.op.claims(exp=int(time.time()) - 5))
    assert (await rig.id_claims(token, leeway=30))["sub"] == "user-1"


async def test_a_correct_at_hash_is_accepted(rig: Rig) -> None:
    digest = hashlib.sha256(b"the-access-token").digest()[:16]
    at_hash = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    token = rig.op.sign(rig.op.claims(at_hash=at_hash))
    assert (await rig.id_claims(token, access_token="the-access-token"))["at_hash"] == at_hash


async def test_cognito_id_token_cannot_be_used_as_an_access_token(rig: Rig) -> None:
    verified = await rig.verifier.verify(rig.op.sign(rig.op.claims(token_use="id")))
    with pytest.raises(TokenError, match="not an access token"):
        check_access_token(verified, issuers=[rig.op.issuer])
    verified = await rig.verifier.verify(rig.op.sign(rig.op.claims(token_use="access", aud=None, client_id="c")))
    assert check_access_token(verified, issuers=[rig.op.issuer])["client_id"] == "c"


async def test_bearer_tokens_must_expire_and_name_their_issuer(rig: Rig) -> None:
    verified = await rig.verifier.verify(rig.op.sign(rig.op.claims(exp=None)))
    with pytest.raises(TokenError, match="exp claim is missing"):
        check_access_token(verified, issuers=[rig.op.issuer])
    verified = await rig.verifier.verify(rig.op.sign(rig.op.claims(iss=None)))
    with pytest.raises(TokenError, match="invalid iss"):
        check_access_token(verified, issuers=[rig.op.issuer])


async def test_oversized_and_encrypted_tokens_are_refused(rig: Rig) -> None:
    with pytest.raises(TokenError, match="too large"):
        await rig.verifier.verify(rig.op.sign(rig.op.claims(blob="x" * 70000)))
    with pytest.raises(TokenError, match="JWE"):
        await rig.verifier.verify("a.b.c.d.e")


async def test_rotated_key_is_fetched_once_on_unknown_kid(rig: Rig) -> None:
    await rig.id_claims(rig.op.sign(rig.op.claims()))
    assert rig.op.jwks_requests == 1
    rig.provider.keys._last_fetch -= 60  # the refetch interval has passed
    new_key = rig.op.rotate()
    await rig.id_claims(rig.op.sign(rig.op.claims(), key=new_key))
    assert rig.op.jwks_requests == 2


async def test_kid_flood_causes_at_most_one_refetch_per_interval(rig: Rig) -> None:
    await rig.id_claims(rig.op.sign(rig.op.claims()))
    rig.provider.keys._last_fetch -= 60
    for _ in range(50):
        stranger = RogueProvider.new_rsa_key()
        with pytest.raises(TokenError, match="suitable jwk was not found"):
            await rig.verifier.verify(rig.op.sign(rig.op.claims(), key=stranger))
    assert rig.op.jwks_requests == 2


async def test_unusable_keys_are_ignored(rig: Rig) -> None:
    enc_key = RogueProvider.new_rsa_key()
    entry = enc_key.as_dict(private=False)
    entry["use"] = "enc"
    rig.op.extra_jwks_entries.extend(
        [entry, {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"}, {"kty": "oct", "k": "c2VjcmV0"}]
    )
    await rig.id_claims(rig.op.sign(rig.op.claims()))  # the good key still works
    with pytest.raises(TokenError, match="suitable jwk was not found"):
        await rig.verifier.verify(rig.op.sign(rig.op.claims(), key=enc_key))
    assert {k.kid for k in rig.provider.keys.public_keys()} == {rig.op.keys[0].kid}


async def test_last_good_keys_survive_a_provider_serving_garbage(rig: Rig) -> None:
    await rig.id_claims(rig.op.sign(rig.op.claims()))
    rig.op.jwks_mode = "garbage"
    rig.provider.keys._last_fetch -= 60
    with pytest.raises(TokenError, match="suitable jwk"):
        await rig.verifier.verify(rig.op.sign(rig.op.claims(), key=RogueProvider.new_rsa_key()))
    assert rig.op.jwks_requests == 2
    await rig.id_claims(rig.op.sign(rig.op.claims()))  # old key still trusted


async def test_an_unreachable_provider_fails_closed() -> None:
    http = OutboundHttp(timeout=1)
    try:
        provider = Provider("http://127.0.0.1:9/op", http)
        verifier = TokenVerifier(provider.keys, allowed_algs=["RS256"])
        op = RogueProvider()
        with pytest.raises(ProviderError):
            await verifier.verify(op.sign(op.claims()))
    finally:
        await http.close()


async def test_es256_keys_verify_only_es256(rig: Rig) -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})
    rig.op.keys.append(ec)  # type: ignore[arg-type]
    verifier = TokenVerifier(rig.provider.keys, allowed_algs=["RS256", "ES256"])
    token = rig.op.sign(rig.op.claims(), key=ec, header={"alg": "ES256", "kid": "ec-1"})
    assert (await verifier.verify(token)).claims["sub"] == "user-1"
    with pytest.raises(TokenError):
        await rig.verifier.verify(token)  # RS256-only verifier refuses ES256
