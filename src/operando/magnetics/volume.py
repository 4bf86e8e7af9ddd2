"""Field of a voxelized magnetization inside the voxel volume itself (at every voxel centre).

The forward module evaluates fields on planes above the sample; NMR needs the field where the
nuclei are — inside the magnetized material. Each voxel is the same uniformly magnetized cuboid,
and the field of cuboid V at a point r, inside or outside V, is ``H_a = (1/4π) Σ_b ∂a∂b W M_b``
with ``W = ∫_V dV'/|r - r'|`` (B = μ0 (H + M) inside V, μ0 H outside). The corner antiderivatives
of :mod:`.kernels` give ``∂a∂b W`` at any displacement, inside included; here they are evaluated on
the 3-D lattice of voxel-centre offsets (one octant; the rest by parity), and the sum over source voxels is a
zero-padded 3-D FFT convolution (no periodic images), exact to rounding for any voxelized M.
The kernels' parities make their spectra real, obtained by DCT-I/DST-I of one octant.

``K_zz`` follows from Laplace's equation ``∇²W = -4π`` inside V (0 outside): ``K_zz = -(K_xx +
K_yy) - 4π`` at zero offset, ``-(K_xx + K_yy)`` elsewhere, so the self term is the cuboid's own
demagnetizing tensor (trace 1).

**Lorentz correction.** A nucleus inside a continuous magnetized medium does not see the
macroscopic B: the medium within a small sphere around it is discrete, and its averaged field
``(2/3) μ0 M`` must be removed: ``B_loc = μ0 (H + M/3)``. For a uniformly magnetized sphere
(``H = -M/3``) the local field equals the applied one.

For a linear medium with ``|χ| ≪ 1`` (``M = χ B0/μ0``), the relative change of the field along
the applied direction b is ``δ(r) = bᵀ σ(r) b`` with the shift tensor
``σ_ab(r) = (1/4π) Σ_r' K_ab(r - r') χ(r') + δ_ab χ(r)/3`` (Lorentz-corrected) — the bulk
magnetic susceptibility (BMS) shift of NMR. Its trace is zero in every voxel (the kernel's trace
is -4π at zero offset and 0 elsewhere, cancelled by the Lorentz term), so magic-angle spinning
removes the BMS shift and leaves only sidebands.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft as sfft
from scipy.constants import mu_0

from .._checks import as_float_array, unit_vector
from ..errors import InputError
from ..grid import Grid
from .kernels import corner_functions

__all__ = ["TENSOR_COMPONENTS", "field_in_volume", "field_shift_in_volume", "shift_tensor_in_volume"]

#: Order of the symmetric tensor components returned by :func:`shift_tensor_in_volume`.
TENSOR_COMPONENTS = ("xx", "yy", "zz", "xy", "xz", "yz")
_AXIS = {"x": 0, "y": 1, "z": 2}


def _parity(component: str) -> tuple[int, int, int]:
    """Sign of ∂a∂b W under z → -z, y → -y, x → -x."""
    return tuple(-1 if component.count(ax) % 2 else 1 for ax in "zyx")


@lru_cache(maxsize=1)  # reused across directions and tensor components of one geometry
def _octant(spacing, shape) -> dict[str, np.ndarray]:
    """``∂a∂b W`` (dimensionless) at voxel-centre offsets (k dz, j dy, i dx), k, j, i >= 0."""
    dz, dy, dx = spacing
    nz, ny, nx = shape
    scale = max(spacing)
    u = ((np.arange(nx + 1) - 0.5) * dx / scale)[None, None, :]
    v = ((np.arange(ny + 1) - 0.5) * dy / scale)[None, :, None]
    w = ((np.arange(nz + 1) - 0.5) * dz / scale)[:, None, None]
    corners = corner_functions("magnetization", u, v, w)  # xx, yy, xy, xz, yz
    k = np.diff(np.diff(np.diff(corners, axis=-1), axis=-2), axis=-3)
    out = dict(zip(("xx", "yy", "xy", "xz", "yz"), k, strict=True))
    zz = -(out["xx"] + out["yy"])
    zz[0, 0, 0] -= 4 * np.pi
    out["zz"] = zz
    return out


def _padded(grid: Grid) -> tuple[int, int, int]:
    """Even FFT sizes at least twice the grid (linear, not periodic, convolution)."""
    return tuple(2 * sfft.next_fast_len(n) for n in grid.shape)


def _half_transform(block: np.ndarray, axis: int, even: bool, half: int) -> np.ndarray:
    """FFT (length 2·half) of the parity extension of ``block`` along ``axis``, for m = 0..half.

    Even: a DCT-I of the block zero-padded to half + 1 points. Odd: a DST-I of its entries 1..,
    times -i, with zeros at m = 0 and m = half (the factor -i is applied by the caller).
    """
    n = block.shape[axis]
    if even:
        pad = [(0, 0)] * block.ndim
        pad[axis] = (0, half + 1 - n)
        return sfft.dct(np.pad(block, pad), type=1, axis=axis)
    inner = np.take(block, np.arange(1, n), axis=axis)
    shape = list(block.shape)
    shape[axis] = half + 1
    out = np.zeros(shape)
    if half > 1:
        pad = [(0, 0)] * block.ndim
        pad[axis] = (0, half - 1 - inner.shape[axis])
        idx = [slice(None)] * block.ndim
        idx[axis] = slice(1, half)
        out[tuple(idx)] = sfft.dst(np.pad(inner, pad), type=1, axis=axis)
    return out


def _kernel_spectrum(octant, weights: dict[str, float], shape) -> np.ndarray:
    """Spectrum of Σ_c w_c K_c over the padded lattice, in the layout of ``rfftn`` (real-valued).

    Each component is even or odd along each axis, so its FFT is a DCT-I or DST-I of the octant
    (an eighth of the points of the padded array); every off-diagonal component is odd along two
    axes, so its (-i)² makes all spectra real. The negative frequencies along z and y follow by
    parity.
    """
    pz, py, px = shape
    hz, hy, hx = pz // 2, py // 2, px // 2
    groups: dict[tuple[int, int, int], np.ndarray] = {}  # the transform is linear: sum by parity first
    for comp, wgt in weights.items():
        if wgt != 0:
            sign = -1.0 if comp[0] != comp[1] else 1.0  # (-i)² of the two odd axes
            key = _parity(comp)
            groups[key] = groups.get(key, 0.0) + (sign * wgt) * octant[comp]
    total = np.zeros((pz, py, hx + 1))
    for (sz, sy, sx), block in groups.items():
        half = block
        for axis, h, par in ((2, hx, sx), (1, hy, sy), (0, hz, sz)):
            half = _half_transform(half, axis, par > 0, h)
        # m = 0..h from the transforms, m = p - m' (m' = 1..h-1) by parity along z and y
        total[: hz + 1, : hy + 1] += half
        total[hz + 1 :, : hy + 1] += sz * half[hz - 1 : 0 : -1]
        total[: hz + 1, hy + 1 :] += sy * half[:, hy - 1 : 0 : -1]
        total[hz + 1 :, hy + 1 :] += (sz * sy) * half[hz - 1 : 0 : -1, hy - 1 : 0 : -1]
    return total


def _source_spectrum(source, shape) -> np.ndarray:
    """rfftn of ``source`` zero-padded to ``shape``, axis by axis so that zero rows are skipped."""
    pz, py, px = shape
    s = sfft.rfft(source, n=px, axis=2, workers=-1)
    s = sfft.fft(s, n=py, axis=1, workers=-1)
    return sfft.fft(s, n=pz, axis=0, workers=-1)


def _convolve(spectrum, source_spectrum, grid: Grid, shape) -> np.ndarray:
    """Inverse of the product, keeping only the grid's corner (cropped after each axis)."""
    prod = spectrum * source_spectrum
    prod = sfft.ifft(prod, axis=0, workers=-1, overwrite_x=True)[: grid.nz]
    prod = sfft.ifft(prod, axis=1, workers=-1, overwrite_x=True)[:, : grid.ny]
    out = sfft.irfft(prod, n=shape[2], axis=2, workers=-1)[..., : grid.nx]
    return out / (4 * np.pi)


def _check(grid, name, value, vector=False):
    if not isinstance(grid, Grid):
        raise InputError(f"grid: expected an operando.Grid, got {type(grid).__name__}")
    want = (3, *grid.shape) if vector else grid.shape
    arr = as_float_array(name, value)
    if arr.shape != want:
        raise InputError(f"{name}: expected shape {want} to match the grid, got {arr.shape}")
    return arr


def field_in_volume(M, grid: Grid, *, lorentz: bool = False) -> np.ndarray:
    """Field B (T) of magnetization ``M`` (3, nz, ny, nx, A/m) at every voxel centre, (3, nz, ny, nx).

    ``lorentz=False``: the macroscopic ``B = μ0 (H + M)``; ``lorentz=True``: the local field at a
    nucleus, ``μ0 (H + M/3)`` (Lorentz-sphere correction).
    """
    M = _check(grid, "M", M, vector=True)
    shape = _padded(grid)
    octant = _octant(tuple(grid.spacing), tuple(grid.shape))
    sources = [_source_spectrum(M[c], shape) for c in range(3)]
    H = np.zeros((3, *grid.shape))
    for comp in TENSOR_COMPONENTS:
        a, b = (_AXIS[ch] for ch in comp)
        spec = _kernel_spectrum(octant, {comp: 1.0}, shape)
        H[a] += _convolve(spec, sources[b], grid, shape)
        if a != b:
            H[b] += _convolve(spec, sources[a], grid, shape)
    return mu_0 * (H + (M / 3.0 if lorentz else M))


def field_shift_in_volume(chi, grid: Grid, direction=(0.0, 0.0, 1.0), *, lorentz: bool = True) -> np.ndarray:
    """Relative change of the field along the applied direction inside a linear medium, (nz, ny, nx).

    ``chi``: SI volume susceptibility per voxel (|χ| ≪ 1, first order); ``direction``: the
    applied field's direction (x, y, z) in the grid's frame. Returns ``bᵀ σ b`` (dimensionless;
    × 1e6 for ppm); ``lorentz=False`` gives the macroscopic field instead of the local one.
    """
    chi = _check(grid, "chi", chi)
    b = unit_vector("direction", direction)
    bx, by, bz = b
    weights = {"xx": bx * bx, "yy": by * by, "zz": bz * bz, "xy": 2 * bx * by, "xz": 2 * bx * bz,
               "yz": 2 * by * bz}
    shape = _padded(grid)
    spec = _kernel_spectrum(_octant(tuple(grid.spacing), tuple(grid.shape)), weights, shape)
    out = _convolve(spec, _source_spectrum(chi, shape), grid, shape)
    return out + chi * (1.0 / 3.0 if lorentz else 1.0)


def shift_tensor_in_volume(chi, grid: Grid, *, lorentz: bool = True) -> np.ndarray:
    """Shift tensor σ of every voxel, (6, nz, ny, nx) in the order of :data:`TENSOR_COMPONENTS`.

    ``δ = bᵀ σ b`` for any applied direction b (see :func:`field_shift_in_volume`).
    """
    chi = _check(grid, "chi", chi)
    shape = _padded(grid)
    octant = _octant(tuple(grid.spacing), tuple(grid.shape))
    source = _source_spectrum(chi, shape)
    out = np.empty((6, *grid.shape))
    diag = chi * (1.0 / 3.0 if lorentz else 1.0)
    for i, comp in enumerate(TENSOR_COMPONENTS):
        out[i] = _convolve(_kernel_spectrum(octant, {comp: 1.0}, shape), source, grid, shape)
        if comp[0] == comp[1]:
            out[i] += diag
    return out
