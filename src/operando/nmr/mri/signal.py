"""Transverse magnetisation of every species in every voxel: spin density × steady-state signal
(flip angle, TR, TE, T1, T2, T2*) × skin-depth RF weight, with its shift (Knight/chemical + BMS).

Steady states (per unit of M0):

* spoiled gradient echo (FLASH, "gre"): ``sin α (1 − E1) / (1 − E1 cos α) · exp(−TE/T2*)``;
* spin echo ("se", refocusing 2α): ``sin α · sin² α · (1 − E1) · exp(−TE/T2)``;
* CSI: the gradient-echo steady state at TE (its FID decays with T2* in time).

Skin depth. The RF reaches metal through its surface; a metal voxel of surface-to-volume σ is a
film of half-thickness ``1/σ`` reached from both faces, and its weight relative to unshielded
spins is the depth average ``(σ) ∫₀^{1/σ} S(α0 a)/S(α0) · e^{−is/δ} · b(s) ds`` with ``b`` the RF
factor of :func:`operando.nmr.skin.b1_factor` (excitation with the local flip ``α0 |b|`` and its
phase, reception by reciprocity). Films thinner than δ count by volume (weight → 1); a thick slab
by area × δ/(2√2) at small flips — :func:`operando.nmr.feasibility.skin_fraction`'s model.

Why by hand: Bloch simulators (JEMRIS, KomaMRI, MRzero) integrate isochromats in time; a
steady-state formula per voxel is exact for spoiled sequences and 10⁴× cheaper on 10⁶ voxels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.constants import N_A

from ... import materials
from ..._checks import check_positive
from ...errors import InputError
from .. import bms
from ..nuclei import _read, nucleus, receptivity, shift
from ..skin import b1_factor, skin_depth_of
from ..spectra import DEFAULT_WIDTH, MATERIAL_SPECIES, _molar_volume, spin_density
from .protocol import Protocol

__all__ = ["SPECIES", "Relaxation", "film_weight", "relaxation", "species_maps", "steady_state"]

#: Imaged species: shift species → the materials that carry it.
SPECIES = {"Li_metal": ("Li",), "LLZO": ("LLZO", "LLZO_GB")}


@dataclass(frozen=True)
class Relaxation:
    """T1, T2 and T2* (s) of a species, with the source and whether the values are assumed."""

    species: str
    t1: float
    t2: float
    t2star: float
    source: str
    assumption: bool


@lru_cache(maxsize=1)
def _table() -> dict:
    data = _read("relaxation.toml")
    refs = data.pop("_references", {})
    return {k: dict(v, source=refs.get(v["source"], v["source"])) for k, v in data.items()}


def relaxation(species: str, protocol: Protocol, overrides: dict | None = None) -> Relaxation:
    """Relaxation of ``species`` (``"Li_metal"``, ``"LLZO"``) at the protocol's field: T1 and T2
    tabulated, T2* = 1/(π FWHM) from the part-1 line width; ``overrides`` {"t1"|"t2"|"t2star": s}."""
    table = _table()
    if species not in table or species not in SPECIES:
        raise InputError(f"species: unknown species {species!r}; expected one of {', '.join(SPECIES)}")
    row = table[species]
    width_ppm = DEFAULT_WIDTH[SPECIES[species][0]]
    t2s = 1.0 / (np.pi * width_ppm * 1e-6 * protocol.larmor)
    vals = {"t1": float(row["t1"]), "t2": float(row["t2"]), "t2star": t2s}
    for key, v in (overrides or {}).items():
        if key not in vals:
            raise InputError(f"overrides: unknown relaxation time {key!r}; expected t1, t2 or t2star")
        vals[key] = check_positive(f"{species}.{key}", v, unit="s")
    return Relaxation(species, vals["t1"], vals["t2"], vals["t2star"], row["source"],
                      bool(row["assumption"]) or bool(overrides))


def steady_state(protocol: Protocol, relax: Relaxation, flip=None):
    """Steady-state transverse signal per unit M0 (see module); ``flip`` (rad, array) defaults to
    the protocol's flip angle."""
    a = protocol.flip_angle if flip is None else np.asarray(flip, float)
    e1 = np.exp(-protocol.tr / relax.t1)
    if protocol.sequence == "se":
        return np.sin(a) * np.sin(a) ** 2 * (1 - e1) * np.exp(-protocol.te / relax.t2)
    s = np.sin(a) * (1 - e1) / (1 - e1 * np.cos(a))
    return s * np.exp(-protocol.te / relax.t2star) if protocol.sequence != "csi" else s


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def film_weight(surface_to_volume, delta: float, protocol: Protocol | None = None, relax: Relaxation | None = None):
    """Complex skin-depth weight of metal voxels of surface-to-volume ``surface_to_volume`` (m⁻¹,
    array) for skin depth ``delta`` (m); small-flip limit without a protocol. 0 where σ = 0."""
    sv = np.asarray(surface_to_volume, float)
    d = check_positive("delta", delta, unit="m")
    half = np.divide(1.0, sv, out=np.full(sv.shape, np.inf), where=sv > 0)
    span = np.minimum(half, 40 * d)  # beyond 40 δ the RF is e^-40: nothing to integrate
    s = (0.5 * (_NODES + 1))[None, :] * span.reshape(-1, 1)  # (n, nodes)
    b = b1_factor(s, d)
    amp = np.abs(b)
    if protocol is None:
        excite = amp
    else:
        excite = steady_state(protocol, relax, protocol.flip_angle * amp) / steady_state(protocol, relax)
    integrand = excite * np.exp(-1j * s / d) * b
    integral = (integrand * (0.5 * _WEIGHTS)[None, :]).sum(axis=1) * span.ravel()
    out = np.divide(integral, half.ravel(), out=np.zeros(integral.shape, complex), where=np.isfinite(half.ravel()))
    return out.reshape(sv.shape)


def _metal_density(nucleus_name, abundance) -> float:
    n = nucleus(nucleus_name)
    frac = n.abundance if abundance is None else float(abundance)
    return MATERIAL_SPECIES["Li"][1]["Li"] * N_A / _molar_volume(materials.get("Li")) * frac


def species_maps(cell, metal, protocol: Protocol, *, garnet_phases=("llzo", "llzo_gb"), skin: bool = True,
                 susceptibility: bool = True, direction=(0.0, 0.0, 1.0), relaxation_overrides: dict | None = None,
                 shifts: dict | None = None, abundance=None) -> dict:
    """Per species: ``m`` the complex transverse magnetisation per voxel (¹H-equivalent spins,
    (nz, ny, nx), with the TE phase of its offset for gradient echoes), ``shift`` (ppm per voxel)
    and its :class:`Relaxation`.

    ``metal``: :class:`operando.cell.symmetric.MetalFraction` on the cell's grid (electrodes and
    deposits); garnet spins fill the rest of the ``garnet_phases`` voxels. ``direction``: B0 in
    the cell frame (x, y, z; default z, in the pellet plane as in Liu et al. 2025).
    ``shifts``: isotropic shift overrides (ppm) by species.
    """
    g = cell.grid
    if metal.grid.shape != g.shape:
        raise InputError(f"metal: grid {metal.grid.shape} does not match the cell's {g.shape}")
    shifts = dict(shifts or {})
    for key in shifts:
        if key not in SPECIES:
            raise InputError(f"shifts: unknown species {key!r}; expected one of {', '.join(SPECIES)}")
    phases = [p for p in garnet_phases if p in cell.phase_names]
    garnet_mask = cell.mask(phases) if phases else np.zeros(g.shape, bool)
    n_garnet = np.where(garnet_mask, spin_density(cell, protocol.nucleus, abundance=abundance), 0.0)
    f = metal.fraction
    spins = {"LLZO": n_garnet * (1 - np.where(garnet_mask, f, 0.0)) * g.voxel_volume,
             "Li_metal": _metal_density(protocol.nucleus, abundance) * f * g.voxel_volume}
    if susceptibility:
        chi = cell.property_map("chi_volume")
        chi = chi + f * (materials.get("Li").value("chi_volume") - chi)
        bms_ppm = bms.bms_shift(chi, direction, grid=g)
    else:
        bms_ppm = np.zeros(g.shape)
    r = receptivity(protocol.nucleus)
    out = {}
    for species in SPECIES:
        relax = relaxation(species, protocol, (relaxation_overrides or {}).get(species))
        iso = shifts.get(species, shift(species, protocol.nucleus).value)
        m = spins[species] * r * steady_state(protocol, relax)
        if species == "Li_metal" and skin:
            delta = skin_depth_of("Li", None, frequency=protocol.larmor)
            w = np.zeros(g.shape, complex)
            sel = f > 0
            w[sel] = film_weight(metal.surface_to_volume[sel], delta, protocol, relax)
            m = m * w
        sh = iso + bms_ppm
        if protocol.sequence in ("gre", "flash"):  # a gradient echo keeps the phase of the offset at TE
            m = m * np.exp(-2j * np.pi * (sh - protocol.receiver_ppm) * 1e-6 * protocol.larmor * protocol.te)
        out[species] = {"m": np.asarray(m, complex), "shift": sh, "relaxation": relax}
    return out
