"""Exact real-space kernels of uniformly magnetized and uniformly current-carrying cuboids.

Both fields derive from the volume integral ``W(r) = ∫_V dV' / |r - r'|`` of a cuboid V:

* magnetization M (A/m):  ``B_a = (μ0/4π) Σ_b ∂a∂b W · M_b``   (outside V; B = -μ0 ∇φ)
* current density J (A/m²):  ``B = ∇ × A``, ``A = (μ0/4π) W J``, so ``B_a = (μ0/4π) ε_abc ∂b W J_c``

With ``F`` a triple antiderivative of ``1/ρ`` (``∂u∂v∂w F = 1/ρ``), ``W`` is the alternating sum of
``F`` over the eight corners (``+`` for a lower face, ``-`` for an upper face per axis, with
``(u, v, w) = r - corner``). The derivatives that enter the fields are closed forms:

* ``∂u∂u F = -arctan(v w / (u ρ))`` (and cyclic), ``∂u∂v F = ln(w + ρ)`` (and cyclic);
* ``∂u F = v ln(w + ρ) + w ln(v + ρ) - u arctan(v w / (u ρ))`` (and cyclic).

Terms that do not depend on all three of u, v, w cancel in the corner sum, which is what makes
these short forms exact. Evaluating them on the lattice of source-corner-to-observer
displacements and differencing once along each axis gives the kernel of every voxel at every
lateral offset (the "corner antiderivative" construction of the demagnetization tensor,
Newell, Williams & Dunlop, J. Geophys. Res. 98, 9551 (1993); magpylib's ``Cuboid`` field is an
equivalent closed form). Only non-negative lateral offsets are evaluated; the kernels' parities
in x and y give the rest.

Precision: the corner sum cancels leading terms, so a kernel entry R voxels away carries a
rounding error of ~1e-6 of its own (tiny, ∝ R⁻³) value at R = 400 — about 1e-14 of the
nearest voxel's field.
"""

from __future__ import annotations

import numpy as np

# Component lists. Magnetization: the symmetric tensor ∂a∂b W without zz, which follows from
# ∇²(1/|r|) = 0 outside the source: K_zz = -(K_xx + K_yy).
MAGNETIZATION_COMPONENTS = ("xx", "yy", "xy", "xz", "yz")
CURRENT_COMPONENTS = ("x", "y", "z")  # ∂x W, ∂y W, ∂z W

# Parity (sign under y → -y, sign under x → -x) of each kernel component.
PARITY = {
    "xx": (1, 1),
    "yy": (1, 1),
    "xy": (-1, -1),
    "xz": (1, -1),
    "yz": (-1, 1),
    "x": (1, -1),
    "y": (-1, 1),
    "z": (1, 1),
}


def _log_plus(a, rho, rest2):
    """ln(a + ρ) for ρ = sqrt(a² + rest2), without cancellation when a < 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.log(np.where(a >= 0, a + rho, 1.0))
        neg = np.log(np.where(a < 0, rest2, 1.0)) - np.log(np.where(a < 0, rho - a, 1.0))
    return np.where(a >= 0, pos, neg)


def _solid_angle(a, b, c, rho):
    """arctan(b c / (a ρ)), with the limit 0 at a = 0 (average of the two one-sided limits)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a != 0, np.arctan(b * c / np.where(a != 0, a * rho, 1.0)), 0.0)


def corner_functions(kind: str, u, v, w) -> np.ndarray:
    """Corner antiderivatives at displacements ``(u, v, w) = r - corner`` (any common shape).

    ``kind="magnetization"`` → (5, ...) dimensionless, in the order of MAGNETIZATION_COMPONENTS.
    ``kind="current"`` → (3, ...) in the units of the displacements, order CURRENT_COMPONENTS.
    """
    u, v, w = np.broadcast_arrays(u, v, w)
    u2, v2, w2 = u * u, v * v, w * w
    rho = np.sqrt(u2 + v2 + w2)
    log_u = _log_plus(u, rho, v2 + w2)
    log_v = _log_plus(v, rho, u2 + w2)
    log_w = _log_plus(w, rho, u2 + v2)
    at_x = _solid_angle(u, v, w, rho)
    at_y = _solid_angle(v, u, w, rho)
    if kind == "magnetization":
        return np.stack([-at_x, -at_y, log_w, log_v, log_u])
    at_z = _solid_angle(w, u, v, rho)
    return np.stack(
        [
            v * log_w + w * log_v - u * at_x,
            u * log_w + w * log_u - v * at_y,
            u * log_v + v * log_u - w * at_z,
        ]
    )


def layer_kernels(kind: str, spacing, depths_top, nz: int, ny: int, nx: int):
    """Yield ``(layer, kernel)`` for every voxel layer, top layer first.

    ``kernel`` has shape (ncomp, nh, ny, nx): the corner-differenced antiderivative for a source
    voxel at lateral offset (j dy, i dx), i, j >= 0, below observers at depth ``depths_top[h]``
    (m) above the sample top. ``layer`` is the grid's z index (``nz - 1`` is the top layer).
    Lengths are scaled by the largest spacing inside, so that the arithmetic is scale-free;
    current kernels are returned in m.
    """
    dz, dy, dx = (float(s) for s in spacing)
    scale = max(dz, dy, dx)
    u = ((np.arange(nx + 1) - 0.5) * dx / scale)[None, None, :]
    v = ((np.arange(ny + 1) - 0.5) * dy / scale)[None, :, None]
    top = np.asarray(depths_top, dtype=float)[:, None, None] / scale
    unit = scale if kind == "current" else 1.0

    def plane(p):  # corner values on the plane p voxels below the sample top
        return corner_functions(kind, u, v, top + p * dz / scale)

    upper = plane(0)
    for p in range(nz):
        lower = plane(p + 1)
        # lower face (larger depth) counts +, upper face -, and likewise along x and y
        dzf = lower - upper
        upper = lower
        kernel = np.diff(np.diff(dzf, axis=-1), axis=-2)
        yield nz - 1 - p, kernel * unit


def embed_with_parity(quadrant: np.ndarray, parity, shape, out: np.ndarray | None = None):
    """Place a kernel known for offsets j, i >= 0 into a periodic array of ``shape`` (Py, Px).

    Offsets -j and -i go to rows Py - j and columns Px - i, multiplied by the parity signs.
    ``shape`` must be at least (2 ny - 1, 2 nx - 1) so that nothing overlaps. ``out`` (zeros
    outside the four written blocks, e.g. a buffer reused for kernels of the same size) is
    filled in place and returned.
    """
    ny, nx = quadrant.shape[-2:]
    py, px = shape
    sy, sx = parity
    if out is None:
        out = np.zeros((*quadrant.shape[:-2], py, px))
    out[..., :ny, :nx] = quadrant
    if ny > 1:
        np.multiply(quadrant[..., :0:-1, :], sy, out=out[..., py - ny + 1 :, :nx])
    if nx > 1:
        np.multiply(quadrant[..., :, :0:-1], sx, out=out[..., :ny, px - nx + 1 :])
    if ny > 1 and nx > 1:
        corner = out[..., py - ny + 1 :, px - nx + 1 :]
        np.multiply(quadrant[..., :0:-1, :0:-1], sy * sx, out=corner)
    return out


def spectrum_is_real(parity) -> bool:
    """Whether the FFT of a real kernel with this parity is real (else it is imaginary).

    Even along an axis gives a cosine transform (real), odd a sine transform (factor -i); two odd
    axes give (-i)² = -1, real again.
    """
    return parity[0] == parity[1]

