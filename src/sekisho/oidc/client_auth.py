"""Client authentication settings of a relying party: the methods, the endpoints they apply to, and the
private keys of `private_key_jwt`. Light on purpose: the plugin's schema validates with it, and a worker whose
configuration has no `openid-connect` plugin never loads the JOSE stack (joserfc, cryptography) at all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from joserfc.jwk import ECKey, OKPKey, RSAKey

__all__ = [
    "ASSERTION_TYPE",
    "ENDPOINTS",
    "SECRET_ALGORITHMS",
    "AssertionKey",
    "ClientAuth",
    "Endpoint",
    "client_assertion_key",
]

ClientAuth = Literal["none", "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"]
Endpoint = Literal["token", "introspection", "revocation"]
ENDPOINTS: tuple[Endpoint, ...] = ("token", "introspection", "revocation")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SECRET_ALGORITHMS = ("HS256", "HS384", "HS512")
_KEY_ALGORITHMS = {
    "RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    "EC": ("ES256", "ES384", "ES512"),
    "OKP": ("EdDSA",),
}


@dataclass(frozen=True, slots=True)
class AssertionKey:
    """A private key for `private_key_jwt`, with the algorithm its assertions are signed with."""

    key: RSAKey | ECKey | OKPKey
    alg: str
    kid: str | None


def client_assertion_key(jwk: Any, alg: str | None = None) -> AssertionKey:
    """A private JWK (RSA, EC or OKP) for signing client assertions; ValueError says what is wrong with it.
    The algorithm: `alg` if given, else the key's own `alg`, else RS256, ES256/384/512 by curve, or EdDSA."""
    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey, OKPKey, RSAKey

    if not isinstance(jwk, Mapping):
        raise ValueError("a client_jwk must be a JWK object")
    kty = jwk.get("kty")
    types: dict[str, type[RSAKey] | type[ECKey] | type[OKPKey]] = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}
    if kty not in types:
        raise ValueError("a client_jwk must be an RSA, EC or OKP key")
    try:
        key = types[kty].import_key(dict(jwk))
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"the client_jwk is not a usable {kty} key") from exc
    if not key.is_private:
        raise ValueError("the client_jwk has no private part (private_key_jwt signs with it)")
    curve_alg = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}.get(str(jwk.get("crv")))
    chosen = alg or jwk.get("alg") or (curve_alg if kty == "EC" else _KEY_ALGORITHMS[kty][0])
    if chosen not in _KEY_ALGORITHMS[kty]:
        raise ValueError(f"{chosen} cannot sign with an {kty} key (use one of {', '.join(_KEY_ALGORITHMS[kty])})")
    if kty == "EC" and chosen != curve_alg:
        raise ValueError(f"{chosen} does not match the key's curve {jwk.get('crv')}")
    kid = jwk.get("kid")
    return AssertionKey(key, chosen, kid if isinstance(kid, str) else None)
