"""Microstructure metrics: phase fractions, particle sizes, grain-boundary fraction, percolation of
conducting phases between the electrodes, and interface areas."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..errors import InputError
from .cell import Cell

#: Phases that carry electrons / Li ions between the electrodes (standard phase names).
ELECTRONIC_PHASES = ("li_metal", "dendrite", "inclusion", "lco", "collector")
IONIC_PHASES = ("llzo", "llzo_gb", "cap", "lco")
_FACE = ndimage.generate_binary_structure(3, 1)


def phase_fractions(cell: Cell, region: np.ndarray | None = None) -> dict[str, float]:
    """Volume fraction of every phase of ``cell`` (within the bool ``region`` if given)."""
    sel = np.ones(cell.grid.shape, bool) if region is None else np.asarray(region, bool)
    total = max(int(sel.sum()), 1)
    return {name: float((cell.mask(name) & sel).sum() / total) for name in cell.phase_names}


def region_mask(cell: Cell, region: str) -> np.ndarray:
    """Columns of the "separator", "composite" or "collector" region (from ``cell.attrs``)."""
    key = {"separator": "x_separator", "composite": "x_composite", "collector": "x_collector"}.get(
        region
    )
    if key is None or not cell.attrs.get(key):
        raise InputError(
            f"region: {region!r} not known for this cell; built cells have separator, composite"
        )
    x0, x1 = cell.attrs[key]
    cols = (cell.grid.x >= x0) & (cell.grid.x < x1)
    return np.broadcast_to(cols, cell.grid.shape).copy()


def particle_sizes(cell: Cell) -> dict[str, np.ndarray]:
    """Per-particle voxel volume (m³) and equivalent radius (m; sphere, or disc in a 2-D cell)."""
    ids = cell.particle_id[cell.particle_id >= 0]
    if ids.size == 0:
        return {"id": np.array([], int), "volume": np.array([]), "radius": np.array([])}
    counts = np.bincount(ids)
    pid = np.nonzero(counts)[0]
    vol = counts[pid] * cell.grid.voxel_volume
    if cell.grid.nz == 1:
        radius = np.sqrt(vol / (np.pi * cell.grid.dz))
    else:
        radius = np.cbrt(3 * vol / (4 * np.pi))
    return {"id": pid, "volume": vol, "radius": radius}


def particle_size_distribution(cell: Cell, bins=10) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of equivalent particle radii: ``(edges (m), counts)`` (``bins`` as in numpy)."""
    counts, edges = np.histogram(particle_sizes(cell)["radius"], bins=bins)
    return edges, counts


def gb_fraction(cell: Cell) -> float:
    """Grain-boundary voxels as a fraction of all LLZO voxels (grains + boundaries)."""
    gb = cell.mask("llzo_gb").sum()
    return float(gb / max(gb + cell.mask("llzo").sum(), 1))


def percolation(cell: Cell, phases, *, axis: int = 2) -> dict:
    """Does the union of ``phases`` connect the two ends of the cell along ``axis`` (x by default)?

    The ends are the negative-electrode side (first layer past the Li metal) and the positive
    side (last layer before the collector); electrodes themselves are excluded so that the path
    has to cross the electrolyte and composite. Face connectivity.

    Returns ``percolates`` (bool), ``connected_fraction`` (fraction of the phase voxels in
    clusters spanning both ends) and ``n_clusters``.
    """
    names = [phases] if isinstance(phases, str) else list(phases)
    m = cell.mask(names)
    inner = ~cell.mask(["li_metal", "collector"])
    lo, hi = _ends(cell, axis)
    m = m & inner
    lab, n = ndimage.label(m, structure=_FACE)
    a = np.moveaxis(lab, axis, 0)
    spanning = np.intersect1d(np.unique(a[lo]), np.unique(a[hi]))
    spanning = spanning[spanning > 0]
    total = int(m.sum())
    conn = int(np.isin(lab, spanning).sum()) if spanning.size else 0
    return {
        "percolates": bool(spanning.size),
        "connected_fraction": conn / total if total else 0.0,
        "n_clusters": int(n),
    }


def _ends(cell: Cell, axis: int) -> tuple[int, int]:
    inner = ~cell.mask(["li_metal", "collector"])
    profile = np.moveaxis(inner, axis, 0).reshape(inner.shape[axis], -1).any(axis=1)
    idx = np.nonzero(profile)[0]
    if idx.size == 0:
        raise InputError("cell: no voxels between the electrodes")
    return int(idx[0]), int(idx[-1])


def connected_to(cell: Cell, phase, target) -> np.ndarray:
    """Voxels of ``phase`` (name or list) face-connected through ``phase`` to a ``target`` phase."""
    names = [phase] if isinstance(phase, str) else list(phase)
    tgt = cell.mask(target)
    lab, _ = ndimage.label(cell.mask(names) | tgt, structure=_FACE)
    keep = np.unique(lab[tgt])
    return np.isin(lab, keep[keep > 0]) & cell.mask(names)


def percolation_report(cell: Cell) -> dict[str, dict]:
    """Percolation of every conducting phase present, and of the electronic and ionic networks."""
    out = {}
    for name in cell.phase_names:
        if name in ("void", "li_metal", "collector"):
            continue
        out[name] = percolation(cell, name)
    out["electronic"] = percolation(cell, [p for p in ELECTRONIC_PHASES if p in cell.phase_names])
    out["ionic"] = percolation(cell, [p for p in IONIC_PHASES if p in cell.phase_names])
    if "lco" in cell.phase_names and cell.mask("collector").any():
        lco = cell.mask("lco").sum()
        out["lco_to_collector"] = {
            "connected_fraction": float(connected_to(cell, "lco", "collector").sum() / max(lco, 1))
        }
    return out


def interface_areas(cell: Cell) -> dict[tuple[str, str], float]:
    """Area (m²) of every interface between two different phases, from voxel faces.

    Keys are phase-name pairs in sorted order. In a 2-D cell the slab depth ``dz`` is the depth.
    """
    g = cell.grid
    names = np.array(cell.phase_names)
    index = {n: i for i, n in enumerate(names)}
    code = np.zeros(cell.labels.shape, np.int16)
    for lab, name in cell.phases.items():
        code[cell.labels == lab] = index[name]
    face_area = (g.dy * g.dx, g.dz * g.dx, g.dz * g.dy)
    n = len(names)
    acc = np.zeros((n, n))
    for axis in range(3):
        a = np.moveaxis(code, axis, 0)
        p, q = a[:-1].ravel(), a[1:].ravel()
        diff = p != q
        lo, hi = np.minimum(p[diff], q[diff]), np.maximum(p[diff], q[diff])
        acc += np.bincount(lo * n + hi, minlength=n * n).reshape(n, n) * face_area[axis]
    return {
        tuple(sorted((str(names[i]), str(names[j])))): float(acc[i, j])
        for i in range(n)
        for j in range(i + 1, n)
        if acc[i, j] > 0
    }


def c_rate_current_density(cell: Cell, c_rate: float = 1.0, delta_x: float | None = None) -> float:
    """Nominal current density (A/m²) that (dis)charges the cell's LixCoO2 at ``c_rate``.

    The capacity is F · c_max · Δx per m³ of LixCoO2 (``materials.lixcoo2.c_rate_to_current``,
    Δx = 0.5 by default), divided by the electrode area normal to x (ny·dy × nz·dz).
    """
    from ..materials import lixcoo2

    g = cell.grid
    volume = cell.mask("lco").sum() * g.voxel_volume
    if volume == 0:
        raise InputError("cell: has no LixCoO2 voxels, so no capacity to define a C-rate")
    dx = lixcoo2.PRACTICAL_DELTA_X if delta_x is None else delta_x
    return lixcoo2.c_rate_to_current(c_rate, volume, dx) / (g.ny * g.dy * g.nz * g.dz)


def summary(cell: Cell) -> dict:
    """All metrics in one dict: fractions, sizes, GB fraction, percolation, interface areas."""
    out = {"phase_fractions": phase_fractions(cell), "gb_fraction": gb_fraction(cell)}
    if cell.attrs.get("x_composite"):
        comp = region_mask(cell, "composite")
        out["lco_fraction_in_composite"] = float(
            (cell.mask("lco") & comp).sum() / max(comp.sum(), 1)
        )
    sizes = particle_sizes(cell)
    if sizes["radius"].size:
        out["particle_radius_mean"] = float(sizes["radius"].mean())
        out["particle_radius_std"] = float(sizes["radius"].std())
        out["n_particles"] = int(sizes["radius"].size)
    out["percolation"] = percolation_report(cell)
    out["interface_areas"] = {f"{a}|{b}": v for (a, b), v in interface_areas(cell).items()}
    return out
