"""Active health checks: periodic probes of upstream targets (`healthchecks.active`).

Healthy targets are probed every `active.healthy.interval` seconds, unhealthy ones every
`active.unhealthy.interval` (0 disables either). A probe is a TCP connect (`type: tcp`) or an HTTP(S)
`GET http_path` whose status is judged by the active thresholds, as Kong does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from typing import Any

from sekisho.runtime.balancer import HealthPolicy, Target
from sekisho.runtime.snapshot import Snapshot

__all__ = ["ActiveHealthChecker"]

logger = logging.getLogger("sekisho.runtime")
_MAX_STATUS_LINE = 4096


class ActiveHealthChecker:
    """One probing task per upstream that has active checks; restarted on every snapshot swap."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._insecure: ssl.SSLContext | None = None

    def apply(self, snapshot: Snapshot) -> None:
        self.stop()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # built outside a loop (tools, tests of the snapshot): nothing to probe
        for balancer in snapshot.balancers.values():
            active = ((balancer.upstream.get("healthchecks") or {}).get("active")) or {}
            healthy_interval = float((active.get("healthy") or {}).get("interval") or 0)
            unhealthy_interval = float((active.get("unhealthy") or {}).get("interval") or 0)
            if (healthy_interval or unhealthy_interval) and balancer.targets:
                task = loop.create_task(self._run(active, balancer.targets, healthy_interval, unhealthy_interval))
                self._tasks.append(task)

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()

    async def _run(
        self, active: dict[str, Any], targets: list[Target], healthy_interval: float, unhealthy_interval: float
    ) -> None:
        policy = HealthPolicy.from_config(active)
        step = min(i for i in (healthy_interval, unhealthy_interval) if i > 0)
        due = {id(t): 0.0 for t in targets}
        loop = asyncio.get_running_loop()
        semaphore = asyncio.Semaphore(int(active.get("concurrency") or 10))
        while True:
            now = loop.time()
            batch = []
            for target in targets:
                interval = healthy_interval if target.health.healthy else unhealthy_interval
                if interval and due[id(target)] <= now:
                    due[id(target)] = now + interval
                    batch.append(target)
            if batch:
                await asyncio.gather(*(self._probe_one(active, policy, t, semaphore) for t in batch))
            await asyncio.sleep(step)

    async def _probe_one(
        self, active: dict[str, Any], policy: HealthPolicy, target: Target, semaphore: asyncio.Semaphore
    ) -> None:
        async with semaphore:
            try:
                status = await self._probe(active, target)
            except TimeoutError:
                policy.record_timeout(target.health)
                return
            except (OSError, ssl.SSLError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                policy.record_tcp_failure(target.health)
                return
            except Exception:
                logger.exception("health probe of %s failed unexpectedly", target.name)
                return
        if status is None:  # tcp probe connected
            health = target.health
            health.tcp_failures = health.timeouts = health.http_failures = 0
            health.successes += 1
            if policy.healthy_successes and health.successes >= policy.healthy_successes:
                health.healthy = True
            return
        policy.record_status(target.health, status)

    async def _probe(self, active: dict[str, Any], target: Target) -> int | None:
        kind = active.get("type") or "http"
        timeout = float(active.get("timeout") or 1)
        use_tls = kind in ("https", "grpcs")
        context: ssl.SSLContext | None = None
        if use_tls:
            if active.get("https_verify_certificate", True):
                context = ssl.create_default_context()
            else:
                if self._insecure is None:
                    self._insecure = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    self._insecure.check_hostname = False
                    self._insecure.verify_mode = ssl.CERT_NONE
                context = self._insecure
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                target.host,
                target.port,
                ssl=context,
                server_hostname=(active.get("https_sni") or target.host) if use_tls else None,
            )
            try:
                if kind == "tcp":
                    return None
                path = str(active.get("http_path") or "/")
                lines = [f"GET {path} HTTP/1.1", f"Host: {target.name}", "Connection: close", "User-Agent: sekisho"]
                for name, values in (active.get("headers") or {}).items():
                    for value in values if isinstance(values, list) else [values]:
                        lines.append(f"{name}: {value}")
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
                status_line = await reader.readuntil(b"\r\n")
                if len(status_line) > _MAX_STATUS_LINE:
                    raise ValueError("status line too long")
                parts = status_line.split(b" ", 2)
                if len(parts) < 2 or not parts[1].isdigit():
                    raise ValueError("not an HTTP response")
                return int(parts[1])
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
