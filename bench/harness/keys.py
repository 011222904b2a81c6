"""Throw-away key material for one run: an RS256 signing key with its JWKS, bearer JWTs, a TLS certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey

__all__ = ["SigningKey", "TlsFiles", "write_self_signed_certificate"]


@dataclass(frozen=True)
class SigningKey:
    """An RSA key (2048 bit) that signs RS256 JWTs; its public half is published as a JWKS."""

    key: RSAKey
    kid: str

    @classmethod
    def generate(cls, kid: str = "sekisho-bench") -> SigningKey:
        return cls(RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}), kid)

    def jwks_json(self) -> str:
        return json.dumps({"keys": [self.key.as_dict(private=False)]}, separators=(",", ":"))

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": self.kid}, claims, self.key)

    def bearer_token(
        self, *, issuer: str, audience: str, subject: str = "bench-user", ttl_s: int = 3600, age_s: int = 0
    ) -> str:
        """An access token issued `age_s` seconds ago and valid for `ttl_s` from then (expired if age > ttl)."""
        issued = int(time.time()) - age_s
        claims = {"iss": issuer, "aud": audience, "sub": subject, "iat": issued, "nbf": issued - 5}
        claims["exp"] = issued + ttl_s
        return self.sign({**claims, "scope": "openid bench"})


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


def write_self_signed_certificate(directory: Path) -> TlsFiles:
    """A P-256 certificate for 127.0.0.1 and localhost, valid for a day; the key file is 0600."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sekisho-bench")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(cert=directory / "bench.crt", key=directory / "bench.key")
    files.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key.touch(mode=0o600)
    files.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files
