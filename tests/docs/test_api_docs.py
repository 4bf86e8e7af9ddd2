"""The API reference builds from the docstrings without a single warning (as CI builds it)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["index", "operando", "pipeline", "cell", "electrochem", "magnetics", "nv", "odmr", "inverse", "nmr",
         "xray", "units", "io", "errors"]


def test_api_reference_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="the API reference needs Sphinx (pip install -e '.[docs]')")
    out = tmp_path / "html"
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-d", str(tmp_path / "doctrees"),
         str(DOCS), str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    for page in PAGES:
        assert (out / ("index.html" if page == "index" else f"api/{page}.html")).is_file(), page
    # the pages hold the documented API, not just their titles
    assert 'id="operando.run"' in (out / "api/operando.html").read_text()
    assert 'id="operando.odmr.fit_odmr"' in (out / "api/odmr.html").read_text()
    assert 'id="operando.io.save_dataset"' in (out / "api/io.html").read_text()


def test_docstring_text_is_made_valid_restructuredtext():
    """|B| magnitudes and (3, *shape) tuples are escaped; "name : what" lines become a definition list."""
    spec = importlib.util.spec_from_file_location("operando_docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert conf._escape_plain_text("Valid for |χ| ≪ 1, shape (3, *chi.shape); ``|B|`` kept") == (
        r"Valid for \|χ\| ≪ 1, shape (3, \*chi.shape); ``|B|`` kept")
    lines = ["Summary.", "grid : the voxel grid.", "sigma_e : conductivity (S/m) of", "    the metal.", "After."]
    assert conf._entries_as_definitions(lines) == [
        "Summary.", "", "``grid``", "    the voxel grid.", "``sigma_e``", "    conductivity (S/m) of",
        "    the metal.", "", "After."]
    numpy_style = ["Parameters", "----------", "x : float", "    a value."]
    assert conf._entries_as_definitions(numpy_style) == numpy_style
