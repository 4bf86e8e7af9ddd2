"""Open a report in headless Chromium and say what a reader would see (used by the tests).

Needs the ``selenium`` package and Debian's ``chromium`` + ``chromium-driver``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-quic")


@dataclass
class PageCheck:
    title: str
    images: int
    broken_images: int
    console_errors: list
    claims: int


def browser_available() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return any(shutil.which(b) for b in BROWSERS) and shutil.which("chromedriver") is not None


def check_page(path) -> PageCheck:
    """Load ``path`` and return its title, image counts, severe console messages and claim rows."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = next(shutil.which(b) for b in BROWSERS if shutil.which(b))
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        driver.get(Path(path).resolve().as_uri())
        images = driver.execute_script("return document.images.length")
        broken = driver.execute_script(
            "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length")
        claims = driver.execute_script("return document.querySelectorAll('table.claims tbody tr').length")
        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        return PageCheck(driver.title, images, broken, errors, claims)
    finally:
        driver.quit()
