"""Attenuation volumes: μ (1/m) per voxel from a labelled cell, and resampling to the tomograph's voxels.

μ is given per phase as a number, an array over the volume, or a callable of the lithium
content x (the cathode's μ changes with x: Li leaves, the mass changes). A cell of
:mod:`operando.cell` brings its labels, phase names, materials and x map; μ then comes from the
materials' formulas and densities (:func:`._mu.linear_attenuation`) at the beam energy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from scipy import ndimage

from ..._checks import as_float_array, check_positive
from ...errors import InputError
from ._mu import linear_attenuation

#: photon energy of the CT of Huang et al., J. Phys. Energy 2025 , eV
ENERGY_HUANG2025_EV = 115e3


def attenuation_volume(labels, phases: Mapping[int, str], mu, *, x_map=None) -> np.ndarray:
    """μ (1/m) on the voxels of ``labels``.

    Parameters
    ----------
    labels : (nz, ny, nx) integer phase labels.
    phases : label → phase name.
    mu : phase name → μ (1/m; a number, an array of the volume's shape, or a callable of the
        lithium content x evaluated on ``x_map``), or a callable phase name → μ.
    x_map : (nz, ny, nx) lithium content where a phase's μ depends on it.
    """
    lab = np.asarray(labels)
    if not np.issubdtype(lab.dtype, np.integer):
        raise InputError(f"labels: expected integer phase labels, got dtype {lab.dtype}")
    out = np.zeros(lab.shape)
    for label in np.unique(lab):
        name = phases.get(int(label))
        if name is None:
            raise InputError(f"phases: label {int(label)} occurs in labels but has no phase name")
        value = mu(name) if callable(mu) and not isinstance(mu, Mapping) else _lookup(mu, name)
        where = lab == label
        if callable(value):
            if x_map is None:
                raise InputError(f"x_map: phase {name!r} has an x-dependent μ; pass the lithium content map")
            out[where] = np.asarray(value(np.asarray(x_map)[where]), dtype=float)
        else:
            v = np.asarray(value, dtype=float)
            out[where] = v[where] if v.shape == lab.shape else float(v)
    if np.any(out < 0) or not np.all(np.isfinite(out)):
        raise InputError("mu: attenuation coefficients must be finite and >= 0 1/m")
    return out


def _lookup(mu: Mapping, name: str):
    if name not in mu:
        raise InputError(f"mu: no attenuation coefficient for phase {name!r}; given for {sorted(mu)}")
    return mu[name]


def cell_attenuation(cell, energy_eV: float = ENERGY_HUANG2025_EV,
                     mu: Mapping[str, float | Callable] | None = None) -> np.ndarray:
    """μ (1/m) of an :class:`operando.cell.Cell` at ``energy_eV``; phases' materials from the cell,
    LixCoO2 with its mass at the local x; ``mu`` overrides phases by name."""
    e = check_positive("energy_eV", energy_eV, unit="eV")
    table = {}
    for name in cell.phase_names:
        material = cell.material_of.get(name, name)
        table[name] = float(linear_attenuation(material, e))
    if "lco" in table:
        table["lco"] = lambda x: lixcoo2_mu(x, e)
    table.update(mu or {})
    return attenuation_volume(cell.labels, cell.phases, table, x_map=cell.x_map())


def lithium_content_mu(x, energy_eV: float, host: str, host_molar_mass: float, density_x1: float) -> np.ndarray:
    """μ (1/m) of Li_x·host at fixed volume: formula Li_x host, density ∝ molar mass.

    host : the formula without Li (e.g. "CoO2", "Ni0.6Mn0.2Co0.2O2"); host_molar_mass in g/mol;
    density_x1 : density at x = 1, kg/m³.
    """
    import xraydb

    m_li = 6.94  # g/mol, IUPAC
    x = np.asarray(x, dtype=float)
    keys = np.round(x, 4)
    values = {}
    for xv in np.unique(keys):
        rho = density_x1 * (xv * m_li + host_molar_mass) / (m_li + host_molar_mass)
        formula = f"Li{xv:.4f}{host}" if xv > 0 else host
        values[xv] = 100.0 * float(xraydb.material_mu(formula, energy_eV, rho / 1000.0))
    return np.vectorize(values.__getitem__, otypes=[float])(keys)


def lixcoo2_mu(x, energy_eV: float) -> np.ndarray:
    """μ (1/m) of LixCoO2 (density of LiCoO2 from operando.materials)."""
    from ... import materials

    return lithium_content_mu(x, energy_eV, "CoO2", 58.933 + 2 * 15.999,
                              float(materials.get("LiCoO2").value("density")))


def nmc622_mu(x, energy_eV: float, density_x1: float = 2970.0) -> np.ndarray:
    """μ (1/m) of the LixNi0.6Mn0.2Co0.2O2 electrode (default density: Huang et al. 2025)."""
    host_mass = 0.6 * 58.693 + 0.2 * 54.938 + 0.2 * 58.933 + 2 * 15.999
    return lithium_content_mu(x, energy_eV, "Ni0.6Mn0.2Co0.2O2", host_mass, density_x1)


def resample(volume, spacing, new_spacing, *, order: int = 1) -> np.ndarray:
    """Resample a (nz, ny, nx) volume from voxel ``spacing`` to ``new_spacing`` (m, one or three).

    Uses ``scipy.ndimage.zoom`` with ``grid_mode=True`` (voxel faces, not centres, aligned), so the
    volume's extent and, to interpolation accuracy, its integral μ·V are preserved.
    """
    vol = as_float_array("volume", volume, ndim=3)
    sp = np.broadcast_to(np.asarray(spacing, dtype=float), (3,))
    new = np.broadcast_to(np.asarray(new_spacing, dtype=float), (3,))
    for name, arr in (("spacing", sp), ("new_spacing", new)):
        if np.any(arr <= 0):
            raise InputError(f"{name}: voxel sizes must be > 0 m, got {arr.tolist()}")
    factors = sp / new
    return ndimage.zoom(vol, factors, order=order, grid_mode=True, mode="nearest")
