"""What every scenario shares during one run: a temp root, the upstream, keys, the JWKS and a tiny provider."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .keys import SigningKey, TlsFiles, write_self_signed_certificate
from .procs import ProcessSet, free_port
from .provider import BenchProvider
from .servers import RunningServer, start_nginx

__all__ = ["BenchEnvironment"]

CLIENT_ID = "sekisho-bench"
AUDIENCE = "sekisho-bench-api"


@dataclass
class BenchEnvironment:
    root: Path
    procs: ProcessSet
    upstream: RunningServer
    jwks_port: int
    signing_key: SigningKey
    tls: TlsFiles
    provider: BenchProvider
    client_secret: str
    crypto_passphrase: str
    api_key: str

    @property
    def jwks_uri(self) -> str:
        return f"https://127.0.0.1:{self.jwks_port}/jwks.json"

    def identity_requests(self) -> int:
        """Requests made so far to the provider and to the JWKS endpoint (by anyone)."""
        log = self.root / "upstream" / "jwks-access.log"
        try:
            with log.open("rb") as lines:
                jwks = sum(1 for _ in lines)
        except OSError:
            jwks = 0
        return self.provider.requests_served + jwks

    def bearer_token(self) -> str:
        """An RS256 access token for the bench audience, issued by the bench provider, valid for an hour."""
        return self.signing_key.bearer_token(issuer=self.provider.issuer, audience=AUDIENCE)

    @classmethod
    def create(cls, procs: ProcessSet) -> BenchEnvironment:
        root = Path(tempfile.mkdtemp(prefix="sekisho-bench-"))
        root.chmod(0o755)
        signing_key = SigningKey.generate()
        tls = write_self_signed_certificate(root / "tls")
        jwks_port = free_port()
        upstream = start_nginx(
            procs,
            root,
            "upstream",
            "nginx-upstream.conf",
            {
                "workers": 1,
                "tls_port": jwks_port,
                "tls_cert": tls.cert,
                "tls_key": tls.key,
                "jwks": signing_key.jwks_json(),
            },
        )
        provider = BenchProvider(signing_key, tls, f"https://127.0.0.1:{jwks_port}/jwks.json", CLIENT_ID)
        provider.start()
        return cls(
            root=root,
            procs=procs,
            upstream=upstream,
            jwks_port=jwks_port,
            signing_key=signing_key,
            tls=tls,
            provider=provider,
            client_secret=secrets.token_urlsafe(24),
            crypto_passphrase=secrets.token_urlsafe(32),
            api_key=secrets.token_urlsafe(24),
        )

    def close(self, *, keep_files: bool = False) -> None:
        self.provider.stop()
        self.procs.stop(self.upstream.process)
        if not keep_files:
            shutil.rmtree(self.root, ignore_errors=True)
