"""A minimal OpenID provider over https, in a thread of the harness, just enough to log a relying party in.

It serves discovery, an authorization endpoint that approves at once (no login page), and a token endpoint
that returns an RS256 id_token. It exists only to obtain a real session cookie from mod_auth_openidc (and,
later, from sekisho's openid-connect plugin) before the load run; it takes no part in the measured requests.
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .keys import SigningKey, TlsFiles

__all__ = ["BenchProvider"]

_MAX_BODY = 16 * 1024


@dataclass
class _Grant:
    client_id: str
    nonce: str | None
    issued: float


@dataclass
class BenchProvider:
    signing_key: SigningKey
    tls: TlsFiles
    jwks_uri: str
    client_id: str
    subject: str = "bench-user"
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _grants: dict[str, _Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _requests: int = 0

    @property
    def requests_served(self) -> int:
        """Requests answered so far (discovery, authorize, token), to see relying parties calling during a run."""
        with self._lock:
            return self._requests

    def _count(self) -> None:
        with self._lock:
            self._requests += 1

    @property
    def issuer(self) -> str:
        if self._server is None:
            raise RuntimeError("provider not started")
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider._count()
                provider._handle_get(self)

            def do_POST(self) -> None:
                provider._count()
                provider._handle_post(self)

            def log_message(self, format: str, *args: Any) -> None:  # silence: requests carry codes and tokens
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.tls.cert, self.tls.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="bench-provider", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": self.jwks_uri,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid"],
        }

    def _handle_get(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        if url.path == "/.well-known/openid-configuration":
            _send_json(request, 200, self.discovery())
            return
        if url.path == "/authorize":
            query = {name: values[0] for name, values in parse_qs(url.query).items()}
            redirect_uri = query.get("redirect_uri")
            if query.get("client_id") != self.client_id or not redirect_uri:
                _send_json(request, 400, {"error": "invalid_request"})
                return
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._grants[code] = _Grant(self.client_id, query.get("nonce"), time.time())
            answer = {"code": code, **({"state": query["state"]} if "state" in query else {})}
            request.send_response(302)
            request.send_header("Location", f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(answer)}")
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        _send_json(request, 404, {"error": "not_found"})

    def _handle_post(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        if urlsplit(request.path).path != "/token" or length > _MAX_BODY:
            _send_json(request, 404, {"error": "not_found"})
            return
        form = {name: values[0] for name, values in parse_qs(request.rfile.read(length).decode()).items()}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or grant is None:
            _send_json(request, 400, {"error": "invalid_grant"})
            return
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": self.subject, "aud": grant.client_id}
        claims |= {"iat": now, "exp": now + 3600, **({"nonce": grant.nonce} if grant.nonce else {})}
        access_token = self.signing_key.bearer_token(issuer=self.issuer, audience=grant.client_id)
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "id_token": self.signing_key.sign(claims),
        }
        _send_json(request, 200, body)


def _send_json(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Cache-Control", "no-store")
    request.send_header("Content-Length", str(len(payload)))
    request.end_headers()
    request.wfile.write(payload)
