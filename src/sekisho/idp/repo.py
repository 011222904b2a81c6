"""Typed access to the IdP's records on top of the store adapter."""

from __future__ import annotations

from typing import Any

from sekisho.idp.errors import CognitoError
from sekisho.idp.models import Client, Pool, User, attribute_map, user_key, uses_email_as_username
from sekisho.idp.store import Delete, Insert, Op, Put, StoreAdapter

__all__ = ["Repository"]


class Repository:
    def __init__(self, store: StoreAdapter) -> None:
        self.store = store

    # -- pools ---------------------------------------------------------------------------------------------
    async def pool(self, pool_id: str) -> Pool:
        pool = await self.store.get("pool", "", pool_id)
        if pool is None:
            raise CognitoError.not_found(f"User pool {pool_id} does not exist.")
        return pool

    async def pools(self) -> list[Pool]:
        return await self.store.list("pool", "")

    async def put_pool(self, pool: Pool) -> None:
        await self.store.apply([Put("pool", "", pool["Id"], pool)])

    # -- clients -------------------------------------------------------------------------------------------
    async def client(self, pool_id: str, client_id: str) -> Client:
        client = await self.store.get("client", pool_id, client_id)
        if client is None:
            raise CognitoError.not_found(f"User pool client {client_id} does not exist.")
        return client

    async def client_anywhere(self, client_id: str) -> tuple[Pool, Client]:
        """Find a client by id alone (InitiateAuth, the token endpoint): Cognito's client ids are global."""
        index = await self.store.get("client_index", "", client_id)
        if index is None:
            raise CognitoError.not_found(f"User pool client {client_id} does not exist.")
        pool = await self.pool(index["pool_id"])
        return pool, await self.client(pool["Id"], client_id)

    async def clients(self, pool_id: str) -> list[Client]:
        return await self.store.list("client", pool_id)

    def client_ops(self, client: Client) -> list[Op]:
        return [
            Put("client", client["UserPoolId"], client["ClientId"], client),
            Put("client_index", "", client["ClientId"], {"pool_id": client["UserPoolId"]}),
        ]

    # -- users ---------------------------------------------------------------------------------------------
    async def user(self, pool: Pool, username: str) -> User | None:
        """A user by username, or by the email when email is the username or an alias."""
        found = await self.store.get("user", pool["Id"], user_key(pool, username))
        if found is not None:
            return found
        if "@" in username and (uses_email_as_username(pool) or "email" in (pool.get("AliasAttributes") or [])):
            alias = await self.store.get("alias", pool["Id"], alias_key("email", username))
            if alias is not None:
                user = await self.store.get("user", pool["Id"], alias["user_key"])
                # An alias of a user whose email has changed since is stale.
                if user is not None and (attribute_map(user).get("email") or "").lower() == username.lower():
                    return user
        return None

    async def require_user(self, pool: Pool, username: str) -> User:
        user = await self.user(pool, username)
        if user is None:
            raise CognitoError.user_not_found()
        return user

    async def users(self, pool_id: str) -> list[User]:
        return await self.store.list("user", pool_id)

    async def create_user(self, pool: Pool, user: User) -> None:
        """Insert a user and its unique aliases atomically (UsernameExistsException on a clash)."""
        from sekisho.idp.store import Conflict

        ops: list[Op] = [Insert("user", pool["Id"], user["_key"], user)]
        email = attribute_map(user).get("email")
        if email and uses_email_as_username(pool):
            ops.insert(0, Insert("alias", pool["Id"], alias_key("email", email), {"user_key": user["_key"]}))
        try:
            await self.store.apply(ops)
        except Conflict as exc:
            if exc.kind == "alias" or uses_email_as_username(pool):
                raise CognitoError.username_exists("An account with the given email already exists.") from exc
            raise CognitoError.username_exists() from exc

    async def save_user(self, pool: Pool, user: User, extra: list[Op] | None = None) -> None:
        ops: list[Op] = [Put("user", pool["Id"], user["_key"], user), *(extra or [])]
        ops += await self._alias_ops(pool, user)
        await self.store.apply(ops)

    async def _alias_ops(self, pool: Pool, user: User) -> list[Op]:
        """With `AliasAttributes: [email]` a verified email becomes a sign-in name, unique among verified users."""
        attrs = attribute_map(user)
        email = attrs.get("email")
        if "email" not in (pool.get("AliasAttributes") or []) or not email or attrs.get("email_verified") != "true":
            return []
        key = alias_key("email", email)
        current = await self.store.get("alias", pool["Id"], key)
        if current is not None and current["user_key"] != user["_key"]:
            owner = await self.store.get("user", pool["Id"], current["user_key"])
            owner_attrs = attribute_map(owner) if owner else {}
            if (owner_attrs.get("email") or "").lower() == email.lower() and owner_attrs.get(
                "email_verified"
            ) == "true":
                raise CognitoError("AliasExistsException", "An account with the given email already exists.")
        return [Put("alias", pool["Id"], key, {"user_key": user["_key"]})]

    async def delete_user(self, pool: Pool, user: User) -> None:
        ops: list[Op] = [Delete("user", pool["Id"], user["_key"])]
        email = attribute_map(user).get("email")
        if email:
            alias = await self.store.get("alias", pool["Id"], alias_key("email", email))
            if alias is not None and alias["user_key"] == user["_key"]:
                ops.append(Delete("alias", pool["Id"], alias_key("email", email)))
        await self.store.apply(ops)

    # -- groups, resource servers, domains -------------------------------------------------------------------
    async def group(self, pool_id: str, name: str) -> dict[str, Any]:
        group = await self.store.get("group", pool_id, name)
        if group is None:
            raise CognitoError.not_found("Group not found.")
        return group

    async def resource_servers(self, pool_id: str) -> list[dict[str, Any]]:
        return await self.store.list("resource_server", pool_id)

    async def domain(self, prefix: str) -> dict[str, Any] | None:
        return await self.store.get("domain", "", prefix)


def alias_key(attribute: str, value: str) -> str:
    return f"{attribute}:{value.lower()}"
