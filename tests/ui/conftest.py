"""The web blotter in a real browser: Debian's chromium, headless, driven by Selenium through Debian's chromedriver
(the two come from one Chromium release, so they always match; nothing is downloaded), against a real
``openrfq serve`` with a virtual clock and an admin token (``openrfq.testing.ServerVenue``).

Without chromium and chromedriver (``apt-get install chromium chromium-driver``; ``.ci/run`` installs them) these
tests are skipped. ``OPENRFQ_CHROMIUM`` and ``OPENRFQ_CHROMEDRIVER`` name other binaries.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from openrfq.testing import ServerVenue

CHROMIUM = os.environ.get("OPENRFQ_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("OPENRFQ_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Headless, and nothing that reaches outside this machine (its closed network refuses those connections).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1440,1100",
]
WAIT_S = 15.0


@pytest.fixture(scope="module")
def venue_server() -> Iterator[ServerVenue]:
    server = ServerVenue().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("needs chromium and chromedriver: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console: CSP violations, errors
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: Any, venue_server: ServerVenue) -> Iterator[Any]:
    """The browser on a fresh venue (reset, no fault rules), its console read and emptied before and after."""
    venue_server.reset()
    venue_server.clear_faults()
    browser.get("about:blank")
    browser.get_log("browser")
    yield browser
    browser.get("about:blank")  # closes the page's WebSockets before the next test resets the venue


@pytest.fixture
def shot(page: Any, tmp_path: Path) -> Callable[[str], Path]:
    """Save a screenshot of the page under the test's tmp_path; its path is printed (pytest -s shows it)."""

    def save(name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.save_screenshot(str(path))
        print(f"screenshot: {path}")
        return path

    return save
