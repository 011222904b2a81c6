"""Which peers are trusted to send forwarded headers, and the real client IP (nginx realip semantics)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["TrustedIps", "real_client_ip"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_CACHE_LIMIT = 4096


class TrustedIps:
    """kong.conf `trusted_ips`: addresses and CIDRs (`0.0.0.0/0,::/0` trusts everyone)."""

    __slots__ = ("_cache", "_everyone", "_networks")

    def __init__(self, entries: Iterable[str]) -> None:
        networks: list[_Network] = []
        for entry in entries:
            entry = entry.strip()
            if not entry or entry == "unix:":
                continue
            networks.append(ipaddress.ip_network(entry, strict=False))
        self._networks = tuple(networks)
        self._everyone = {n.version for n in networks if n.prefixlen == 0} == {4, 6}
        self._cache: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self._networks)

    def is_trusted(self, address: str) -> bool:
        if not self._networks:
            return False
        if self._everyone:
            return True
        found = self._cache.get(address)
        if found is None:
            try:
                ip = ipaddress.ip_address(address.strip("[]"))
            except ValueError:
                found = False
            else:
                if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                    ip = ip.ipv4_mapped
                found = any(ip in network for network in self._networks)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[address] = found
        return found


def real_client_ip(peer: str, header_value: str | None, trusted: TrustedIps, recursive: bool) -> str:
    """The client address after `real_ip_header` processing (set_real_ip_from = trusted_ips).

    Only a trusted peer may name another address. With a list (X-Forwarded-For), the last address is
    used, or with `real_ip_recursive` the right-most one that is not itself trusted."""
    if not header_value or not trusted.is_trusted(peer):
        return peer
    candidates = [part.strip() for part in header_value.split(",") if part.strip()]
    if not candidates:
        return peer
    if not recursive:
        return _valid_or(candidates[-1], peer)
    for candidate in reversed(candidates):
        if not trusted.is_trusted(candidate):
            return _valid_or(candidate, peer)
    return _valid_or(candidates[0], peer)


def _valid_or(candidate: str, fallback: str) -> str:
    try:
        ipaddress.ip_address(candidate.strip("[]"))
    except ValueError:
        return fallback
    return candidate.strip("[]")
