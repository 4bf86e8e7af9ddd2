"""Magnetic field from measured NV resonances: projected-field approximation, exact single-axis
closed form, and full-Hamiltonian least squares over all pixels at once.

Shapes: ``freqs`` (..., n_axes, 2) in Hz (lower line first), NV ``axes`` (n_axes, 3); fields
(3, ...) in T in the lab frame, components first (solved components last inside). The spectrum is
even in B (B and -B give the same lines), so the sign of a vector field is fixed by a reference
field ``B0`` (e.g. the known bias field) or, without one, by the convention B·z >= 0.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from .._checks import as_float_array, check_choice, check_positive
from ..errors import ConvergenceError, InputError
from .constants import GAMMA_E
from .orientations import _unit_axes, components_first
from .spin import _resonance_jacobian, _resonances, _split_D

METHODS = ("hamiltonian", "projected")


def _check_freqs(freqs, n_axes: int | None = None) -> np.ndarray:
    f = as_float_array("freqs", freqs)
    if f.ndim < 2 or f.shape[-1] != 2 or (n_axes is not None and f.shape[-2] != n_axes):
        want = f"(..., {n_axes if n_axes else 'n_axes'}, 2)"
        raise InputError(f"freqs: expected shape {want} (two lines per NV axis), got {f.shape}")
    if np.any(f <= 0):
        raise InputError("freqs: resonance frequencies must be > 0 Hz")
    return f


def projected_field(freqs, E=0.0) -> np.ndarray:
    """|B·n| per axis (..., n_axes) in T from the line splitting, (f2 - f1)/2 = sqrt((γB∥)² + E²).

    Exact for a field along the axis; transverse fields add errors of order (γB⊥)²/D.
    """
    f = _check_freqs(freqs)
    half = 0.5 * (f[..., 1] - f[..., 0])
    return np.sqrt(np.maximum(half * half - np.asarray(E, float) ** 2, 0.0)) / GAMMA_E


def axial_transverse_field(freqs, D=None, temperature=None) -> tuple[np.ndarray, np.ndarray]:
    """Exact (|B∥|, B⊥) in T for each axis from its two lines, for E = 0 and m_s = 0 the lowest
    state (below the 102 mT anticrossing), from Vieta's relations of the characteristic polynomial:
    trace 2D, pairwise sum D² - γ²B², product -D γ²B⊥². Shapes (..., n_axes).
    """
    f = _check_freqs(freqs)
    D = _split_D(D, temperature)
    lam0 = (2.0 * D - f[..., 0] - f[..., 1]) / 3.0
    lam1, lam2 = lam0 + f[..., 0], lam0 + f[..., 1]
    pair_sum = lam0 * lam1 + lam0 * lam2 + lam1 * lam2
    g2 = np.maximum(D * D - pair_sum, 0.0)
    t2 = np.clip(-lam0 * lam1 * lam2 / D, 0.0, g2)
    return np.sqrt(g2 - t2) / GAMMA_E, np.sqrt(t2) / GAMMA_E


def _sign_patterns(n: int) -> np.ndarray:
    """All sign patterns (2^(n-1), n) with the first sign +1 (a global flip is fixed later)."""
    rest = np.array(list(itertools.product([1.0, -1.0], repeat=n - 1))).reshape(-1, n - 1)
    return np.concatenate([np.ones((rest.shape[0], 1)), rest], axis=1)


def _vector_from_projections(proj, axes, B0):
    """Least-squares B (..., 3) from |B·n_k| (..., n_axes), choosing the projection signs.

    With >= 4 axes the sign pattern that the axes can explain best is chosen (the four NV axes sum
    to zero, so only one pattern fits); with 3 axes the signs of B0·n_k are used (all + without B0).
    The overall sign follows B0, or B·z >= 0 without it.
    """
    pinv = np.linalg.pinv(axes)  # (3, n_axes)
    ref = None if B0 is None else np.asarray(B0, float)
    if axes.shape[0] == 3:
        signs = np.ones(3) if ref is None else np.where(ref @ axes.T < 0, -1.0, 1.0)
        B = (signs * proj) @ pinv.T
    else:
        patterns = _sign_patterns(axes.shape[0])  # (P, n)
        candidates = proj[..., None, :] * patterns  # (..., P, n)
        fitted = candidates @ pinv.T  # (..., P, 3)
        residual = np.sum((fitted @ axes.T - candidates) ** 2, axis=-1)
        best = np.argmin(residual, axis=-1)
        B = np.take_along_axis(fitted, best[..., None, None], axis=-2)[..., 0, :]
    flip = B[..., 2] < 0 if ref is None else np.sum(B * ref, axis=-1) < 0
    return np.where(flip[..., None], -B, B)


def field_from_resonances(
    freqs,
    axes,
    D=None,
    E=0.0,
    temperature=None,
    method: str = "hamiltonian",
    B0=None,
    max_iter: int = 50,
    rtol: float = 1e-10,
) -> np.ndarray:
    """Vector field B (3, ...) in T, components first, from resonances ``freqs`` (..., n_axes, 2) of
    >= 3 NV axes.

    ``method="projected"``: each line pair gives |B·n_k| (:func:`projected_field`), combined by
    least squares. ``method="hamiltonian"``: starts there and minimises the misfit of the exact
    resonances (:func:`operando.nv.spin.resonances`) over all pixels at once with
    Levenberg–Marquardt steps using the analytic Jacobian; noiseless data are recovered to ~1e-12
    relative. ``B0`` (3,) or (3, ...) broadcastable to the result, T: a reference field that fixes
    the projection signs.
    """
    check_choice("method", method, METHODS)
    axes = _unit_axes(axes)
    f = _check_freqs(freqs, axes.shape[0])
    if axes.shape[0] < 3 or np.linalg.matrix_rank(axes) < 3:
        raise InputError(
            f"axes: a vector field needs >= 3 non-coplanar NV axes, got {axes.shape[0]} of rank "
            f"{np.linalg.matrix_rank(axes)}; for one axis use projected_field or "
            "axial_transverse_field"
        )
    check_positive("max_iter", max_iter)
    D_arr = _split_D(D, temperature)
    D_axes = np.broadcast_to(D_arr, f.shape[:-1])
    E_axes = np.broadcast_to(np.asarray(E, float), f.shape[:-1])
    if B0 is not None:  # the solver works components last
        B0 = np.moveaxis(components_first("B0", B0), 0, -1)
    B = _vector_from_projections(projected_field(f, E_axes), axes, B0)
    if method == "projected":
        return np.moveaxis(B, -1, 0)
    ref = B if B0 is None else np.broadcast_to(np.asarray(B0, float), B.shape)
    shape = B.shape[:-1]
    n_axes = axes.shape[0]
    # Work on flat pixel arrays and iterate only the pixels that have not converged yet.
    B, f_flat = B.reshape(-1, 3).copy(), f.reshape(-1, n_axes, 2)
    D_flat, E_flat = D_axes.reshape(-1, n_axes), E_axes.reshape(-1, n_axes)

    def cost_of(Bc, idx):
        r = _resonances(Bc, axes, D_flat[idx], E_flat[idx]) - f_flat[idx]
        return r, np.sum(r * r, axis=(-2, -1))

    everything = np.arange(B.shape[0])
    resid, cost = cost_of(B, everything)
    damping = np.full(B.shape[0], 1e-6)
    converged = np.zeros(B.shape[0], dtype=bool)
    # the closed-form lines are exact to ~1e-6 Hz: a misfit of 1e-5 Hz per line is a perfect fit
    cost_floor = n_axes * 2 * 1e-10
    for _ in range(int(max_iter)):
        act = np.flatnonzero(~converged)
        if act.size == 0:
            break
        _, jac = _resonance_jacobian(B[act], axes, D_flat[act], E_flat[act])
        jac = jac.reshape(act.size, -1, 3)
        jtj = np.swapaxes(jac, -1, -2) @ jac
        jtr = np.einsum("pki,pk->pi", jac, resid[act].reshape(act.size, -1))
        lm = jtj + (damping[act] * np.trace(jtj, axis1=-2, axis2=-1) / 3.0)[:, None, None] * np.eye(
            3
        )
        step = np.nan_to_num(-np.linalg.solve(lm, jtr[..., None])[..., 0])
        trial_resid, trial_cost = cost_of(B[act] + step, act)
        better = trial_cost <= cost[act]
        B[act] = np.where(better[:, None], B[act] + step, B[act])
        resid[act] = np.where(better[:, None, None], trial_resid, resid[act])
        cost[act] = np.where(better, trial_cost, cost[act])
        damping[act] = np.where(better, damping[act] * 0.1, damping[act] * 10.0).clip(1e-15, 1e6)
        small_step = np.linalg.norm(step, axis=-1) <= rtol * np.linalg.norm(B[act], axis=-1)
        converged[act] = small_step | (cost[act] <= cost_floor)
    B, converged = B.reshape(*shape, 3), converged.reshape(shape)
    # The spectrum is even in B: align with the reference (B0 or the projected estimate).
    flip = np.sum(B * ref, axis=-1) < 0
    B = np.where(flip[..., None], -B, B)
    if not np.all(converged):
        idx = np.argwhere(~converged)
        msg = (
            f"{idx.shape[0]} pixel(s) did not converge in {max_iter} steps, e.g. {idx[:5].tolist()}"
        )
        if not np.any(converged):
            raise ConvergenceError(f"field_from_resonances: {msg}")
        warnings.warn(f"field_from_resonances: {msg}", RuntimeWarning, stacklevel=2)
    return np.moveaxis(B, -1, 0)
