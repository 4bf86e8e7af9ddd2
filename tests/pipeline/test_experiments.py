"""The other papers' experiments as runs: `operando demo --experiment liu2025` writes a report with the
claims N1–N6 of Liu et al., Nat. Mater. 2025 and its figures, and the report opens in a browser."""

import pytest
import xarray as xr

from operando.pipeline.demo import run_instrument_experiment
from operando.report.browser import browser_available, check_page


@pytest.fixture(scope="module")
def liu(tmp_path_factory):
    return run_instrument_experiment("liu2025", tmp_path_factory.mktemp("liu2025"))


def test_liu2025_report_has_its_claims_and_figures(liu):
    path, claims = liu
    assert [c.id for c in claims] == [f"N{i}" for i in range(1, 7)]
    assert {c.verdict for c in claims} <= {"reproduced", "differs", "by construction"}
    text = path.read_text()
    assert "Liu et al., Nat. Mater. 2025" in text and text.count("data:image/png;base64,") >= 4


@pytest.mark.browser
def test_liu2025_report_opens_in_a_browser(liu):
    if not browser_available():
        pytest.skip("headless Chromium, chromedriver or selenium is not installed")
    page = check_page(liu[0])
    assert page.console_errors == [] and page.broken_images == 0
    assert page.claims == 6 and page.images >= 4


def test_huang2025_report_has_x1_to_x4(tmp_path):
    # Huang et al., J. Phys. Energy 2025: X1–X3 from the Compton run, X4 from the CT of the interface model
    path, claims = run_instrument_experiment("huang2025", tmp_path)
    assert [c.id for c in claims] == ["X1", "X2", "X3", "X4"]
    by_id = {c.id: c for c in claims}
    assert by_id["X3"].verdict == "by construction"
    assert by_id["X2"].verdict == "differs" and "dEMR/dx" in by_id["X2"].ours  # free-atom vs calibration
    assert "Huang et al., J. Phys. Energy 2025" in path.read_text()
    from operando.papers import HUANG2025

    for nc in sorted(path.parent.glob("*.nc")):  # every file cites the paper it reproduces
        with xr.open_dataset(nc) as ds:
            assert ds.attrs.get("references") == HUANG2025.citation, nc.name
