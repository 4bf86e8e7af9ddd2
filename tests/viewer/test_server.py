"""The viewer's server without a browser: what it serves equals what the files hold; bad input is named."""

import json
import sys
import urllib.error
import urllib.request
from types import SimpleNamespace
from urllib.parse import urlencode

import numpy as np
import pytest
import xarray as xr

from operando.io import save_dataset
from operando.odmr.models import DipModel
from operando.viewer import Catalog, ViewerInputError, ViewerServer, view


@pytest.fixture(scope="module")
def server(run_folder):
    with ViewerServer(run_folder) as s:
        yield s


def get(server, path, binary=False, **params):
    if "sel" in params:
        params["sel"] = json.dumps(params["sel"])
    with urllib.request.urlopen(server.url + path.lstrip("/") + "?" + urlencode(params)) as r:
        if binary:
            shape = tuple(int(n) for n in r.headers["X-Shape"].split(","))
            return r.read(), shape, r.headers
        return json.load(r)


def frame(server, ds, var, sel):
    body, shape, headers = get(server, "/api/frame", binary=True, ds=ds, var=var, sel=sel)
    return np.frombuffer(body, "<f4").reshape(shape), headers


def load(folder, name):
    return xr.load_dataset(folder / f"{name}.nc", engine="h5netcdf")


def test_manifest_describes_datasets_from_the_files(server, run_folder):
    m = get(server, "/api/manifest")
    by = {d["name"]: d for d in m["datasets"]}
    assert set(by) == {"cell_test", "charge_test", "reconstruction", "fields", "odmr_stack", "fit"}
    x_li = next(v for v in by["charge_test"]["variables"] if v["name"] == "x_li")
    assert x_li["dims"] == ["t", "z", "y", "x"] and x_li["slider_dims"] == ["t", "z"]
    assert "current_density" in by["charge_test"]["other_variables"]  # 1-D: listed, not drawn
    assert by["charge_test"]["dims"]["t"]["values"] == [60.0, 120.0, 180.0, 240.0]
    assert by["charge_test"]["dims"]["t"]["units"] == "s"
    labels = by["cell_test"]["variables"][0]
    assert labels["kind"] == "labels" and labels["phases"] == [[0, "void"], [1, "li_metal"], [2, "llzo"]]
    assert by["reconstruction"]["pairs"] == ["J", "x_li"]
    signal = by["odmr_stack"]["variables"][0]
    assert signal["spectral"] and signal["slider_dims"] == ["frequency"]
    assert [c["id"] for c in m["claims"]] == ["M3", "M8"] and m["claims"][1]["verdict"] == "differs"
    assert ["fields", "B_lco"] in m["claims"][0]["links"]  # a field claim links to the field maps
    assert ["reconstruction", "x_li_true"] in m["claims"][1]["links"]


@pytest.mark.parametrize("ds, var, sel", [
    ("charge_test", "x_li", {"t": 2, "z": 1}),
    ("charge_test", "J_ion", {"t": 3, "component": 2, "z": 0}),
    ("odmr_stack", "signal", {"frequency": 7}),
    ("cell_test", "labels", {"z": 2}),
    ("reconstruction", "transposed", {}),
])
def test_frames_equal_the_dataset_values(server, run_folder, ds, var, sel):
    img, headers = frame(server, ds, var, sel)
    expected = load(run_folder, ds)[var].isel(sel).transpose("y", "x").values.astype(np.float32)
    np.testing.assert_array_equal(img, expected)
    lo, hi = (float(v) for v in headers["X-Range"].split(","))
    assert (lo, hi) == (expected.min(), expected.max())


def test_spectrum_and_fit_equal_the_datasets(server, run_folder):
    s = get(server, "/api/spectrum", ds="odmr_stack", var="signal", row=3, col=5, sel={})
    stack, fit = load(run_folder, "odmr_stack"), load(run_folder, "fit")
    np.testing.assert_allclose(s["values"], stack.signal.isel(y=3, x=5).values)
    np.testing.assert_allclose(s["frequency"], stack.frequency.values)
    (curve,) = s["fits"]
    model = DipModel(2, "lorentzian")
    params = np.array([[float(fit[p].isel(y=3, x=5)) for p in model.names]])
    np.testing.assert_allclose(curve["at_data"], model.simulate(stack.frequency.values, params)[0])
    np.testing.assert_allclose(curve["values"], model.simulate(np.array(curve["frequency"]), params)[0])
    assert curve["frequency"][0] == stack.frequency.values[0] and len(curve["frequency"]) > stack.frequency.size
    numbers = {n["name"]: n for n in curve["numbers"]}
    assert numbers["f0_1"]["value"] == float(fit.f0_1.isel(y=3, x=5)) and numbers["f0_1"]["units"] == "Hz"
    assert numbers["f0_1"]["error"] == float(fit.f0_1_err.isel(y=3, x=5))


def test_pixel_values_and_outline(server, run_folder):
    values = {v["name"]: v["value"] for v in get(server, "/api/pixel", ds="charge_test", row=2, col=4,
                                                 sel={"t": 1, "z": 2, "component": 1})}
    charge = load(run_folder, "charge_test")
    assert values["x_li"] == pytest.approx(float(charge.x_li.isel(t=1, z=2, y=2, x=4)))
    assert values["J_ion"] == pytest.approx(float(charge.J_ion.isel(t=1, component=1, z=2, y=2, x=4)))
    body, shape, _ = get(server, "/api/outline", binary=True, ds="fields", var="B_lco", labels="cell_test", z=1)
    np.testing.assert_array_equal(np.frombuffer(body, "<i2").reshape(shape),
                                  load(run_folder, "cell_test").labels.isel(z=1).values)


@pytest.mark.parametrize("params, words", [
    ({"ds": "charge_test", "var": "x_li", "sel": {"t": 9}}, ["t", "9", "[0, 3]"]),
    ({"ds": "nope", "var": "x_li", "sel": {}}, ["dataset", "nope", "charge_test"]),
    ({"ds": "charge_test", "var": "current_density", "sel": {}}, ["current_density", "two"]),
])
def test_bad_requests_answer_400_with_the_message(server, params, words):
    with pytest.raises(urllib.error.HTTPError) as info:
        get(server, "/api/frame", binary=True, **params)
    assert info.value.code == 400
    message = json.load(info.value)["error"]
    assert all(w in message for w in words), message


def test_a_fit_result_alone_is_viewable(run_folder):
    catalog = Catalog(run_folder / "fit.nc")
    (d,) = catalog.manifest()["datasets"]
    assert {"f0_0", "B_nv", "converged"} <= {v["name"] for v in d["variables"]}
    catalog.close()


def test_folders_that_are_not_runs_are_named(tmp_path):
    with pytest.raises(ViewerInputError, match="not an operando run folder"):
        Catalog(tmp_path)
    with pytest.raises(ViewerInputError, match="no such file"):
        Catalog(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ViewerInputError, match="neither a run folder"):
        Catalog(tmp_path / "notes.txt")
    save_dataset(xr.Dataset({"trace": (("t",), np.arange(3.0))}), tmp_path / "series.nc")
    with pytest.raises(ViewerInputError, match=r"no variable has two image dims.*trace\('t',\)"):
        Catalog(tmp_path)


def test_a_bad_dataset_among_good_ones_is_reported(run_folder, tmp_path):
    for f in ("cell_test.nc", "fields.nc"):
        (tmp_path / f).write_bytes((run_folder / f).read_bytes())
    (tmp_path / "broken.nc").write_bytes(b"not a netcdf file")
    catalog = Catalog(tmp_path)
    assert set(catalog.sources) == {"cell_test", "fields"}
    assert any("broken.nc" in p for p in catalog.manifest()["problems"])
    catalog.close()


def test_cli_view_of_a_bad_folder_exits_2_with_the_message(tmp_path, monkeypatch, capsys):
    from operando import cli

    monkeypatch.setattr(sys, "argv", ["operando", "view", str(tmp_path), "--no-browser"])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 2
    assert "not an operando run folder" in capsys.readouterr().err


def test_view_in_jupyter_returns_an_iframe_on_a_live_server(run_folder):
    pytest.importorskip("IPython")
    iframe = view(run_folder, height=500)
    assert iframe.height == 500
    with urllib.request.urlopen(iframe.src) as r:
        assert b"operando viewer" in r.read()
    assert view(run_folder).src == iframe.src  # one server per run
    assert view(SimpleNamespace(folder=run_folder)).src == iframe.src  # a pipeline RunResult


def test_claims_link_only_the_steps_they_name():
    from operando.viewer.claims import link_claims

    x = {"name": "x_li", "units": "1"}
    datasets = [{"name": n, "variables": [x]} for n in ("charge_1C", "charge_5C", "charge_C-10")]
    rows = [{"claim": "5C for 4 min: x > 1/2", "ours": ""}, {"claim": "C/10 and 1C: x homogeneous", "ours": ""},
            {"claim": "x recovered everywhere", "ours": ""}]
    links = [r["links"] for r in link_claims(rows, datasets)]
    assert links[0] == [["charge_5C", "x_li"]]
    assert links[1] == [["charge_1C", "x_li"], ["charge_C-10", "x_li"]]
    assert len(links[2]) == 3  # no step named: every step


def test_view_of_a_folder_that_is_not_a_run_says_so_on_the_console_and_in_the_output(tmp_path, capsys):
    from operando.viewer import ViewerInputError, view

    try:
        out = view(tmp_path)  # an empty folder
    except ViewerInputError as exc:  # without IPython the message is the exception's
        assert "expected e.g. cell_*.nc" in str(exc)
    else:
        assert "expected e.g. cell_*.nc" in out.data and "operando-viewer-error" in out.data
    assert "operando view:" in capsys.readouterr().err
