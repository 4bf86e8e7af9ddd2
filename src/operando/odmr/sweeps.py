"""Stacks recorded as separate frequency sweeps (QDMlab's low- and high-frequency stacks, one per
resonance of the NV axis along the bias field), fitted sweep by sweep and combined.

Fitting each sweep on its own keeps each fit small (one line or multiplet, its own baseline) and
avoids the large empty gap between the sweeps that derails a single fit over both. The combined
result holds the lines of the low sweep first (``f0_0 …``) then those of the high sweep, so the
field maps pair them outer to inner as for one spectrum: ``B_NV = (f_high − f_low) / (2γ)`` and
``D = (f_high + f_low) / 2``. One side alone gives ``B_NV = ±(f − D₀)/γ`` with D₀ = 2.870 GHz
(the room-temperature zero-field splitting), stated in the result's attrs.
"""

from __future__ import annotations

import re

import numpy as np
import xarray as xr

from ..errors import InputError
from .quality import CODES

SIDES = ("low", "high", "both")
#: a step this many times the median step separates two sweeps
GAP_FACTOR = 10.0
MIN_SWEEP_POINTS = 8


def find_sweeps(ds) -> list[tuple[str, np.ndarray]]:
    """(name, frequency indices) of each sweep: from a ``sweep`` coordinate along frequency, else
    split at the one gap wider than :data:`GAP_FACTOR` median steps; one sweep otherwise."""
    f = ds["frequency"].values
    if "sweep" in ds.coords and ds["sweep"].dims == ("frequency",):
        labels = [str(v) for v in ds["sweep"].values]
        names = list(dict.fromkeys(labels))
        if len(names) > 1:
            return [(n, np.flatnonzero(np.array(labels) == n)) for n in names]
    if f.size < 2 * MIN_SWEEP_POINTS:
        return [("all", np.arange(f.size))]
    step = np.diff(f)
    gaps = np.flatnonzero(step > GAP_FACTOR * np.median(step))
    if gaps.size == 1 and MIN_SWEEP_POINTS <= gaps[0] + 1 <= f.size - MIN_SWEEP_POINTS:
        cut = gaps[0] + 1
        return [("low", np.arange(cut)), ("high", np.arange(cut, f.size))]
    return [("all", np.arange(f.size))]


def as_slice(idx: np.ndarray):
    """A run of consecutive indices as a slice (xarray then takes a view, not a copy of the stack)."""
    if idx.size and idx[-1] - idx[0] + 1 == idx.size and np.all(np.diff(idx) == 1):
        return slice(int(idx[0]), int(idx[-1]) + 1)
    return idx


def _renamed(fit: xr.Dataset, index: int, offset: int) -> xr.Dataset:
    """Line variables of one sweep renumbered after those of the sweeps before it."""
    names = {}
    for name in fit.data_vars:
        m = re.fullmatch(r"(f0|width|contrast)_(\d+)(_err)?", name)
        if m:
            names[name] = f"{m[1]}_{int(m[2]) + offset}{m[3] or ''}"
        elif re.fullmatch(r"(width|baseline)(_err)?", name):
            base, _, err = name.partition("_")
            names[name] = f"{base}_{index}" + ("_err" if err else "")
    return fit.rename(names)


def combine_sweeps(fits: list[xr.Dataset], names: list[str]) -> xr.Dataset:
    """One result from per-sweep fits: lines renumbered, χ² pooled over the sweeps, a pixel
    converged when every sweep converged, its reason the first sweep's failure."""
    variables, offset, dof = {}, 0, 0
    pooled = dict.fromkeys(POOLED, 0.0)  # Σ over sweeps of (per-point statistic × ν)
    reason = None
    for k, (fit, name) in enumerate(zip(fits, names, strict=True)):
        n_lines = sum(1 for v in fit.data_vars if re.fullmatch(r"f0_\d+", v))
        part = _renamed(fit, k, offset)
        d = int(fit.attrs["n_frequencies"]) - sum(
            1 for v in fit.data_vars if not v.endswith("_err") and v not in _BOOKKEEPING)
        pooled = {k: v + fit[k] * d for k, v in pooled.items()}
        dof += d
        reason = fit["reason"] if reason is None else xr.where(reason != 0, reason, fit["reason"])
        extras = {extra: f"{extra}_{name}" for extra in (*POOLED, "reason", "n_iter", "converged")}
        for var_name, var in part.data_vars.items():  # names never repeat across sweeps
            if var_name != "valid":
                variables.setdefault(extras.get(var_name, var_name), var.variable)
        offset += n_lines
    for k, v in pooled.items():
        variables[k] = (v / max(dof, 1)).variable.copy(deep=False)
        variables[k].attrs = dict(fits[0][k].attrs)
    variables["reason"] = reason.astype(np.int8).variable
    variables["reason"].attrs = dict(fits[0]["reason"].attrs)
    variables["converged"] = (reason == CODES["converged"]).variable
    variables["converged"].attrs = {"units": "1"}
    variables["n_iter"] = sum(f["n_iter"] for f in fits).variable
    variables["n_iter"].attrs = {"units": "1"}
    if "valid" in fits[0]:
        variables["valid"] = fits[0]["valid"].variable
    out = xr.Dataset(variables, coords=fits[0].coords)
    out.attrs = {**fits[0].attrs, "sweeps": list(names), "n_dips": offset,
                 "n_frequencies": sum(int(f.attrs["n_frequencies"]) for f in fits)}
    out.attrs.pop("fit_report", None)
    return out


POOLED = ("residual_variance", "reduced_chi2")
_BOOKKEEPING = ("reason", *POOLED, "n_iter", "converged", "valid")


def fit_sweeps(ds, sweeps, side: str, options: dict) -> xr.Dataset:
    """Fit each selected sweep of ``ds`` with ``n_dips / 2`` lines and combine the fits."""
    from .fit import fit_one_sweep, fit_report
    from .select import choose_model

    if side not in SIDES:
        raise InputError(f"side: expected one of {SIDES}, got {side!r}")
    by_name = dict(sweeps)
    if side != "both":
        if len(sweeps) != 2:
            raise InputError(f"side: {side!r} needs two sweeps; found {[n for n, _ in sweeps]}")
        sweeps = [sweeps[0] if side == "low" else sweeps[1]]
    per = max(1, int(options["n_dips"]) // 2)
    parts = [ds.isel(frequency=as_slice(idx)) for _, idx in sweeps]
    opts = {**options, "n_dips": per}
    choice = None
    if opts["model"] == "auto":  # one choice for every sweep: the same NV ensemble
        choice = choose_model(parts, n_dips=per, shared_width=opts["shared_width"],
                              hyperfine=opts["hyperfine"], engine=opts["engine"])
    fits = [fit_one_sweep(part, choice=choice, **opts) for part in parts]
    names = [n for n, _ in sweeps]
    out = combine_sweeps(fits, names)
    if side != "both":
        out.attrs["single_side"] = side
    if out["converged"].chunks is None:  # computed (eager, or a lazy fit computed on request)
        out.attrs["fit_report"] = fit_report(out)
    out.attrs["sweep_ranges_hz"] = [
        [float(ds["frequency"].values[by_name[n][0]]), float(ds["frequency"].values[by_name[n][-1]])]
        for n in names
    ]
    return out
