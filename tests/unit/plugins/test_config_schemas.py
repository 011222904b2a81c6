"""Plugin configurations validated through the real plugins entity, with Kong's defaults and messages."""

from __future__ import annotations

from typing import Any

import pytest

from sekisho.entities import EntityRegistry
from sekisho.errors import SchemaViolation


def _config(registry: EntityRegistry, name: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    row = registry["plugins"].insert({"name": name, "config": config or {}})
    return row["config"]  # type: ignore[no-any-return]


def _errors(registry: EntityRegistry, data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(SchemaViolation) as info:
        registry["plugins"].insert(data)
    return info.value.to_kong()["fields"]  # type: ignore[no-any-return]


def test_key_auth_defaults_are_kongs(registry: EntityRegistry) -> None:
    assert _config(registry, "key-auth") == {
        "key_names": ["apikey"],
        "hide_credentials": False,
        "anonymous": None,
        "key_in_header": True,
        "key_in_query": True,
        "key_in_body": False,
        "run_on_preflight": True,
        "realm": None,
    }


def test_auth_plugins_cannot_be_scoped_to_a_consumer(registry: EntityRegistry) -> None:
    consumer = {"id": "4f1d2c1e-8d3c-4a57-9f31-3f2a1c0b9e11"}
    for name in ("key-auth", "basic-auth", "acl", "cors"):
        assert _errors(
            registry,
            {"name": name, "consumer": consumer, "config": {"allow": ["a"]}}
            if name == "acl"
            else {"name": name, "consumer": consumer},
        ) == {"consumer": "value must be null"}


def test_key_names_must_be_header_names(registry: EntityRegistry) -> None:
    fields = _errors(registry, {"name": "key-auth", "config": {"key_names": ["ok", "bad name"]}})
    assert fields == {
        "config": {
            "key_names": [None, "bad header name 'bad name', allowed characters are A-Z, a-z, 0-9, '_', and '-'"]
        }
    }


def test_basic_auth_realm_defaults_to_service(registry: EntityRegistry) -> None:
    assert _config(registry, "basic-auth") == {"anonymous": None, "hide_credentials": False, "realm": "service"}


def test_acl_needs_exactly_one_of_allow_and_deny(registry: EntityRegistry) -> None:
    assert _errors(registry, {"name": "acl"}) == {
        "config": {"@entity": ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]}
    }
    assert _errors(registry, {"name": "acl", "config": {"allow": ["a"], "deny": ["b"]}}) == {
        "config": {"@entity": ["only one of these fields must be non-empty: 'config.allow', 'config.deny'"]}
    }
    assert _config(registry, "acl", {"allow": ["admins"]})["hide_groups_header"] is False


def test_cors_rejects_bad_regexes_and_methods(registry: EntityRegistry) -> None:
    fields = _errors(registry, {"name": "cors", "config": {"origins": ["*", "(unclosed"], "methods": ["FETCH"]}})
    assert fields["config"]["origins"] == [None, "'(unclosed' is not a valid regex"]
    assert fields["config"]["methods"] == [
        "expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT"
    ]
    config = _config(registry, "cors")
    assert config["methods"] == ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
    assert config["credentials"] is False and config["preflight_continue"] is False


def test_correlation_id_defaults_and_generators(registry: EntityRegistry) -> None:
    assert _config(registry, "correlation-id") == {
        "header_name": "Kong-Request-ID",
        "generator": "uuid#counter",
        "echo_downstream": False,
    }
    fields = _errors(registry, {"name": "correlation-id", "config": {"generator": "random"}})
    assert fields == {"config": {"generator": "expected one of: uuid, uuid#counter, tracker"}}


def test_request_transformer_entries_need_values(registry: EntityRegistry) -> None:
    fields = _errors(
        registry,
        {"name": "request-transformer", "config": {"add": {"querystring": ["flag"], "headers": ["bad header:v"]}}},
    )
    assert fields == {
        "config": {
            "add": {"querystring": ["key 'flag' has no value"], "headers": ["'bad header' is not a valid header"]}
        }
    }
    config = _config(registry, "request-transformer")
    assert config["remove"] == {"body": [], "headers": [], "querystring": []}
    assert config["replace"] == {"body": [], "headers": [], "querystring": [], "uri": None}


def test_request_transformer_refuses_lua_expressions(registry: EntityRegistry) -> None:
    fields = _errors(registry, {"name": "request-transformer", "config": {"add": {"headers": ["x:$(os.exit())"]}}})
    message = fields["config"]["add"]["headers"][0]
    assert message.startswith("value '$(os.exit())' is not in supported format, error:only lookups in headers")


def test_rate_limiting_needs_a_limit_and_ordered_limits(registry: EntityRegistry) -> None:
    quoted = "'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'"
    assert _errors(registry, {"name": "rate-limiting"}) == {
        "config": {"@entity": [f"at least one of these fields must be non-empty: {quoted}"]}
    }
    fields = _errors(registry, {"name": "rate-limiting", "config": {"second": 10, "hour": 5}})
    assert fields == {
        "config": {"@entity": ["The limit for hour(5.0) cannot be lower than the limit for second(10.0)"]}
    }
    fields = _errors(registry, {"name": "rate-limiting", "config": {"minute": 5, "limit_by": "header"}})
    assert fields == {"config": {"header_name": "required field missing"}}
    fields = _errors(registry, {"name": "rate-limiting", "config": {"minute": 0}})
    assert fields == {"config": {"minute": "value must be greater than 0"}}


def test_rate_limiting_policies(registry: EntityRegistry) -> None:
    fields = _errors(registry, {"name": "rate-limiting", "config": {"minute": 5, "policy": "cluster"}})
    assert fields == {"config": {"policy": "expected one of: local, redis"}}
    fields = _errors(registry, {"name": "rate-limiting", "config": {"minute": 5, "policy": "redis"}})
    assert fields == {"config": {"redis_host": "required field missing"}}
    fields = _errors(registry, {"name": "rate-limiting", "config": {"minute": 5, "sync_rate": 10}})
    assert fields == {"config": {"sync_rate": "only -1 (synchronous counting) is supported by sekisho"}}
    config = _config(registry, "rate-limiting", {"minute": 5})
    assert config["limit_by"] == "consumer" and config["policy"] == "local" and config["fault_tolerant"] is True
    assert config["error_code"] == 429 and config["error_message"] == "API rate limit exceeded"
    assert config["redis_port"] == 6379 and config["redis_timeout"] == 2000 and config["redis_database"] == 0
    redis = _config(registry, "rate-limiting", {"minute": 5, "policy": "redis", "redis_host": "127.0.0.1"})
    assert redis["redis_host"] == "127.0.0.1" and redis["redis_ssl"] is False


def test_ip_restriction_validates_addresses(registry: EntityRegistry) -> None:
    fields = _errors(registry, {"name": "ip-restriction", "config": {"allow": ["10.0.0.0/8", "10.0.0.300"]}})
    assert fields == {"config": {"allow": [None, "invalid ip or cidr range: '10.0.0.300'"]}}
    assert _errors(registry, {"name": "ip-restriction"}) == {
        "config": {"@entity": ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]}
    }


def test_file_log_path_and_unsupported_lua(registry: EntityRegistry) -> None:
    assert _errors(registry, {"name": "file-log", "config": {"path": "/tmp/a*b"}}) == {
        "config": {"path": "not a valid filename"}
    }
    fields = _errors(
        registry, {"name": "file-log", "config": {"path": "/tmp/x.log", "custom_fields_by_lua": {"a": "1"}}}
    )
    assert fields == {
        "config": {"custom_fields_by_lua": "custom_fields_by_lua is not supported by sekisho (it runs no Lua)"}
    }
    assert _config(registry, "file-log", {"path": "/tmp/x.log"}) == {
        "path": "/tmp/x.log",
        "reopen": False,
        "custom_fields_by_lua": None,
    }
