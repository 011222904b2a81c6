"""Error and access logs, with Kong's levels and nginx-like line formats.

Error log: Python `logging` under the `sekisho` logger, with Kong's eight levels (`notice`, `crit`,
`alert` and `emerg` are added to logging's own), lines like nginx's
`2024/05/01 12:00:00 [notice] 4242#1: message`, written to a file, `/dev/stdout`, `/dev/stderr`, or nowhere.
Every record passes through `utils.redact` first.

Access logs: `AccessLog` writes one line per request, `combined` (nginx's format) or `json` (the record as
the proxy serialized it, redacted), chosen by the second word of `proxy_access_log` / `admin_access_log`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TextIO

from sekisho.config import LogTarget, NodeConfig
from sekisho.utils.redact import redact, redact_text, redact_url

__all__ = [
    "KONG_LEVELS",
    "AccessLog",
    "ErrorLogFormatter",
    "RedactingFilter",
    "close_handler",
    "configure_error_log",
    "open_log_stream",
    "reopen_error_log",
]

NOTICE: Final = 25
CRIT: Final = 50
ALERT: Final = 60
EMERG: Final = 70
KONG_LEVELS: Final[dict[str, int]] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": NOTICE,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "crit": CRIT,
    "alert": ALERT,
    "emerg": EMERG,
}
_LEVEL_NAMES: Final = {value: name for name, value in KONG_LEVELS.items()}

_levels_installed = False


def _install_levels() -> None:
    global _levels_installed
    if _levels_installed:
        return
    for name, level in KONG_LEVELS.items():
        logging.addLevelName(level, name.upper())
    _levels_installed = True


class RedactingFilter(logging.Filter):
    """Render the message once, scrub it, and drop the args so no handler sees the raw values."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the event
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class ErrorLogFormatter(logging.Formatter):
    """`YYYY/MM/DD HH:MM:SS [level] pid#worker: message` like nginx's error log."""

    def __init__(self, worker: int = 0) -> None:
        super().__init__()
        self._worker = worker

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(record.created))
        level = _LEVEL_NAMES.get(record.levelno) or record.levelname.lower()
        text = f"{stamp} [{level}] {os.getpid()}#{self._worker}: {record.getMessage()}"
        if record.name not in ("sekisho", "root") and not record.name.startswith("sekisho."):
            text += f", source: {record.name}"
        if record.exc_text:
            text += "\n" + record.exc_text
        elif record.exc_info:
            text += "\n" + redact_text(self.formatException(record.exc_info))
        return text


def open_log_stream(config: NodeConfig, target: LogTarget) -> TextIO | None:
    """The stream a log target names: stdout/stderr as is, files opened for appending (dirs created)."""
    if target.path is None:
        return None
    if target.path == "/dev/stdout":
        return sys.stdout
    if target.path == "/dev/stderr":
        return sys.stderr
    path = config.resolve(target.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "a", encoding="utf-8")


_OWNED: Final = "sekisho-error-log"


def close_handler(handler: logging.Handler) -> None:
    """Close a handler `configure_error_log` made, and its file (never stdout/stderr)."""
    if handler.get_name() != _OWNED or not isinstance(handler, logging.StreamHandler):
        return
    stream = handler.stream
    handler.close()
    if stream not in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        stream.close()


_last_error_log_setup: list[tuple[NodeConfig, int, bool]] = []


def reopen_error_log() -> None:
    """Close and reopen the error log files (after logrotate moved them: SIGUSR1, like nginx)."""
    if _last_error_log_setup:
        config, worker, verbose = _last_error_log_setup[0]
        configure_error_log(config, worker=worker, verbose=verbose)


def configure_error_log(config: NodeConfig, *, worker: int = 0, verbose: bool = False) -> None:
    """Route the `sekisho` logger (and uvicorn's) to `proxy_error_log`, Admin API loggers also to
    `admin_error_log` when that is a different target. `verbose` forces `debug` (the CLI's `--vv`)."""
    _install_levels()
    _last_error_log_setup[:] = [(config, worker, verbose)]
    level = KONG_LEVELS["debug" if verbose else config.log_level]
    formatter = ErrorLogFormatter(worker)
    root = logging.getLogger("sekisho")
    admin = logging.getLogger("sekisho.admin")
    owned = ("uvicorn", "uvicorn.error", "asyncio")
    for logger in (root, admin, *(logging.getLogger(name) for name in owned)):
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            close_handler(handler)
    root.setLevel(level)
    root.propagate = False
    streams: dict[str, TextIO | None] = {}

    def handler_for(target: LogTarget) -> logging.Handler | None:
        key = target.path or ""
        if key not in streams:
            streams[key] = open_log_stream(config, target)
        stream = streams[key]
        if stream is None:
            return None
        handler = logging.StreamHandler(stream)
        handler.set_name(_OWNED)
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())
        return handler

    main = handler_for(config.proxy_error_log)
    if main is not None:
        root.addHandler(main)
    else:
        root.addHandler(logging.NullHandler())
    if config.admin_error_log.path != config.proxy_error_log.path:
        admin_handler = handler_for(config.admin_error_log)
        if admin_handler is not None:
            admin.addHandler(admin_handler)
    uvicorn_logger = logging.getLogger("uvicorn.error")
    uvicorn_logger.setLevel(max(level, logging.WARNING))
    uvicorn_logger.propagate = False
    target = config.admin_error_log if config.admin_error_log.enabled else config.proxy_error_log
    uvicorn_handler = handler_for(target)
    uvicorn_logger.addHandler(uvicorn_handler or logging.NullHandler())
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("asyncio").addHandler(main or logging.NullHandler())
    logging.getLogger("asyncio").propagate = False


# -- access logs ----------------------------------------------------------------------------------------
def _clf_time(epoch: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(epoch))


def _quote(value: Any) -> str:
    text = "-" if value in (None, "") else str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _header(headers: Mapping[str, Any] | None, name: str) -> Any:
    if not headers:
        return None
    value = headers.get(name) or headers.get(name.title())
    if isinstance(value, list):
        return value[0] if value else None
    return value


class AccessLog:
    """One access log target. `write(record)` takes Kong's serializer shape (`kong.log.serialize()`):
    `request{method,uri,url,querystring,headers,size}`, `response{status,size,headers}`, `client_ip`,
    `started_at` (ms), `latencies`, ... Missing parts are printed as `-`.

    Inside an event loop, lines are collected and written together at most `FLUSH_DELAY` seconds later
    (one write per batch instead of one per request); outside a loop each line is written at once."""

    FLUSH_DELAY: Final = 0.1
    MAX_PENDING: Final = 512

    __slots__ = ("_clf_cache", "_flush_handle", "_fmt", "_lock", "_path", "_pending", "_stream")

    def __init__(self, stream: TextIO, fmt: str = "combined") -> None:
        self._stream = stream
        self._fmt = fmt
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        self._clf_cache: tuple[int, str] = (-1, "")
        self._path: Path | None = None

    @classmethod
    def open(cls, config: NodeConfig, target: LogTarget) -> AccessLog | None:
        stream = open_log_stream(config, target)
        if stream is None:
            return None
        access_log = cls(stream, target.fmt)
        access_log._path = log_path(config, target)
        return access_log

    def reopen(self) -> None:
        """Write pending lines, then continue in a freshly opened file at the same path (log rotation)."""
        if self._path is None:
            return
        with self._lock:
            self._flush_locked()
            old = self._stream
            try:
                self._stream = open(self._path, "a", encoding="utf-8")  # noqa: SIM115 - kept open until close()
            except OSError:
                return  # keep writing to the old file rather than lose lines
            old.close()

    @property
    def fmt(self) -> str:
        return self._fmt

    def _clf_time(self, epoch: float) -> str:
        second = int(epoch)
        cached_second, text = self._clf_cache
        if cached_second != second:
            text = _clf_time(second)
            self._clf_cache = (second, text)
        return text

    def format(self, record: Mapping[str, Any]) -> str:
        if self._fmt == "json":
            return json.dumps(_redact_record(record), separators=(",", ":"), default=str)
        request = record.get("request") or {}
        response = record.get("response") or {}
        headers = request.get("headers") or {}
        uri = request.get("uri") or "/"
        started = record.get("started_at")
        epoch = started / 1000.0 if isinstance(started, int | float) else time.time()
        protocol = request.get("http_version") or request.get("protocol") or "1.1"
        protocol = protocol if str(protocol).startswith("HTTP/") else f"HTTP/{protocol}"
        referer = _header(headers, "referer")
        return (
            f"{record.get('client_ip') or '-'} - - [{self._clf_time(epoch)}] "
            f'"{_quote(request.get("method") or "-")} {_quote(redact_url(str(uri)))} {protocol}" '
            f"{response.get('status') or '-'} {response.get('size') or 0} "
            f'"{_quote(redact_url(str(referer)) if referer else None)}" '
            f'"{_quote(_header(headers, "user-agent"))}"'
        )

    def write(self, record: Mapping[str, Any]) -> None:
        try:
            line = self.format(record) + "\n"
        except Exception:  # a malformed record must never break request handling
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            self._pending.append(line)
            if loop is None or len(self._pending) >= self.MAX_PENDING:
                self._flush_locked()
            elif self._flush_handle is None:
                self._flush_handle = loop.call_later(self.FLUSH_DELAY, self.flush)

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if not self._pending:
            return
        lines, self._pending = self._pending, []
        try:
            for chunk in _chunks(lines):
                self._stream.write(chunk)
                self._stream.flush()  # one write(2) per chunk
        except (OSError, ValueError):
            pass  # a closed or full log must never break request handling

    def close(self) -> None:
        self.flush()
        if self._stream not in (sys.stdout, sys.stderr):
            self._stream.close()


# Worker processes share the log file or pipe (/dev/stdout in containers). A write of at most PIPE_BUF bytes
# reaches a pipe whole, so a batch goes out in whole-line chunks of that size and lines never interleave.
_ATOMIC_WRITE: Final = 4096


def _chunks(lines: list[str]) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        length = len(line.encode()) if not line.isascii() else len(line)
        if current and size + length > _ATOMIC_WRITE:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(line)
        size += length
    if current:
        chunks.append("".join(current))
    return chunks


def _redact_record(record: Mapping[str, Any]) -> Any:
    """One pass over the record (sensitive names masked, free text scrubbed), then URL-aware for the URIs."""
    cleaned = redact(record)
    request = cleaned.get("request") if isinstance(cleaned, dict) else None
    if isinstance(request, dict):
        for key in ("uri", "url"):
            if isinstance(request.get(key), str):
                request[key] = redact_url(request[key])
    return cleaned


def log_path(config: NodeConfig, target: LogTarget) -> Path | None:
    if target.path is None or target.path in ("/dev/stdout", "/dev/stderr"):
        return None
    return config.resolve(target.path)
