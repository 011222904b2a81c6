"""Per-pool signing keys: two kids, rotation keeps old public keys until their tokens have expired."""

from __future__ import annotations

from pathlib import Path

from sekisho.idp.clock import FixedClock
from sekisho.idp.keys import KeyRing
from sekisho.idp.store import Put
from sekisho.idp.store.sqlite import SqliteStore

POOL = "us-east-1_Pool00001"


async def test_rotation_keeps_old_public_keys_until_their_tokens_expire(tmp_path: Path) -> None:
    clock = FixedClock(1_700_000_000)
    store = SqliteStore(tmp_path / "k.sqlite3")
    keys = KeyRing(store, clock)
    # The pool's longest-lived token: ID tokens of 2 hours.
    client = {"ClientId": "c", "IdTokenValidity": 2, "TokenValidityUnits": {"IdToken": "hours"}}
    await store.apply([Put("client", POOL, "c", client)])
    first_id = await keys.current(POOL, "id")
    first_access = await keys.current(POOL, "access")
    assert first_id.kid != first_access.kid and len(first_id.kid) == 44
    assert (await keys.current(POOL, "id")).kid == first_id.kid
    assert (await keys.current("us-east-1_Pool00002", "id")).kid != first_id.kid
    clock.advance(10)
    new_kids = await keys.rotate(POOL)
    assert (await keys.current(POOL, "id")).kid in new_kids
    published = {k["kid"] for k in (await keys.jwks(POOL))["keys"]}
    assert published == {first_id.kid, first_access.kid, *new_kids}
    clock.advance(7199)
    assert await keys.public_key(POOL, first_id.kid) is not None
    clock.advance(2)
    assert {k["kid"] for k in (await keys.jwks(POOL))["keys"]} == set(new_kids)
    assert await keys.public_key(POOL, first_id.kid) is None
    await store.close()
