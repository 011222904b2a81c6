"""`ip-restriction`: refuse clients by IP address or CIDR range."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sekisho.pdk import PDK
from sekisho.plugins.base import Plugin
from sekisho.plugins.ip_restriction.networks import NetworkList
from sekisho.plugins.ip_restriction.schema import CONFIG

__all__ = ["Handler", "IpRestrictionConf", "is_refused"]

DEFAULT_MESSAGE = "Your IP address is not allowed"


@dataclass(frozen=True, slots=True)
class IpRestrictionConf:
    allow: NetworkList
    deny: NetworkList
    status: int
    message: str


def is_refused(conf: IpRestrictionConf, address: str) -> bool:
    """Deny wins; with an allow list, anything outside it is refused (unparsable addresses too)."""
    if conf.deny and conf.deny.contains(address):
        return True
    return bool(conf.allow) and not conf.allow.contains(address)


class Handler(Plugin[IpRestrictionConf]):
    NAME = "ip-restriction"
    PRIORITY = 990
    VERSION = "3.4.0"
    CONFIG = CONFIG

    def prepare(self, config: Mapping[str, Any]) -> IpRestrictionConf:
        return IpRestrictionConf(
            allow=NetworkList.parse(config.get("allow") or []),
            deny=NetworkList.parse(config.get("deny") or []),
            status=int(config.get("status") or 403),
            message=config.get("message") or DEFAULT_MESSAGE,
        )

    async def access(self, kong: PDK, conf: IpRestrictionConf) -> None:
        address = kong.client.get_ip()
        if not _is_ip(address):
            kong.response.error(403, "Cannot identify the client IP address, unix domain sockets are not supported.")
        if is_refused(conf, address):
            kong.log.warn("IP address not allowed: ", address)
            kong.response.error(conf.status, conf.message)


def _is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    return True
