"""Where the IdP's emails go: a local outbox (stored, logged, listed) and SMTP when configured."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import uuid
from email.message import EmailMessage
from typing import Any

from sekisho.idp.clock import Clock
from sekisho.idp.config import IdpSettings
from sekisho.idp.store import Put, StoreAdapter

__all__ = ["Outbox"]

log = logging.getLogger("sekisho.idp.outbox")
_KIND = "outbox"


class Outbox:
    def __init__(self, store: StoreAdapter, clock: Clock, settings: IdpSettings) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings

    async def send(
        self, *, pool_id: str, to: str, subject: str, body: str, code: str | None = None, secret: bool = False
    ) -> None:
        """Store, log and (if configured) mail a message. `secret` bodies (temporary passwords) are not logged."""
        now = self._clock.now()
        # Keys sort by time so the outbox lists oldest first.
        key = f"{now:017.6f}-{uuid.uuid4().hex[:8]}"
        message = {
            "id": key,
            "pool_id": pool_id,
            "to": to,
            "subject": subject,
            "body": body,
            "code": code,
            "sent_at": now,
        }
        await self._store.apply([Put(_KIND, "", key, message)])
        # Codes are printed on purpose: reading them from the log is how a developer confirms a local sign-up.
        shown = "(withheld: see `sekisho idp outbox`)" if secret else repr(body)
        log.warning("outbox: to=%s subject=%r body=%s", to, subject, shown)
        if self._settings.smtp_host:
            await asyncio.to_thread(self._send_smtp, to, subject, body)

    async def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        messages = await self._store.list(_KIND, "")
        if to is not None:
            messages = [m for m in messages if m["to"].lower() == to.lower()]
        return messages

    async def latest_code(self, to: str) -> str | None:
        for message in reversed(await self.messages(to)):
            if message.get("code"):
                return str(message["code"])
        return None

    def _send_smtp(self, to: str, subject: str, body: str) -> None:
        email = EmailMessage()
        email["From"] = self._settings.smtp_from
        email["To"] = to
        email["Subject"] = subject
        email.set_content(body)
        with smtplib.SMTP(self._settings.smtp_host, self._settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(email)
