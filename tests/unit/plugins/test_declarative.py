"""Credentials and ACLs nested under consumers in a declarative configuration, as Kong writes them."""

from __future__ import annotations

from sekisho.entities import EntityRegistry
from sekisho.plugins.basic_auth.passwords import verify_password
from sekisho.store.declarative import parse_document

DOCUMENT = """
_format_version: "3.0"
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
  basicauth_credentials:
  - username: alice
    password: s3cret
  acls:
  - group: admins
  - group: users
"""


async def test_nested_credentials_load_with_their_consumer(registry: EntityRegistry) -> None:
    parsed = await parse_document(DOCUMENT, registry)
    (alice,) = parsed.entities["consumers"]
    owner = {"id": alice["id"]}
    (key,) = parsed.entities["keyauth_credentials"]
    assert key["key"] == "alice-key" and key["consumer"] == owner
    (basic,) = parsed.entities["basicauth_credentials"]
    assert basic["consumer"] == owner and verify_password(basic["password"], "s3cret")
    assert sorted(row["group"] for row in parsed.entities["acls"]) == ["admins", "users"]
    assert all(row["consumer"] == owner for row in parsed.entities["acls"])
