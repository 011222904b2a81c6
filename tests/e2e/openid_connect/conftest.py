from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.helpers.browser import async_chromium, loopback_only


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    async with async_chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    """A fresh browser context that only talks to loopback (the dev login pages import web fonts)."""
    context = await browser.new_context()
    await context.route("**/*", loopback_only)
    try:
        yield await context.new_page()
    finally:
        await context.close()
