import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from operando.report import Claim, Section, figure_png, render_report, write_report
from operando.report.browser import browser_available, check_page


def _figure(k):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, k])
    return figure_png(fig, dpi=40)


def _report(tmp_path, n_fig=2):
    claims = [
        Claim("M3", "stray field ~10 µT", "~10 µT", "12 µT", "reproduced", "Pollok et al. 2025 L139"),
        Claim("M8", "Li ~10× weaker", "~10×", "3×", "differs", "Pollok et al. 2025 L164", note="smaller cell"),
        Claim("M4", "linear in B", "linear", "slope 1", "by construction"),
    ]
    sections = [Section("Fields", "text <b>escaped</b>", [(f"fig {k}", _figure(k)) for k in range(n_fig)],
                        table=[{"a": 1, "b": "<x>"}])]
    return write_report(tmp_path / "report.html", "Test report", {"version": "0"}, claims, sections)


def test_report_is_self_contained_and_escaped(tmp_path):
    path = _report(tmp_path)
    text = path.read_text()
    assert text.count("data:image/png;base64,") == 2
    assert "http://" not in text and "https://" not in text  # nothing fetched from a network
    assert "&lt;b&gt;escaped&lt;/b&gt;" in text and "&lt;x&gt;" in text
    assert "1 reproduced, 1 differ, 1 by construction." in text
    assert re.search(r'class="differs" id="claim-M8"', text)
    assert render_report("t", {}, [], []).startswith("<!DOCTYPE html>")


def test_a_claim_needs_a_known_verdict():
    with pytest.raises(ValueError, match="verdict"):
        Claim("M1", "x", "y", "z", "pass")
    assert Claim("M1", "x", "y", "z", "reproduced").passed
    assert not Claim("M1", "x", "y", "z", "by construction").passed


def check_in_browser(path):
    if not browser_available():
        pytest.skip("headless Chromium, chromedriver or selenium is not installed")
    page = check_page(path)
    return page.console_errors, page.images, page.broken_images, page.title


@pytest.mark.browser
def test_report_renders_in_headless_browser(tmp_path):
    path = _report(tmp_path, n_fig=3)
    severe, n_img, broken, title = check_in_browser(path)
    assert severe == []
    assert n_img == 3 and broken == 0
    assert title == "Test report"


@pytest.mark.browser
def test_browser_check_detects_a_broken_figure(tmp_path):
    # the check itself must be able to fail: corrupt one embedded image
    path = _report(tmp_path, n_fig=2)
    text = path.read_text()
    path.write_text(text.replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1))
    _, n_img, broken, _ = check_in_browser(path)
    assert n_img == 2 and broken == 1
