"""The node's default TLS certificate and server SSL contexts.

On first start a self-signed ECDSA P-256 certificate for `localhost` and `127.0.0.1` is generated into
`<prefix>/ssl/default.crt|key` (key mode 0600) and reused on later starts, like Kong's
`kong-default.crt`. Configured `ssl_cert`/`ssl_cert_key` replace it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path

__all__ = ["default_certificate_paths", "ensure_default_certificate", "server_ssl_context"]

_VALID_DAYS = 3650


def default_certificate_paths(ssl_dir: Path) -> tuple[Path, Path]:
    return ssl_dir / "default.crt", ssl_dir / "default.key"


def ensure_default_certificate(ssl_dir: Path, common_name: str = "localhost") -> tuple[Path, Path]:
    """Create the self-signed default certificate unless a usable pair already exists; return its paths."""
    cert_path, key_path = default_certificate_paths(ssl_dir)
    if cert_path.is_file() and key_path.is_file() and _pair_loads(cert_path, key_path):
        return cert_path, key_path
    # Imported only to make a certificate: a worker that finds the pair made at first start never loads them.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ssl_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sekisho"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_VALID_DAYS))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
                    x509.IPAddress(ipaddress.IPv6Address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp_key = key_path.with_suffix(".key.tmp")
    fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    os.chmod(tmp_key, 0o600)
    os.replace(tmp_key, key_path)
    tmp_cert = cert_path.with_suffix(".crt.tmp")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp_cert, cert_path)
    return cert_path, key_path


def _pair_loads(cert_path: Path, key_path: Path) -> bool:
    try:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
    except (OSError, ssl.SSLError):
        return False
    return True


def server_ssl_context(cert_path: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> ssl.SSLContext:
    """A TLS 1.2+ server context for a certificate/key pair."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path)
    context.set_alpn_protocols(["http/1.1"])
    return context
