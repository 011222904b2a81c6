"""Debian's Chromium, headless, driven by Playwright (never a downloaded browser).

Playwright is imported inside the functions so that collecting the tests does not need it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CHROMIUM_ARGS", "CHROMIUM_PATH", "LOOPBACK_HOSTS", "async_chromium", "chromium", "loopback_only"]

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium for Playwright's synchronous API, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@asynccontextmanager
async def async_chromium() -> AsyncIterator[Any]:
    """A headless Chromium for Playwright's asynchronous API, closed on exit."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def loopback_only(route: Any) -> None:
    """An async route handler that lets requests to loopback through and aborts every other one."""
    if urlsplit(route.request.url).hostname in LOOPBACK_HOSTS:
        await route.continue_()
    else:
        await route.abort()
