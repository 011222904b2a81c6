"""file-log redaction and appending."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sekisho.plugins.file_log.handler import FileLogConf, Handler
from sekisho.plugins.file_log.redact import REDACTED, redact_serialized


def test_secrets_are_redacted_and_the_original_untouched() -> None:
    message = {
        "request": {
            "headers": {"authorization": "Basic YWxpY2U6cHc=", "apikey": "k1", "accept": "*/*", "cookie": "s=1"},
            "querystring": {"apikey": "k2", "page": "2"},
            "url": "http://gw:8000/a?apikey=k2&page=2",
        },
        "response": {"headers": {"set-cookie": "s=2", "content-type": "text/plain"}},
        "upstream_uri": "/a?access_token=t&page=2",
    }
    out = redact_serialized(message)
    text = json.dumps(out)
    for secret in ("YWxpY2U6cHc=", "k1", "k2", "s=1", "s=2", "access_token=t"):
        assert secret not in text
    assert out["request"]["headers"]["accept"] == "*/*" and out["request"]["querystring"]["page"] == "2"
    assert out["request"]["url"] == f"http://gw:8000/a?apikey={REDACTED}&page=2"
    assert message["request"]["headers"]["apikey"] == "k1"  # type: ignore[index]


def test_lines_are_appended_and_reopen_follows_rotation(tmp_path: Path) -> None:
    handler = Handler()
    path = tmp_path / "access.log"
    conf = FileLogConf(str(path), reopen=False)
    handler.write(conf, b'{"n":1}\n')
    handler.write(conf, b'{"n":2}\n')
    assert path.read_text().splitlines() == ['{"n":1}', '{"n":2}']
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644 & ~_umask())
    path.rename(tmp_path / "access.log.1")
    reopening = FileLogConf(str(path), reopen=True)
    handler.write(reopening, b'{"n":3}\n')
    assert path.read_text() == '{"n":3}\n'


def test_unwritable_path_is_skipped(tmp_path: Path) -> None:
    Handler().write(FileLogConf(str(tmp_path / "missing-dir" / "x.log"), reopen=False), b"x\n")
    assert not (tmp_path / "missing-dir").exists()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
