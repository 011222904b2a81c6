"""The `certificates`, `snis` and `ca_certificates` entities.

cryptography is imported by the checks that need it, not with the module: every process loads the entity
schemas, and a proxy worker that never validates a certificate should not carry it (about 6 MB each)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sekisho.schema import EntitySchema, Foreign, String, typedefs as t

__all__ = ["CA_CERTIFICATES", "CERTIFICATES", "SNIS", "ca_cert_digest"]


def _check_cert(value: str) -> str | None:
    from cryptography import x509

    try:
        x509.load_pem_x509_certificates(value.encode())
    except ValueError as exc:
        return f"invalid certificate: {exc}"
    return None


def _check_key(value: str) -> str | None:
    from cryptography.hazmat.primitives import serialization

    try:
        serialization.load_pem_private_key(value.encode(), password=None)
    except (ValueError, TypeError) as exc:
        return f"invalid key: {exc}"
    return None


def _public_bytes(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def _cert_matches_key(cert_pem: str, key_pem: str) -> bool:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    cert = x509.load_pem_x509_certificates(cert_pem.encode())[0]
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        return False
    return _public_bytes(cert.public_key()) == _public_bytes(key.public_key())


def _certificate_checks(row: dict[str, Any]) -> dict[str, Any] | None:
    errors: dict[str, Any] = {}
    if not _cert_matches_key(row["cert"], row["key"]):
        errors.setdefault("@entity", []).append("certificate does not match key")
    if (row.get("cert_alt") is None) != (row.get("key_alt") is None):
        errors.setdefault("@entity", []).append("all or none of these fields must be set: 'cert_alt', 'key_alt'")
    elif row.get("cert_alt") is not None and not _cert_matches_key(row["cert_alt"], row["key_alt"]):
        errors.setdefault("@entity", []).append("alternative certificate does not match key")
    return errors or None


CERTIFICATES = EntitySchema(
    name="certificates",
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "cert": String(required=True, validators=[_check_cert], description="PEM certificate (chain)."),
        "key": String(required=True, encrypted=True, validators=[_check_key], description="PEM private key."),
        "cert_alt": String(validators=[_check_cert], description="Alternative PEM certificate (e.g. ECDSA)."),
        "key_alt": String(encrypted=True, validators=[_check_key], description="Alternative PEM private key."),
        "tags": t.tags(),
    },
    checks=[_certificate_checks],
)

SNIS = EntitySchema(
    name="snis",
    endpoint_key="name",
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "name": String(
            required=True,
            unique=True,
            validators=[t.check_hostname_wildcard],
            description="Server name (may start or end with a wildcard label).",
        ),
        "tags": t.tags(),
        "certificate": Foreign("certificates", required=True, description="Certificate served for this name."),
    },
)


def ca_cert_digest(pem: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(pem.encode())
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _check_ca(value: str) -> str | None:
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(value.encode())
    except ValueError as exc:
        return f"invalid certificate: {exc}"
    if len(certs) != 1:
        return "please submit only one certificate at a time"
    cert = certs[0]
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return 'certificate does not appear to be a CA because it is missing the "CA" basic constraint'
    if not constraints.ca:
        return 'certificate does not appear to be a CA because it is missing the "CA" basic constraint'
    if cert.not_valid_after_utc < datetime.now(UTC):
        return 'certificate expired, "Not After" time is in the past'
    return None


def _ca_checks(row: dict[str, Any]) -> dict[str, Any] | None:
    if row.get("cert_digest") is None:
        row["cert_digest"] = ca_cert_digest(row["cert"])
    return None


CA_CERTIFICATES = EntitySchema(
    name="ca_certificates",
    fields={
        "id": t.uuid_id(),
        "created_at": t.created_at(),
        "updated_at": t.updated_at(),
        "cert": String(required=True, validators=[_check_ca], description="PEM CA certificate."),
        "cert_digest": String(unique=True, auto=True, description="SHA-256 of the certificate (computed)."),
        "tags": t.tags(),
    },
    checks=[_ca_checks],
)
