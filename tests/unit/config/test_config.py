from __future__ import annotations

import json
from pathlib import Path

import pytest

from sekisho.config import (
    ListenSpec,
    LogTarget,
    config_from_env_file,
    load_config,
    parse_conf_text,
    parse_listen,
    parse_size,
    write_env_file,
)
from sekisho.errors import ConfigError


def load(tmp_path: Path, conf: str | None = None, env: dict[str, str] | None = None, **kw: str):  # type: ignore[no-untyped-def]
    conf_file = None
    if conf is not None:
        conf_file = tmp_path / "sekisho.conf"
        conf_file.write_text(conf)
    return load_config(conf_file, env=env or {}, cwd=tmp_path, overrides=kw or None)


def test_defaults_follow_kong_where_sensible(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert config.database == "sqlite"
    assert config.prefix == tmp_path / "servroot"
    assert config.proxy_listen == (
        ListenSpec("0.0.0.0", 8000, reuseport=True, backlog=16384),
        ListenSpec("0.0.0.0", 8443, ssl=True, http2=True, reuseport=True, backlog=16384),
    )
    assert [str(s) for s in config.admin_listen] == [
        "127.0.0.1:8001 reuseport backlog=16384",
        "127.0.0.1:8444 ssl http2 reuseport backlog=16384",
    ]
    assert config.status_listen == ()
    assert config.log_level == "notice"
    assert config.client_body_buffer_size == 8192
    assert config.client_max_body_size == 0
    assert config.mem_cache_size == 128 * 1024 * 1024
    assert config.plugins == ("bundled",)
    assert config.enabled_headers == {
        "Server",
        "Via",
        "X-Kong-Proxy-Latency",
        "X-Kong-Response-Latency",
        "X-Kong-Upstream-Latency",
        "X-Kong-Admin-Latency",
    }
    assert config.proxy_access_log == LogTarget("logs/access.log", "combined")
    assert config.resolve("logs/access.log") == tmp_path / "servroot" / "logs" / "access.log"
    assert config.sqlite_file == tmp_path / "servroot" / "sekisho.db"
    assert config.warnings == ()


def test_precedence_file_then_kong_env_then_sekisho_env(tmp_path: Path) -> None:
    conf = "log_level = info\npg_host = from-file\npg_port = 5433\nmem_cache_size = 1m\n"
    only_file = load(tmp_path, conf)
    assert (only_file.log_level, only_file.pg_host, only_file.pg_port) == ("info", "from-file", 5433)

    env = {"KONG_PG_HOST": "from-kong", "KONG_LOG_LEVEL": "debug", "SEKISHO_LOG_LEVEL": "warn"}
    config = load(tmp_path, conf, env)
    assert config.pg_host == "from-kong"  # KONG_ beats the file
    assert config.log_level == "warn"  # SEKISHO_ beats KONG_
    assert config.pg_port == 5433  # untouched keys keep the file's value
    assert config.mem_cache_size == 1024 * 1024


def test_command_line_overrides_beat_environment(tmp_path: Path) -> None:
    config = load(tmp_path, None, {"SEKISHO_PREFIX": str(tmp_path / "env")}, prefix=str(tmp_path / "flag"))
    assert config.prefix == tmp_path / "flag"


def test_conf_file_syntax_comments_and_escapes(tmp_path: Path) -> None:
    values = parse_conf_text("# comment\n\nlog_level = debug   # trailing\nportal_emails_from = a\\#b@x\nX = 1\n")
    assert values == {"log_level": "debug", "portal_emails_from": "a#b@x", "x": "1"}
    with pytest.raises(ConfigError) as err:
        parse_conf_text("just words\n", "my.conf")
    assert err.value.key == "my.conf"
    assert "line 1" in err.value.reason


def test_default_conf_file_is_found_in_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "sekisho.conf").write_text("log_level = crit\n")
    config = load_config(env={}, cwd=tmp_path)
    assert config.log_level == "crit"
    assert config.conf_file == tmp_path / "sekisho.conf"


def test_missing_explicit_conf_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "nope.conf", env={})
    assert err.value.key == "conf"


SEED_DOCKER_ENV = {
    "KONG_DATABASE": "postgres",
    "KONG_PG_HOST": "kong-ee-database",
    "KONG_CASSANDRA_CONTACT_POINTS": "kong-ee-database",
    "KONG_PROXY_ACCESS_LOG": "/dev/stdout",
    "KONG_ADMIN_ACCESS_LOG": "/dev/stdout",
    "KONG_PROXY_ERROR_LOG": "/dev/stderr",
    "KONG_ADMIN_ERROR_LOG": "/dev/stderr",
    "KONG_ADMIN_LISTEN": "0.0.0.0:8001 , 0.0.0.0:8444 ssl",
    "KONG_PORTAL": "on",
    "KONG_ENFORCE_RBAC": "off",
    "KONG_ADMIN_GUI_URL": "http://kong-ee:8002",
    "KONG_AUDIT_LOG": "on",
    "KONG_PORTAL_GUI_PROTOCOL": "https",
    "KONG_PORTAL_GUI_HOST": "kong-ee:8446",
    "KONG_LICENSE_DATA": "",
}


def test_the_seed_docker_environment_is_accepted(tmp_path: Path) -> None:
    config = load(tmp_path, None, SEED_DOCKER_ENV)
    assert config.database == "postgres"
    assert config.pg_host == "kong-ee-database"
    assert config.proxy_access_log == LogTarget("/dev/stdout")
    assert config.admin_error_log == LogTarget("/dev/stderr")
    assert config.admin_listen == (ListenSpec("0.0.0.0", 8001), ListenSpec("0.0.0.0", 8444, ssl=True))
    assert config.portal is True
    assert config.audit_log is True
    assert config.enforce_rbac == "off"
    assert config.admin_gui_url == "http://kong-ee:8002"
    assert config.portal_gui_protocol == "https"
    assert config.portal_gui_host == "kong-ee:8446"
    assert config.license_data is None
    assert config.warnings == ()
    assert any("cassandra_contact_points" in note for note in config.notes)


def test_license_and_passwords_are_redacted_when_shown(tmp_path: Path) -> None:
    config = load(tmp_path, None, {"KONG_LICENSE_DATA": '{"license": "x"}', "KONG_PG_PASSWORD": "hunter2"})
    shown = config.to_kong_dict()
    assert shown["pg_password"] == "******"
    assert shown["license_data"] == "******"
    assert "hunter2" not in json.dumps(shown)
    assert config.to_kong_dict(redact=False)["pg_password"] == "hunter2"


def test_unknown_keys_warn_and_start_continues(tmp_path: Path) -> None:
    config = load(
        tmp_path, "no_such_key = 1\n", {"SEKISHO_ALSO_UNKNOWN": "x", "KONG_NGINX_HTTP_OUTPUT_BUFFERS": "4 64k"}
    )
    assert config.warnings == (
        "unknown configuration key 'also_unknown' ignored",
        "unknown configuration key 'no_such_key' ignored",
    )
    assert any("nginx_http_output_buffers" in note for note in config.notes)


@pytest.mark.parametrize(
    ("key", "value", "reason_part"),
    [
        ("database", "mysql", "invalid value"),
        ("database", "cassandra", "cassandra is not supported"),
        ("pg_port", "http", "not an integer"),
        ("pg_port", "70000", "at most 65535"),
        ("pg_ssl", "maybe", "invalid boolean"),
        ("log_level", "verbose", "invalid value"),
        ("proxy_listen", "8000", "must be of form"),
        ("proxy_listen", "0.0.0.0:8000 sslx", "unknown flag 'sslx'"),
        ("admin_listen", "127.0.0.1:99999", "invalid port"),
        ("status_listen", "127.0.0.1:8100 backlog=x", "invalid backlog"),
        ("client_max_body_size", "10q", "invalid size"),
        ("client_body_buffer_size", "-1", "invalid size"),
        ("mem_cache_size", "lots", "invalid size"),
        ("headers", "server_tokens, X-Bogus", "invalid header value"),
        ("trusted_ips", "10.0.0.0/8, not-an-ip", "invalid IP"),
        ("nginx_worker_processes", "0", "at least 1"),
        ("nginx_worker_processes", "many", "not an integer"),
        ("db_update_frequency", "0", "greater than 0"),
        ("error_default_type", "image/png", "invalid value"),
        ("proxy_access_log", "/dev/stdout yaml", "unknown log format"),
        ("portal_auth_conf", "{not json", "not valid JSON"),
        ("portal_auth_conf", "[1]", "JSON object"),
        ("admin_gui_url", "kong-ee:8002", "not an http(s) URL"),
        ("ssl_cert", "/nonexistent/cert.pem", "no such file"),
        ("role", "data_plane", "invalid value"),
        ("enforce_rbac", "sometimes", "invalid value"),
        ("large_client_header_buffers", "8k", "expected '<number> <size>'"),
        ("large_client_header_buffers", "4 100", "at least 1k"),
        ("allow_debug_header", "maybe", "invalid boolean"),
    ],
)
def test_each_invalid_value_names_its_key(tmp_path: Path, key: str, value: str, reason_part: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, None, {f"KONG_{key.upper()}": value})
    assert err.value.key == key
    assert reason_part in err.value.reason
    assert str(err.value).startswith(f"{key}: ")


def test_cross_key_checks_name_the_missing_key(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError) as err:
        load(tmp_path, None, {"KONG_SSL_CERT": str(cert)})
    assert err.value.key == "ssl_cert_key"
    with pytest.raises(ConfigError) as err:
        load(tmp_path, None, {"KONG_DATABASE": "off", "KONG_DECLARATIVE_CONFIG": str(tmp_path / "none.yml")})
    assert err.value.key == "declarative_config"
    with pytest.raises(ConfigError) as err:
        load(tmp_path, None, {"KONG_ADMIN_LISTEN": "0.0.0.0:8000"})
    assert err.value.key == "admin_listen"
    assert "already used by proxy_listen" in err.value.reason


def test_listen_syntax() -> None:
    assert parse_listen("off") == ()
    assert parse_listen(" OFF ") == ()
    assert parse_listen("[::1]:8000 ssl proxy_protocol, localhost:9000 deferred bind ipv6only=on") == (
        ListenSpec("::1", 8000, ssl=True, proxy_protocol=True),
        ListenSpec("localhost", 9000, deferred=True, bind=True),
    )
    assert parse_listen("127.0.0.1:0")[0].port == 0
    assert ListenSpec("0.0.0.0", 8443, ssl=True).url() == "https://127.0.0.1:8443"
    assert ListenSpec("::1", 80).url() == "http://[::1]:80"
    with pytest.raises(ValueError, match="empty entry"):
        parse_listen("127.0.0.1:1,,127.0.0.1:2")
    with pytest.raises(ValueError, match="invalid IPv6"):
        parse_listen("[1::2::3]:80")


@pytest.mark.parametrize(("text", "size"), [("0", 0), ("8192", 8192), ("8k", 8192), ("10m", 10485760), ("1G", 1 << 30)])
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_boolean_spellings(tmp_path: Path) -> None:
    for text, expected in (("on", True), ("true", True), ("off", False), ("false", False), ("ON", True)):
        assert load(tmp_path, None, {"KONG_PORTAL": text}).portal is expected


def test_worker_processes_auto_and_fixed(tmp_path: Path) -> None:
    assert load(tmp_path).nginx_worker_processes is None
    assert load(tmp_path).worker_count >= 1
    assert load(tmp_path, None, {"KONG_NGINX_WORKER_PROCESSES": "3"}).worker_count == 3


def test_headers_off_and_explicit(tmp_path: Path) -> None:
    assert load(tmp_path, None, {"KONG_HEADERS": "off"}).enabled_headers == frozenset()
    assert load(tmp_path, None, {"KONG_HEADERS": "via, x-kong-upstream-status"}).enabled_headers == {
        "Via",
        "X-Kong-Upstream-Status",
    }


def test_env_file_round_trip_keeps_multiline_values_and_secrets(tmp_path: Path) -> None:
    yaml_text = "_format_version: '3.0'\nservices:\n- name: a\n  url: http://x\n"
    config = load(
        tmp_path,
        None,
        {"KONG_DATABASE": "off", "KONG_DECLARATIVE_CONFIG_STRING": yaml_text, "KONG_PG_PASSWORD": "s3cret"},
    )
    path = write_env_file(config)
    assert path.stat().st_mode & 0o777 == 0o600
    again = config_from_env_file(config.prefix)
    assert again.declarative_config_string == yaml_text
    assert again.pg_password == "s3cret"
    assert again.prefix == config.prefix
    assert again.to_kong_dict(redact=False) == config.to_kong_dict(redact=False)


def test_every_key_is_documented() -> None:
    from sekisho.config import _KEYS

    doc = (Path(__file__).resolve().parents[3] / "docs" / "configuration.md").read_text()
    missing = [key for key in _KEYS if f"`{key}`" not in doc]
    assert missing == []


def test_conf_text_masks_secrets_and_reloads(tmp_path: Path) -> None:
    config = load(tmp_path, None, {"KONG_PG_PASSWORD": "hunter2", "KONG_LOG_LEVEL": "warn"})
    text = config.to_conf_text()
    assert "hunter2" not in text
    assert "pg_password = ******" in text
    again = load_config(env={}, overrides=parse_conf_text(config.to_conf_text(redact=False)), cwd=tmp_path)
    assert again.pg_password == "hunter2"
    assert again.log_level == "warn"


def test_the_identity_providers_variables_are_not_node_keys(tmp_path: Path) -> None:
    config = load(tmp_path, None, {"SEKISHO_IDP_PORT": "9229", "SEKISHO_IDP_HOST": "0.0.0.0", "SEKISHO_BENCH": "1"})
    assert config.warnings == ()


def test_sekisho_conf_default_lists_every_key_and_loads_as_the_defaults(tmp_path: Path) -> None:
    from sekisho.config import default_conf_text

    shipped = (Path(__file__).resolve().parents[3] / "sekisho.conf.default").read_text()
    assert shipped == default_conf_text(), "regenerate: python -c 'from sekisho.config import default_conf_text...'"
    uncommented = "\n".join(
        line.removeprefix("#") for line in shipped.splitlines() if line.startswith("#") and " = " in line
    )
    values = parse_conf_text(uncommented)
    assert load_config(env={}, overrides=values, cwd=tmp_path).to_kong_dict() == load(tmp_path).to_kong_dict()
