"""Throwaway ECDSA P-256 certificates for tests: self-signed, CA, and leaves a test CA signed.

Valid from a day ago for 30 days. `sekisho.utils.tls` is not used here: it makes the node's one persistent
default certificate (fixed names and SANs, written to disk), while tests need many small variations.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["IssuedCertificate", "issue_certificate", "make_ca_certificate", "make_certificate", "self_signed"]


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()


def issue_certificate(
    common_name: str,
    *,
    issuer: IssuedCertificate | None = None,
    alt_names: Sequence[x509.GeneralName] = (),
    ca: bool = False,
) -> IssuedCertificate:
    """A certificate for `common_name`, signed by `issuer` (self-signed when None).

    Adds a SubjectAlternativeName only when `alt_names` is given and BasicConstraints only when `ca` is set.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(alt_names)), critical=False)
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return IssuedCertificate(certificate, key)


def make_certificate(common_name: str = "example.com") -> tuple[str, str]:
    """A self-signed certificate and key (PEM) with `common_name` only (no SAN)."""
    issued = issue_certificate(common_name)
    return issued.cert_pem, issued.key_pem


def make_ca_certificate(common_name: str = "Test CA") -> str:
    """A self-signed CA certificate (PEM); its key is thrown away."""
    return issue_certificate(common_name, ca=True).cert_pem


def self_signed(common_name: str, directory: Path | None = None) -> tuple[str, str]:
    """A self-signed certificate and key (PEM) for `common_name`, with it as DNS SAN; written to `directory`
    as `<common_name>.crt` / `<common_name>.key` when given."""
    issued = issue_certificate(common_name, alt_names=[x509.DNSName(common_name)])
    cert_pem, key_pem = issued.cert_pem, issued.key_pem
    if directory is not None:
        (directory / f"{common_name}.crt").write_text(cert_pem)
        (directory / f"{common_name}.key").write_text(key_pem)
    return cert_pem, key_pem
