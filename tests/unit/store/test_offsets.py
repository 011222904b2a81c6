"""Kong's opaque page offsets and their error messages."""

from __future__ import annotations

import base64

import pytest

from sekisho.errors import ErrorCode, StoreError
from sekisho.store.backend import decode_offset, encode_offset


def test_offsets_round_trip() -> None:
    token = encode_offset("0b3c5e2a-1111-4222-8333-444455556666")
    assert decode_offset(token) == "0b3c5e2a-1111-4222-8333-444455556666"
    assert token.startswith("WyI")  # base64 of a JSON array, like Kong's


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("x", "bad base64 encoding"),
        ("%%%%", "bad base64 encoding"),
        (base64.b64encode(b"not json").decode(), "bad json encoding"),
        (base64.b64encode(b'{"id": 1}').decode(), "bad json encoding"),
    ],
)
def test_bad_offsets_name_the_token_and_the_reason(token: str, reason: str) -> None:
    with pytest.raises(StoreError) as info:
        decode_offset(token)
    assert info.value.code == ErrorCode.INVALID_OFFSET
    assert info.value.message == f"'{token}' is not a valid offset: {reason}"
