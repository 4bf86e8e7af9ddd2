"""How wrong is a reconstruction? Error versus noise and standoff on a simulated sheet current.

A fixed test current (two counter-rotating current loops of Gaussian stream function in a thin
layer) is sent through the exact voxel engine
(:func:`operando.magnetics.oersted_field_from_current`) to sensor planes at several standoffs,
white noise is added, and the current is reconstructed by the Fourier filter (window cut-off =
standoff) and by Tikhonov with the discrepancy principle.
The relative L2 error inside the field of view (``margin`` pixels excluded) is returned as a
DataArray and drawn by :func:`error_vs_noise_and_standoff_figure`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._checks import as_float_array
from ..grid import Grid
from ..report.style import PAGE_WIDTH, styled
from .fourier import sheet_current_from_field
from .metrics import relative_l2_error
from .operators import FieldOperator
from .regularised import solve_tikhonov

METHODS = ("fourier", "tikhonov")


def test_current(n: int = 64, pixel: float = 25e-9, thickness: float = 10e-9):
    """(grid, J) of the reference current: J (3, 1, n, n) in A/m², divergence-free, |J| ≤ ~1e10."""
    grid = Grid((1, n, n), (thickness, pixel, pixel))
    Y, X = np.meshgrid(grid.y - grid.y.mean(), grid.x - grid.x.mean(), indexing="ij")
    J = np.zeros((3, 1, n, n))
    for x0, y0, s, a in ((-0.1, 0.05, 0.1, 1.0), (0.14, -0.12, 0.07, -0.7)):
        x0, y0, s = x0 * n * pixel, y0 * n * pixel, s * n * pixel
        g = a * 1e3 * np.exp(-((X - x0) ** 2 + (Y - y0) ** 2) / (2 * s**2))  # stream fn, A/m
        J[0, 0] += -(Y - y0) / s**2 * g
        J[1, 0] += (X - x0) / s**2 * g
    return grid, J


def error_vs_noise_and_standoff(noise_levels=(1e-9, 1e-8, 1e-7), standoffs=(30e-9, 60e-9, 120e-9),
                                n: int = 64, pixel: float = 25e-9, margin: int = 8,
                                methods=METHODS, seed: int = 0) -> xr.DataArray:
    """Relative L2 error of the reconstructed current, dims (method, standoff, noise).

    ``noise_levels``: white-noise σ of B_z (T); ``standoffs``: sensor heights (m).
    """
    from ..magnetics import oersted_field_from_current

    noise_levels = as_float_array("noise_levels", noise_levels, ndim=1)
    standoffs = as_float_array("standoffs", standoffs, ndim=1)
    grid, J = test_current(n, pixel)
    truth = J[:2, 0]
    Bz = oersted_field_from_current(J, grid, standoffs)[2]  # (nh, n, n)
    rng = np.random.default_rng(seed)
    err = np.zeros((len(methods), len(standoffs), len(noise_levels)))
    for j, sigma in enumerate(noise_levels):
        noise = rng.normal(0.0, 1.0, (n, n))  # the same pattern at every standoff
        for i, h in enumerate(standoffs):
            data = Bz[i] + sigma * noise
            for m, method in enumerate(methods):
                if method == "fourier":
                    ds = sheet_current_from_field(data, pixel, pixel, standoff=h,
                                                  thickness=grid.dz)
                    est = np.stack([ds["Jx"].values, ds["Jy"].values])
                else:
                    op = FieldOperator((n, n), pixel, pixel, [h], [(0.0, grid.dz)])
                    est = solve_tikhonov(op, data, noise_sigma=sigma).sources()[0]
                err[m, i, j] = relative_l2_error(est, truth, margin=margin)
    return xr.DataArray(
        err, dims=("method", "standoff", "noise"), name="relative_l2_error",
        coords={"method": list(methods), "standoff": ("standoff", standoffs, {"units": "m"}),
                "noise": ("noise", noise_levels, {"units": "T"})},
        attrs={"units": "1", "margin_pixels": margin, "pixel_m": pixel,
               "peak_Bz_T": float(np.abs(Bz).max())},
    )


@styled
def error_vs_noise_and_standoff_figure(errors: xr.DataArray | None = None, **kw):
    """Matplotlib Figure of :func:`error_vs_noise_and_standoff` (computed with ``kw`` if not given):
    left, error vs noise for each standoff; right, error vs standoff for each noise level."""
    from ..report.style import subplots

    if errors is None:
        errors = error_vs_noise_and_standoff(**kw)
    fig, (ax1, ax2) = subplots(1, 2, figsize=(PAGE_WIDTH, 2.8))
    styles = {"fourier": "--", "tikhonov": "-"}
    for method in errors["method"].values:
        e = errors.sel({"method": method})
        style = styles.get(str(method), ":")
        for i, h in enumerate(e["standoff"].values):  # colour: standoff; line style: method
            ax1.loglog(e["noise"] * 1e9, e.sel(standoff=h), style, color=f"C{i}",
                       marker="o", label=f"{method}, h = {h * 1e9:.0f} nm")
        for i, s in enumerate(e["noise"].values):
            ax2.semilogy(e["standoff"] * 1e9, e.sel(noise=s), style, color=f"C{i}",
                         marker="s", label=f"{method}, σ = {s * 1e9:.3g} nT")
    ax1.set(xlabel="noise σ of $B_z$ (nT)", ylabel="relative L2 error of J",
            title="error vs noise")
    ax2.set(xlabel="standoff h (nm)", ylabel="relative L2 error of J", title="error vs standoff")
    for ax in (ax1, ax2):
        ax.grid(True, which="major", alpha=0.25, lw=0.4)
        ax.legend(fontsize=6)
    margin = errors.attrs["margin_pixels"]
    fig.suptitle(f"sheet-current reconstruction (margin {margin} px excluded)")
    return fig
