"""Synthetic ODMR stacks with known parameters, for tests, benchmarks and the Cramér–Rao bound.

Spectra come from the fit models themselves (whose line shapes are those of
:mod:`operando.nv.lineshape`), plus white Gaussian noise of known σ, so fitted values can be
compared with the truth and with the bound from the model's Fisher information.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_positive
from .dataset import make_odmr_dataset
from .lm import covariance
from .models import DipModel


def simulate_stack(model, frequency, params, *, noise: float = 0.0, rng=None, dtype=np.float64):
    """Dataset (y, x, frequency) of spectra for ``params`` (ny, nx, p) plus Gaussian noise ``noise``
    (signal units); true parameters are stored as variable ``true_params`` (y, x, parameter)."""
    f = np.asarray(frequency, dtype=np.float64)
    params = np.asarray(params, dtype=np.float64)
    ny, nx, p = params.shape
    clean = model.simulate(f, params.reshape(-1, p)).reshape(ny, nx, f.size)
    if noise:
        check_positive("noise", noise)
        rng = np.random.default_rng(rng)
        clean = clean + rng.normal(0.0, noise, clean.shape)
    ds = make_odmr_dataset(clean.astype(dtype), f, units="1", attrs={"noise_sigma": float(noise)})
    ds["true_params"] = (("y", "x", "parameter"), params)
    ds = ds.assign_coords(parameter=list(model.names))
    return ds


def two_dip_params(
    ny: int,
    nx: int,
    *,
    field_amplitude: float = 50e-6,
    bias_splitting: float = 60e6,
    width: float = 6e6,
    contrast: float = 0.02,
    centre: float = 2.87e9,
    seed: int = 0,
):
    """Parameters (ny, nx, 7) of a 2-dip (one NV axis) stack whose splitting follows a smooth field
    pattern of ``field_amplitude`` (T) on top of a bias splitting (Hz)."""
    from ..nv.constants import GAMMA_E

    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.linspace(-1, 1, ny), np.linspace(-1, 1, nx), indexing="ij")
    pattern = np.exp(-((xx - 0.2) ** 2 + yy**2) / 0.2) - 0.5 * np.exp(
        -((xx + 0.4) ** 2 + (yy - 0.3) ** 2) / 0.1
    )
    half = 0.5 * bias_splitting + GAMMA_E * field_amplitude * pattern
    shift = rng.normal(0.0, 0.2e6, (ny, nx))  # strain/temperature shifts of D
    ones = np.ones((ny, nx))
    return np.stack(
        [
            centre + shift - half,
            centre + shift + half,
            width * ones,
            width * ones,
            contrast * ones,
            1.2 * contrast * ones,
            ones,
        ],
        axis=-1,
    )


def cramer_rao_std(model, frequency, params, noise: float) -> np.ndarray:
    """Cramér–Rao lower bound on the standard deviation of each parameter, (n, p), for white
    Gaussian noise σ = ``noise``: sqrt(diag((JᵀJ/σ²)⁻¹)) at the true ``params`` (n, p)."""
    _, jac = model.evaluate(
        np.asarray(frequency, dtype=np.float64), np.asarray(params, dtype=np.float64)
    )
    return np.sqrt(np.einsum("npp->np", covariance(jac))) * noise


def two_sided_hyperfine_stack(
    ny: int,
    nx: int,
    *,
    bias: float = 0.9e-3,
    field_amplitude: float = 20e-6,
    width: float = 1.0e6,
    contrast: float = 0.012,
    noise: float = 2e-4,
    span: float = 16e6,
    n_points: int = 101,
    isotope: str = "14N",
    counts: float = 1e4,
    seed: int = 0,
):
    """A QDMlab-like pair of sweeps (low, high), each (ny, nx, n_points) in counts, around the two
    resonances of one NV axis in ``bias`` (T) plus a smooth field pattern, every line split into
    its ``isotope`` multiplet; white noise ``noise`` relative to the baseline. Returns
    ``(low, high, f_low, f_high, B_true (ny, nx) T, D_true (ny, nx) Hz)``."""
    from ..nv.constants import D_ZERO_FIELD, GAMMA_E

    rng = np.random.default_rng(seed)
    p = two_dip_params(ny, nx, field_amplitude=field_amplitude, bias_splitting=2 * GAMMA_E * bias,
                       width=width, contrast=contrast, centre=D_ZERO_FIELD, seed=seed)
    b_true = (p[..., 1] - p[..., 0]) / (2 * GAMMA_E)
    d_true = 0.5 * (p[..., 0] + p[..., 1])
    model = DipModel(1, hyperfine=isotope)
    out = []
    for k in (0, 1):
        centre = float(np.median(p[..., k]))
        f = np.linspace(centre - span / 2, centre + span / 2, n_points)
        q = np.stack([p[..., k], p[..., 2 + k], p[..., 4 + k], p[..., 6]], axis=-1).reshape(-1, 4)
        clean = model.simulate(f, q).reshape(ny, nx, n_points)
        out.append((counts * (clean + rng.normal(0.0, noise, clean.shape)), f))
    (low, f_low), (high, f_high) = out
    return low, high, f_low, f_high, b_true, d_true


def write_zarr_stack(path, ny: int, nx: int, frequency, *, chunk: int = 256, noise: float = 2e-3,
                     dtype=np.float32):
    """Write a two-dip (y, x, frequency) stack to a Zarr store ``path`` tile by tile (never whole in
    memory), each ``chunk`` × ``chunk`` tile simulated with its own seed; the stack for
    out-of-core benchmarks. Returns the path."""
    import dask.array as da
    import xarray as xr

    from ..io import save_dataset

    f = np.asarray(frequency, dtype=np.float64)
    model = DipModel(2)

    def block(block_info=None):
        (y0, y1), (x0, x1), _ = block_info[None]["array-location"]
        p = two_dip_params(y1 - y0, x1 - x0, seed=y0 * nx + x0)
        return simulate_stack(model, f, p, noise=noise, rng=y0 * nx + x0, dtype=dtype)["signal"].values

    tiles = tuple(tuple(min(chunk, n - s) for s in range(0, n, chunk)) for n in (ny, nx))
    stack = da.map_blocks(block, chunks=(*tiles, (f.size,)), dtype=dtype)
    ds = xr.Dataset({"signal": (("y", "x", "frequency"), stack, {"units": "1"})},
                    coords={"frequency": ("frequency", f, {"units": "Hz"})})
    return save_dataset(ds, path)
