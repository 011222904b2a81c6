"""IP and CIDR decisions of ip-restriction."""

from __future__ import annotations

from sekisho.plugins.ip_restriction.handler import Handler, is_refused


def test_allow_list_refuses_everything_else() -> None:
    conf = Handler().prepare({"allow": ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]})
    assert not is_refused(conf, "10.1.2.3")
    assert not is_refused(conf, "2001:db8::1")
    assert not is_refused(conf, "192.0.2.7")
    assert not is_refused(conf, "::ffff:10.9.9.9")  # IPv4-mapped IPv6 is the IPv4 address
    assert is_refused(conf, "192.0.2.8")
    assert is_refused(conf, "not-an-ip")


def test_deny_wins_over_allow() -> None:
    conf = Handler().prepare({"allow": ["10.0.0.0/8"], "deny": ["10.0.0.5"]})
    assert is_refused(conf, "10.0.0.5") and not is_refused(conf, "10.0.0.6")


def test_deny_only_lets_others_through_with_custom_status() -> None:
    conf = Handler().prepare({"deny": ["127.0.0.1"], "status": 401, "message": "go away"})
    assert is_refused(conf, "127.0.0.1") and not is_refused(conf, "127.0.0.2")
    assert (conf.status, conf.message) == (401, "go away")
    default = Handler().prepare({"deny": ["127.0.0.1"]})
    assert (default.status, default.message) == (403, "Your IP address is not allowed")
