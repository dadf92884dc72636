"""scripts/develop in a temporary configuration directory, and a logged-in browser page.

Home Assistant, the simulated devices and the entries are exactly what a developer
gets from scripts/develop; the browser is Debian's Chromium driven by Playwright
(scripts/setup installs both; never `playwright install`). Screenshots go to
build/screens/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import contextlib
import os
from pathlib import Path
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "build" / "screens"
CHROMIUM = "/usr/bin/chromium"
READY = "Home Assistant:"  # the line scripts/develop prints once all is set up
USER, PASSWORD = "dev", "dev-password"
# Away from a developer's own scripts/develop (ports 8123, 8321…18883).
PORT_OFFSET = 7


@pytest.fixture(scope="session")
def develop() -> Iterator[str]:
    """scripts/develop running in a fresh configuration directory: its URL."""
    config = Path(tempfile.mkdtemp(prefix="intelergy-e2e-"))
    port = 8123 + PORT_OFFSET
    out = config / "develop.log"
    env = os.environ | {
        "INTELERGY_CONFIG": str(config),
        "INTELERGY_PORT": str(port),
        "INTELERGY_PORT_OFFSET": str(PORT_OFFSET),
        "INTELERGY_SKIP_SETUP": "1",  # scripts/test ran it
    }
    with out.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603
            [str(ROOT / "scripts" / "develop")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300
        while READY not in out.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"scripts/develop did not come up:\n{out.read_text()[-3000:]}"
                )
            time.sleep(1)
        yield f"http://127.0.0.1:{port}"
    finally:
        # The group outlives scripts/develop when it failed early (a port in use).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(config, ignore_errors=True)


@pytest.fixture
async def page(develop: str, socket_enabled: None) -> AsyncIterator[object]:
    """A Chromium page logged in to scripts/develop's Home Assistant."""
    from playwright.async_api import async_playwright  # noqa: PLC0415

    SCREENS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 1000})
        page.base_url = develop  # type: ignore[attr-defined]
        await page.goto(develop)
        await page.fill("input[name=username]", USER)
        await page.fill("input[name=password]", PASSWORD)
        await page.keyboard.press("Enter")
        await page.wait_for_selector("home-assistant", state="attached")
        await page.wait_for_timeout(2000)
        try:
            yield page
        finally:
            await browser.close()
