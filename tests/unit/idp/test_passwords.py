from __future__ import annotations

import pytest

from sekisho.idp.errors import CognitoError
from sekisho.idp.passwords import DEFAULT_PASSWORD_POLICY, check_policy, hash_password, verify_password


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Aa1!", "Password not long enough"),
        ("AAAAAAA1!", "Password must have lowercase characters"),
        ("aaaaaaa1!", "Password must have uppercase characters"),
        ("Aaaaaaaa!", "Password must have numeric characters"),
        ("Aaaaaaaa1", "Password must have symbol characters"),
    ],
)
def test_default_policy_messages(password: str, reason: str) -> None:
    with pytest.raises(CognitoError) as exc:
        check_policy(password, DEFAULT_PASSWORD_POLICY)
    assert exc.value.type_name == "InvalidPasswordException"
    assert exc.value.message == f"Password did not conform with policy: {reason}"


def test_space_counts_as_a_symbol_and_hashes_verify() -> None:
    check_policy("Aaaaaaa1 ", DEFAULT_PASSWORD_POLICY)
    stored = hash_password("Sekisho-Passw0rd!")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "Sekisho-Passw0rd!")
    assert not verify_password(stored, "sekisho-passw0rd!")
    assert not verify_password(None, "x")
