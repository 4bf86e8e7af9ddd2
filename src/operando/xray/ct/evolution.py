"""How the Li|SPE and SPE|cathode interfaces evolve under current: a stochastic plating/stripping
model of their height maps, driven by the local current density.

Anode. Charge dq (C/m²) moves a Li layer dh = dq·V_m/F (Faraday's law, V_m the molar volume of
Li) onto the anode on charge and off it on discharge. Where it goes is set by the local current
density j(y, x) (from the charge solver, or uniform), a nucleation field η (log-normal, correlated
over ``nucleation_length``, drawn once per step from the seed) and a feedback on the local height:
plating favours protrusions, ``exp(+tip·ẑ)``, stripping favours recesses — pits deepen —,
``exp(−pit·ẑ)``, with ẑ the height in units of the map's current Rq. The weights are normalised
to mean 1, so the mean height change is exactly Faraday's; the step is split into ``substeps`` so
the feedback acts as the surface changes.

Cathode. The SPE|cathode interface follows the particles' lattice: its height map scales by
1 + strain·(x − x₀) (a linear strain per unit Li content), plus an irreversible random
roughening per unit charge (``cathode_roughening``).

Every parameter is data in :data:`PARAMETERS` with its source; the ones the paper is silent about
are flagged ``assumption=True`` and are not tuned to Table 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import ndimage
from scipy.constants import physical_constants

from ..._checks import as_float_array, check_choice, check_positive
from ...errors import InputError
from . import huang2025 as paper
from .roughness import sa

FARADAY = physical_constants["Faraday constant"][0]


@dataclass(frozen=True)
class Parameter:
    value: float
    unit: str
    source: str
    assumption: bool


PARAMETERS = {
    "li_molar_volume": Parameter(6.94e-3 / 534.0, "m^3/mol",
                                 "M(Li) 6.94 g/mol (IUPAC) / ρ 0.534 g/cm³ (CRC Handbook)", False),
    "correlation_length": Parameter(30e-6, "m", "lateral correlation of the initial surfaces; "
                                    "Huang et al. show maps but give no length", True),
    "nucleation_length": Parameter(15e-6, "m", "correlation length of Li nucleation sites", True),
    "nucleation_sigma": Parameter(0.5, "1", "log-normal spread of local plating/stripping rates", True),
    "tip": Parameter(0.3, "1", "growth bias toward protrusions per Rq of height (field focusing)", True),
    "pit": Parameter(0.6, "1", "dissolution bias toward recesses per Rq of depth (pits deepen)", True),
    "cathode_strain": Parameter(0.02, "1 per unit x", "linear lattice strain of NMC622 per unit Li "
                                "content (order of the ~2–5 % volume change of layered oxides)", True),
    "cathode_roughening": Parameter(0.01, "per C/cm^2", "irreversible relative roughening of the "
                                    "cathode surface per charge passed (particle cracking)", True),
}


def _param(name, overrides):
    return float(overrides.get(name, PARAMETERS[name].value))


def current_map_from_solver(reaction_current, anode_mask, spacing: float, shape, *, axis: int = 0) -> np.ndarray:
    """Local current density (A/m², magnitude) across the anode interface, on a (ny, nx) map.

    reaction_current : interfacial reaction current per voxel volume (A/m³), e.g. one time of the
        charge solver's ``reaction_current`` (:mod:`operando.electrochem.output`).
    anode_mask : voxels of the Li electrode (and dendrites) whose reaction feeds the anode.
    spacing : voxel size along ``axis``, the stacking axis of that cell (m).
    shape : (ny, nx) of the height maps; the solver's map over the two axes other than ``axis``,
        in their order, is resampled to it (linear interpolation; a 2-D cell's single z row is
        spread over the map's rows).
    """
    rc = as_float_array("reaction_current", reaction_current, finite=False)
    mask = np.asarray(anode_mask, dtype=bool)
    if mask.shape != rc.shape:
        raise InputError(f"anode_mask: expected shape {rc.shape} of reaction_current, got {mask.shape}")
    if not mask.any():
        raise InputError("anode_mask: no anode voxel; the interface current cannot be found")
    d = check_positive("spacing", spacing, unit="m")
    sheet = np.abs(np.where(mask & np.isfinite(rc), rc, 0.0).sum(axis=axis) * d)  # A/m²
    if sheet.ndim != 2 or sheet.max() <= 0:
        raise InputError("reaction_current: no current reaches the anode; the map would be empty")
    factors = np.asarray(shape, dtype=float) / np.asarray(sheet.shape, dtype=float)
    order = 0 if np.all(factors >= 1) else 1  # up-sampling: each solver voxel becomes a block
    return np.clip(ndimage.zoom(sheet, factors, order=order, grid_mode=True, mode="nearest"), 0.0, None)


def gaussian_surface(shape, pixel: float, ra: float, correlation: float, rng) -> np.ndarray:
    """A random height map (m) with areal Ra = ``ra`` (m) and Gaussian correlation ``correlation`` (m)."""
    gen = np.random.default_rng(rng)
    z = ndimage.gaussian_filter(gen.standard_normal(tuple(shape)), correlation / pixel, mode="wrap")
    z -= z.mean()
    return z * (ra / np.mean(np.abs(z)))


def _lognormal_field(shape, pixel, length, sigma, gen):
    g = ndimage.gaussian_filter(gen.standard_normal(shape), length / pixel, mode="wrap")
    g /= g.std() + 1e-300
    return np.exp(sigma * g)


def _normalised(w):
    return w / w.mean()


def step_anode(height, charge, current_map, pixel, rng, *, substeps: int = 10, **overrides) -> np.ndarray:
    """Advance the anode height map (m) by ``charge`` (C/m²; + plates Li, − strips it)."""
    h = as_float_array("height", height, ndim=2).copy()
    j = np.broadcast_to(as_float_array("current_map", current_map), h.shape)
    if np.any(j < 0) or j.mean() <= 0:
        raise InputError("current_map: local current density magnitude must be >= 0 with a positive mean")
    gen = np.random.default_rng(rng)
    vm = _param("li_molar_volume", overrides)
    eta = _lognormal_field(h.shape, pixel, _param("nucleation_length", overrides),
                           _param("nucleation_sigma", overrides), gen)
    bias = _param("tip", overrides) if charge > 0 else -_param("pit", overrides)
    dh_mean = charge * vm / FARADAY / int(substeps)
    for _ in range(int(substeps)):
        zhat = (h - h.mean()) / (np.sqrt(np.mean((h - h.mean()) ** 2)) + 1e-300)
        h += dh_mean * _normalised(_normalised(j) * eta * np.exp(bias * zhat))
    return h


def step_cathode(height, x_before: float, x_after: float, charge: float, pixel, rng, **overrides) -> np.ndarray:
    """Advance the cathode height map (m) from Li content ``x_before`` to ``x_after``."""
    h = as_float_array("height", height, ndim=2)
    gen = np.random.default_rng(rng)
    mean = h.mean()
    scaled = mean + (h - mean) * (1.0 + _param("cathode_strain", overrides) * (x_after - x_before))
    rough = _param("cathode_roughening", overrides) * abs(charge) / 1e4  # per C/cm²
    noise = gaussian_surface(h.shape, pixel, 1.0, _param("correlation_length", overrides), gen)
    return scaled + rough * sa(h) * noise


def simulate_protocol(rate: str = "0.1C", shape=(64, 64), pixel: float = paper.VOXEL_M, *, seed: int = 0,
                      current_map=None, substeps: int = 10, **overrides) -> xr.Dataset:
    """Height maps of both interfaces at the CT states of Huang et al. (pristine → end of discharge).

    rate : "0.1C" or "1C" — the charge passed between states follows Table 1's x at that rate.
    shape, pixel : map size (ny, nx) and pixel size (m); the default pixel is the paper's voxel.
    current_map : (ny, nx) local current-density magnitude at the anode (A/m², any scale: only its
        pattern matters, the charge is fixed by the protocol); uniform by default.
    overrides : values for :data:`PARAMETERS` by name.

    The initial surfaces are drawn with Table 2's pristine Ra (calibration). Returns a Dataset
    with ``anode``, ``cathode`` (state, y, x) in m, their areal Ra (state) in m, x and charge.
    """
    check_choice("rate", rate, paper.RATES)
    d = check_positive("pixel", pixel, unit="m")
    unknown = set(overrides) - set(PARAMETERS)
    if unknown:
        raise InputError(f"overrides: unknown parameters {sorted(unknown)}; known: {sorted(PARAMETERS)}")
    gen = np.random.default_rng(seed)
    shape = tuple(int(s) for s in shape)
    j = np.ones(shape) if current_map is None else as_float_array("current_map", current_map, shape=shape)
    corr = _param("correlation_length", overrides)
    ra0 = paper.RA_TABLE2_UM[rate]
    anode = [gaussian_surface(shape, d, ra0["anode"][0] * 1e-6, corr, gen)]
    cathode = [gaussian_surface(shape, d, ra0["cathode"][0] * 1e-6, corr, gen)]
    charges = paper.charge_per_area(rate)
    x = paper.X_TABLE1[rate]
    for k, q in enumerate(charges):
        anode.append(step_anode(anode[-1], q, j, d, gen, substeps=substeps, **overrides))
        cathode.append(step_cathode(cathode[-1], x[k], x[k + 1], q, d, gen, **overrides))
    y_c = (np.arange(shape[0]) + 0.5) * d
    x_c = (np.arange(shape[1]) + 0.5) * d
    ds = xr.Dataset(
        {
            "anode": (("state", "y", "x"), np.stack(anode),
                      {"units": "m", "long_name": "Li|SPE interface height"}),
            "cathode": (("state", "y", "x"), np.stack(cathode),
                        {"units": "m", "long_name": "SPE|cathode interface height"}),
            "x_li": (("state",), np.asarray(x), {"units": "1", "long_name": "x in LixNMC622 (Table 1)"}),
            "charge": (("state",), np.concatenate([[0.0], np.cumsum(charges)]), {"units": "C/m^2"}),
        },
        coords={"state": list(paper.STATES), "y": ("y", y_c, {"units": "m"}), "x": ("x", x_c, {"units": "m"})},
        attrs={"rate": rate, "seed": seed, "pixel_m": d,
               "parameters": str({k: _param(k, overrides) for k in PARAMETERS})},
    )
    ds["ra_anode"] = ("state", [sa(a) for a in anode], {"units": "m"})
    ds["ra_cathode"] = ("state", [sa(c) for c in cathode], {"units": "m"})
    return ds


def implied_parameter(name: str, rate: str = "0.1C", step: str = "plating", *, bounds=(0.0, 1.0),
                      shape=(48, 48), seed: int = 0, **overrides) -> float:
    """The value of parameter ``name`` for which the model gives Table 2's anode Ra change on
    ``step`` ("plating" or "stripping") at ``rate`` — a calibration, reported as such: it says
    what the paper's numbers imply about, e.g., how uneven plating was, not that they are
    reproduced. Raises InputError when no value in ``bounds`` reaches the change.
    """
    from scipy.optimize import brentq

    check_choice("step", step, ("plating", "stripping"))
    if name not in PARAMETERS:
        raise InputError(f"name: unknown parameter {name!r}; known: {sorted(PARAMETERS)}")
    target = paper.table2_changes(rate)[step]
    i0, i1 = (0, 2) if step == "plating" else (2, 4)

    def miss(value):
        ds = simulate_protocol(rate, shape=shape, seed=seed, **{**overrides, name: value})
        ra = ds.ra_anode.values
        return (ra[i1] - ra[i0]) / ra[i0] - target

    lo, hi = bounds
    if miss(lo) * miss(hi) > 0:
        raise InputError(f"bounds: {name} in [{lo:g}, {hi:g}] does not reach the {step} change {target:.3f} of Table 2")
    return float(brentq(miss, lo, hi, xtol=1e-4))
