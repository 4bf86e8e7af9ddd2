"""A small synthetic run folder: every kind of dataset the viewer draws, a few kB each."""

import numpy as np
import pytest
import xarray as xr

from operando.io import save_dataset
from operando.odmr.models import DipModel
from operando.report import Claim, write_report

NZ, NY, NX, NT, NF = 3, 8, 10, 4, 21
DX = 0.5e-6  # m


def _coords(rng_dims=("z", "y", "x")):
    n = {"z": NZ, "y": NY, "x": NX}
    return {d: ((d,), (np.arange(n[d]) + 0.5) * DX, {"units": "m"}) for d in rng_dims}


def fit_dataset(rng, f):
    """An 'operando fit'-like result (DipModel, 2 Lorentzian dips) and the stack it fits."""
    model = DipModel(2, "lorentzian")
    params = np.stack([
        2.80e9 + 1e6 * rng.standard_normal((NY, NX)), 2.94e9 + 1e6 * rng.standard_normal((NY, NX)),
        np.full((NY, NX), 8e6), np.full((NY, NX), 9e6),
        np.full((NY, NX), 0.02), np.full((NY, NX), 0.025), np.ones((NY, NX))], axis=-1)
    stack = model.simulate(f, params.reshape(-1, 7)).reshape(NY, NX, f.size)
    stack = stack + 1e-3 * rng.standard_normal(stack.shape)
    units = dict(zip(model.names, ["Hz"] * 4 + ["1"] * 2 + ["1"], strict=True))
    fit = xr.Dataset(coords={k: v for k, v in _coords(("y", "x")).items()})
    for k, name in enumerate(model.names):
        fit[name] = (("y", "x"), params[..., k], {"units": units[name]})
        fit[f"{name}_err"] = (("y", "x"), np.abs(params[..., k]) * 1e-3, {"units": units[name]})
    fit["converged"] = (("y", "x"), np.ones((NY, NX), bool))
    fit["B_nv"] = (("y", "x"), rng.standard_normal((NY, NX)) * 1e-5, {"units": "T"})
    fit.attrs.update(model="DipModel", model_shape="lorentzian", hyperfine="None")
    return fit, stack


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory):
    rng = np.random.default_rng(7)
    out = tmp_path_factory.mktemp("run")
    labels = rng.integers(0, 3, (NZ, NY, NX)).astype(np.int8)
    cell = xr.Dataset({"labels": (("z", "y", "x"), labels, {"units": "1"})}, coords=_coords())
    cell.attrs["phases"] = '{"0": "void", "1": "li_metal", "2": "llzo"}'
    save_dataset(cell, out / "cell_test.nc")
    t = {"t": (("t",), 60.0 * np.arange(1, NT + 1), {"units": "s"})}
    charge = xr.Dataset({
        "x_li": (("t", "z", "y", "x"), rng.random((NT, NZ, NY, NX)), {"units": "1"}),
        "J_ion": (("t", "component", "z", "y", "x"), rng.standard_normal((NT, 3, NZ, NY, NX)), {"units": "A/m^2"}),
        "current_density": (("t",), np.ones(NT), {"units": "A/m^2"}),
    }, coords={**_coords(), **t, "component": ["x", "y", "z"]})
    save_dataset(charge, out / "charge_test.nc")
    xy = _coords(("y", "x"))
    reco = xr.Dataset({
        "x_li_true": (("y", "x"), rng.random((NY, NX))), "x_li_reconstructed": (("y", "x"), rng.random((NY, NX))),
        "J_true": (("component", "y", "x"), rng.standard_normal((2, NY, NX)), {"units": "A/m^2"}),
        "J_reconstructed": (("component", "y", "x"), rng.standard_normal((2, NY, NX)), {"units": "A/m^2"}),
        "transposed": (("x", "y"), rng.random((NX, NY))),
    }, coords=xy)
    save_dataset(reco, out / "reconstruction.nc")
    fields = xr.Dataset({"B_lco": (("orientation", "y", "x"), rng.standard_normal((2, NY, NX)) * 1e-5,
                                   {"units": "T"})}, coords=xy)
    save_dataset(fields, out / "fields.nc")
    f = np.linspace(2.75e9, 2.99e9, NF)
    fit, stack = fit_dataset(rng, f)
    odmr = xr.Dataset({"signal": (("frequency", "y", "x"), stack.transpose(2, 0, 1), {"units": "1"})},
                      coords={**xy, "frequency": (("frequency",), f, {"units": "Hz"})})
    save_dataset(odmr, out / "odmr_stack.nc")
    save_dataset(fit, out / "fit.nc")
    claims = [Claim("M3", "stray field of the order of 10 µT", "~10 µT", "12 µT", "reproduced", "L139"),
              Claim("M8", "Li content x recovered", "0.05", "0.2", "differs", "L164", note="smaller cell")]
    write_report(out / "report.html", "Test report", {"version": "0"}, claims, [])
    return out
