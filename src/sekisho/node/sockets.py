"""Binding listeners before serving, so a taken port is reported at start with the key that asked for it."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from sekisho.config import ListenSpec
from sekisho.errors import SekishoError

__all__ = ["BoundListener", "ListenError", "bind_all", "bind_listener"]


class ListenError(SekishoError):
    """A listener could not be opened; the message names the key and the address."""

    def __init__(self, key: str, spec: ListenSpec, reason: str) -> None:
        super().__init__(f"{key}: cannot listen on {spec.host}:{spec.port}: {reason}")
        self.key = key
        self.spec = spec
        self.reason = reason


@dataclass(slots=True)
class BoundListener:
    """A bound, listening socket with the spec it came from (`port` is the real one when the spec said 0)."""

    key: str
    spec: ListenSpec
    sock: socket.socket
    listening: bool = True

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        return self.spec.url(self.port)


def bind_listener(key: str, spec: ListenSpec, *, reuseport: bool | None = None, listen: bool = True) -> BoundListener:
    """Bind (and by default listen). `listen=False` only reserves the address: with SO_REUSEPORT, worker
    processes then bind their own listening sockets and the kernel spreads connections across them."""
    host = "" if spec.host in ("*",) else spec.host
    try:
        infos = socket.getaddrinfo(host or None, spec.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(key, spec, f"cannot resolve host ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if (spec.reuseport if reuseport is None else reuseport) and hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        if listen:
            sock.listen(spec.backlog or 511)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise ListenError(key, spec, reason) from None
    return BoundListener(key, spec, sock, listening=listen)


def bind_all(groups: dict[str, tuple[ListenSpec, ...]], *, reuseport: bool | None = None) -> list[BoundListener]:
    """Bind every spec of every key, closing what was opened if one fails."""
    bound: list[BoundListener] = []
    try:
        for key, specs in groups.items():
            for spec in specs:
                bound.append(bind_listener(key, spec, reuseport=reuseport))
    except ListenError:
        for listener in bound:
            listener.sock.close()
        raise
    return bound
