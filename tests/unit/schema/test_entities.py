"""Core entity schemas against Kong's documented defaults and error bodies."""

from __future__ import annotations

from typing import Any

import pytest

from sekisho.entities import EntityRegistry
from sekisho.errors import SchemaViolation
from sekisho.schema import Integer, Record, String


def _registry() -> EntityRegistry:
    configs = {"key-auth": Record({"key_names": String(default="apikey"), "n": Integer(between=(1, 5))})}
    return EntityRegistry(configs.get)


def _violation(entity: str, data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(SchemaViolation) as info:
        _registry()[entity].insert(data)
    return info.value.to_kong()


def test_service_url_shorthand_fills_protocol_host_port_path() -> None:
    row = _registry()["services"].insert({"name": "example", "url": "https://example.com/anything"})
    assert (row["protocol"], row["host"], row["port"], row["path"]) == ("https", "example.com", 443, "/anything")
    assert row["retries"] == 5 and row["connect_timeout"] == 60000 and row["enabled"] is True
    assert row["tags"] is None and row["client_certificate"] is None


def test_several_violations_are_reported_together_like_kong() -> None:
    body = _violation("services", {"host": "a.example:80", "port": "x", "bogus": 1})
    assert body["code"] == 2 and body["name"] == "schema violation"
    assert body["fields"] == {"host": "must not have a port", "port": "expected an integer", "bogus": "unknown field"}
    assert body["message"] == (
        "3 schema violations (bogus: unknown field; host: must not have a port; port: expected an integer)"
    )


def test_route_without_matching_fields_is_an_entity_error() -> None:
    body = _violation("routes", {"protocols": ["http"]})
    assert body["fields"] == {
        "@entity": ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"]
    }


def test_route_host_wildcard_only_at_the_edges() -> None:
    body = _violation("routes", {"hosts": ["a.*.example.com"]})
    assert body["fields"] == {"hosts": ["invalid wildcard: must be placed at leftmost or rightmost label"]}


def test_route_array_errors_keep_their_positions() -> None:
    body = _violation("routes", {"paths": ["/ok", "nope"]})
    assert body["fields"] == {"paths": [None, "should start with: / (fixed path) or ~/ (regex path)"]}
    assert body["message"] == "schema violation (paths.2: should start with: / (fixed path) or ~/ (regex path))"


def test_consumer_needs_username_or_custom_id() -> None:
    body = _violation("consumers", {})
    assert body["fields"] == {"@entity": ["at least one of these fields must be non-empty: 'custom_id', 'username'"]}


def test_plugin_config_is_validated_by_the_named_plugin() -> None:
    row = _registry()["plugins"].insert({"name": "key-auth"})
    assert row["config"] == {"key_names": "apikey", "n": None}
    body = _violation("plugins", {"name": "key-auth", "config": {"n": 9, "zzz": True}})
    assert body["fields"] == {"config": {"n": "value should be between 1 and 5", "zzz": "unknown field"}}
    body = _violation("plugins", {"name": "nope"})
    assert body["fields"] == {"name": "plugin 'nope' not enabled; add it to the 'plugins' configuration property"}


def test_patch_merges_nested_records_and_keeps_identity() -> None:
    plugins = _registry()["plugins"]
    row = plugins.insert({"name": "key-auth", "config": {"n": 2}})
    patched = plugins.update(row, {"config": {"key_names": "token"}})
    assert patched["config"] == {"key_names": "token", "n": 2}
    assert patched["id"] == row["id"] and patched["created_at"] == row["created_at"]


def test_upstream_healthcheck_defaults_match_kong() -> None:
    row = _registry()["upstreams"].insert({"name": "backend"})
    active = row["healthchecks"]["active"]
    assert active["http_path"] == "/" and active["timeout"] == 1 and active["concurrency"] == 10
    assert active["unhealthy"]["http_statuses"] == [429, 404, 500, 501, 502, 503, 504, 505]
    assert row["healthchecks"]["passive"]["unhealthy"]["http_statuses"] == [429, 500, 503]
    assert row["slots"] == 10000 and row["algorithm"] == "round-robin"


def test_sets_drop_duplicates_and_form_values_are_coerced() -> None:
    routes = _registry()["routes"]
    data = routes.coerce_form({"methods": ["GET", "GET", "POST"], "paths[]": None, "strip_path": "false"})
    data.pop("paths[]")
    data["paths"] = ["/x"]
    row = routes.insert(data)
    assert row["methods"] == ["GET", "POST"] and row["strip_path"] is False
