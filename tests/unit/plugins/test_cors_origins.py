"""CORS origin decisions, following Kong's matching rules."""

from __future__ import annotations

from typing import Any

from sekisho.plugins.cors.handler import CorsConf, Handler, origin_headers
from sekisho.plugins.cors.origins import compile_origin, normalize_origin


def _conf(**config: Any) -> CorsConf:
    base: dict[str, Any] = {"credentials": False, "preflight_continue": False, "private_network": False}
    base["allow_origin_absent"] = True
    return Handler().prepare({**base, **config})


def test_normalize_drops_default_ports_only() -> None:
    assert normalize_origin("https://example.com:443").domain == "https://example.com"
    assert normalize_origin("http://example.com:8080").domain == "http://example.com:8080"
    assert normalize_origin("null").domain == "null"


def test_regex_origins_match_whole_host_or_origin() -> None:
    by_host = compile_origin(r".*\.example\.com")
    assert by_host.by_host and by_host.matches(normalize_origin("https://api.example.com"))
    assert not by_host.matches(normalize_origin("https://api.example.com.evil.test"))
    by_origin = compile_origin(r"^https://.*\.example\.com:8443$")
    assert by_origin.matches(normalize_origin("https://a.example.com:8443"))
    assert not by_origin.matches(normalize_origin("http://a.example.com:8443"))


def test_no_origins_allows_all() -> None:
    decision = origin_headers(_conf(), "https://a.test")
    assert decision.headers == {"Access-Control-Allow-Origin": "*"} and not decision.vary


def test_single_literal_origin_is_always_sent() -> None:
    decision = origin_headers(_conf(origins=["https://a.test"]), "https://b.test")
    assert decision.headers == {"Access-Control-Allow-Origin": "https://a.test"} and decision.vary


def test_listed_origins_echo_the_matching_request_origin() -> None:
    conf = _conf(origins=["https://a.test", r"https://.*\.b\.test"])
    assert origin_headers(conf, "https://x.b.test").headers == {"Access-Control-Allow-Origin": "https://x.b.test"}
    refused = origin_headers(conf, "https://evil.test")
    assert refused.headers == {} and refused.clear_allow_origin and refused.vary


def test_credentials_replace_the_wildcard_with_the_origin() -> None:
    decision = origin_headers(_conf(credentials=True), "https://a.test")
    assert decision.headers == {
        "Access-Control-Allow-Origin": "https://a.test",
        "Access-Control-Allow-Credentials": "true",
    }
    listed = origin_headers(_conf(origins=["https://a.test", "https://b.test"], credentials=True), "https://b.test")
    assert listed.headers["Access-Control-Allow-Credentials"] == "true"
