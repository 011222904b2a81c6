"""IP/CIDR lists compiled once per configuration, matched per request."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["NetworkList"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class NetworkList:
    networks: tuple[_Network, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> NetworkList:
        return cls(tuple(ipaddress.ip_network(e, strict=False) for e in entries))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def contains(self, address: str) -> bool:
        """Whether `address` is in any network; unparsable addresses match nothing."""
        try:
            ip = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            mapped: ipaddress.IPv4Address | ipaddress.IPv6Address = ip.ipv4_mapped
            return any(mapped in net or ip in net for net in self.networks)
        return any(ip in net for net in self.networks)
