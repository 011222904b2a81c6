"""TLS server contexts per SNI, built from `certificates` and `snis` rows (off the hot path).

The ssl module loads certificates only from files, so each PEM pair is written to a private temporary
file (mode 0600), loaded, and removed at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CertificateStore", "client_context", "server_context"]

logger = logging.getLogger("sekisho.runtime")
Row = dict[str, Any]


def server_context(cert_pem: str | None = None, key_pem: str | None = None) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2+), loaded with a PEM pair when given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    if cert_pem is not None and key_pem is not None:
        load_pem_pair(ctx, cert_pem, key_pem)
    return ctx


def client_context(
    *, verify: bool, ca_pems: list[str] | None = None, client_pair: tuple[str, str] | None = None
) -> ssl.SSLContext:
    """A TLS client context for upstream connections: verification against the system store or the
    given CA certificates (service.tls_verify, ca_certificates), and an optional client certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if verify:
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        if ca_pems:
            ctx.load_verify_locations(cadata="\n".join(pem.strip() for pem in ca_pems))
        else:
            ctx.load_default_certs()
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # Kong's default: proxy_ssl_verify off
    if client_pair is not None:
        load_pem_pair(ctx, client_pair[0], client_pair[1])
    return ctx


def load_pem_pair(ctx: ssl.SSLContext, cert_pem: str, key_pem: str) -> None:
    fd, path = tempfile.mkstemp(prefix="sekisho-cert-", suffix=".pem")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key_pem.strip() + "\n" + cert_pem.strip() + "\n")
        ctx.load_cert_chain(path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


class CertificateStore:
    """SNI name (exact, `*.suffix` or `prefix.*`) -> SSLContext."""

    __slots__ = ("_exact", "_prefix", "_suffix")

    def __init__(self, certificates: Iterable[Row], snis: Iterable[Row]) -> None:
        contexts: dict[str, ssl.SSLContext] = {}
        by_id: Mapping[str, Row] = {str(c["id"]): c for c in certificates}
        self._exact: dict[str, ssl.SSLContext] = {}
        self._suffix: list[tuple[str, ssl.SSLContext]] = []
        self._prefix: list[tuple[str, ssl.SSLContext]] = []
        for sni in snis:
            cert_ref = sni.get("certificate") or {}
            cert_id = str(cert_ref.get("id")) if isinstance(cert_ref, Mapping) else None
            cert = by_id.get(cert_id) if cert_id else None
            if cert is None:
                continue
            ctx = contexts.get(cert_id or "")
            if ctx is None:
                try:
                    ctx = server_context(cert["cert"], cert["key"])
                    if cert.get("cert_alt") and cert.get("key_alt"):
                        load_pem_pair(ctx, cert["cert_alt"], cert["key_alt"])
                except (ssl.SSLError, OSError, ValueError):
                    logger.exception("certificate %s could not be loaded", cert_id)
                    continue
                contexts[cert_id or ""] = ctx
            name = str(sni["name"]).lower()
            if name.startswith("*."):
                self._suffix.append((name[1:], ctx))
            elif name.endswith(".*"):
                self._prefix.append((name[:-1], ctx))
            else:
                self._exact[name] = ctx
        self._suffix.sort(key=lambda item: -len(item[0]))
        self._prefix.sort(key=lambda item: -len(item[0]))

    def __bool__(self) -> bool:
        return bool(self._exact or self._suffix or self._prefix)

    def lookup(self, server_name: str | None) -> ssl.SSLContext | None:
        if not server_name:
            return None
        name = server_name.lower()
        found = self._exact.get(name)
        if found is not None:
            return found
        for suffix, ctx in self._suffix:
            if name.endswith(suffix):
                return ctx
        for prefix, ctx in self._prefix:
            if name.startswith(prefix):
                return ctx
        return None
