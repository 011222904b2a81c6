from __future__ import annotations

import json
import logging
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sekisho.config import LogTarget, load_config
from sekisho.logs import AccessLog, close_handler, configure_error_log
from sekisho.utils.redact import MASK, redact, redact_headers, redact_query, redact_text, redact_url
from sekisho.utils.tls import ensure_default_certificate, server_ssl_context


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`configure_error_log` reconfigures process-wide loggers; put them back for other tests."""
    names = ("sekisho", "sekisho.admin", "uvicorn", "uvicorn.error", "uvicorn.access", "asyncio")
    saved = {
        n: (
            list(logging.getLogger(n).handlers),
            logging.getLogger(n).propagate,
            logging.getLogger(n).level,
            logging.getLogger(n).disabled,
        )
        for n in names
    }
    yield
    for name, (handlers, propagate, level, disabled) in saved.items():
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            if handler not in handlers:
                close_handler(handler)
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.setLevel(level)
        logger.disabled = disabled


JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ"


def test_headers_are_masked_by_name_in_any_case() -> None:
    headers = {
        "Authorization": "Bearer abc",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
        "Cookie": "session=s1",
        "Set-Cookie": "session=s2; HttpOnly",
        "apikey": "k-123",
        "Accept": "application/json",
    }
    out = redact_headers(headers)
    assert out["Accept"] == "application/json"
    for name in ("Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "apikey"):
        assert out[name] == MASK
    assert "abc" not in json.dumps(out) and "s1" not in json.dumps(out)


def test_query_strings_and_urls_lose_their_secrets() -> None:
    query = "code=AUTHCODE&state=st&id_token=IDT&access_token=AT&refresh_token=RT&client_secret=CS&password=PW&page=2"
    out = redact_query(query)
    for secret in ("AUTHCODE", "IDT", "AT&", "RT", "CS", "PW"):
        assert secret not in out
    assert "page=2" in out
    url = redact_url("https://user:pw@idp.example/cb?code=XYZ&apikey=K1&x=1#access_token=FRAG&token_type=bearer")
    assert "XYZ" not in url and "K1" not in url and "pw@" not in url and "FRAG" not in url
    assert url.startswith("https://user:") and "x=1" in url


def test_free_text_bearer_tokens_jwts_and_pairs() -> None:
    text = f"upstream said Authorization: Bearer tok123 and id_token={JWT}; client_secret=abc other=1 raw {JWT}"
    out = redact_text(text)
    assert "tok123" not in out and JWT not in out and "abc" not in out
    assert "other=1" in out
    assert redact_text('{"password": "p@ss", "user": "bob"}') == f'{{"password": "{MASK}", "user": "bob"}}'


def test_nested_structures_bytes_and_non_strings() -> None:
    record = {
        "request": {"headers": {"cookie": "a=b"}, "querystring": {"code": "c1", "q": "ok"}},
        "list": [b"Bearer zzz", 5, None],
        "client_secret": "s",
        "empty_password": "",
    }
    out = redact(record)
    assert out["request"]["headers"]["cookie"] == MASK
    assert out["request"]["querystring"] == {"code": MASK, "q": "ok"}
    assert out["list"] == [f"Bearer {MASK}", 5, None]
    assert out["client_secret"] == MASK
    assert out["empty_password"] == ""


def _config(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_config(env={f"KONG_{k.upper()}": v for k, v in env.items()}, cwd=tmp_path, search_default_paths=False)


def test_error_log_uses_kong_levels_and_redacts(tmp_path: Path) -> None:
    config = _config(tmp_path, log_level="notice")
    configure_error_log(config)
    log = logging.getLogger("sekisho.test")
    log.info("not shown at notice")
    log.log(25, "node started on %s", "127.0.0.1:8000")
    log.warning("client sent Authorization: Bearer %s", "SECRET-TOKEN")
    log.log(50, "crit with id_token=%s", JWT)
    for handler in logging.getLogger("sekisho").handlers:
        handler.flush()
    text = (config.prefix / "logs" / "error.log").read_text()
    assert "not shown" not in text
    assert "[notice]" in text and "node started on 127.0.0.1:8000" in text
    assert "[warn]" in text and "[crit]" in text
    assert "SECRET-TOKEN" not in text and JWT not in text


def test_error_log_off_writes_nothing(tmp_path: Path) -> None:
    config = _config(tmp_path, proxy_error_log="off", admin_error_log="off")
    configure_error_log(config)
    logging.getLogger("sekisho.x").error("nothing")
    assert not (config.prefix / "logs").exists()


SERIALIZED = {
    "client_ip": "10.0.0.7",
    "started_at": 1700000000000,
    "request": {
        "method": "GET",
        "uri": "/cb?code=AUTH&x=1",
        "http_version": "1.1",
        "headers": {"authorization": "Bearer T0K", "user-agent": "curl/8", "referer": "https://a/?access_token=AT"},
        "querystring": "code=AUTH&x=1",
    },
    "response": {"status": 200, "size": 42, "headers": {"set-cookie": "session=S"}},
}


def test_access_log_combined_format(tmp_path: Path) -> None:
    config = _config(tmp_path, proxy_access_log="logs/access.log")
    log = AccessLog.open(config, config.proxy_access_log)
    assert log is not None and log.fmt == "combined"
    log.write(SERIALIZED)
    log.close()
    line = (config.prefix / "logs" / "access.log").read_text().strip()
    assert line.startswith("10.0.0.7 - - [")
    assert '"GET /cb?code=' in line and 'x=1 HTTP/1.1" 200 42' in line
    assert line.endswith('"curl/8"')
    assert "AUTH&" not in line and "AT" not in line.split('"curl/8"')[0].split("200 42")[1]


def test_access_log_json_format_is_redacted(tmp_path: Path) -> None:
    config = _config(tmp_path, admin_access_log="logs/admin.json json")
    assert config.admin_access_log == LogTarget("logs/admin.json", "json")
    log = AccessLog.open(config, config.admin_access_log)
    assert log is not None
    log.write(SERIALIZED)
    log.close()
    entry = json.loads((config.prefix / "logs" / "admin.json").read_text())
    assert entry["response"]["status"] == 200
    assert entry["request"]["headers"]["authorization"] == MASK
    assert entry["response"]["headers"]["set-cookie"] == MASK
    assert "AUTH" not in json.dumps(entry) and "T0K" not in json.dumps(entry)


def test_default_certificate_is_created_once_with_private_key_mode(tmp_path: Path) -> None:
    cert, key = ensure_default_certificate(tmp_path / "ssl")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = cert.read_bytes()
    again_cert, _ = ensure_default_certificate(tmp_path / "ssl")
    assert again_cert.read_bytes() == first
    context = server_ssl_context(cert, key)
    assert isinstance(context, ssl.SSLContext)
    from cryptography import x509

    parsed = x509.load_pem_x509_certificate(first)
    san = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert next(str(ip) for ip in san.get_values_for_type(x509.IPAddress)) == "127.0.0.1"


def test_a_broken_certificate_pair_is_regenerated(tmp_path: Path) -> None:
    cert, _key = ensure_default_certificate(tmp_path / "ssl")
    cert.write_text("garbage")
    cert2, key2 = ensure_default_certificate(tmp_path / "ssl")
    assert server_ssl_context(cert2, key2) is not None


def test_batched_lines_are_written_in_whole_line_chunks_a_pipe_takes_atomically() -> None:
    from sekisho.logs import _chunks

    lines = [f"{i:05d} " + "x" * 94 + "\n" for i in range(200)]  # 100 bytes each
    chunks = _chunks(lines)
    assert "".join(chunks) == "".join(lines)
    assert all(len(chunk) <= 4096 and chunk.endswith("\n") for chunk in chunks)
    assert len(chunks) == 5
    huge = ["y" * 10000 + "\n"]
    assert _chunks(huge) == huge
