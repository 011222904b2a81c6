"""The JWT/JWS attack catalogue (oidc-security.md §3) through the real proxy: every forged, confused or
malformed bearer token is refused with 401, never a 500 and never a request upstream; key handling (rotation,
kid floods, hostile JWKS, foreign providers) as the catalogue asks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec as ecdsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey, RSAKey

from tests.helpers.asgi_server import serve_asgi
from tests.helpers.rogue_provider import RogueProvider
from tests.integration.plugins.test_openid_connect import Rig, bearer, rogue_rig


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def raw_rs256(header: bytes, payload: bytes, key: RSAKey) -> str:
    """Sign exact header/payload bytes (duplicate members and other shapes no JWT library will produce)."""
    signing_input = f"{b64(header)}.{b64(payload)}".encode()
    signature = key.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{b64(signature)}"


def forge(header: dict[str, Any], claims: dict[str, Any], key: RSAKey | ECKey, alg: str = "RS256") -> str:
    """Sign whatever header we like (JWT libraries refuse to build most attacks)."""
    signing_input = f"{b64(json.dumps(header))}.{b64(json.dumps(claims))}".encode()
    digest = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[-3:]]
    if isinstance(key, ECKey):
        r, s = decode_dss_signature(key.private_key.sign(signing_input, ecdsa.ECDSA(digest)))
        size = (key.private_key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        signature = key.private_key.sign(signing_input, padding.PKCS1v15(), digest)
    return f"{signing_input.decode()}.{b64(signature)}"


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{b64(json.dumps(header))}.{b64(json.dumps(claims))}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


async def status(rig: Rig, token: str, path: str = "/api") -> int:
    return (await rig.gw.client.get(path, headers=bearer(token))).status_code


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with rogue_rig(tmp_path) as running:
        yield running


@pytest.fixture
async def api(rig: Rig) -> Rig:
    await rig.protect(auth_methods=["bearer"])
    return rig


def claims(rig: Rig, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": rig.op.issuer, "sub": "user-1", "client_id": "client-1", "iat": now, "exp": now + 300}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


class TestSignatureAndAlgorithm:
    async def test_the_genuine_token_passes(self, api: Rig) -> None:
        assert await status(api, api.op.sign(claims(api))) == 200

    @pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", None])
    @pytest.mark.parametrize("signature", ["", "c2ln"])
    async def test_unsigned_tokens(self, api: Rig, alg: str | None, signature: str) -> None:  # JWT-01
        header = {"typ": "JWT", **({"alg": alg} if alg is not None else {})}
        token = f"{b64(json.dumps(header))}.{b64(json.dumps(claims(api)))}.{signature}"
        assert await status(api, token) == 401

    async def test_stripped_or_borrowed_signatures(self, api: Rig) -> None:  # JWT-02
        genuine = api.op.sign(claims(api))
        other = api.op.sign(claims(api, sub="someone-else"))
        head, body, _ = genuine.split(".")
        for forged in (f"{head}.{body}", f"{head}.{body}.", f"{head}.{body}.{other.split('.')[2]}"):
            assert await status(api, forged) == 401

    async def test_hmac_keyed_with_the_public_key(self, rig: Rig) -> None:  # JWT-03
        await rig.protect(auth_methods=["bearer"])
        await rig.protect("/hs", auth_methods=["bearer"], enable_hs_signatures=True, client_secret=["a-shared-secret"])
        key = rig.op.keys[0]
        pem = key.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        der = key.public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        jwk_json = json.dumps(key.as_dict(private=False)).encode()
        n_bytes = key.public_key.public_numbers().n.to_bytes(256, "big")
        for secret in (pem, pem.replace(b"\n", b"\r\n"), der, jwk_json, n_bytes):
            token = hs256({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims(rig), secret)
            assert await status(rig, token) == 401
            assert await status(rig, token, "/hs") == 401
        # HS256 is possible only with the configured shared secret, and only where enabled
        shared = hs256({"alg": "HS256", "typ": "JWT"}, claims(rig), b"a-shared-secret")
        assert await status(rig, shared, "/hs") == 200
        assert await status(rig, shared) == 401

    async def test_algorithms_outside_the_providers_list(self, api: Rig) -> None:  # JWT-05
        key = api.op.keys[0]
        body = json.dumps(claims(api)).encode()
        for alg, pad, digest in (
            ("PS256", padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256()),
            ("RS384", padding.PKCS1v15(), hashes.SHA384()),
            ("RS512", padding.PKCS1v15(), hashes.SHA512()),
        ):
            signing_input = f"{b64(json.dumps({'alg': alg, 'kid': key.kid}))}.{b64(body)}"
            signature = key.private_key.sign(signing_input.encode(), pad, digest)
            assert await status(api, f"{signing_input}.{b64(signature)}") == 401
        # an EC key published next to the RSA one cannot be used when discovery announces RS256 only
        ec_key = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})
        api.op.keys.append(ec_key)
        assert await status(api, api.op.sign(claims(api), key=ec_key, header={"alg": "ES256"})) == 401
        assert key is api.op.keys[0]

    @pytest.mark.parametrize("kid", ["../../dev/null", "' OR 1=1--", "http://127.0.0.1:9/keys", "k" * 3000, 5, None])
    async def test_kid_is_only_a_lookup_key(self, api: Rig, kid: Any) -> None:  # JWT-06
        header = {"alg": "RS256", **({"kid": kid} if kid is not None else {})}
        token = forge(header, claims(api), api.op.keys[0])
        expected = 200 if kid is None else 401  # no kid and exactly one usable key: that key (rp-kid-absent-single)
        assert await status(api, token) == expected

    async def test_key_carrying_headers_are_ignored(self, api: Rig) -> None:  # JWT-07, AV-10
        attacker = RogueProvider()
        async with serve_asgi(attacker.app()) as base:
            attacker.base_url = base
            key = attacker.keys[0]
            for header in (
                {"jku": attacker.issuer + "/jwks"},
                {"x5u": attacker.issuer + "/jwks"},
                {"jwk": key.as_dict(private=False)},
            ):
                assert await status(api, forge({"alg": "RS256", "kid": key.kid, **header}, claims(api), key)) == 401
            assert attacker.jwks_requests == 0 and attacker.discovery_requests == 0

    async def test_critical_headers(self, api: Rig) -> None:  # JWT-08
        for crit in (["exp"], ["b64"]):
            extra: dict[str, Any] = {"crit": crit, **({"b64": False} if crit == ["b64"] else {})}
            header = {"alg": "RS256", "kid": api.op.keys[0].kid, **extra}
            assert await status(api, forge(header, claims(api), api.op.keys[0])) == 401

    async def test_compact_serialization_only(self, api: Rig) -> None:  # JWT-16
        genuine = api.op.sign(claims(api))
        head, body, sig = genuine.split(".")
        as_json = json.dumps({"protected": head, "payload": body, "signature": sig})
        for forged in (as_json, genuine + ".x", f"{head}.{body}.{sig}.{sig}.{sig}", f"{head}.{body}.{sig}."):
            assert await status(api, forged) == 401

    async def test_non_canonical_base64url(self, api: Rig) -> None:  # JWT-17
        genuine = api.op.sign(claims(api))
        head, body, sig = genuine.split(".")
        # a 256-byte signature ends in a character with 4 unused bits: its neighbour decodes to the same bytes
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        sibling = alphabet[alphabet.index(sig[-1]) + 1]
        assert base64.urlsafe_b64decode(sig[:-1] + sibling + "==") == base64.urlsafe_b64decode(sig + "==")
        variants = [
            f"{head}.{body}.{sig}=",
            f"{head}.{body}.{sig}==",
            f"{head}.{body}.{sig}!!!!",
            f"{head}.{body}.{sig.replace('-', '+').replace('_', '/')}" if ("-" in sig or "_" in sig) else None,
            f"{head}.{body} .{sig}",
            f"{head}=.{body}.{sig}",
            f"{head}.{body}.{sig[:-1]}{sibling}",
        ]
        for variant in filter(None, variants):
            assert await status(api, variant) == 401, variant
        assert await status(api, genuine) == 200


class TestClaims:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"exp": "9999999999"},
            {"exp": -1},
            {"exp": True},
            {"nbf": int(time.time()) + 3600},
            {"iat": int(time.time()) + 3600},
        ],
    )
    async def test_time_claims(self, api: Rig, overrides: dict[str, Any]) -> None:  # JWT-10
        assert await status(api, api.op.sign(claims(api, **overrides))) == 401

    async def test_fractional_exp_is_a_number(self, api: Rig) -> None:
        assert await status(api, api.op.sign(claims(api, exp=time.time() + 120.5))) == 200

    async def test_leeway_bounds_the_clock_skew(self, rig: Rig) -> None:
        await rig.protect(auth_methods=["bearer"], leeway=60)
        now = int(time.time())
        assert await status(rig, rig.op.sign(claims(rig, exp=now - 30))) == 200
        assert await status(rig, rig.op.sign(claims(rig, exp=now - 90))) == 401

    async def test_issuer_must_match_exactly(self, api: Rig) -> None:  # JWT-11
        issuer = api.op.issuer
        for iss in (issuer[:-1], issuer + "x", issuer.upper(), [issuer], "https://evil.example/op", None):
            assert await status(api, api.op.sign(claims(api, iss=iss))) == 401, iss

    async def test_id_tokens_are_not_access_tokens(self, api: Rig) -> None:  # JWT-09, BRR-05
        assert await status(api, api.op.sign(claims(api, token_use="id"))) == 401
        assert await status(api, api.op.sign(claims(api, aud="client-1", nonce="n", client_id=None))) == 401
        assert await status(api, api.op.sign(claims(api, at_hash="x", client_id=None))) == 401

    async def test_duplicate_members(self, api: Rig) -> None:  # JWT-15
        key = api.op.keys[0]
        good = json.dumps(claims(api)).encode()
        dup_payload = good[:-1] + b', "sub": "admin"}'
        dup_header = f'{{"alg":"RS256","kid":"{key.kid}","alg":"RS256"}}'.encode()
        normal_header = f'{{"alg":"RS256","kid":"{key.kid}"}}'.encode()
        assert await status(api, raw_rs256(normal_header, good, key)) == 200
        assert await status(api, raw_rs256(normal_header, dup_payload, key)) == 401
        assert await status(api, raw_rs256(dup_header, good, key)) == 401

    async def test_oversized_tokens_are_refused_early(self, api: Rig) -> None:  # JWT-18, AV-06
        big = api.op.sign(claims(api, groups=["g" * 50] * 400))
        assert len(big) > 16 * 1024
        # too big for a header line (the proxy answers first); in a form body it reaches the plugin's cap
        assert 400 <= await status(api, big) < 500
        in_body = await api.gw.client.post("/api", data={"access_token": big})
        assert in_body.status_code == 401
        small = await api.gw.client.post("/api", data={"access_token": api.op.sign(claims(api))})
        assert small.status_code == 200
        huge = await api.gw.client.get("/api", headers=bearer("x" * 100_000))
        assert 400 <= huge.status_code < 500

    async def test_audience_pinning_for_bearer_tokens(self, rig: Rig) -> None:  # JWT-12, BRR-06
        await rig.protect(auth_methods=["bearer"], audience_required=["urn:api"])
        assert await status(rig, rig.op.sign(claims(rig, aud=["urn:api", "urn:other"]))) == 200
        assert await status(rig, rig.op.sign(claims(rig, aud="urn:other"))) == 403
        assert await status(rig, rig.op.sign(claims(rig))) == 403  # no aud at all


class TestKeys:
    async def test_ec_signatures_r_s_zero(self, rig: Rig) -> None:  # JWT-20
        rig.op.discovery_extra = {"id_token_signing_alg_values_supported": ["RS256", "ES256"]}
        ec_key = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig", "alg": "ES256"})
        rig.op.keys.append(ec_key)
        await rig.protect(auth_methods=["bearer"])
        genuine = rig.op.sign(claims(rig), key=ec_key, header={"alg": "ES256"})
        assert await status(rig, genuine) == 200
        head, body, _ = genuine.split(".")
        assert await status(rig, f"{head}.{body}.{b64(bytes(64))}") == 401
        assert await status(rig, f"{head}.{body}.{b64(bytes(32))}") == 401
        es384 = forge({"alg": "ES384", "kid": "ec-1"}, claims(rig), ec_key, alg="ES384")
        assert await status(rig, es384) == 401

    async def test_unusable_keys_are_skipped(self, rig: Rig) -> None:  # JWT-21, JWT-22
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc warns about the 1024-bit key we want on purpose
            weak = RSAKey.import_key(
                rsa.generate_private_key(65537, 1024), parameters={"kid": "weak", "use": "sig", "alg": "RS256"}
            )
        enc = RSAKey.generate_key(2048, parameters={"kid": "enc", "use": "enc"})
        rig.op.extra_jwks_entries = [
            {"kty": "AKP", "alg": "ML-DSA-44", "pub": "AAAA", "kid": "pq"},
            {"kty": "made-up", "kid": "odd"},
            {"kty": "oct", "k": b64(b"secret"), "kid": "oct"},
            weak.as_dict(private=False),
            enc.as_dict(private=False),
        ]
        await rig.protect(auth_methods=["bearer"])
        assert await status(rig, rig.op.sign(claims(rig))) == 200
        assert await status(rig, rig.op.sign(claims(rig), key=weak)) == 401
        assert await status(rig, forge({"alg": "RS256", "kid": "enc"}, claims(rig), enc)) == 401
        assert await status(rig, hs256({"alg": "HS256", "kid": "oct"}, claims(rig), b"secret")) == 401

    async def test_rotation_and_kid_floods(self, api: Rig) -> None:  # JWT-23, AV-03
        assert await status(api, api.op.sign(claims(api))) == 200
        fetched = api.op.jwks_requests
        # a new signing key: one refetch, then accepted
        api.op.rotate()
        assert await status(api, api.op.sign(claims(api))) == 200
        assert api.op.jwks_requests == fetched + 1
        # a flood of unknown kids right after: no refetch at all inside the interval
        stranger = RogueProvider.new_rsa_key()
        for _ in range(30):
            forged = api.op.sign(claims(api), key=stranger, header={"kid": uuid.uuid4().hex})
            assert await status(api, forged) == 401
        assert api.op.jwks_requests == fetched + 1

    async def test_hostile_jwks_keeps_the_last_good_keys(self, rig: Rig) -> None:  # JWT-22, AV-02
        await rig.protect(auth_methods=["bearer"], rediscovery_lifetime=0)
        token = rig.op.sign(claims(rig))
        assert await status(rig, token) == 200
        for mode in ("garbage", "error"):
            rig.op.jwks_mode = mode
            rig.op.discovery_mode = mode
            unknown = rig.op.sign(claims(rig), key=RogueProvider.new_rsa_key())  # forces a refetch
            assert await status(rig, unknown) == 401
            assert await status(rig, rig.op.sign(claims(rig, sub="again"))) == 200

    async def test_a_discovery_document_naming_another_issuer_is_refused(self, rig: Rig) -> None:
        rig.op.discovery_extra = {"issuer": "https://evil.example/op"}
        await rig.protect(auth_methods=["bearer"])
        evil = rig.op.sign(claims(rig, iss="https://evil.example/op"))
        assert await status(rig, evil) == 500  # a misconfigured provider fails closed
        await rig.protect("/allowed", auth_methods=["bearer"], issuers_allowed=["https://evil.example/op"])
        assert await status(rig, evil, "/allowed") == 200  # explicitly accepted (e.g. an internal discovery host)

    async def test_a_token_from_another_provider(self, rig: Rig) -> None:  # MP-02
        other = RogueProvider()
        async with serve_asgi(other.app()) as base:
            other.base_url = base
            await rig.protect(auth_methods=["bearer"])
            token = other.sign(claims(rig, iss=other.issuer))
            assert await status(rig, token) == 401
            assert other.discovery_requests == 0 and other.jwks_requests == 0
