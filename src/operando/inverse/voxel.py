"""Exact discrete inversion for sources voxelized on the map's own lattice (``method="voxel"``).

The continuum filters of :mod:`.fourier` treat the map as samples of a band-limited field. A voxel
source seen from closer than its pixel size is not band-limited: the field sampled at the voxel
centres is that of uniformly magnetized (or current-carrying) cuboids, whose spectrum folds
(aliases) back into the band. With 250 nm pixels seen from 50–250 nm the continuum transfer then
misses the data by a few per cent at every wavenumber, and a noiseless round trip of a
particle map comes back with 2–3 % error that no window, padding or margin removes.

Here the forward model is the one of :mod:`operando.magnetics.forward` itself: the field at
pixel centres is the linear convolution of the voxel sources with the exact cuboid kernels of
:mod:`operando.magnetics.kernels`. On a zero-padded grid of at least twice the map the DFT of the
embedded kernel is the exact discrete transfer ``G(k)`` of that convolution, and

    A = crop ∘ F⁻¹ ∘ G ∘ F ∘ pad      (sources on the map's pixels → field on the same pixels)

reproduces the voxel engine to rounding. ``A x = b`` is solved right-preconditioned by the
plain deconvolution ``P⁻¹ = crop ∘ F⁻¹ ∘ G⁻¹ ∘ F ∘ pad`` (``A P⁻¹`` is the identity but for the
edges): by GMRES for one map (square system; ~10 iterations for a magnetization, ~25 for a
current), by LSQR for several maps of one source (least squares; ~100–200 iterations).

Because sources outside the map are taken to be zero, the field they leave beyond the map edge
(the far-field tail of a net moment, which a plain deconvolution of the zero-padded map
mistakes for data) is accounted for exactly; so is the uniform part (k = 0), which a finite
magnetized patch makes visible at its rim, so no reference level is needed. The price: the
sources must lie inside the map.

Currents: the voxel current is written through a stream function ψ on the voxel corners (node
(j, i) at the corner (j + ½, i + ½)); the flux through each voxel face is the difference of ψ at
its two ends, so every voxel's face fluxes sum to zero (discrete continuity), and the voxel's
uniform current is the mean of its two opposite face fluxes per face area:

    Jx = (1 − e^{−i ky dy})(1 + e^{−i kx dx}) / (2 dy) ψ,
    Jy = −(1 − e^{−i kx dx})(1 + e^{−i ky dy}) / (2 dx) ψ.

ψ is zero outside the map (corners at −½ included), so a current confined inside the map has
ψ = 0 on its outer rows and columns and is represented exactly; a current reaching the edge
picks up errors in the outer pixels only.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.fft as sfft
import scipy.sparse.linalg as spla
from scipy.constants import mu_0

from .._checks import as_float_array, check_positive
from ..magnetics.kernels import (
    CURRENT_COMPONENTS,
    MAGNETIZATION_COMPONENTS,
    PARITY,
    embed_with_parity,
    layer_kernels,
)
from ._spectral import SpectralGrid, guarded_inverse

SOLVER_TOL = 1e-10  # GMRES rtol / LSQR atol, btol: far below the 1e-2 the round trips need
SOLVER_MAXITER = 600  # iterations (matrix-vector products), GMRES or LSQR
GMRES_RESTART = 60  # i.e. at most 10 restart cycles
_SHEET_FRACTION = 1e-3
CONVERGED_RESIDUAL = 1e-6  # relative data misfit beyond which the solve has not converged


def node_curl_filters(spec: SpectralGrid) -> tuple[np.ndarray, np.ndarray]:
    """Spectral factors taking the corner stream function ψ to the voxel currents (Jx, Jy)."""
    sy = np.exp(-1j * spec.ky * spec.dy)
    sx = np.exp(-1j * spec.kx * spec.dx)
    return (1 - sy) * (1 + sx) / (2 * spec.dy), -(1 - sx) * (1 + sy) / (2 * spec.dx)


def current_from_stream_function(psi, dy: float, dx: float) -> np.ndarray:
    """Voxel currents ``(Jx, Jy)``, shape (2, ny, nx), of a stream function ψ on the voxel corners.

    ``psi``: (ny, nx), node (j, i) at the corner (j + ½, i + ½) of voxel (j, i); ψ = 0 at the
    corners −½ outside the map. Units: ψ in A/m gives J in A/m² (ψ in A gives a sheet density in
    A/m); ``dy``, ``dx`` in m. Every voxel conserves charge exactly (its four face fluxes, the ψ
    differences along the faces, sum to zero); the current stays inside the map when ψ is zero on
    the last row and column. The same map as :func:`node_curl_filters`, in real space.
    """
    psi = as_float_array("psi", psi, ndim=2)
    dy = check_positive("dy", dy, unit="m")
    dx = check_positive("dx", dx, unit="m")
    p = np.pad(psi, ((1, 0), (1, 0)))
    flux_x = np.diff(p, axis=0) / dy  # through the x-faces at i − ½ (column i), per face length
    flux_y = np.diff(p, axis=1) / dx  # through the y-faces at j − ½ (row j)
    return np.stack([0.5 * (flux_x[:, :-1] + flux_x[:, 1:]), -0.5 * (flux_y[:-1] + flux_y[1:])])


def _kernel_spectra(kind: str, spec: SpectralGrid, height: float, thickness: float) -> dict:
    """Complex DFTs (rfft layout, padded grid) of each cuboid kernel component, in T per source."""
    reach = ((spec.padded[0] + 1) // 2, (spec.padded[1] + 1) // 2)
    (_, quadrant), = layer_kernels(kind, (thickness, spec.dy, spec.dx), [height], 1, *reach)
    names = MAGNETIZATION_COMPONENTS if kind == "magnetization" else CURRENT_COMPONENTS
    buffers = np.stack([embed_with_parity(quadrant[c, 0], PARITY[name], spec.padded)
                        for c, name in enumerate(names)])
    spectra = sfft.rfft2(buffers, workers=-1) * (mu_0 / (4 * np.pi))
    return dict(zip(names, spectra, strict=True))


def voxel_transfer(kind: str, spec: SpectralGrid, axis, height: float, depth_top: float,
                   depth_bottom: float, direction=None) -> np.ndarray:
    """Exact discrete ``G(k)`` of the voxel engine on the padded grid (rfft layout), complex.

    Same meaning as :func:`._spectral.axis_transfer`: field along ``axis`` (T) per unit source —
    the corner stream function ψ for ``kind="current"`` (A/m for a layer, A for a sheet), the
    magnitude along ``direction`` for ``"magnetization"`` (A/m for a layer, A for a sheet). A
    sheet (``depth_bottom == depth_top``) is the thin-layer limit of one voxel layer.
    """
    axis = np.asarray(axis, dtype=float)
    thickness = depth_bottom - depth_top
    top = height + depth_top  # depth of the layer's top face below the sensor
    per_area = thickness <= 0
    if per_area:
        # a sheet: a voxel layer of thickness t ≪ pixel, standoff centred on the sheet (its
        # field differs by O((t/d)²) ~ 1e-7); not thinner, since the corner sums of the cuboid
        # kernels cancel to ~t relative and would lose the digits
        thickness = _SHEET_FRACTION * min(top, spec.dy, spec.dx)
        top -= thickness / 2
    K = _kernel_spectra(kind, spec, top, thickness)
    if kind == "magnetization":
        zz = -(K["xx"] + K["yy"])  # ∇²(1/r) = 0 outside the source
        tensor = ((K["xx"], K["xy"], K["xz"]), (K["xy"], K["yy"], K["yz"]), (K["xz"], K["yz"], zz))
        m = np.asarray(direction, dtype=float)
        G = sum(axis[a] * m[b] * tensor[a][b] for a in range(3) for b in range(3)
                if axis[a] != 0 and m[b] != 0)
    else:
        # B = ∇W × J with Jz = 0: (Bx, By, Bz) = (−Kz Jy, Kz Jx, Kx Jy − Ky Jx)
        from_jx = axis[1] * K["z"] - axis[2] * K["y"]
        from_jy = -axis[0] * K["z"] + axis[2] * K["x"]
        cx, cy = node_curl_filters(spec)
        G = from_jx * cx + from_jy * cy
    G = np.asarray(G, dtype=complex) * np.ones(spec.k.shape)
    return G / thickness if per_area else G


def solve_voxel(spec: SpectralGrid, G: np.ndarray, values: np.ndarray, guard: float,
                tol: float = SOLVER_TOL, maxiter: int = SOLVER_MAXITER):
    """Least-squares sources ``x`` (ny, nx) on the map with ``A x = b`` (see module doc).

    ``G``: (n_axes, nyp, nxr) exact discrete transfers; ``values``: (n_axes, ny, nx) field maps (T).
    Returns ``(x, H, info)``: H is the preconditioning deconvolution filter (n_axes, nyp, nxr),
    info the solver (GMRES for one map, LSQR for several), its iterations, the relative residual
    ‖A x − b‖ / ‖b‖ and whether it fell below ``CONVERGED_RESIDUAL`` (else a RuntimeWarning).
    """
    shape = values.shape
    H = guarded_inverse(G, np.ones(spec.k.shape), guard)

    def deconvolve(y):  # data → sources
        return spec.ifft(np.sum(H * spec.fft(np.reshape(y, shape)), axis=0))

    def deconvolve_adjoint(x):
        return spec.ifft(np.conj(H) * spec.fft(x)[None])

    def forward(x):
        return spec.ifft(G * spec.fft(x)[None])

    def forward_adjoint(r):
        return spec.ifft(np.sum(np.conj(G) * spec.fft(np.reshape(r, shape)), axis=0))

    n = values.size
    op = spla.LinearOperator(
        (n, n), dtype=float,
        matvec=lambda y: forward(deconvolve(y)).ravel(),
        rmatvec=lambda r: deconvolve_adjoint(forward_adjoint(r)).ravel(),
    )
    b = values.ravel()
    bnorm = float(np.linalg.norm(b)) or 1.0
    iterations = [0]

    def count(_):
        iterations[0] += 1

    if shape[0] == 1:  # square system: GMRES needs far fewer products than LSQR's normal equations
        solver = "gmres"
        restart = min(GMRES_RESTART, maxiter)
        y, _ = spla.gmres(op, b, rtol=tol, atol=0.0, restart=restart,
                          maxiter=-(-maxiter // restart), callback=count, callback_type="pr_norm")
    else:  # several maps of one source: least squares
        solver = "lsqr"
        y, _, iterations[0] = spla.lsqr(op, b, atol=tol, btol=tol, iter_lim=maxiter)[:3]
    residual = float(np.linalg.norm(op.matvec(y) - b)) / bnorm
    converged = residual <= CONVERGED_RESIDUAL
    if not converged:
        # the Krylov space holds P⁻¹ b, so the result is never worse than the plain
        # deconvolution; a stall means an ill-conditioned map (pixels much smaller than the
        # standoff, where the continuum filter is accurate anyway) or data the model cannot fit
        warnings.warn(f"method='voxel': {solver} stopped after {iterations[0]} iterations with "
                      f"relative data residual {residual:.1e} (> {CONVERGED_RESIDUAL:g}); for "
                      "pixels much smaller than the standoff use method='continuum'",
                      RuntimeWarning, stacklevel=4)
    return deconvolve(y), H, {"solver": solver, "solver_iterations": int(iterations[0]),
                              "solver_relative_residual": residual,
                              "solver_converged": int(converged)}
