"""The viewer in headless Chromium: loads without console errors, sliders change the drawn frame,
a click on a pixel shows that pixel's spectrum; screenshots of the views are kept as artefacts."""

import os
import shutil

import numpy as np
import pytest
import xarray as xr

from operando.viewer import ViewerServer
from operando.viewer.browser import browser_available, chromium, wait_until

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not browser_available(), reason="needs selenium, chromium and chromedriver")]

READY = "window.viewer && viewer.ready && viewer.pending === 0"


@pytest.fixture(scope="module")
def page(run_folder):
    with ViewerServer(run_folder) as server:
        driver = chromium()
        try:
            driver.get(server.url)
            wait_until(driver, READY)
            yield driver
        finally:
            driver.quit()


def screenshot(driver, tmp_path, name):
    path = tmp_path / f"viewer-{name}.png"
    driver.save_screenshot(str(path))
    if os.environ.get("OPERANDO_ARTIFACTS"):
        os.makedirs(os.environ["OPERANDO_ARTIFACTS"], exist_ok=True)
        shutil.copy(path, os.environ["OPERANDO_ARTIFACTS"])
    return path


def show(driver, view):
    driver.execute_script(f"document.querySelector('nav button[data-view={view}]').click()")


def panel_data(driver, ds, var):
    """The frame a panel drew (the page's own float32 array) as numpy."""
    return np.array(driver.execute_script(
        "const p = viewer.panels.find(p => p.ds === arguments[0] && p.var === arguments[1] && !p.difference);"
        "return [p.frame.rows, p.frame.cols, Array.from(p.frame.data)]", ds, var)[2], dtype=np.float32)


def move_slider(driver, view, dim, value):
    renders = driver.execute_script("return viewer.renders")
    driver.execute_script(
        "const s = document.querySelector(`section[data-view=${arguments[0]}] input[data-dim=${arguments[1]}]`);"
        "s.value = arguments[2]; s.dispatchEvent(new Event('input'));", view, dim, value)
    wait_until(driver, f"viewer.renders > {renders} && viewer.pending === 0")


def test_page_loads_without_console_errors_and_draws_every_view(page, tmp_path):
    severe = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    assert page.execute_script("return viewer.errors") == []
    assert page.title == f"operando viewer — {page.execute_script('return viewer.manifest.title')}"
    drawn = page.execute_script("return viewer.panels.filter(p => p.frame).map(p => p.ds + '/' + p.var)")
    assert {"cell_test/labels", "reconstruction/x_li_true", "fields/B_lco", "odmr_stack/signal"} <= set(drawn)
    legend = page.execute_script("return document.querySelector('section[data-view=cell] .legend').textContent")
    assert "li_metal (1)" in legend and "llzo (2)" in legend
    for view in ("cell", "explore", "compare", "fields", "spectra", "claims"):
        show(page, view)
        assert screenshot(page, tmp_path, view).stat().st_size > 1000
    rows = page.execute_script("return document.querySelectorAll('section[data-view=claims] tbody tr').length")
    assert rows == 2


def test_time_and_depth_sliders_change_the_drawn_frame(page, run_folder):
    show(page, "explore")
    x_li = xr.load_dataset(run_folder / "charge_test.nc", engine="h5netcdf").x_li
    for t, z in ((0, 0), (2, 0), (2, 1), (3, 2)):
        move_slider(page, "explore", "t", t)
        move_slider(page, "explore", "z", z)
        np.testing.assert_array_equal(panel_data(page, "charge_test", "x_li"),
                                      x_li.isel(t=t, z=z).values.astype(np.float32).ravel())


def test_compare_view_shares_the_colour_scale_and_draws_the_difference(page, run_folder):
    reco = xr.load_dataset(run_folder / "reconstruction.nc", engine="h5netcdf")
    truth, rec = reco.x_li_true.values, reco.x_li_reconstructed.values
    scale = page.execute_script(
        "const p = viewer.panels.filter(p => p.var === 'x_li_true' && !p.difference)[0]; return p.range()")
    assert scale == pytest.approx([min(truth.min(), rec.min()), max(truth.max(), rec.max())], rel=1e-6)
    diff = page.execute_script("return Array.from(viewer.panels.find(p => p.difference && p.var === 'x_li_true')"
                               ".frame.data)")
    np.testing.assert_allclose(diff, (truth.astype(np.float32) - rec.astype(np.float32)).ravel(), rtol=1e-6)


def test_click_on_a_pixel_shows_its_spectrum_and_fit(page, run_folder, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    show(page, "spectra")
    canvas = page.execute_script(
        "return viewer.panels.find(p => p.ds === 'odmr_stack').canvas")
    rows, cols = 8, 10
    row, col = 5, 3
    w, h = canvas.size["width"], canvas.size["height"]
    ActionChains(page).move_to_element_with_offset(
        canvas, (col + 0.5) * w / cols - w / 2, (row + 0.5) * h / rows - h / 2).click().perform()
    wait_until(page, f"viewer.spectrum && viewer.spectrum.row === {row} && viewer.spectrum.col === {col}")
    stack = xr.load_dataset(run_folder / "odmr_stack.nc", engine="h5netcdf").signal
    shown = page.execute_script("return viewer.spectrum.values")
    np.testing.assert_allclose(shown, stack.isel(y=row, x=col).values)
    cells = page.execute_script(
        "return Array.from(document.querySelectorAll('table.spectrum-values tr td:nth-child(2)'), c => c.textContent)")
    np.testing.assert_allclose([float(c) for c in cells], stack.isel(y=row, x=col).values, rtol=1e-3)
    fit_rows = page.execute_script("return document.querySelectorAll('.fits table tr').length")
    assert fit_rows == 1 + 7 + 1  # header, 7 line parameters, converged
    screenshot(page, tmp_path, "spectrum")


def test_a_bad_dataset_is_named_in_the_page(run_folder, tmp_path):
    (tmp_path / "cell_test.nc").write_bytes((run_folder / "cell_test.nc").read_bytes())
    (tmp_path / "broken.nc").write_bytes(b"not a netcdf file")
    with ViewerServer(tmp_path) as server:
        driver = chromium()
        try:
            driver.get(server.url)
            wait_until(driver, READY)
            banner = driver.find_element("id", "problems")
            assert banner.is_displayed() and "broken.nc" in banner.text
        finally:
            driver.quit()
