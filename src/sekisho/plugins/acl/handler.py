"""`acl`: allow or deny consumers by the groups they belong to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sekisho.pdk import PDK
from sekisho.plugins.acl.daos import ACLS
from sekisho.plugins.acl.schema import CONFIG
from sekisho.plugins.base import Plugin

__all__ = ["AclConf", "Handler", "decide"]

FORBIDDEN = "You cannot consume this service"
CONSUMER_GROUPS_HEADER = "X-Consumer-Groups"
AUTHENTICATED_GROUPS_HEADER = "X-Authenticated-Groups"


@dataclass(frozen=True, slots=True)
class AclConf:
    deny_listed: bool  # True: `deny` groups are refused; False: only `allow` groups pass
    groups: frozenset[str]
    hide_groups_header: bool
    always_use_authenticated_groups: bool


def decide(conf: AclConf, member_of: Sequence[str]) -> bool:
    """Whether a caller in `member_of` groups may pass."""
    in_group = not conf.groups.isdisjoint(member_of)
    return not in_group if conf.deny_listed else in_group


def _authenticated_groups(kong: PDK) -> list[str] | None:
    """Groups an authentication plugin (e.g. openid-connect, ldap-auth) stored for this request."""
    groups = kong.ctx.shared.get("authenticated_groups")
    if groups is None:
        return None
    if not isinstance(groups, list | tuple) or not all(isinstance(g, str) for g in groups):
        kong.log.warn("invalid authenticated_groups, a list of strings was expected")
        return None
    return list(groups)


class Handler(Plugin[AclConf]):
    NAME = "acl"
    PRIORITY = 950
    VERSION = "3.4.0"
    CONFIG = CONFIG
    DAOS = (ACLS,)
    NO_CONSUMER = True

    def prepare(self, config: Mapping[str, Any]) -> AclConf:
        deny = config.get("deny") or []
        return AclConf(
            deny_listed=bool(deny),
            groups=frozenset(deny or config.get("allow") or []),
            hide_groups_header=bool(config["hide_groups_header"]),
            always_use_authenticated_groups=bool(config["always_use_authenticated_groups"]),
        )

    async def access(self, kong: PDK, conf: AclConf) -> None:
        consumer = kong.client.get_consumer()
        credential = kong.client.get_credential()
        consumer_id = consumer.get("id") if consumer else None
        if consumer_id is None and credential:
            consumer_id = (credential.get("consumer") or {}).get("id") or credential.get("consumer_id")

        authenticated: list[str] | None = None
        if consumer_id is None or credential is None or conf.always_use_authenticated_groups:
            authenticated = _authenticated_groups(kong)

        if authenticated is not None:
            groups, header = authenticated, AUTHENTICATED_GROUPS_HEADER
        elif consumer_id is None:
            if credential is not None:
                kong.response.error(403, FORBIDDEN)
            kong.response.error(401)
        else:
            groups, header = await _consumer_groups(kong, consumer_id), CONSUMER_GROUPS_HEADER
            if not groups and not conf.deny_listed:
                if credential is not None:
                    kong.response.error(403, FORBIDDEN)
                kong.response.error(401)

        if not decide(conf, groups):
            kong.response.error(403, FORBIDDEN)
        if not conf.hide_groups_header and groups:
            kong.service.request.set_header(header, ", ".join(groups))


async def _consumer_groups(kong: PDK, consumer_id: str) -> list[str]:
    async def load() -> list[str]:
        rows = await kong.db("acls").each_for("consumer", consumer_id)
        return [row["group"] for row in rows if isinstance(row.get("group"), str)]

    groups = await kong.cache.get(("acls", consumer_id), load)
    return list(groups) if isinstance(groups, list) else []
