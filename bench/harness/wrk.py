"""Run wrk against one URL and read back throughput, errors and latency percentiles."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WrkError", "WrkResult", "parse_report_line", "rotation_script", "run_wrk"]

REPORT_SCRIPT = Path(__file__).with_name("report.lua")
_MARKER = "SEKISHO_BENCH "


class WrkError(RuntimeError):
    """wrk failed or printed no report line."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_us: int
    bytes: int
    errors_connect: int
    errors_read: int
    errors_write: int
    errors_status: int
    errors_timeout: int
    p50_us: int
    p90_us: int
    p99_us: int
    max_us: int
    mean_us: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / (self.duration_us / 1_000_000) if self.duration_us else 0.0

    @property
    def socket_errors(self) -> int:
        return self.errors_connect + self.errors_read + self.errors_write + self.errors_timeout

    def problems(self) -> list[str]:
        """Why the numbers cannot be trusted (non-2xx/3xx answers, socket errors), if at all."""
        found: list[str] = []
        if self.requests == 0:
            found.append("no requests completed")
        if self.errors_status:
            found.append(f"{self.errors_status} non-2xx/3xx responses")
        if self.socket_errors:
            found.append(
                f"socket errors: connect {self.errors_connect}, read {self.errors_read}, "
                f"write {self.errors_write}, timeout {self.errors_timeout}"
            )
        return found


def parse_report_line(output: str) -> WrkResult:
    """Find the line report.lua prints and turn it into a WrkResult."""
    for line in output.splitlines():
        if line.startswith(_MARKER):
            values = dict(item.split("=", 1) for item in line[len(_MARKER) :].split())
            try:
                return WrkResult(
                    requests=int(values["requests"]),
                    duration_us=int(values["duration_us"]),
                    bytes=int(values["bytes"]),
                    errors_connect=int(values["connect"]),
                    errors_read=int(values["read"]),
                    errors_write=int(values["write"]),
                    errors_status=int(values["status"]),
                    errors_timeout=int(values["timeout"]),
                    p50_us=int(values["p50_us"]),
                    p90_us=int(values["p90_us"]),
                    p99_us=int(values["p99_us"]),
                    max_us=int(values["max_us"]),
                    mean_us=float(values["mean_us"]),
                )
            except (KeyError, ValueError) as exc:
                raise WrkError(f"malformed wrk report line: {line!r}") from exc
    raise WrkError("wrk printed no report line:\n" + output[-2000:])


def _lua_string(value: str) -> str:
    return (
        '"'
        + "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-._~/:?=&*%" else f"\\{ord(ch):03d}" for ch in value)
        + '"'
    )


def rotation_script(requests: Sequence[tuple[str, str, str]]) -> str:
    """A wrk script that cycles through (method, host, path) requests, pre-formatted once, plus the report."""
    entries = ",\n".join(
        f"  {{{_lua_string(method)}, {_lua_string(host)}, {_lua_string(path)}}}" for method, host, path in requests
    )
    return (
        f"local specs = {{\n{entries}\n}}\n"
        "local formatted = {}\n"
        "local position = 0\n"
        "init = function(args)\n"
        "  for i, spec in ipairs(specs) do\n"
        "    formatted[i] = wrk.format(spec[1], spec[3], {Host = spec[2]})\n"
        "  end\n"
        "end\n"
        "request = function()\n"
        "  position = position % #formatted + 1\n"
        "  return formatted[position]\n"
        "end\n" + REPORT_SCRIPT.read_text()
    )


def run_wrk(
    url: str,
    *,
    connections: int,
    duration_s: float,
    headers: Mapping[str, str] | None = None,
    requests: Sequence[tuple[str, str, str]] = (),
    threads: int = 1,
    timeout_s: float = 5.0,
) -> WrkResult:
    """One wrk run; bounded by `duration_s` (wrk itself) and by a hard subprocess timeout.

    With `requests`, wrk cycles through those (method, host, path) triples instead of requesting `url`'s path.
    """
    with tempfile.TemporaryDirectory(prefix="sekisho-wrk-") as scratch:
        script = REPORT_SCRIPT
        if requests:
            script = Path(scratch) / "rotation.lua"
            script.write_text(rotation_script(requests))
        argv = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration_s))}s",
            f"--timeout={max(1, round(timeout_s))}s",
            "-s",
            str(script),
        ]
        for name, value in (headers or {}).items():
            argv += ["-H", f"{name}: {value}"]
        argv.append(url)
        try:
            completed = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 30, check=False)
        except subprocess.TimeoutExpired as exc:
            raise WrkError(f"wrk did not finish within {duration_s + 30:.0f} s") from exc
    if completed.returncode != 0:
        raise WrkError(f"wrk exited with status {completed.returncode}: {completed.stderr.strip()[-500:]}")
    return parse_report_line(completed.stdout)
