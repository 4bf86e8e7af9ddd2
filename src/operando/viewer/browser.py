"""Drive the viewer in headless Chromium (tests and benchmarks); same browser and flags as the report's check."""

from __future__ import annotations

import shutil
import time

from ..report.browser import BROWSERS, FLAGS, browser_available

__all__ = ["browser_available", "chromium", "wait_until"]


def chromium(width: int = 1400, height: int = 1000):
    """A headless Chromium WebDriver that records the browser console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = next(shutil.which(b) for b in BROWSERS if shutil.which(b))
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)


def wait_until(driver, script: str, timeout: float = 20.0, poll: float = 0.02):
    """Run ``script`` (a JS expression) until it is truthy and return its value (TimeoutError after ``timeout`` s)."""
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        value = driver.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"timeout: {script!r} still false after {timeout} s")
