"""k-space of a voxel object on the prescribed matrix and FOV, with the chemical-shift displacement
along the read direction, T2* decay during the readout, and a CSI (spectral) dimension.

The object lives on its own fine grid (the cell's voxels); k-space samples sit at
``k_n = (n − N//2) / FOV`` on every encoded axis. The Fourier sum is separable on a regular grid,
so it is three matrix products ``E_z ⊗ E_y ⊗ E_x`` with ``E = exp(−2πi k r)`` (times the voxel's
box transform ``sinc(k Δ)``): exact for any FOV and any fine voxel, no interpolation, and BLAS
speed (N_k × n_fine per axis instead of N_k × n_fine³).

Off-resonance: a species at Δν = (δ − δ_rx) ν0 accrues ``exp(−2πi Δν t)`` during the readout, with
``t = k_read / (γ̄ G)``: an exact shift ``Δν / (γ̄ G) = δ B0 / G`` of its image along the read axis
(applied as a phase ramp for the species' mean shift; voxel-to-voxel spreads from BMS shifts by
moving each voxel's magnetisation along the read axis, linearly split between two fine voxels,
which keeps its centroid exact). No read anti-alias filter is modelled: a displacement beyond the
FOV wraps around. A 2-D protocol projects along z, or sums a slab ``fov[0]`` thick about the centre.

Why by hand: NUFFT libraries (finufft, sigpy) do off-grid samples; here samples are on a grid and
the object on another, which the separable matrix DFT does exactly with numpy alone.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ..nuclei import nucleus
from .protocol import Protocol, check_covers

__all__ = ["csi_kspace", "fov_centre", "k_axes", "kspace"]


def k_axes(protocol: Protocol) -> list[np.ndarray]:
    """Sampled spatial frequencies (cycles/m) per axis (z, y, x): ``(n − N//2)/FOV``; [0] for the
    slice axis of a 2-D protocol."""
    out = []
    for f, n in zip(protocol.fov, protocol.matrix, strict=True):
        out.append(np.zeros(1) if f is None or n == 1 else (np.arange(n) - n // 2) / f)
    return out


def fov_centre(grid) -> tuple[float, float, float]:
    """Where the FOV centre sits in the object's frame (z, y, x; m): the voxel at index n//2 of
    every axis, so an object on the image's own grid comes back voxel for voxel."""
    return tuple(float(c[c.size // 2]) for c in (grid.z, grid.y, grid.x))


def _centred(grid):
    return [c - c0 for c, c0 in zip((grid.z, grid.y, grid.x), fov_centre(grid), strict=True)]


def _collapse_slice(m, grid, protocol):
    """Sum over z (projection) or over the slab ``fov[0]`` thick about the centre (2-D protocols)."""
    if not protocol.is_2d:
        return m
    z = _centred(grid)[0]
    thick = protocol.fov[0]
    sel = np.ones(z.size, bool) if thick is None else np.abs(z) <= thick / 2
    return m[sel].sum(axis=0, keepdims=True)


def _scatter_read(m, offset_m, spacing, axis):
    """Move every voxel's value by ``offset_m`` (m, per voxel) along ``axis``, split linearly
    between the two nearest fine voxels (values beyond the array's ends stay at its edge)."""
    shift = np.asarray(offset_m) / spacing
    lo = np.floor(shift)
    frac = shift - lo
    idx = np.indices(m.shape)
    n = m.shape[axis]
    out = np.zeros(m.size, complex)
    for step, w in ((lo, 1 - frac), (lo + 1, frac)):
        dest = idx.copy()
        dest[axis] = np.clip(idx[axis] + step.astype(np.int64), 0, n - 1)
        flat = np.ravel_multi_index(tuple(dest), m.shape).ravel()
        vals = (m * w).ravel()
        out += np.bincount(flat, vals.real, minlength=m.size) + 1j * np.bincount(flat, vals.imag, minlength=m.size)
    return out.reshape(m.shape)


def _dft(m, grid, protocol, box):
    """Separable Fourier sum of ``m`` (nz, ny, nx) at the protocol's k samples."""
    ks = k_axes(protocol)
    coords = _centred(grid)
    out = m
    for axis in (2, 1, 0):  # x first: the largest reduction on a cell's usual (nz, ny, nx)
        k, r = ks[axis], coords[axis]
        if protocol.is_2d and axis == 0:
            continue  # already summed into one slice
        e = np.exp(-2j * np.pi * np.outer(k, r))
        if box:
            e = e * np.sinc(k * grid.spacing[axis])[:, None]
        out = np.moveaxis(np.tensordot(out, e, axes=([axis], [1])), -1, axis)
    return out


def _read_factor(protocol, relax, k_read):
    """T2* weighting across the readout: t = k / (γ̄ G) from the echo centre."""
    t = k_read / (nucleus(protocol.nucleus).gyromagnetic_hz * protocol.read_gradient)
    if protocol.sequence == "se":
        return np.exp(-np.abs(t) / relax.t2star)
    return np.exp(-t / relax.t2star)


def _as_maps(obj):
    if isinstance(obj, dict):
        return obj
    return {"object": {"m": np.asarray(obj, complex), "shift": 0.0, "relaxation": None}}


def kspace(maps, grid, protocol: Protocol, *, box: bool = True, readout_decay: bool = True) -> np.ndarray:
    """Noise-free k-space (complex, the protocol's matrix (kz, ky, kx)) of ``maps``: the output of
    :func:`.signal.species_maps`, or a plain complex array (nz, ny, nx) on ``grid`` with no shift.
    ``box``: include each fine voxel's box transform; ``readout_decay``: T2* across the readout."""
    if protocol.sequence == "csi":
        raise InputError("protocol: a CSI protocol has a spectral dimension; use csi_kspace")
    check_covers(protocol, grid.extent)
    maps = _as_maps(maps)
    ra = protocol.read_index
    k_read = k_axes(protocol)[ra]
    shape = [1, 1, 1]
    shape[ra] = k_read.size
    total = np.zeros(tuple(len(k) for k in k_axes(protocol)), complex)
    for entry in maps.values():
        m = np.asarray(entry["m"], complex)
        if m.shape != grid.shape:
            raise InputError(f"maps: magnetisation of shape {m.shape} does not match the grid {grid.shape}")
        if not np.any(m):
            continue
        disp = protocol.displacement(np.broadcast_to(entry["shift"], grid.shape))
        mean = float(np.average(disp, weights=np.abs(m)))
        spread = disp - mean
        if np.abs(spread).max() > 1e-3 * grid.spacing[ra]:
            m = _scatter_read(m, spread, grid.spacing[ra], ra)
        s = _dft(_collapse_slice(m, grid, protocol), grid, protocol, box)
        s = s * np.exp(-2j * np.pi * k_read * mean).reshape(shape)
        if readout_decay and entry["relaxation"] is not None:
            s = s * _read_factor(protocol, entry["relaxation"], k_read).reshape(shape)
        total += s
    return total


def csi_kspace(maps, grid, protocol: Protocol, *, box: bool = True, bin_ppm: float | None = None) -> np.ndarray:
    """CSI data (complex, (n_t, kz, ky, kx)): phase encoding on every axis of the matrix, an FID of
    ``spectral_points`` samples ``dwell`` apart per encode. Voxels of each species are grouped by
    shift in bins of ``bin_ppm`` (default half the spectral resolution) so each group is one DFT."""
    if protocol.sequence != "csi":
        raise InputError(f"protocol: expected a CSI protocol, got sequence {protocol.sequence!r}")
    check_covers(protocol, grid.extent)
    maps = _as_maps(maps)
    t = np.arange(protocol.spectral_points) * protocol.dwell
    resolution = 1e6 / (protocol.spectral_points * protocol.dwell * protocol.larmor)  # ppm
    width = resolution / 2 if bin_ppm is None else float(bin_ppm)
    out = np.zeros((t.size, *(len(k) for k in k_axes(protocol))), complex)
    for entry in maps.values():
        m = np.asarray(entry["m"], complex)
        sh = np.broadcast_to(np.asarray(entry["shift"], float), grid.shape)
        live = np.abs(m) > 0
        if not live.any():
            continue
        cls = np.round((sh - protocol.receiver_ppm) / width).astype(np.int64)
        t2s = entry["relaxation"].t2star if entry["relaxation"] is not None else np.inf
        for c in np.unique(cls[live]):  # shift groups, each one DFT over the whole grid
            part = np.where(live & (cls == c), m, 0)
            s = _dft(_collapse_slice(part, grid, protocol), grid, protocol, box)
            nu = c * width * 1e-6 * protocol.larmor
            out += np.exp(-2j * np.pi * nu * t - t / t2s)[:, None, None, None] * s[None]
    return out

