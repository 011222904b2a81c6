"""Per-pool signing keys: two kids, rotation keeps old public keys until their tokens have expired."""

from __future__ import annotations

from pathlib import Path

from sekisho.idp.clock import FixedClock
from sekisho.idp.keys import MAX_TOKEN_LIFETIME_SECONDS, KeyRing
from sekisho.idp.store.sqlite import SqliteStore


async def test_rotation_keeps_old_public_keys_until_their_tokens_expire(tmp_path: Path) -> None:
    clock = FixedClock(1_700_000_000)
    store = SqliteStore(tmp_path / "k.sqlite3")
    keys = KeyRing(store, clock)
    first_id = await keys.current("us-east-1_Pool00001", "id")
    first_access = await keys.current("us-east-1_Pool00001", "access")
    assert first_id.kid != first_access.kid and len(first_id.kid) == 44
    assert (await keys.current("us-east-1_Pool00001", "id")).kid == first_id.kid
    other_pool = await keys.current("us-east-1_Pool00002", "id")
    assert other_pool.kid != first_id.kid
    clock.advance(10)
    new_kids = await keys.rotate("us-east-1_Pool00001")
    assert (await keys.current("us-east-1_Pool00001", "id")).kid in new_kids
    published = {k["kid"] for k in (await keys.jwks("us-east-1_Pool00001"))["keys"]}
    assert published == {first_id.kid, first_access.kid, *new_kids}
    assert await keys.public_key("us-east-1_Pool00001", first_id.kid) is not None
    clock.advance(MAX_TOKEN_LIFETIME_SECONDS + 1)
    published = {k["kid"] for k in (await keys.jwks("us-east-1_Pool00001"))["keys"]}
    assert published == set(new_kids)
    assert await keys.public_key("us-east-1_Pool00001", first_id.kid) is None
    await store.close()
